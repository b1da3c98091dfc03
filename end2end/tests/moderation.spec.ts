import { expect, test } from '@playwright/test';
import { ChatPanel } from '../pages/chat-panel';
import { newUsername, signUp } from '../support/accounts';
import { visit } from '../support/visit';

/** A 16×16 red PNG, as a file a broadcaster picks. */
const RED_SQUARE = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAAGUlEQVR4nGM4YWPznxLMMGrAqAGjBgwXAwDt8T8fJgJUJgAAAABJRU5ErkJggg==',
  'base64',
);

test('the owner appoints a moderator who keeps the chat; blocked terms and name colours reach every viewer', async ({
  page,
  browser,
}) => {
  const channel = await signUp(page, newUsername('own'));
  const modContext = await browser.newContext();
  const fanContext = await browser.newContext();
  try {
    const mod = await modContext.newPage();
    const modName = newUsername('mod');
    await signUp(mod, modName);
    const fan = await fanContext.newPage();
    await signUp(fan, newUsername('fan'));

    // In the studio: appoint the moderator, pick a name colour, block a term.
    await visit(page, '/studio');
    await page.getByTestId('moderators-panel').locator('summary').click();
    await page.getByTestId('appoint-name').fill(modName);
    await page.getByRole('button', { name: 'Appoint moderator' }).click();
    await expect(page.locator(`[data-moderator="${modName}"]`)).toBeVisible();
    await page.getByTestId('name-colour').locator('summary').click();
    await page.locator('.swatch[data-colour="#dc2626"]').click();
    await expect(page.getByTestId('name-colour-saved')).toBeVisible();
    await expect(page.getByTestId('name-colour-preview')).toHaveCSS('color', 'rgb(220, 38, 38)');
    await page.locator('[data-testid=blocked-terms-panel]').first().locator('summary').click();
    await page.getByTestId('blocked-terms').first().fill('Spoiler*');
    await page.getByRole('button', { name: 'Save terms' }).first().click();
    await expect(page.getByTestId('blocked-terms-saved')).toHaveText('Saved (1)');

    // A viewer's message holding the term is refused, saying why; others go through.
    const fanChat = new ChatPanel(fan);
    await visit(fan, `/watch/${channel}`);
    await fanChat.say('SPOILERS: the hero wins');
    await expect(fanChat.error).toContainText('does not allow');
    await fanChat.say('hello from the fan');
    await expect(fanChat.message('hello from the fan')).toBeVisible();

    // The owner's line carries the owner's badge and the picked colour for the others.
    const ownerChat = new ChatPanel(page);
    await visit(page, `/watch/${channel}`);
    await ownerChat.say('welcome, everyone');
    const welcome = fanChat.message('welcome, everyone');
    await expect(welcome.locator('.chat-author')).toHaveCSS('color', 'rgb(220, 38, 38)');
    await expect(welcome.getByTestId('chat-role')).toHaveText('owner');

    // The moderator: tools on the viewer's line, none on the owner's; the ban list and the
    // blocked terms beside the chat; their line has the moderator's badge.
    const modChat = new ChatPanel(mod);
    await visit(mod, `/watch/${channel}`);
    await expect(mod.getByTestId('operator-tools')).toBeVisible();
    await mod.getByTestId('blocked-terms-panel').locator('summary').click();
    await expect(mod.getByTestId('blocked-terms')).toHaveValue('spoiler*');
    await expect(modChat.message('welcome, everyone').locator('.chat-tools')).toHaveCount(0);
    await modChat.message('hello from the fan').getByRole('button', { name: 'Delete' }).click();
    await expect(fanChat.message('hello from the fan')).toHaveCount(0);
    await modChat.say('keep it friendly');
    await expect(fanChat.message('keep it friendly').getByTestId('chat-role')).toHaveText('moderator');
    // A viewer sees no moderator's tools.
    await expect(fan.getByTestId('operator-tools')).toHaveCount(0);
  } finally {
    await modContext.close();
    await fanContext.close();
  }
});

test('an emote the owner uploads shows in chat for another viewer, and from the picker', async ({ page, browser }) => {
  const channel = await signUp(page, newUsername('emo'));
  const fanContext = await browser.newContext();
  try {
    await visit(page, '/studio');
    await page.getByTestId('emotes-panel').locator('summary').click();
    // A picture that is none is refused with the reason.
    await page.getByTestId('emote-name').fill('bad');
    await page.getByTestId('emote-file').setInputFiles({ name: 'x.svg', mimeType: 'image/svg+xml', buffer: Buffer.from('<svg/>') });
    await page.getByRole('button', { name: 'Add emote' }).click();
    await expect(page.getByTestId('emotes-error')).toContainText('PNG, GIF or WebP');
    await page.getByTestId('emote-name').fill('redsq');
    await page.getByTestId('emote-file').setInputFiles({ name: 'red.png', mimeType: 'image/png', buffer: RED_SQUARE });
    await page.getByRole('button', { name: 'Add emote' }).click();
    await expect(page.locator('[data-testid=emotes] [data-emote=redsq] img')).toBeVisible();

    const fan = await fanContext.newPage();
    await signUp(fan, newUsername('fan'));
    const fanChat = new ChatPanel(fan);
    await visit(fan, `/watch/${channel}`);
    // The owner writes it by hand; the fan picks it from the picker.
    const ownerChat = new ChatPanel(page);
    await visit(page, `/watch/${channel}`);
    await ownerChat.say('hello :redsq: :nope:');
    const line = fanChat.messages.filter({ hasText: 'hello' });
    const emote = line.locator('img.emote[data-emote=redsq]');
    await expect(emote).toBeVisible();
    expect(await emote.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(16);
    await expect(line.locator('.chat-text')).toContainText(':nope:');
    await fan.getByTestId('emote-picker').locator('summary').click();
    await fan.locator('.emote-choice[data-emote=redsq]').click();
    await expect(fanChat.input).toHaveValue(':redsq: ');
    await fanChat.send.click();
    await expect(ownerChat.messages.last().locator('img.emote[data-emote=redsq]')).toBeVisible();
  } finally {
    await fanContext.close();
  }
});

test('the owner sets a channel picture in the studio, and removes it', async ({ page }) => {
  await signUp(page, newUsername('pic'));
  await visit(page, '/studio');
  await page.getByTestId('avatar-panel').locator('summary').click();
  await page.getByTestId('avatar-file').setInputFiles({ name: 'red.png', mimeType: 'image/png', buffer: RED_SQUARE });
  await page.getByRole('button', { name: 'Set picture' }).click();
  const avatar = page.getByTestId('avatar');
  await expect(avatar).toBeVisible();
  await expect.poll(() => avatar.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(16);
  await page.getByTestId('avatar-panel').getByRole('button', { name: 'Remove' }).click();
  await expect(avatar).toHaveCount(0);
});
