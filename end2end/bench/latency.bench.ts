import { expect, test } from '@playwright/test';

const percentile = (sorted: number[], p: number) => sorted[Math.round((sorted.length - 1) * p)];

test('glass-to-glass latency over a minute', async ({ page }) => {
  await page.goto('/watch/demo');
  const latency = page.getByTestId('latency');
  await expect(latency).toHaveAttribute('data-latency-ms', /\d+/, { timeout: 20_000 });
  // Stalls: the video waiting for data once it has started playing.
  await page.locator('video').evaluate((v: HTMLVideoElement) => {
    (window as any).__stalls = 0;
    v.addEventListener('waiting', () => ((window as any).__stalls += 1));
  });
  // The player's latency: now minus the encoder's wall clock (prft) for the frame at currentTime.
  const samples: number[] = [];
  // The rungs it played (a viewer on a fast link stays on the top one).
  const rungs = new Set<string>();
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    samples.push(Number(await latency.getAttribute('data-latency-ms')));
    rungs.add(`${await page.locator('.player').getAttribute('data-rung')}`);
    await page.waitForTimeout(250);
  }
  const quality = await page.locator('video').evaluate((v: HTMLVideoElement) => {
    const q = v.getVideoPlaybackQuality();
    return { totalVideoFrames: q.totalVideoFrames, droppedVideoFrames: q.droppedVideoFrames };
  });
  const stalls = await page.evaluate(() => (window as any).__stalls);
  const first = samples.slice(0, 8);
  samples.sort((a, b) => a - b);
  console.log(
    `glass-to-glass (ms), ${samples.length} samples over 60 s: p50 ${percentile(samples, 0.5)}, ` +
      `p95 ${percentile(samples, 0.95)}, max ${samples.at(-1)}; frames shown ${quality.totalVideoFrames}, dropped ${quality.droppedVideoFrames}; stalls ${stalls}; ` +
      `rungs ${[...rungs].join(' / ')}; first samples ${first.join(' ')}`,
  );
  expect(samples.length).toBeGreaterThan(100);
});
