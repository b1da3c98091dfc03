import { spawn } from 'node:child_process';
import { expect, test } from '@playwright/test';
import { AccountForms } from '../pages/account-forms';
import { StudioPage } from '../pages/studio-page';
import { WatchPage } from '../pages/watch-page';
import { CLOCK, clockLatencies, paintGray, percentile, readClockFrames } from '../support/frame-clock';
import { exited } from '../support/publisher';

// Glass-to-glass from a publisher to a viewer's screen. Node paints each frame with the wall
// clock (ms, mod 2^24) as 24 black or white blocks and hands it, raw, to an ffmpeg that encodes
// H.264 (1 s keyframes) and publishes it over RTMP as OBS would. In Chromium, every frame the
// video presents is drawn to a canvas and its blocks read back: latency = the moment it is
// presented minus the moment it was painted. Both are this machine's clock.
const { WIDTH, HEIGHT, MOD } = CLOCK;
const FPS = 30;

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
      if (!encoder.stdin.write(paintGray(Date.now() % MOD))) await new Promise((r) => encoder.stdin.once('drain', r));
    }
    encoder.stdin.end();
  })();

  try {
    const viewer = await (await browser.newContext()).newPage();
    const watch = new WatchPage(viewer);
    await watch.open(username.toLowerCase());
    await watch.waitForPlayback(30_000);
    await readClockFrames(viewer);
    await viewer.waitForTimeout(30_000);
    const samples = await clockLatencies(viewer);
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
