import { spawn } from 'node:child_process';
import { expect, test } from '@playwright/test';
import { AccountForms } from '../pages/account-forms';
import { StudioPage } from '../pages/studio-page';
import { WatchPage } from '../pages/watch-page';
import { exited } from '../support/publisher';

// Glass-to-glass from a publisher to a viewer's screen. Node paints each frame with the wall
// clock (ms, mod 2^24) as 24 black or white blocks and hands it, raw, to an ffmpeg that encodes
// H.264 (1 s keyframes) and publishes it over RTMP as OBS would. In Chromium, every frame the
// video presents is drawn to a canvas and its blocks read back: latency = the moment it is
// presented minus the moment it was painted. Both are this machine's clock.
const WIDTH = 320;
const HEIGHT = 180;
const FPS = 30;
const COLS = 6;
const ROWS = 4;
const MOD = 1 << 24;
const percentile = (sorted: number[], p: number) => sorted[Math.round((sorted.length - 1) * p)];

function paint(ms: number): Buffer {
  const frame = Buffer.alloc(WIDTH * HEIGHT, 128);
  const bw = Math.floor(WIDTH / COLS);
  const bh = Math.floor(HEIGHT / ROWS);
  for (let bit = 0; bit < COLS * ROWS; bit++) {
    const on = (ms >> bit) & 1;
    const x0 = (bit % COLS) * bw;
    const y0 = Math.floor(bit / COLS) * bh;
    for (let y = y0 + 4; y < y0 + bh - 4; y++) frame.fill(on ? 235 : 16, y * WIDTH + x0 + 4, y * WIDTH + x0 + bw - 4);
  }
  return frame;
}

test('glass-to-glass from a publisher over RTMP to a Chromium viewer', async ({ page, browser }) => {
  const username = `g${Date.now().toString(36)}`;
  await new AccountForms(page).signUp(username, 'correct horse 42');
  await expect(page).toHaveURL(/\/studio$/);
  const studio = new StudioPage(page);
  const { server, key } = await studio.streamingSoftware();

  const encoder = spawn('ffmpeg', [
    '-hide_banner', '-loglevel', 'error',
    '-f', 'rawvideo', '-pix_fmt', 'gray', '-s', `${WIDTH}x${HEIGHT}`, '-r', String(FPS), '-i', 'pipe:0',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
    '-g', String(FPS), '-keyint_min', String(FPS), '-sc_threshold', '0', '-b:v', '1000k',
    '-f', 'flv', `${server}/${key}`,
  ], { stdio: ['pipe', 'ignore', 'inherit'] });
  let painting = true;
  const painter = (async () => {
    const start = Date.now();
    for (let n = 0; painting; n++) {
      const due = start + (n * 1000) / FPS;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (!encoder.stdin.write(paint(Date.now() % MOD))) await new Promise((r) => encoder.stdin.once('drain', r));
    }
    encoder.stdin.end();
  })();

  try {
    const viewer = await (await browser.newContext()).newPage();
    const watch = new WatchPage(viewer);
    await watch.open(username.toLowerCase());
    await watch.waitForPlayback(30_000);
    await viewer.evaluate(
      ({ WIDTH, HEIGHT, COLS, ROWS, MOD }) => {
        const w = window as any;
        w.__g2g = [];
        const video = document.querySelector('video') as HTMLVideoElement;
        const canvas = document.createElement('canvas');
        canvas.width = WIDTH;
        canvas.height = HEIGHT;
        const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
        const bw = Math.floor(WIDTH / COLS);
        const bh = Math.floor(HEIGHT / ROWS);
        const onFrame = (_now: number, meta: any) => {
          const shown = performance.timeOrigin + meta.expectedDisplayTime;
          ctx.drawImage(video, 0, 0, WIDTH, HEIGHT);
          let painted = 0;
          for (let bit = 0; bit < COLS * ROWS; bit++) {
            const x = (bit % COLS) * bw + bw / 2;
            const y = Math.floor(bit / COLS) * bh + bh / 2;
            if (ctx.getImageData(x, y, 1, 1).data[0] > 128) painted |= 1 << bit;
          }
          w.__g2g.push((((Math.round(shown) % MOD) - painted) % MOD + MOD) % MOD);
          video.requestVideoFrameCallback(onFrame);
        };
        video.requestVideoFrameCallback(onFrame);
      },
      { WIDTH, HEIGHT, COLS, ROWS, MOD },
    );
    await viewer.waitForTimeout(30_000);
    const samples: number[] = (await viewer.evaluate(() => (window as any).__g2g)).filter((v: number) => v < 10_000);
    samples.sort((a, b) => a - b);
    console.log(
      `glass-to-glass over RTMP (ms), ${samples.length} frames over 30 s: p50 ${percentile(samples, 0.5)}, ` +
        `p95 ${percentile(samples, 0.95)}, max ${samples.at(-1)}`,
    );
    expect(samples.length).toBeGreaterThan(300);
  } finally {
    painting = false;
    await painter;
    await exited(encoder);
  }
});
