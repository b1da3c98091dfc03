import { expect, test, type Browser } from '@playwright/test';

type Join = { join: number; html: number; wasm: number; wasmBytes: number; hydrated: number; streams: number };

// Join time of two builds side by side in one run: the server under test (baseURL) and another
// build at E2E_COMPARE_URL (for example the previous commit's binary and site, started by hand
// from its own folder). Navigations alternate between them, so both see the same machine load.
//   E2E_COMPARE_URL=http://127.0.0.1:3112 npx playwright test --config bench.config.ts bench/join.bench.ts
// A third column is the floor: a minimal MediaSource player (the page below, served by the
// bench itself on the same origin) fed by the same server's stream; nothing can start faster.
const percentile = (sorted: number[], p: number) => sorted[Math.round((sorted.length - 1) * p)];

const FLOOR_PATH = '/bench/minimal-player';
const FLOOR_PAGE = `<!doctype html><meta charset="utf-8"><video muted autoplay playsinline></video><script>
const video = document.querySelector('video');
const key = Array.from(crypto.getRandomValues(new Uint32Array(4)), (n) => n.toString(16).padStart(8, '0')).join('');
const events = new EventSource('/live/demo/events?viewer=' + key);
const queue = [];
let source, buffer;
const bytes = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const pump = () => {
  if (!buffer || buffer.updating) return;
  const ranges = buffer.buffered;
  if (ranges.length && video.played.length === 0 && video.currentTime < ranges.start(0)) video.currentTime = ranges.start(0);
  if (queue.length) buffer.appendBuffer(queue.shift());
};
events.addEventListener('init', (event) => {
  if (source) return;
  const init = JSON.parse(event.data);
  queue.push(bytes(init.data));
  source = new MediaSource();
  source.addEventListener('sourceopen', () => {
    buffer = source.addSourceBuffer(init.mime);
    buffer.addEventListener('updateend', pump);
    pump();
  });
  video.src = URL.createObjectURL(source);
});
events.addEventListener('media', (event) => {
  if (source) queue.push(bytes(event.data));
  pump();
});
</script>`;

async function join(browser: Browser, url: string): Promise<Join> {
  const page = await browser.newPage();
  if (url.endsWith(FLOOR_PATH)) {
    await page.route(url, (route) => route.fulfill({ contentType: 'text/html', body: FLOOR_PAGE }));
  }
  await page.addInitScript(() => {
    const w = window as any;
    w.__streams = 0;
    const Real = window.EventSource;
    window.EventSource = class extends Real {
      constructor(url: string | URL, init?: EventSourceInit) {
        super(url, init);
        w.__streams += 1;
      }
    } as typeof EventSource;
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
  await page.goto(url);
  const handle = await page.waitForFunction(() => (window as any).__firstFrameMs, null, { timeout: 20_000 });
  // Where the time went: the HTML's last byte, the last WebAssembly byte, and the bytes of
  // WebAssembly the page fetched (decoded sizes: what the browser compiles).
  const timing = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    const wasm = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).filter((r) =>
      new URL(r.name).pathname.endsWith('.wasm'),
    );
    return {
      html: nav.responseEnd,
      wasm: Math.max(...wasm.map((r) => r.responseEnd)),
      wasmBytes: wasm.reduce((sum, r) => sum + r.decodedBodySize, 0),
    };
  });
  const result = {
    join: Math.round(await handle.jsonValue()),
    html: Math.round(timing.html),
    wasm: Math.round(timing.wasm),
    wasmBytes: timing.wasmBytes,
    hydrated: Math.round(await page.evaluate(() => (window as any).__hydratedMs ?? Number.NaN)),
    streams: await page.evaluate(() => (window as any).__streams),
  };
  await page.close();
  return result;
}

test('join time, this build and another side by side', async ({ browser, baseURL }) => {
  const builds: [string, string][] = [['this build', `${baseURL}/watch/demo`]];
  if (process.env.E2E_COMPARE_URL) builds.push(['compared', `${process.env.E2E_COMPARE_URL}/watch/demo`]);
  builds.push(['minimal player (floor)', `${baseURL}${FLOOR_PATH}`]);
  const results = new Map(builds.map(([name]) => [name, [] as Join[]]));
  for (let round = 0; round < 10; round++) {
    const order = builds.slice(round % builds.length).concat(builds.slice(0, round % builds.length));
    for (const [name, url] of order) {
      results.get(name)!.push(await join(browser, url));
    }
  }
  for (const [name, runs] of results) {
    expect(runs.length).toBe(10);
    const sorted = (f: (r: Join) => number) => runs.map(f).sort((a, b) => a - b);
    const p50 = (f: (r: Join) => number) => percentile(sorted(f), 0.5);
    const joins = sorted((r) => r.join);
    const head = `${name}: join p50 ${percentile(joins, 0.5)}, max ${joins.at(-1)} ms (all: ${joins.join(' ')})`;
    if (runs.every((r) => r.wasmBytes === 0)) {
      console.log(`${head}; HTML loaded p50 ${p50((r) => r.html)} ms`);
      continue;
    }
    console.log(
      `${head}; ` +
        `p50 of: HTML loaded ${p50((r) => r.html)}, WebAssembly loaded ${p50((r) => r.wasm)}, ` +
        `hydrated ${p50((r) => r.hydrated)}, hydrated to first frame ${p50((r) => r.join - r.hydrated)} ms; ` +
        `WebAssembly ${[...new Set(runs.map((r) => r.wasmBytes))].join('/')} B; ` +
        `event streams per page ${[...new Set(runs.map((r) => r.streams))].join('/')}`,
    );
  }
});
