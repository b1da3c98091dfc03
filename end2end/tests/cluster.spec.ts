import { expect, test, type Page } from '@playwright/test';
import { WatchPage } from '../pages/watch-page';
import { signUp } from '../support/accounts';
import { ChatPanel } from '../pages/chat-panel';
import { StudioPage } from '../pages/studio-page';
import { Instance, forgetCluster, freshDatabase } from '../support/cluster';
import { hydrated } from '../support/visit';
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
  // One id sequence numbers every rung's fragments, so a viewer's ids step by about the number
  // of rungs; a skip jumps by a GOP's worth (many times that), a repeat does not grow.
  const steps = ids.slice(1).map((id, i) => id - ids[i]).sort((x, y) => x - y);
  const usual = steps[Math.floor(steps.length / 2)];
  return ids
    .slice(1)
    .map((id, i) => [ids[i], id])
    .filter(([before, after]) => after <= before || after - before > 3 * usual);
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
    // Held on the top rung (picked in the quality menu): a move to sound alone on a busy
    // machine would start a decoder of its own, and this test counts them.
    await onB.addInitScript(() => localStorage.setItem('onair-quality', 'source'));
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

test('on a shared PostgreSQL: a broadcaster on A goes live, viewers on B and C watch, chat from C reaches everyone in one order', async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const cluster = `e2e${Date.now()}`;
  const database = freshDatabase();
  const started: Instance[] = [];
  try {
    const [a, b, c] = await Promise.all(
      (['a', 'b', 'c'] as const).map((name, i) => Instance.startShared(cluster, name, 3131 + i, database.url)),
    );
    started.push(a, b, c);
    const signedUpOn = async (instance: Instance, username: string): Promise<Page> => {
      const page = await (await browser.newContext()).newPage();
      await signUp(page, username, instance.url);
      return page;
    };
    // The broadcaster signs up on A and goes live from A's studio.
    const host = `host${Date.now().toString(36)}`;
    const channel = host.toLowerCase();
    const studioPage = await signedUpOn(a, host);
    const studio = new StudioPage(studioPage);
    await studio.goLive.click();
    await expect(studio.state).toHaveAttribute('data-state', 'Live', { timeout: 20_000 });
    // The studio's preview watches too; it is left, so the count below is the three viewers'.
    await studioPage.goto('about:blank');

    // Viewers on B (signed out) and C (signed up there, to chat), and the broadcaster's own
    // tab on A: all play the broadcast A runs.
    const onB = await browser.newPage();
    await onB.goto(`${b.url}/watch/${channel}`);
    const onC = await signedUpOn(c, `fan${Date.now().toString(36)}`);
    await onC.goto(`${c.url}/watch/${channel}`);
    const onA = await studioPage.context().newPage();
    await onA.goto(`${a.url}/watch/${channel}`);
    const pages = [onA, onB, onC];
    for (const page of pages) await new WatchPage(page).waitForPlayback();
    // Each counts the three viewers, one per instance.
    for (const page of pages) await expect(new WatchPage(page).viewers).toHaveText(/^3\b/, { timeout: 15_000 });

    // Chat said on C and on A reaches every page, in the same order everywhere.
    const chatC = new ChatPanel(onC);
    const chatA = new ChatPanel(onA);
    const sentAt = Date.now();
    await chatC.say('hello from C');
    await expect(chatA.message('hello from C')).toBeVisible();
    console.log(`chat said on C shown on A after ${Date.now() - sentAt} ms`);
    await chatA.say('hi from A');
    await chatC.say('and again from C');
    const said = ['hello from C', 'hi from A', 'and again from C'];
    for (const page of pages) {
      await expect(new ChatPanel(page).messages.locator('.chat-text')).toHaveText(said, { timeout: 10_000 });
    }

    // A, the broadcast's origin, crashes: another instance resumes the broadcast, and the
    // viewers on B and C follow the new run without a reload.
    const survivors = [onB, onC].map((page) => new WatchPage(page));
    const before = await survivors[0].currentTime();
    a.crash();
    const crashedAt = Date.now();
    await expect.poll(() => survivors[0].currentTime(), { timeout: 30_000 }).toBeLessThan(before);
    console.log(`origin crashed: the broadcast resumed for the viewer on B after ${Date.now() - crashedAt} ms`);
    for (const viewer of survivors) {
      const resumedAt = await viewer.currentTime();
      await expect.poll(() => viewer.currentTime(), { timeout: 20_000 }).toBeGreaterThan(resumedAt + 2);
      await expect(viewer.state).toHaveText('Live');
    }

    // The broadcaster stops it from B's studio (the same session), wherever it runs now:
    // every viewer sees it end.
    await studioPage.goto(`${b.url}/studio`);
    await hydrated(studioPage);
    await expect(studio.state).toHaveAttribute('data-state', 'Live');
    await studio.stop.click();
    for (const viewer of survivors) await expect(viewer.state).toHaveText('Offline', { timeout: 15_000 });
  } finally {
    for (const instance of started) instance.stop();
    await forgetCluster(cluster);
    database.drop();
  }
});
