import { expect, test } from '@playwright/test';

const percentile = (sorted: number[], p: number) => sorted[Math.round((sorted.length - 1) * p)];

test('join time: navigation to the first frame shown', async ({ browser }) => {
  const joins: number[] = [];
  const hydrations: number[] = [];
  for (let i = 0; i < 8; i++) {
    const page = await browser.newPage();
    // Milliseconds from navigation start to the page hydrating (the WASM client marks
    // <html data-hydrated>) and to the first frame the compositor presents.
    await page.addInitScript(() => {
      const w = window as any;
      new MutationObserver(() => {
        if (w.__hydratedMs === undefined && document.documentElement.hasAttribute('data-hydrated')) {
          w.__hydratedMs = performance.now();
        }
      }).observe(document, { attributes: true, subtree: true });
      const hook = () => {
        const video = document.querySelector('video');
        if (video) video.requestVideoFrameCallback((now) => (w.__firstFrameMs = now));
        else requestAnimationFrame(hook);
      };
      hook();
    });
    await page.goto('/watch/demo');
    const handle = await page.waitForFunction(() => (window as any).__firstFrameMs, null, { timeout: 20_000 });
    joins.push(Math.round(await handle.jsonValue()));
    hydrations.push(Math.round(await page.evaluate(() => (window as any).__hydratedMs)));
    await page.close();
  }
  const afterHydration = joins.map((join, i) => join - hydrations[i]).sort((a, b) => a - b);
  joins.sort((a, b) => a - b);
  hydrations.sort((a, b) => a - b);
  console.log(`join (ms), ${joins.length} navigations: p50 ${percentile(joins, 0.5)}, max ${joins.at(-1)}; all: ${joins.join(' ')}`);
  console.log(`  of which: hydrated p50 ${percentile(hydrations, 0.5)}; hydrated to first frame p50 ${percentile(afterHydration, 0.5)}`);
  expect(joins.length).toBe(8);
});

test('glass-to-glass latency over a minute', async ({ page }) => {
  await page.goto('/watch/demo');
  const latency = page.getByTestId('latency');
  await expect(latency).toHaveAttribute('data-latency-ms', /\d+/, { timeout: 20_000 });
  // The player's latency: now minus the encoder's wall clock (prft) for the frame at currentTime.
  const samples: number[] = [];
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    samples.push(Number(await latency.getAttribute('data-latency-ms')));
    await page.waitForTimeout(250);
  }
  const quality = await page.locator('video').evaluate((v: HTMLVideoElement) => {
    const q = v.getVideoPlaybackQuality();
    return { totalVideoFrames: q.totalVideoFrames, droppedVideoFrames: q.droppedVideoFrames };
  });
  samples.sort((a, b) => a - b);
  console.log(
    `glass-to-glass (ms), ${samples.length} samples over 60 s: p50 ${percentile(samples, 0.5)}, ` +
      `p95 ${percentile(samples, 0.95)}, max ${samples.at(-1)}; frames shown ${quality.totalVideoFrames}, dropped ${quality.droppedVideoFrames}`,
  );
  expect(samples.length).toBeGreaterThan(100);
});
