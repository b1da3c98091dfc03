import { expect, test } from '@playwright/test';
import { ChatPanel } from '../pages/chat-panel';
import { anotherSiteFraming, ChatOverlay, EmbeddedPlayer } from '../pages/embed-page';
import { newUsername, signUp } from '../support/accounts';
import { hydrated } from '../support/visit';

test('embed: the player plays in an iframe on another site, muted, and unmutes', async ({ page, baseURL }) => {
  const player = new EmbeddedPlayer(await anotherSiteFraming(page, `${baseURL}/embed/demo`));
  const started = Date.now();
  await player.waitForVideo();
  console.log(`embedded player: first frame moving ${Date.now() - started} ms after the host page loaded`);
  expect(await player.muted()).toBe(true);
  await expect(player.siteBar).toHaveCount(0);
  await expect(player.hydrated).toHaveCount(1);
  await player.unmute.click();
  await expect.poll(() => player.muted()).toBe(false);
  await expect(player.unmute).toHaveCount(0);
});

test('embed: every other page refuses to be framed by another site', async ({ page, baseURL }) => {
  const frame = await anotherSiteFraming(page, `${baseURL}/watch/demo`);
  // Chromium puts its own error page in a frame the response refused to be shown in.
  await expect
    .poll(() => page.frames().map((f) => f.url()))
    .toContain('chrome-error://chromewebdata/');
  await expect(frame.locator('video')).toHaveCount(0);
});

test('share: the watch page offers its link, the iframe code and the chat overlay', async ({ page, baseURL }) => {
  await page.goto('/watch/demo');
  await hydrated(page);
  await page.getByTestId('share-open').click();
  await expect(page.getByTestId('share-link')).toHaveValue(`${baseURL}/watch/demo`);
  const code = await page.getByTestId('share-embed').inputValue();
  expect(code).toMatch(new RegExp(`^<iframe src="${baseURL}/embed/demo" width="640" height="360" `));
  await expect(page.getByTestId('share-overlay')).toHaveValue(`${baseURL}/embed/demo/chat`);
});

test('chat overlay: messages posted on the watch page show, newest at the bottom, on a transparent page', async ({
  browser,
  page,
}) => {
  // As a broadcaster's OBS browser source opens it.
  await page.goto('/embed/demo/chat');
  await hydrated(page);
  const overlay = new ChatOverlay(page);
  expect(await overlay.background()).toBe('rgba(0, 0, 0, 0)');
  await expect(page.locator('input, textarea, button')).toHaveCount(0);

  const viewerContext = await browser.newContext();
  const viewer = await viewerContext.newPage();
  await signUp(viewer, newUsername('ov'));
  await viewer.goto('/watch/demo');
  await hydrated(viewer);
  const chat = new ChatPanel(viewer);
  await chat.say('first line for the scene');
  await expect(chat.message('first line for the scene')).toBeVisible();
  await chat.say('second line for the scene');
  await expect(overlay.lines).toHaveText([/first line for the scene/, /second line for the scene/]);
  // The newest line sits at the bottom of the overlay.
  const bottoms = await overlay.lines.evaluateAll((lines) => lines.map((l) => l.getBoundingClientRect().bottom));
  expect(bottoms[1]).toBeGreaterThan(bottoms[0]);
  expect(bottoms[1]).toBeGreaterThan((await page.viewportSize())!.height - 40);
  // Its tab leaves: the demo's later tests count their own viewers.
  await viewerContext.close();
});
