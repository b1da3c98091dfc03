import { expect, test, type Browser, type Page } from '@playwright/test';
import { AccountForms } from '../pages/account-forms';
import { newUsername, PASSWORD, signUp } from '../support/accounts';
import { ChatPanel } from '../pages/chat-panel';
import { visit } from '../support/visit';

/** A new signed-in browser context for a fresh account; returns its page and username. */
async function signedIn(browser: Browser, prefix: string): Promise<{ page: Page; name: string }> {
  const name = newUsername(prefix);
  const page = await (await browser.newContext()).newPage();
  await signUp(page, name);
  return { page, name };
}

test('chat: live between viewers, shown as text, rate limited, moderated by the owner', async ({ browser }) => {
  const host = await signedIn(browser, 'h');
  const guest = await signedIn(browser, 'g');
  const channel = host.name.toLowerCase();
  // Nothing may run as a script: an alert would be an injection.
  for (const { page } of [host, guest]) {
    page.on('dialog', (dialog) => {
      throw new Error(`a dialog opened: ${dialog.message()}`);
    });
    await page.goto(`/watch/${channel}`);
  }
  const hostChat = new ChatPanel(host.page);
  const guestChat = new ChatPanel(guest.page);
  // Both streams are connected once each page shows the live count.
  await expect(host.page.getByTestId('viewers')).toHaveText('2 watching');
  await expect(guest.page.getByTestId('viewers')).toHaveText('2 watching');

  const sentAt = Date.now();
  await guestChat.say('hello from the guest');
  await expect(hostChat.message('hello from the guest')).toBeVisible();
  console.log(`chat message seen in the other context after ${Date.now() - sentAt} ms`);
  await expect(guestChat.input).toHaveValue('');

  const markup = '<img src=x onerror=alert(1)>';
  await hostChat.say(markup);
  await expect(guestChat.message(markup)).toHaveCount(1);
  await expect(guestChat.message(markup).locator('.chat-text')).toHaveText(markup);
  await expect(guest.page.locator('.chat img')).toHaveCount(0);

  // A signed-out visitor reads the chat (server-rendered history included) but cannot post.
  const visitor = await (await browser.newContext()).newPage();
  await visitor.goto(`/watch/${channel}`);
  const visitorChat = new ChatPanel(visitor);
  await expect(visitorChat.message('hello from the guest')).toBeVisible();
  await expect(visitorChat.input).toHaveCount(0);
  await expect(visitorChat.signInToChat).toContainText('Sign in to chat');

  // The owner deletes the guest's message: it disappears for everyone, live.
  await hostChat.message('hello from the guest').getByRole('button', { name: 'Delete' }).click();
  await expect(guestChat.message('hello from the guest')).toHaveCount(0);
  await expect(visitorChat.message('hello from the guest')).toHaveCount(0);
  await expect(guest.page.getByRole('button', { name: 'Delete' })).toHaveCount(0);

  // Too many messages too fast: the input says so.
  for (let i = 0; i < 8; i++) {
    await guestChat.say(`flood ${i}`);
    await expect(guestChat.message(`flood ${i}`).or(guestChat.error)).toBeVisible();
    if (await guestChat.error.isVisible()) break;
  }
  await expect(guestChat.error).toContainText('Slow down');
});

test('the watch page with its chat fits a narrow phone screen', async ({ browser }) => {
  const phone = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true });
  const page = await phone.newPage();
  await page.goto('/watch/demo');
  const chat = page.getByRole('complementary', { name: 'Chat' });
  await expect(chat).toBeVisible();
  const box = await chat.boundingBox();
  expect(box!.x).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width).toBeLessThanOrEqual(375);
  // Nothing sticks out sideways.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await expect(new ChatPanel(page).signInToChat).toBeVisible();
  await phone.close();
});

test('the owner bans a chatter, finds the ban in the studio, and lifts it', async ({ browser }) => {
  const host = await signedIn(browser, 'o');
  const guest = await signedIn(browser, 'c');
  const channel = host.name.toLowerCase();
  for (const { page } of [host, guest]) await visit(page, `/watch/${channel}`);
  const hostChat = new ChatPanel(host.page);
  const guestChat = new ChatPanel(guest.page);
  await guestChat.say('buy cheap followers');
  await hostChat.message('buy cheap followers').getByRole('button', { name: 'Ban' }).click();
  await guestChat.say('still here?');
  await expect(guestChat.error).toContainText('banned');

  await visit(host.page, '/studio');
  const bans = host.page.getByTestId('chat-bans');
  await bans.locator('summary').click();
  const row = bans.locator(`[data-banned="${guest.name}"]`);
  await expect(row).toBeVisible();
  await row.getByRole('button', { name: 'Unban' }).click();
  await expect(row).toHaveCount(0);
  await expect(bans).toContainText('Nobody is banned.');

  await guestChat.say('thanks for the second chance');
  await expect(guestChat.message('thanks for the second chance')).toBeVisible();
});

test('sign out everywhere signs out every browser of the account', async ({ browser }) => {
  const laptop = await signedIn(browser, 'e');
  const phone = await (await browser.newContext()).newPage();
  await new AccountForms(phone).signIn(laptop.name, PASSWORD);
  await expect(phone.getByTestId('signed-in-as')).toBeVisible();

  await visit(laptop.page, '/studio');
  await laptop.page.getByTestId('account').locator('summary').click();
  await laptop.page.getByTestId('sign-out-everywhere').click();
  await expect(laptop.page.getByRole('link', { name: 'Sign in', exact: true })).toBeVisible();
  await phone.reload();
  await expect(phone.getByRole('link', { name: 'Sign in', exact: true })).toBeVisible();
  await expect(phone.getByTestId('signed-in-as')).toHaveCount(0);
});
