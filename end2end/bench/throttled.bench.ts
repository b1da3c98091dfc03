import { chromium, expect, test } from '@playwright/test';
import { newUsername, signUp } from '../support/accounts';
import { StudioPage } from '../pages/studio-page';
import { exited, publishAt } from '../support/publisher';
import { SlowLink } from '../support/slow-link';
import base from '../playwright.config';

// A viewer on a slow link: a 720p ~4 Mbit/s publish over RTMP (as OBS sends it), watched by a
// Chromium whose downlink is a real slow link (the kernel's token bucket, see SlowLink) held to
// THROTTLE_KBPS (1500) for SLOW_SECS (180), then fast again for 30 s. Per 10 s window: stalls
// (video `waiting`), seconds shown, produced→shown latency as the player measures it, rungs;
// then a summary line. Compare the single-rendition build (ONAIR_RENDITIONS_LADDER=source) with
// the ladder in one sitting: scripts/slow-viewers runs both, with the demo channel off
// (ONAIR_DEMO_ENABLED=false: its encoder would take CPU from what is measured). Needs root (a
// network namespace).
//   cd end2end && npx playwright test --config bench.config.ts bench/throttled.bench.ts
test('a viewer on a slow link, then a fast one again', async ({ page, baseURL }) => {
  const why = SlowLink.unavailable();
  test.skip(why !== null, `a slow link cannot be made here: ${why}`);
  test.setTimeout(600_000);
  const kbps = Number(process.env.THROTTLE_KBPS ?? 1500);
  const slowSecs = Number(process.env.SLOW_SECS ?? 180);
  const build = process.env.ONAIR_RENDITIONS_LADDER ? `ladder ${process.env.ONAIR_RENDITIONS_LADDER}` : 'ladder default';

  const channel = await signUp(page, newUsername('t'));
  const { server, key } = await new StudioPage(page).streamingSoftware();
  const obs = publishAt(`${server}/${key}`, { size: '1280x720', kbps: 4000, seconds: slowSecs + 120 });
  const link = SlowLink.up();
  const browser = await chromium.launch({ ...base.use!.launchOptions, executablePath: link.chromium });
  try {
    const viewer = await browser.newPage();
    await viewer.goto(`${link.url(Number(new URL(baseURL!).port))}/watch/${channel}`);
    const video = viewer.locator('video');
    await expect
      .poll(() => video.evaluate((v: HTMLVideoElement) => !v.paused && v.currentTime > 0), { timeout: 60_000 })
      .toBe(true);
    await viewer.waitForTimeout(5_000);
    await video.evaluate((v: HTMLVideoElement) => {
      (window as any).__stalls = 0;
      v.addEventListener('waiting', () => ((window as any).__stalls += 1));
    });
    const sample = () =>
      viewer.evaluate(() => {
        const v = document.querySelector('video')!;
        const latency = document.querySelector('[data-testid=latency]');
        return {
          time: v.currentTime,
          stalls: (window as any).__stalls as number,
          rung: `${document.querySelector('.player')!.getAttribute('data-rung')}`,
          height: v.videoHeight,
          latencyMs: Number(latency?.getAttribute('data-latency-ms') ?? NaN),
        };
      });
    const percentile = (values: number[], p: number) => {
      const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
      return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : NaN;
    };
    /** Samples for `seconds`; the first `warmup` seconds are left out of the summary. */
    const run = async (label: string, seconds: number, warmup: number) => {
      const start = Date.now();
      const latencies: number[] = [];
      let lastChange = 0;
      let top: number | null = null;
      let rung: string | null = null;
      let stalls = 0;
      let shown = 0;
      let before = await sample();
      for (let window = 0; window < seconds / 10; window++) {
        const windowLatencies: number[] = [];
        const rungs = new Set<string>();
        const windowStart = Date.now();
        while (Date.now() - windowStart < 10_000) {
          await viewer.waitForTimeout(250);
          const now = await sample();
          windowLatencies.push(now.latencyMs);
          rungs.add(`${now.rung} ${now.height}p`);
          const at = Date.now() - start;
          if (rung !== null && now.rung !== rung) lastChange = at;
          rung = now.rung;
          if (top === null && now.rung === 'source') top = at;
        }
        const after = await sample();
        if (window * 10 >= warmup) {
          latencies.push(...windowLatencies);
          stalls += after.stalls - before.stalls;
          shown += after.time - before.time;
        }
        console.log(
          `${build}, ${label} ${window * 10}-${window * 10 + 10} s: shown ${(after.time - before.time).toFixed(1)} s, ` +
            `stalls ${after.stalls - before.stalls}, latency p50 ${percentile(windowLatencies, 0.5)} ms ` +
            `p95 ${percentile(windowLatencies, 0.95)} ms, rungs ${[...rungs].join(' / ')}`,
        );
        before = after;
      }
      const minutes = (seconds - warmup) / 60;
      console.log(
        `${build}, ${label} after the first ${warmup} s: ${(stalls / minutes).toFixed(1)} stalls/min, ` +
          `${(shown / minutes).toFixed(1)} s shown/min, latency p50 ${percentile(latencies, 0.5)} ms ` +
          `p95 ${percentile(latencies, 0.95)} ms, rung settled ${(lastChange / 1000).toFixed(1)} s in, ` +
          `on the source ${top === null ? 'never' : `${(top / 1000).toFixed(1)} s in`}`,
      );
      return { top };
    };
    const fast = await run('fast', 20, 0);
    link.limit(kbps);
    await run(`${kbps} kbit/s`, slowSecs, 10);
    link.limit(null);
    const again = await run('fast again', 30, 0);
    expect(fast.top !== null || again.top !== null, 'something to measure').toBe(true);
  } finally {
    await browser.close();
    link.down();
    obs.kill('SIGKILL');
    await exited(obs);
  }
});
