import { expect, test } from '@playwright/test';
import { newUsername, signUp } from '../support/accounts';

// A replay's start and seek times, in Chromium, on local storage. A 40 s broadcast is recorded
// first; then, in fresh pages, navigation -> first frame shown at a random point of it, and in
// one page, seek bar released -> first frame shown at the new time, for seeks outside what is
// buffered. Measured in the page (requestVideoFrameCallback), not by polling from here.
//   E2E_SERVER=target/release/onair npx playwright test --config bench.config.ts bench/replay.bench.ts
const percentile = (sorted: number[], p: number) => sorted[Math.round((sorted.length - 1) * p)];
const summary = (name: string, values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  console.log(
    `${name}: n=${sorted.length} p50 ${percentile(sorted, 0.5).toFixed(0)} ms, p95 ${percentile(sorted, 0.95).toFixed(0)} ms, ` +
      `max ${sorted[sorted.length - 1].toFixed(0)} ms`,
  );
};

test('replay: navigation to first frame, and seek to first frame', async ({ browser }) => {
  test.setTimeout(300_000);
  const host = await (await browser.newContext()).newPage();
  const channel = await signUp(host, newUsername('b'));
  const call = (endpoint: string, data: object) => host.request.post(`/api/${endpoint}`, { data });
  expect((await call('start_broadcast', { channel, title: 'Bench', source: 'TestPattern' })).ok()).toBe(true);
  const recorded = async () => ((await (await call('past_broadcasts', { channel })).json())[0]?.duration_ms ?? 0) as number;
  await expect.poll(recorded, { timeout: 90_000, intervals: [1000] }).toBeGreaterThanOrEqual(40_000);
  await call('stop_broadcast', { channel });
  const [{ id, duration_ms }] = await (await call('past_broadcasts', { channel })).json();
  const length = duration_ms / 1000;

  const starts: number[] = [];
  for (let i = 0; i < 12; i++) {
    const page = await browser.newPage();
    await page.addInitScript(() => {
      const w = window as any;
      new MutationObserver((_, observer) => {
        const video = document.querySelector('[data-testid=replay] video') as HTMLVideoElement | null;
        if (!video) return;
        observer.disconnect();
        video.requestVideoFrameCallback(() => (w.__firstFrame = performance.now()));
      }).observe(document, { childList: true, subtree: true });
    });
    const at = 2 + Math.random() * (length - 6);
    await page.goto(`/replay/${id}?t=${at.toFixed(1)}`);
    await page.waitForFunction(() => (window as any).__firstFrame, null, { timeout: 30_000 });
    starts.push(await page.evaluate(() => (window as any).__firstFrame));
    await page.close();
  }
  summary('replay start (navigation -> first frame)', starts);

  const page = await browser.newPage();
  await page.goto(`/replay/${id}`);
  await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
  await page.waitForFunction(() => {
    const v = document.querySelector('[data-testid=replay] video') as HTMLVideoElement;
    return v && !v.paused && v.readyState >= 3;
  });
  const seeks: number[] = [];
  for (let i = 0; i < 12; i++) {
    // Far from the playhead (more than what is buffered ahead), alternating ends.
    const target = i % 2 ? 1 + Math.random() * 6 : length - 14 + Math.random() * 6;
    const took = await page.evaluate(async (target) => {
      const video = document.querySelector('[data-testid=replay] video') as HTMLVideoElement;
      const input = document.querySelector('[data-testid=seek]') as HTMLInputElement;
      if (video.paused) await video.play().catch(() => undefined);
      const began = performance.now();
      input.value = String(target);
      input.dispatchEvent(new Event('input', { bubbles: true }));
      input.dispatchEvent(new Event('change', { bubbles: true }));
      return await new Promise<number>((resolve) => {
        setTimeout(() => resolve(Number.NaN), 10_000);
        const look = (_now: number, frame: VideoFrameCallbackMetadata) => {
          if (Math.abs(frame.mediaTime - target) < 1.5) resolve(performance.now() - began);
          else video.requestVideoFrameCallback(look);
        };
        video.requestVideoFrameCallback(look);
      });
    }, target);
    if (Number.isNaN(took)) console.log(`seek to ${target.toFixed(1)} s: no frame there within 10 s`);
    else seeks.push(took);
    await page.waitForTimeout(500);
  }
  summary('seek (release -> first frame at the new time)', seeks);
  expect(starts.length).toBeGreaterThan(0);
});
