import { expect, test } from '@playwright/test';
import { WatchPage } from '../pages/watch-page';
import { CuttableProxy } from '../support/cuttable-proxy';
import { killEncoders } from '../support/server-process';

test.describe('watching the demo channel', () => {
  test('plays live, keeps up, and shows its latency', async ({ page }) => {
    const watch = new WatchPage(page);
    const started = Date.now();
    await watch.open('demo');
    await expect(watch.title).toHaveText('OnAir demo: test pattern');
    await watch.waitForPlayback();
    console.log(`join: ${Date.now() - started} ms from navigation to playing`);

    // Over a 5 s window of wall time the video plays at least 3 s, without error.
    const before = await watch.currentTime();
    const windowStart = Date.now();
    await expect.poll(() => Date.now() - windowStart, { timeout: 10_000 }).toBeGreaterThanOrEqual(5_000);
    const played = (await watch.currentTime()) - before;
    console.log(`played ${played.toFixed(2)} s in 5 s`);
    expect(played).toBeGreaterThanOrEqual(3);
    expect(await watch.errorCode()).toBeNull();

    await expect(watch.state).toHaveText('Live');
    await expect(watch.latency).toHaveText(/^\d+\.\d s$/);
    const samples: number[] = [];
    for (let i = 0; i < 10; i++) {
      await expect.poll(() => watch.latencySeconds()).toBeGreaterThanOrEqual(0);
      samples.push(await watch.latencySeconds());
      await page.waitForTimeout(300);
    }
    samples.sort((a, b) => a - b);
    console.log(`latency samples (s): ${samples.join(' ')}`);
  });

  test('resumes by itself after the network drops and comes back', async ({ page, baseURL }) => {
    const proxy = await CuttableProxy.start(Number(new URL(baseURL!).port));
    try {
      const watch = new WatchPage(page);
      await page.goto(`${proxy.url}/watch/demo`);
      await watch.waitForPlayback();
      proxy.cut();
      await expect(watch.state).toHaveText('Reconnecting…', { timeout: 10_000 });
      // Long enough down that the browser's own retries fail too.
      const cutAt = Date.now();
      await expect.poll(() => Date.now() - cutAt).toBeGreaterThanOrEqual(4_000);
      proxy.restore();
      await expect(watch.state).toHaveText('Live', { timeout: 20_000 });
      const resumedAt = await watch.currentTime();
      await expect.poll(() => watch.currentTime(), { timeout: 20_000 }).toBeGreaterThan(resumedAt + 2);
      expect(await watch.errorCode()).toBeNull();
    } finally {
      await proxy.close();
    }
  });

  test('recovers by itself when the encoder dies and restarts', async ({ page, baseURL }) => {
    const watch = new WatchPage(page);
    await watch.open('demo');
    await watch.waitForPlayback();
    await expect.poll(() => watch.currentTime(), { timeout: 20_000 }).toBeGreaterThan(3);
    const before = await watch.currentTime();
    expect(killEncoders(Number(new URL(baseURL!).port))).toBe(1);
    // The restarted encoder's timeline starts over; the player follows it without a reload.
    await expect.poll(() => watch.currentTime(), { timeout: 20_000 }).toBeLessThan(before);
    const restartedAt = await watch.currentTime();
    await expect.poll(() => watch.currentTime(), { timeout: 20_000 }).toBeGreaterThan(restartedAt + 2);
    await expect(watch.state).toHaveText('Live');
    expect(await watch.errorCode()).toBeNull();
  });

  test('plays again after a reload', async ({ page }) => {
    const watch = new WatchPage(page);
    await watch.open('demo');
    await watch.waitForPlayback();
    await page.reload();
    await watch.waitForPlayback();
    const after = await watch.currentTime();
    await expect.poll(() => watch.currentTime(), { timeout: 20_000 }).toBeGreaterThan(after + 2);
  });

  test('asks for the stream before the player has loaded, and plays from that one stream', async ({ page }) => {
    await page.addInitScript(() => {
      const w = window as unknown as { streamsOpenedAt: number[]; hydratedAt?: number };
      w.streamsOpenedAt = [];
      const Real = window.EventSource;
      window.EventSource = class extends Real {
        constructor(url: string | URL, init?: EventSourceInit) {
          super(url, init);
          w.streamsOpenedAt.push(performance.now());
        }
      } as typeof EventSource;
      new MutationObserver(() => {
        if (w.hydratedAt === undefined && document.documentElement.hasAttribute('data-hydrated')) {
          w.hydratedAt = performance.now();
        }
      }).observe(document, { attributes: true, subtree: true });
    });
    const watch = new WatchPage(page);
    await watch.open('demo');
    await watch.waitForPlayback();
    const seen = await page.evaluate(() => {
      const w = window as unknown as { streamsOpenedAt: number[]; hydratedAt: number };
      return { streamsOpenedAt: w.streamsOpenedAt, hydratedAt: w.hydratedAt };
    });
    expect(seen.streamsOpenedAt, 'one event stream: the early one, adopted by the player').toHaveLength(1);
    expect(seen.streamsOpenedAt[0]).toBeLessThan(seen.hydratedAt);
    await expect(watch.viewers).toHaveText(/\d+ watching/);
  });

  test("plays before the player's code has arrived, and the player carries on with the same media", async ({ page }) => {
    // The WebAssembly is held back until the video plays without it.
    let releaseCode!: () => void;
    const codeHeld = new Promise<void>((resolve) => (releaseCode = resolve));
    await page.route('**/*.wasm', async (route) => {
      await codeHeld;
      await route.continue();
    });
    await page.addInitScript(() => {
      const w = window as unknown as { mediaSources: number };
      w.mediaSources = 0;
      const Real = window.MediaSource;
      window.MediaSource = class extends Real {
        constructor() {
          super();
          w.mediaSources += 1;
        }
      } as typeof MediaSource;
    });
    const watch = new WatchPage(page);
    await page.goto('/watch/demo', { waitUntil: 'commit' });
    await watch.waitForVideo();
    const early = await watch.currentTime();
    await expect.poll(() => watch.currentTime(), { timeout: 10_000 }).toBeGreaterThan(early + 0.5);
    expect(await page.locator('html[data-hydrated]').count(), 'still the server-rendered page').toBe(0);
    const src = await watch.video.evaluate((v: HTMLVideoElement) => v.src);

    releaseCode();
    await expect(page.locator('html[data-hydrated]')).toHaveCount(1, { timeout: 20_000 });
    // The player took over: it measures latency from the media the early script appended and
    // keeps the stream going, with the same MediaSource and no error.
    await expect(watch.latency).toHaveText(/^\d+\.\d s$/, { timeout: 10_000 });
    const adopted = await watch.currentTime();
    await expect.poll(() => watch.currentTime(), { timeout: 20_000 }).toBeGreaterThan(adopted + 2);
    expect(await page.evaluate(() => (window as unknown as { mediaSources: number }).mediaSources)).toBe(1);
    expect(await watch.video.evaluate((v: HTMLVideoElement) => v.src)).toBe(src);
    expect(await watch.errorCode()).toBeNull();
    await expect(watch.state).toHaveText('Live');
  });

  test("the page's own code and style are kept by the browser under names that change with them", async ({ page }) => {
    const assets: { url: string; cache: string }[] = [];
    page.on('response', (response) => {
      if (new URL(response.url()).pathname.startsWith('/pkg/')) {
        assets.push({ url: response.url(), cache: response.headers()['cache-control'] ?? '' });
      }
    });
    const watch = new WatchPage(page);
    await watch.open('demo');
    await watch.waitForPlayback();
    const kinds = assets.map((a) => a.url.split('.').at(-1)).sort();
    expect(kinds).toEqual(expect.arrayContaining(['css', 'js', 'wasm']));
    // The watch page loads the main module only: the studio's and the account forms' code are
    // chunks of their own, fetched when those pages are visited.
    expect(assets.filter((a) => a.url.endsWith('.wasm')).map((a) => new URL(a.url).pathname.split('.')[0])).toEqual([
      '/pkg/onair',
    ]);
    for (const asset of assets) {
      expect(asset.url, 'a content hash in the name').toMatch(/\/pkg\/(onair|__wasm_split)\.[\w-]{16,}\.(css|js|wasm)$/);
      expect(asset.cache).toBe('public, max-age=31536000, immutable');
    }
  });

  test('the viewer count goes up and down live in every tab', async ({ page, browser }) => {
    // Tests run one at a time against their own server, so this page is the only viewer once
    // earlier tests' connections are gone.
    const first = new WatchPage(page);
    await first.open('demo');
    await first.waitForPlayback();
    await expect(first.viewers).toHaveText('1 watching', { timeout: 10_000 });

    const otherContext = await browser.newContext();
    const second = new WatchPage(await otherContext.newPage());
    await second.open('demo');
    await second.waitForPlayback();
    await expect(first.viewers).toHaveText('2 watching');
    await expect(second.viewers).toHaveText('2 watching');

    await otherContext.close();
    await expect(first.viewers).toHaveText('1 watching', { timeout: 10_000 });
  });

  test('the directory lists the demo channel as live, with live counts', async ({ page, browser }) => {
    await page.goto('/');
    const card = page.locator('.channel-card[data-channel="demo"]');
    await expect(card).toBeVisible();
    await expect(card.locator('.badge')).toHaveText('LIVE');
    await expect(card.locator('.card-viewers')).toHaveText(/\d+ watching/);
    // A picture of the stream, decoded by the browser.
    const thumbnail = card.locator('img');
    await expect.poll(() => thumbnail.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(320);
    // The count follows viewers without a reload.
    const counted = async () => Number.parseInt((await card.locator('.card-viewers').textContent()) ?? '', 10);
    await expect.poll(counted, { timeout: 15_000 }).toBe(0);
    const viewerContext = await browser.newContext();
    const viewer = new WatchPage(await viewerContext.newPage());
    await viewer.open('demo');
    await viewer.waitForPlayback();
    await expect.poll(counted, { timeout: 10_000 }).toBe(1);
    await viewerContext.close();
    await expect.poll(counted, { timeout: 15_000 }).toBe(0);
    await card.locator('a').click();
    await expect(page).toHaveURL(/\/watch\/demo$/);
  });
});
