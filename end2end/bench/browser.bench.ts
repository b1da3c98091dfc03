import { expect, test } from '@playwright/test';
import { AccountForms } from '../pages/account-forms';
import { StudioPage } from '../pages/studio-page';
import { WatchPage } from '../pages/watch-page';
import { CLOCK, clockLatencies, percentile, readClockFrames } from '../support/frame-clock';

// Glass-to-glass when going live from the studio page. The studio's "camera" is a canvas that
// paints the wall clock (ms mod 2^24 as 24 black or white blocks) on every animation frame,
// captured with captureStream() and handed to the page in place of getUserMedia's camera (with
// a tone for the microphone); everything after that is the product: MediaRecorder (250 ms
// slices), the WebSocket, the server's remux, the hub, SSE, MediaSource, the player. The viewer
// draws every presented frame to a canvas and reads the blocks back: latency = presentation
// time minus painting time, one machine's clock. Also: Go live -> first frame at the viewer.

test('glass-to-glass and startup, going live from the studio page', async ({ page, browser }) => {
  await page.addInitScript(
    ({ WIDTH, HEIGHT, COLS, ROWS, MOD }) => {
      const clockCamera = async () => {
        const canvas = document.createElement('canvas');
        canvas.width = WIDTH;
        canvas.height = HEIGHT;
        const ctx = canvas.getContext('2d')!;
        const bw = Math.floor(WIDTH / COLS);
        const bh = Math.floor(HEIGHT / ROWS);
        const paint = () => {
          const ms = Date.now() % MOD;
          ctx.fillStyle = '#808080';
          ctx.fillRect(0, 0, WIDTH, HEIGHT);
          for (let bit = 0; bit < COLS * ROWS; bit++) {
            ctx.fillStyle = (ms >> bit) & 1 ? '#ebebeb' : '#101010';
            ctx.fillRect((bit % COLS) * bw + 4, Math.floor(bit / COLS) * bh + 4, bw - 8, bh - 8);
          }
          requestAnimationFrame(paint);
        };
        paint();
        const stream = canvas.captureStream(30);
        const audio = new AudioContext();
        const tone = audio.createOscillator();
        const out = audio.createMediaStreamDestination();
        tone.connect(out);
        tone.start();
        stream.addTrack(out.stream.getAudioTracks()[0]);
        return stream;
      };
      navigator.mediaDevices.getUserMedia = clockCamera;
    },
    CLOCK,
  );
  const username = `b${Date.now().toString(36)}`;
  await new AccountForms(page).signUp(username, 'correct horse 42');
  await expect(page).toHaveURL(/\/studio$/);
  const studio = new StudioPage(page);
  await studio.source.selectOption('camera');

  const viewer = await (await browser.newContext()).newPage();
  const watch = new WatchPage(viewer);
  await watch.open(username.toLowerCase());
  const startedAt = Date.now();
  await page.getByTestId('browser-capture').getByRole('button', { name: 'Go live' }).click();
  await watch.waitForPlayback(30_000);
  const startup = Date.now() - startedAt;

  await readClockFrames(viewer);
  // The player's own figure: display time minus the remuxing ffmpeg's wall clock (prft), i.e.
  // the part from the server's fragment on; the rest is capture, recorder, socket and demux.
  const badge: number[] = [];
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    const ms = Number(await watch.latency.getAttribute('data-latency-ms'));
    if (ms > 0) badge.push(ms);
    await viewer.waitForTimeout(250);
  }
  badge.sort((a, b) => a - b);
  console.log(`  of which server fragment -> display (the player's prft badge): p50 ${percentile(badge, 0.5)} ms`);
  const samples = await clockLatencies(viewer);
  console.log(`startup: Go live -> first frame at a viewer ${startup} ms`);
  console.log(
    `glass-to-glass from the studio page (ms), ${samples.length} frames over 60 s: p50 ${percentile(samples, 0.5)}, ` +
      `p95 ${percentile(samples, 0.95)}, max ${samples.at(-1)}`,
  );
  expect(samples.length).toBeGreaterThan(600);
});
