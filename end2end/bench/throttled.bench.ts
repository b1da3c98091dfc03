import { expect, test } from '@playwright/test';
import { CuttableProxy } from '../support/cuttable-proxy';

// A viewer whose link slows below the demo's source (about 1.35 Mbit/s on the wire) for 90 s,
// then gets fast again: per 10 s window, stalls (video `waiting`), seconds shown, the latency
// the player measures, and the rung it plays; when the rung first left the source and when it
// came back. Run it against two builds in one sitting to compare (E2E_SERVER, see README).
//   cd end2end && THROTTLE_KBPS=700 npx playwright test --config bench.config.ts bench/throttled.bench.ts
test('a throttled viewer, then a fast one again', async ({ page, baseURL }) => {
  const kbps = Number(process.env.THROTTLE_KBPS ?? 700);
  const proxy = await CuttableProxy.start(Number(new URL(baseURL!).port));
  try {
    await page.goto(`${proxy.url}/watch/demo`);
    const video = page.locator('video');
    await expect
      .poll(() => video.evaluate((v: HTMLVideoElement) => !v.paused && v.currentTime > 0), { timeout: 30_000 })
      .toBe(true);
    await page.waitForTimeout(5_000);
    await video.evaluate((v: HTMLVideoElement) => {
      (window as any).__stalls = 0;
      v.addEventListener('waiting', () => ((window as any).__stalls += 1));
    });
    const sample = () =>
      page.evaluate(() => {
        const v = document.querySelector('video')!;
        const player = document.querySelector('.player')!;
        const latency = document.querySelector('[data-testid=latency]')!;
        return {
          time: v.currentTime,
          stalls: (window as any).__stalls as number,
          rung: player.getAttribute('data-rung'),
          height: v.videoHeight,
          latencyMs: Number(latency.getAttribute('data-latency-ms') ?? NaN),
        };
      });
    const run = async (label: string, seconds: number) => {
      let left: number | null = null;
      let back: number | null = null;
      const start = Date.now();
      let before = await sample();
      for (let window = 0; window < seconds / 10; window++) {
        const latencies: number[] = [];
        const rungs = new Set<string>();
        const windowStart = Date.now();
        while (Date.now() - windowStart < 10_000) {
          await page.waitForTimeout(250);
          const now = await sample();
          latencies.push(now.latencyMs);
          rungs.add(`${now.rung}`);
          if (left === null && now.rung !== 'source') left = Date.now() - start;
          if (back === null && now.rung === 'source') back = Date.now() - start;
        }
        const after = await sample();
        latencies.sort((a, b) => a - b);
        console.log(
          `${label} ${window * 10}-${window * 10 + 10} s: shown ${(after.time - before.time).toFixed(1)} s, ` +
            `stalls ${after.stalls - before.stalls}, latency p50 ${latencies[Math.floor(latencies.length / 2)]} ms ` +
            `p95 ${latencies[Math.floor(latencies.length * 0.95)]} ms, rungs ${[...rungs].join('/')}`,
        );
        before = after;
      }
      return { left, back };
    };
    proxy.limitDownlink((kbps * 1000) / 8);
    const slow = await run(`${kbps} kbit/s`, 90);
    console.log(`left the source ${slow.left ?? 'never'} ms after the link slowed to ${kbps} kbit/s`);
    proxy.limitDownlink(null);
    const fast = await run('fast', 30);
    console.log(`back on the source ${fast.back ?? 'never'} ms after the link got fast`);
    expect(slow.left !== null || fast.back !== null, 'something to measure').toBe(true);
  } finally {
    await proxy.close();
  }
});
