import { type Page } from '@playwright/test';

/**
 * Frames that carry the wall clock: the time a frame was painted (ms mod 2^24) as 24 black or
 * white blocks in a 6×4 grid of a 320×180 picture, big enough to survive compression. The
 * glass-to-glass benchmarks paint them at the source and read them back in the viewer.
 */
export const CLOCK = { WIDTH: 320, HEIGHT: 180, COLS: 6, ROWS: 4, MOD: 1 << 24 };

export const percentile = (sorted: number[], p: number) => sorted[Math.round((sorted.length - 1) * p)];

/** A raw 8-bit gray frame painted with `ms`. */
export function paintGray(ms: number): Buffer {
  const { WIDTH, HEIGHT, COLS, ROWS } = CLOCK;
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

/**
 * From now on, every frame the page's video presents is drawn to a canvas and its blocks read
 * back: presentation time minus painting time is kept in `window.__g2g`.
 */
export async function readClockFrames(viewer: Page) {
  await viewer.evaluate(({ WIDTH, HEIGHT, COLS, ROWS, MOD }) => {
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
  }, CLOCK);
}

/** The latencies read so far, sorted (implausible reads, over 10 s, left out). */
export async function clockLatencies(viewer: Page): Promise<number[]> {
  const samples: number[] = await viewer.evaluate(() => (window as any).__g2g);
  return samples.filter((v) => v < 10_000).sort((a, b) => a - b);
}
