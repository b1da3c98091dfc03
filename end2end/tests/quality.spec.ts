import { chromium, expect, test } from '@playwright/test';
import { newUsername, signUp } from '../support/accounts';
import { StudioPage } from '../pages/studio-page';
import { WatchPage } from '../pages/watch-page';
import { SlowLink } from '../support/slow-link';
import config from '../playwright.config';

// The demo (960x540 at 900 kbit/s) is made in three rungs by the default ladder: the source,
// 240p and sound alone (480p would cost about as much as the source, so it is left out). The
// server chooses each viewer's rung; the quality menu lets the viewer choose instead.
test.describe('the quality ladder', () => {
  test('the menu forces a rung, remembers it, and Auto gives the choice back', async ({ page }) => {
    const watch = new WatchPage(page);
    await watch.open('demo');
    await watch.waitForPlayback();
    await expect(watch.quality).toBeVisible();
    const offered = await watch.quality.locator('option').allTextContents();
    expect(offered).toEqual(['Auto (Source)', 'Source', '240p', 'Audio only']);
    await expect.poll(() => watch.videoHeight()).toBe(540);

    await watch.quality.selectOption('240p');
    await expect.poll(() => watch.videoHeight(), { timeout: 15_000 }).toBe(240);
    expect(await watch.rung()).toBe('240p');
    // It keeps playing across the switch: same timeline, no error.
    const at = await watch.currentTime();
    await expect.poll(() => watch.currentTime(), { timeout: 10_000 }).toBeGreaterThan(at + 2);
    expect(await watch.errorCode()).toBeNull();

    // Remembered in this browser: a reload starts on 240p.
    await page.reload();
    await watch.waitForPlayback();
    await expect.poll(() => watch.videoHeight()).toBe(240);
    await expect(watch.quality).toHaveValue('240p');

    // Sound alone shows the poster; Auto goes back to the picture the link carries.
    await watch.quality.selectOption('audio');
    await expect(watch.audioOnly).toHaveText('Audio only, as chosen in the quality menu.', { timeout: 15_000 });
    const listening = await watch.currentTime();
    await expect.poll(() => watch.currentTime(), { timeout: 10_000 }).toBeGreaterThan(listening + 2);
    await watch.quality.selectOption('auto');
    await expect.poll(() => watch.videoHeight(), { timeout: 20_000 }).toBe(540);
    await expect(watch.audioOnly).toBeHidden();
    await expect(watch.quality.locator('option').first()).toHaveText('Auto (Source)');
    expect(await watch.errorCode()).toBeNull();
  });

  test('an owner turns the ladder off: the next broadcast offers viewers the source alone', async ({ page, browser }) => {
    const channel = await signUp(page, newUsername('q'));
    const studio = new StudioPage(page);
    await expect(studio.ladder).toBeChecked();
    await studio.ladder.uncheck();
    await expect(page.getByTestId('ladder-saved')).toBeVisible();
    await page.reload();
    await expect(studio.ladder).not.toBeChecked();
    await studio.goLive.click();
    await expect(studio.state).toHaveAttribute('data-state', 'Live', { timeout: 30_000 });
    await expect(page.getByTestId('rungs')).toHaveCount(0);

    const viewerContext = await browser.newContext();
    const watch = new WatchPage(await viewerContext.newPage());
    await watch.open(channel);
    await watch.waitForPlayback();
    // One rung: nothing to choose, so no menu.
    await expect(watch.quality).toBeHidden();
    expect(await watch.rung()).toBe('source');
    await studio.stop.click();
    await expect(studio.state).toHaveText('Offline', { timeout: 30_000 });

    // On again: the next broadcast is made in the ladder.
    await studio.ladder.check();
    await studio.goLive.click();
    await expect(page.getByTestId('rungs')).toBeVisible({ timeout: 30_000 });
    await studio.stop.click();
    await expect(studio.state).toHaveText('Offline', { timeout: 30_000 });
    await viewerContext.close();
  });

  test('a viewer whose link slows is moved down a rung and back up, playing all along', async ({ baseURL }) => {
    const why = SlowLink.unavailable();
    test.skip(why !== null, `a slow link cannot be made here: ${why}`);
    const link = SlowLink.up();
    const browser = await chromium.launch({ ...config.use!.launchOptions, executablePath: link.chromium });
    try {
      const page = await browser.newPage();
      const watch = new WatchPage(page);
      await page.goto(`${link.url(Number(new URL(baseURL!).port))}/watch/demo`);
      await watch.waitForPlayback(30_000);
      await expect.poll(() => watch.videoHeight()).toBe(540);

      // The demo's source is about 1.35 Mbit/s on the wire, 240p about 0.45.
      link.limit(600);
      const slowed = Date.now();
      await expect.poll(() => watch.videoHeight(), { timeout: 30_000 }).toBe(240);
      console.log(`on 240p ${Date.now() - slowed} ms after the link slowed to 600 kbit/s`);
      expect(await watch.rung()).toBe('240p');
      const at = await watch.currentTime();
      await expect.poll(() => watch.currentTime(), { timeout: 10_000 }).toBeGreaterThan(at + 3);
      expect(await watch.errorCode()).toBeNull();

      link.limit(null);
      const fast = Date.now();
      await expect.poll(() => watch.videoHeight(), { timeout: 30_000 }).toBe(540);
      console.log(`back on the source ${Date.now() - fast} ms after the link got fast`);
      expect(await watch.errorCode()).toBeNull();
    } finally {
      await browser.close();
      link.down();
    }
  });
});
