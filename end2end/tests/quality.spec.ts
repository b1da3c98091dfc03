import { expect, test } from '@playwright/test';
import { WatchPage } from '../pages/watch-page';
import { CuttableProxy } from '../support/cuttable-proxy';

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

  test('a viewer whose link slows below the source moves to a lower rung and plays on', async ({ page, baseURL }) => {
    // The link: a proxy on loopback whose downlink can be held to a rate (a browser's own
    // network emulation leaves a stream that is already open alone).
    const proxy = await CuttableProxy.start(Number(new URL(baseURL!).port));
    try {
      const watch = new WatchPage(page);
      await page.goto(`${proxy.url}/watch/demo`);
      await watch.waitForPlayback();
      await expect.poll(() => watch.videoHeight()).toBe(540);
      // The source takes about 1.35 Mbit/s on the wire, 240p about 0.55; the link now carries
      // 900 kbit/s. The server sees it once the buffers between it and the player are full
      // (the proxy's and the kernels': a few seconds of the source).
      proxy.limitDownlink((900 * 1000) / 8);
      const throttled = Date.now();
      await expect.poll(() => watch.videoHeight(), { timeout: 30_000 }).toBe(240);
      console.log(`settled on 240p ${Date.now() - throttled} ms after the link slowed`);
      await expect(watch.quality.locator('option').first()).toHaveText('Auto (240p)');
      // Then it plays on: 10 s of wall time show at least 7 s of video.
      await page.evaluate(() => {
        const video = document.querySelector('video')!;
        (window as any).stalls = 0;
        video.addEventListener('waiting', () => (window as any).stalls++);
      });
      const before = await watch.currentTime();
      const start = Date.now();
      await expect.poll(() => Date.now() - start, { timeout: 15_000 }).toBeGreaterThanOrEqual(10_000);
      const shown = (await watch.currentTime()) - before;
      const stalls = await page.evaluate(() => (window as any).stalls as number);
      console.log(`throttled: ${shown.toFixed(1)} s shown in 10 s, ${stalls} stalls, latency ${await watch.latency.textContent()}`);
      expect(shown).toBeGreaterThanOrEqual(7);
      expect(await watch.errorCode()).toBeNull();

      // The link is fast again: back on the source.
      proxy.limitDownlink(null);
      const fast = Date.now();
      await expect.poll(() => watch.videoHeight(), { timeout: 30_000 }).toBe(540);
      console.log(`back on the source ${Date.now() - fast} ms after the link got fast`);
    } finally {
      await proxy.close();
    }
  });
});
