import { expect, test } from '@playwright/test';
import { newUsername, signUp } from '../support/accounts';
import { ChatPanel } from '../pages/chat-panel';
import { StudioPage } from '../pages/studio-page';
import { WatchPage } from '../pages/watch-page';
import { exited, publish, publishSoundAlone } from '../support/publisher';
import { visit } from '../support/visit';

test('OBS: paste the server and key, a viewer watches with chat; a reset key cuts the stream', async ({ page, browser }) => {
  const channel = await signUp(page, newUsername('o'));

  const studio = new StudioPage(page);
  const { server, key } = await studio.streamingSoftware();
  expect(server).toMatch(/^rtmp:\/\/127\.0\.0\.1:\d+\/live$/);
  expect(key.startsWith(`${channel}_`)).toBe(true);
  await studio.title.fill('Live from OBS');
  await studio.saveTitle.click();
  await expect(page.getByTestId('title-saved')).toBeVisible();

  // A viewer in another browser waits on the channel page; the software starts streaming.
  const viewerContext = await browser.newContext();
  const viewerPage = await viewerContext.newPage();
  const watch = new WatchPage(viewerPage);
  await watch.open(channel);
  await expect(watch.state).toHaveText('Offline');
  const startedAt = Date.now();
  const obs = publish(`${server}/${key}`);
  try {
    await watch.waitForPlayback(30_000);
    console.log(`publish to first frame in a viewer: ${Date.now() - startedAt} ms`);
    const before = await watch.currentTime();
    await expect.poll(() => watch.currentTime(), { timeout: 15_000 }).toBeGreaterThan(before + 2);
    await expect(watch.title).toHaveText('Live from OBS');
    await expect(watch.viewers).toHaveText(/^[12] watching$/);

    // The studio shows what arrives; the broadcaster chats with the viewer.
    await expect(studio.incomingCodecs).toHaveText('H.264 + AAC', { timeout: 10_000 });
    await expect(studio.incomingSize).toHaveText('640×360');
    await expect(page.getByTestId('keyframe-warning')).toHaveCount(0);
    const hostWatch = await page.context().newPage();
    await visit(hostWatch, `/watch/${channel}`);
    await new ChatPanel(hostWatch).say('hello from the studio');
    await expect(new ChatPanel(viewerPage).message('hello from the studio')).toBeVisible();
    await hostWatch.close();

    // Reset the key: the stream using the old one is cut, and the old key is refused.
    page.once('dialog', (dialog) => dialog.accept());
    await studio.resetKey.click();
    await expect(studio.streamKey).not.toHaveValue(key);
    await expect(studio.streamKey).toHaveValue(new RegExp(`^${channel}_[0-9a-f]{40}$`));
    const cutAt = Date.now();
    expect(await exited(obs)).not.toBe(0);
    console.log(`reset key to the publisher cut: ${Date.now() - cutAt} ms`);
    const again = publish(`${server}/${key}`, 20);
    expect(await exited(again)).not.toBe(0);
    await expect(watch.state).toHaveText('Offline', { timeout: 30_000 });
  } finally {
    obs.kill('SIGKILL');
    await viewerContext.close();
  }
});

test('a stream of sound alone: the viewer hears it with a poster saying there is no picture', async ({ page, browser }) => {
  const channel = await signUp(page, newUsername('r'));
  const studio = new StudioPage(page);
  const { server, key } = await studio.streamingSoftware();

  const viewerContext = await browser.newContext();
  const watch = new WatchPage(await viewerContext.newPage());
  await watch.open(channel);
  await expect(watch.state).toHaveText('Offline');
  const startedAt = Date.now();
  const radio = publishSoundAlone(`${server}/${key}`);
  try {
    await watch.waitForPlayback(30_000);
    console.log(`publish of sound alone to playing in a viewer: ${Date.now() - startedAt} ms`);
    await expect(watch.audioOnly).toHaveText('Audio only: this broadcast has no picture.');
    expect(await watch.rung()).toBe('audio');
    // Nothing to choose between: no quality menu.
    await expect(watch.quality).toHaveCount(0);
    const at = await watch.currentTime();
    await expect.poll(() => watch.currentTime(), { timeout: 15_000 }).toBeGreaterThan(at + 2);
    expect(await watch.errorCode()).toBeNull();
    await expect(studio.incomingCodecs).toHaveText('AAC, no video', { timeout: 10_000 });
  } finally {
    radio.kill('SIGKILL');
    await viewerContext.close();
  }
});
