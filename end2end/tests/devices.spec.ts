import { expect, test } from '@playwright/test';
import { WatchPage } from '../pages/watch-page';
import { emulateManagedMediaSource, evict, hideMediaSource, managedLog, setStreaming } from '../support/managed-media-source';

// There is no Safari here: iPhone and iPad behaviour (ManagedMediaSource instead of MediaSource)
// is emulated in Chromium by a page script (see support/managed-media-source.ts).
test.describe('watching on every device', () => {
  test('an iPhone-like browser plays through ManagedMediaSource, pausing and evicting as told', async ({ page }) => {
    await emulateManagedMediaSource(page);
    const watch = new WatchPage(page);
    await watch.open('demo');
    await watch.waitForPlayback();
    expect((await managedLog(page)).created).toBeGreaterThan(0);
    // Required for a managed source to open on Safari.
    expect(await watch.video.evaluate((v: HTMLVideoElement) => v.disableRemotePlayback)).toBe(true);

    // The browser says "no more media for now": the player waits, then carries on.
    await setStreaming(page, false);
    const paused = await managedLog(page);
    await page.waitForTimeout(1_500); // a pause of 1.5 s, as Safari may make
    expect((await managedLog(page)).appends, 'no appends while not streaming').toBe(paused.appends);
    await setStreaming(page, true);
    const resumedAt = await watch.currentTime();
    await expect.poll(() => watch.currentTime(), { timeout: 15_000 }).toBeGreaterThan(resumedAt + 2);

    // The browser evicts everything buffered: playback comes back by itself.
    await evict(page);
    const evictedAt = await watch.currentTime();
    await expect.poll(() => watch.currentTime(), { timeout: 15_000 }).toBeGreaterThan(evictedAt + 2);

    const log = await managedLog(page);
    expect(log.appendsWhilePaused).toBe(0);
    expect(log.appends).toBeGreaterThan(paused.appends);
    expect(await watch.errorCode()).toBeNull();
  });

  test('a browser with no Media Source says so on the watch page', async ({ page }) => {
    await hideMediaSource(page);
    const watch = new WatchPage(page);
    await watch.open('demo');
    await expect(page.getByRole('alert')).toContainText('This browser cannot play live video', { timeout: 20_000 });
    // The rest of the page still works: the channel's count and state arrive.
    await expect(watch.state).toHaveText('Live');
  });
});
