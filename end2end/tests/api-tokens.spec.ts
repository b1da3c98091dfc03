import { expect, test } from '@playwright/test';
import { ApiTokens } from '../pages/api-tokens';
import { ChatPanel } from '../pages/chat-panel';
import { newUsername, signUp } from '../support/accounts';
import { hydrated, visit } from '../support/visit';

test('api tokens: a bot posts chat with a token, shown as a bot line; revoked, the token gets 401', async ({
  browser,
  page,
  request,
}) => {
  const channel = await signUp(page, newUsername('bt'));
  await visit(page, '/studio');
  const tokens = new ApiTokens(page);
  const token = await tokens.makeToken('chat bot', ['read', 'chat']);
  await expect(tokens.tokens.filter({ hasText: 'chat bot' })).toContainText('read, chat');

  const viewerContext = await browser.newContext();
  const viewer = await viewerContext.newPage();
  await viewer.goto(`/watch/${channel}`);
  await hydrated(viewer);
  await expect(viewer.getByTestId('viewers')).toHaveText(/watching/);
  const posted = await request.post(`/api/v1/channels/${channel}/chat`, {
    headers: { Authorization: `Bearer ${token}` },
    data: { text: 'beep from the bot' },
  });
  expect(posted.status()).toBe(201);
  const line = new ChatPanel(viewer).message('beep from the bot');
  await expect(line).toBeVisible();
  // The token's user owns the channel: the owner's badge, then the bot's.
  await expect(line.locator('.chat-badge')).toHaveText(['owner', 'bot']);
  await expect(line.locator('.chat-author')).toHaveText(channel);

  await tokens.revoke('chat bot');
  const refused = await request.post(`/api/v1/channels/${channel}/chat`, {
    headers: { Authorization: `Bearer ${token}` },
    data: { text: 'still here?' },
  });
  expect(refused.status()).toBe(401);
  expect(await refused.text()).toContain('revoked');
  await viewerContext.close();
});
