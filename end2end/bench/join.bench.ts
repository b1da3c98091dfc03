import { expect, test, type Browser } from '@playwright/test';

type Join = { join: number; html: number; wasm: number; wasmBytes: number; hydrated: number; streams: number };

// Join time of two builds side by side in one run: the server under test (baseURL) and another
// build at E2E_COMPARE_URL (for example the previous commit's binary and site, started by hand
// from its own folder). Navigations alternate between them, so both see the same machine load.
//   E2E_COMPARE_URL=http://127.0.0.1:3112 npx playwright test --config bench.config.ts bench/join.bench.ts
const percentile = (sorted: number[], p: number) => sorted[Math.round((sorted.length - 1) * p)];

async function join(browser: Browser, url: string): Promise<Join> {
  const page = await browser.newPage();
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
  const results = new Map(builds.map(([name]) => [name, [] as Join[]]));
  for (let round = 0; round < 10; round++) {
    for (const [name, url] of round % 2 ? [...builds].reverse() : builds) {
      results.get(name)!.push(await join(browser, url));
    }
  }
  for (const [name, runs] of results) {
    const sorted = (f: (r: Join) => number) => runs.map(f).sort((a, b) => a - b);
    const p50 = (f: (r: Join) => number) => percentile(sorted(f), 0.5);
    const joins = sorted((r) => r.join);
    console.log(
      `${name}: join p50 ${percentile(joins, 0.5)}, max ${joins.at(-1)} ms (all: ${joins.join(' ')}); ` +
        `p50 of: HTML loaded ${p50((r) => r.html)}, WebAssembly loaded ${p50((r) => r.wasm)}, ` +
        `hydrated ${p50((r) => r.hydrated)}, hydrated to first frame ${p50((r) => r.join - r.hydrated)} ms; ` +
        `WebAssembly ${[...new Set(runs.map((r) => r.wasmBytes))].join('/')} B; ` +
        `event streams per page ${[...new Set(runs.map((r) => r.streams))].join('/')}`,
    );
    expect(runs.length).toBe(10);
  }
});
