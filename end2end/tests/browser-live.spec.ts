import { type Browser, chromium, expect, type Page, test } from '@playwright/test';
import { newUsername, signUp } from '../support/accounts';
import { CapturePanel } from '../pages/capture-panel';
import { CuttableProxy } from '../support/cuttable-proxy';
import { visit } from '../support/visit';
import { StudioPage } from '../pages/studio-page';
import { WatchPage } from '../pages/watch-page';

/** A fresh account signed up on `page`; returns its channel. */
const signUpNew = (page: Page, prefix: string) => signUp(page, newUsername(prefix));

for (const source of ['camera', 'screen'] as const) {
  test(`go live from the ${source} in the studio; a viewer watches; stop`, async ({ page, browser }) => {
    const channel = await signUpNew(page, source[0]);
    const studio = new StudioPage(page);
    await studio.source.selectOption(source);
    await studio.title.fill(`Live from my ${source}`);
    const capture = new CapturePanel(page);
    if (source === 'camera') {
      // The browser's cameras are offered; pick one rather than the default.
      const cameras = capture.camera.locator('option');
      await expect.poll(() => cameras.count()).toBeGreaterThan(1);
      await capture.camera.selectOption({ index: 1 });
    }
    // Nothing to stop yet; once live, nothing to start.
    await expect(capture.stop).toBeDisabled();
    const wentLive = Date.now();
    await capture.goLive.click();
    await expect(capture.state).toHaveText('Live', { timeout: 15_000 });
    await expect(capture.problem).toHaveCount(0);
    await expect(capture.goLive).toBeDisabled();
    await expect(capture.stop).toBeEnabled();
    if (source === 'camera') {
      // Muting turns the microphone's track off; the broadcast goes on.
      await capture.mute.click();
      await expect(capture.mute).toHaveText('Unmute microphone');
      expect(await capture.microphoneOn()).toEqual([false]);
    }

    const viewerContext = await browser.newContext();
    const viewer = await viewerContext.newPage();
    const watch = new WatchPage(viewer);
    await watch.open(channel);
    await watch.waitForPlayback(30_000);
    console.log(`${source}: go live to first frame in a viewer: ${Date.now() - wentLive} ms`);
    const before = await watch.currentTime();
    await expect.poll(() => watch.currentTime(), { timeout: 15_000 }).toBeGreaterThan(before + 2);
    await expect(watch.title).toHaveText(`Live from my ${source}`);
    await viewer.goto('/');
    await expect(viewer.locator(`[data-channel="${channel}"]`)).toContainText(`Live from my ${source}`);
    await expect(studio.state).toHaveAttribute('data-state', 'Live');
    await expect(studio.state).toContainText(`${source} (browser)`);

    await watch.open(channel);
    await watch.waitForPlayback(30_000);
    // Stop ends the broadcast at once (the page's socket says goodbye): no grace period.
    const stoppedAt = Date.now();
    await capture.stop.click();
    await expect(watch.state).toHaveText('Offline', { timeout: 5_000 });
    console.log(`${source}: stop to the viewer seeing offline: ${Date.now() - stoppedAt} ms`);
    await expect(capture.state).toHaveCount(0);
    await expect(capture.stop).toBeDisabled();
    await viewerContext.close();
  });
}

/**
 * Signs up, opens the studio through a proxy whose network can be cut or slowed, goes live from
 * the camera, opens the channel in another browser context until it plays, then runs `then`
 * with both; stops the broadcast and cleans up.
 */
async function liveThroughProxy(
  page: Page,
  browser: Browser,
  baseURL: string,
  prefix: string,
  then: (proxy: CuttableProxy, watch: WatchPage) => Promise<void>,
) {
  const channel = await signUpNew(page, prefix);
  const proxy = await CuttableProxy.start(Number(new URL(baseURL).port));
  const viewerContext = await browser.newContext();
  try {
    await visit(page, `${proxy.url}/studio`);
    await new StudioPage(page).source.selectOption('camera');
    const capture = new CapturePanel(page);
    await capture.goLive.click();
    await expect(capture.state).toHaveText('Live', { timeout: 15_000 });
    const watch = new WatchPage(await viewerContext.newPage());
    await watch.open(channel);
    await watch.waitForPlayback(30_000);
    await then(proxy, watch);
    await capture.stop.click();
    await expect(watch.state).toHaveText('Offline', { timeout: 15_000 });
  } finally {
    await viewerContext.close();
    await proxy.close();
  }
}

test('the studio loses its network: viewers see reconnecting, then the video carries on', async ({ page, browser, baseURL }) => {
  await liveThroughProxy(page, browser, baseURL!, 'n', async (proxy, watch) => {
    proxy.cut();
    await expect(watch.state).toHaveText(/Reconnecting/, { timeout: 15_000 });
    const stalledAt = await watch.currentTime();
    proxy.restore();
    // The studio reconnects by itself; the viewer's same page plays on, no reload.
    await expect(new CapturePanel(page).state).toHaveText('Live', { timeout: 15_000 });
    await expect.poll(() => watch.currentTime(), { timeout: 20_000 }).toBeGreaterThan(stalledAt + 2);
    await expect(watch.state).toHaveText('Live');
  });
});

test('a slow upload: the studio says so and lowers the bitrate; the viewer keeps watching', async ({ page, browser, baseURL }) => {
  await liveThroughProxy(page, browser, baseURL!, 'u', async (proxy, watch) => {
    // An upload far slower than the recording: the server's acknowledgements fall behind, and
    // the studio starts a new recording at 60 % of the bitrate (2500 -> 1500 kbit/s) instead of
    // falling further behind.
    const capture = new CapturePanel(page);
    proxy.limitUplink(4_000);
    await expect(capture.uplink).toContainText('1500 kbit/s', { timeout: 60_000 });
    proxy.limitUplink(null);
    await expect(capture.state).toHaveText('Live', { timeout: 15_000 });
    const resumedAt = await watch.currentTime();
    await expect.poll(() => watch.currentTime(), { timeout: 30_000 }).toBeGreaterThan(resumedAt + 2);
    await expect(watch.state).toHaveText('Live');
  });
  await expect(new CapturePanel(page).uplink).toHaveCount(0);
});

test('a denied camera says what to do', async ({ baseURL }) => {
  // Another Chromium, without the fake devices' automatic permission: prompts are denied.
  const denying = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--deny-permission-prompts', '--use-fake-device-for-media-stream'],
  });
  try {
    const page = await (await denying.newContext({ baseURL })).newPage();
    await signUpNew(page, 'd');
    await new StudioPage(page).source.selectOption('camera');
    const capture = new CapturePanel(page);
    await capture.goLive.click();
    await expect(capture.problem).toContainText('denied', { timeout: 15_000 });
  } finally {
    await denying.close();
  }
});
