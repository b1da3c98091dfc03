import { expect, test } from '@playwright/test';
import { WatchPage } from '../pages/watch-page';

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
    await expect(watch.audioOnly).toBeVisible({ timeout: 15_000 });
    const listening = await watch.currentTime();
    await expect.poll(() => watch.currentTime(), { timeout: 10_000 }).toBeGreaterThan(listening + 2);
    await watch.quality.selectOption('auto');
    await expect.poll(() => watch.videoHeight(), { timeout: 20_000 }).toBe(540);
    await expect(watch.audioOnly).toBeHidden();
    await expect(watch.quality.locator('option').first()).toHaveText('Auto (Source)');
    expect(await watch.errorCode()).toBeNull();
  });
});
