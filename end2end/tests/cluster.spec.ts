import { expect, test, type Page } from '@playwright/test';
import { WatchPage } from '../pages/watch-page';
import { Instance, forgetCluster } from '../support/cluster';
import { CuttableProxy } from '../support/cuttable-proxy';

/** Records the id of every media event the page's player receives, in order, and counts the
 *  decoders (MediaSource objects) it starts: one per encoder run it plays. */
async function recordMediaIds(page: Page) {
  await page.addInitScript(() => {
    const ids: number[] = [];
    const seen = window as unknown as { mediaIds: number[]; decoders: number };
    seen.mediaIds = ids;
    seen.decoders = 0;
    const createObjectURL = URL.createObjectURL;
    URL.createObjectURL = (object: Blob | MediaSource) => {
      if (object instanceof MediaSource) seen.decoders += 1;
      return createObjectURL(object);
    };
    // Every stream the page opens (the early one it adopts, and any on reconnecting) records
    // the ids of the media it delivers, once each, in arrival order.
    const Real = window.EventSource;
    window.EventSource = class extends Real {
      constructor(url: string | URL, init?: EventSourceInit) {
        super(url, init);
        this.addEventListener('media', (event) => ids.push(Number((event as MessageEvent).lastEventId)));
      }
    } as typeof EventSource;
  });
}

function decoders(page: Page): Promise<number> {
  return page.evaluate(() => (window as unknown as { decoders: number }).decoders);
}

/** Where the ids a page received skip or repeat: [before, after] pairs. */
async function breaks(page: Page): Promise<number[][]> {
  const ids = await page.evaluate(() => (window as unknown as { mediaIds: number[] }).mediaIds);
  expect(ids.length).toBeGreaterThan(10);
  return ids.slice(1).map((id, i) => [ids[i], id]).filter(([before, after]) => after !== before + 1);
}

/** Resolves once `url`'s demo stream carries media (its instance runs or relays the demo). */
async function demoFlows(url: string) {
  const response = await fetch(`${url}/live/demo/events`);
  const reader = response.body!.getReader();
  let text = '';
  while (!text.includes('event: media')) {
    const { value, done } = await reader.read();
    if (done) throw new Error('the stream ended');
    text += new TextDecoder().decode(value);
  }
  await reader.cancel();
}

test('three instances: the demo from one plays on the others, counts add up, viewers carry on when instances crash', async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const cluster = `e2e${Date.now()}`;
  const started: Instance[] = [];
  const proxy = { current: null as CuttableProxy | null };
  try {
    const a = await Instance.start(cluster, 'a', 3121);
    started.push(a);
    await demoFlows(a.url); // the first instance runs the demo
    const b = await Instance.start(cluster, 'b', 3122);
    const c = await Instance.start(cluster, 'c', 3123);
    started.push(b, c);
    // A viewer reaches B through a load balancer (the proxy); another watches on C.
    proxy.current = await CuttableProxy.start(b.port);
    const onB = await browser.newPage();
    await recordMediaIds(onB);
    await onB.goto(`${proxy.current.url}/watch/demo`);
    const viewerB = new WatchPage(onB);
    await viewerB.waitForPlayback();
    const onC = await browser.newPage();
    await onC.goto(`${c.url}/watch/demo`);
    const viewerC = new WatchPage(onC);
    await viewerC.waitForPlayback();
    // Each sees both viewers counted.
    await expect(viewerB.viewers).toHaveText(/^2\b/, { timeout: 15_000 });
    await expect(viewerC.viewers).toHaveText(/^2\b/, { timeout: 15_000 });

    // B crashes; the load balancer sends its viewer's reconnection to C, which resumes it: the
    // same run, in the same decoder, with no fragment skipped or repeated.
    proxy.current.retarget(c.port);
    const decodersBefore = await decoders(onB);
    expect(decodersBefore).toBeGreaterThan(0);
    b.crash();
    const atCrash = await viewerB.currentTime();
    await expect.poll(() => viewerB.currentTime(), { timeout: 20_000 }).toBeGreaterThan(atCrash + 3);
    expect(await breaks(onB), 'no media skipped or repeated across the move').toEqual([]);
    expect(await decoders(onB), 'the same run plays on').toBe(decodersBefore);
    expect(await viewerB.errorCode()).toBeNull();

    // A, the demo's origin, crashes: C takes the demo over, a new run, and both viewers (now
    // both on C) follow it without a reload.
    const beforeTakeover = await viewerC.currentTime();
    a.crash();
    const crashedAt = Date.now();
    await expect.poll(() => viewerC.currentTime(), { timeout: 30_000 }).toBeLessThan(beforeTakeover);
    console.log(`origin crashed: the new run reached the viewer on C after ${Date.now() - crashedAt} ms`);
    await expect.poll(() => decoders(onB), { message: 'a fresh decoder for the new run' }).toBe(decodersBefore + 1);
    for (const viewer of [viewerC, viewerB]) {
      const restartedAt = await viewer.currentTime();
      await expect.poll(() => viewer.currentTime(), { timeout: 20_000 }).toBeGreaterThan(restartedAt + 2);
      await expect(viewer.state).toHaveText('Live');
      expect(await viewer.errorCode()).toBeNull();
    }
  } finally {
    await proxy.current?.close();
    for (const instance of started) instance.stop();
    await forgetCluster(cluster);
  }
});
