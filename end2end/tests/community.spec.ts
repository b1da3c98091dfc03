import { expect, test, type BrowserContext } from '@playwright/test';
import ICAL from 'ical.js';
import { ChatPanel } from '../pages/chat-panel';
import { StudioPage } from '../pages/studio-page';
import { WatchPage } from '../pages/watch-page';
import { newUsername, signUp } from '../support/accounts';
import { hydrated, visit } from '../support/visit';

/** Keeps what the page's notifications said in `window.__notified` (shown as well, as ever). */
async function recordNotifications(context: BrowserContext) {
  await context.grantPermissions(['notifications']);
  await context.addInitScript(() => {
    const shown: { title: string; body?: string }[] = [];
    (window as unknown as { __notified: typeof shown }).__notified = shown;
    const Real = window.Notification;
    class Recorded extends Real {
      constructor(title: string, options?: NotificationOptions) {
        shown.push({ title, body: options?.body });
        super(title, options);
      }
    }
    Object.defineProperty(window, 'Notification', { value: Recorded, configurable: true });
  });
}

test('a follower is told in another tab when the channel goes live, and the home page lists it first', async ({
  page,
  browser,
}) => {
  const channel = await signUp(page, newUsername('st'));
  const fanContext = await browser.newContext();
  try {
    await recordNotifications(fanContext);
    const fan = await fanContext.newPage();
    await signUp(fan, newUsername('fan'));
    const watch = new WatchPage(fan);
    // Hydrated before the click: the button acts through the page's code.
    await visit(fan, `/watch/${channel}`);
    await expect(fan.getByTestId('followers')).toHaveText('0 followers');
    await fan.getByTestId('follow').click();
    await expect(fan.getByTestId('follow')).toHaveText('Following');
    await expect(fan.getByTestId('followers')).toHaveText('1 follower');

    // Another tab of the follower's, on the home page: it knows what is live as it opens.
    const home = await fanContext.newPage();
    const baseline = home.waitForResponse((r) => r.url().endsWith('/api/followed_live'));
    await visit(home, '/');
    await baseline;

    const studio = new StudioPage(page);
    await studio.goLive.click();
    await expect(studio.state).toHaveAttribute('data-state', 'Live', { timeout: 30_000 });
    const told = Date.now();
    const alert = home.locator(`[data-testid=live-alert][data-channel="${channel}"]`);
    await expect(alert).toContainText('is live', { timeout: 30_000 });
    console.log(`the follower's other tab told ${Date.now() - told} ms after the studio showed Live`);
    const notified = await home.evaluate(() => (window as unknown as { __notified: { title: string }[] }).__notified);
    expect(notified.map((n) => n.title)).toContain(`${channel} is live`);
    // First on the home page: the followed channels that are live.
    await expect(home.getByTestId('followed-live').locator(`.channel-card[data-channel="${channel}"]`)).toBeVisible({
      timeout: 15_000,
    });
    await expect(home.locator('.channel-card').first()).toHaveAttribute('data-channel', channel);

    // The owner's studio preview is playing; it is not a viewer: the follower alone watches.
    await watch.waitForPlayback(30_000);
    await expect(watch.viewers).toHaveText('1 watching', { timeout: 15_000 });

    // Unfollowed, the follower is back to nought.
    await fan.getByTestId('follow').click();
    await expect(fan.getByTestId('followers')).toHaveText('0 followers');
    await studio.stop.click();
    await expect(studio.state).toHaveText('Offline', { timeout: 30_000 });
  } finally {
    await fanContext.close();
  }
});

test('a signed-out visitor is asked to sign in to follow, and comes back to the channel', async ({ browser, page }) => {
  const channel = await signUp(page, newUsername('so'));
  const visitorContext = await browser.newContext();
  try {
    const visitor = await visitorContext.newPage();
    await visit(visitor, `/watch/${channel}`);
    await visitor.getByTestId('follow-sign-in').click();
    await expect(visitor).toHaveURL(new RegExp(`/signin\\?next=/watch/${channel}$`));
  } finally {
    await visitorContext.close();
  }
  // The owner sees the count, never a button to follow themselves.
  await visit(page, `/watch/${channel}`);
  await expect(page.getByTestId('followers')).toHaveText('0 followers');
  await expect(page.getByTestId('follow')).toHaveCount(0);
});

test('an announced broadcast counts down on the channel page in the viewer\'s time zone, on the home page and in the calendar feed', async ({
  page,
  browser,
  request,
}) => {
  const channel = await signUp(page, newUsername('sc'));
  await visit(page, '/studio');
  const panel = page.getByTestId('schedule');
  await panel.locator('summary').click();
  // Two hours ahead, on the minute, typed as the studio's browser reads its own clock.
  const { typed, startsMs } = await page.evaluate(() => {
    const at = new Date(Date.now() + 2 * 3600_000);
    at.setSeconds(0, 0);
    const two = (n: number) => String(n).padStart(2, '0');
    return {
      typed: `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())}T${two(at.getHours())}:${two(at.getMinutes())}`,
      startsMs: at.getTime(),
    };
  });
  const title = `Friday jam, ${channel}`;
  await panel.getByTestId('announce-title').fill(title);
  await panel.getByTestId('announce-starts').fill(typed);
  await panel.getByTestId('announce').click();
  await expect(panel.getByTestId('announced')).toContainText(title);
  await expect(panel.getByTestId('countdown')).toHaveText(/^starts in (1 h 5\d|2 h 00) min$/);
  // A time that has passed is refused with what to do.
  await panel.getByTestId('announce-title').fill('Too late');
  await panel.getByTestId('announce-starts').fill('2020-01-01T10:00');
  await panel.getByTestId('announce').click();
  await expect(panel.getByTestId('schedule-error')).toContainText('pick a start time in the future');

  // A viewer in New York sees it in their own time.
  const viewerContext = await browser.newContext({ timezoneId: 'America/New_York' });
  try {
    const viewer = await viewerContext.newPage();
    await visit(viewer, `/watch/${channel}`);
    const next = viewer.getByTestId('next-broadcast');
    await expect(next).toContainText(title);
    await expect(next.getByTestId('starts-at')).toContainText(/EST|GMT-5/);
    await expect(next.getByTestId('countdown')).toHaveText(/^starts in (1 h 5\d|2 h 00) min$/);
    await visit(viewer, '/');
    await expect(viewer.getByTestId('upcoming').locator(`[data-channel="${channel}"]`)).toContainText(title);
  } finally {
    await viewerContext.close();
  }

  // The calendar feed, read by an iCalendar parser of its own (Mozilla's ical.js).
  const feed = await request.get(`/watch/${channel}/schedule.ics`);
  expect(feed.status()).toBe(200);
  expect(feed.headers()['content-type']).toContain('text/calendar');
  const calendar = new ICAL.Component(ICAL.parse(await feed.text()));
  const events = calendar.getAllSubcomponents('vevent').map((vevent) => new ICAL.Event(vevent));
  expect(events.map((e) => e.summary)).toEqual([title]);
  expect(events[0].startDate.toJSDate().getTime()).toBe(startsMs);
  expect(events[0].component.getFirstPropertyValue('url')).toContain(`/watch/${channel}`);

  // Cancelled, it is gone from the studio and the feed.
  await panel.getByTestId('cancel-announced').click();
  await expect(panel.getByTestId('announced')).toHaveCount(0);
  const after = new ICAL.Component(ICAL.parse(await (await request.get(`/watch/${channel}/schedule.ics`)).text()));
  expect(after.getAllSubcomponents('vevent')).toHaveLength(0);
});

test('the directory searches channels by name or title', async ({ page }) => {
  await visit(page, '/');
  await page.getByTestId('search').fill('DEMO');
  await page.getByTestId('search').press('Enter');
  await expect(page).toHaveURL(/[?&]q=DEMO/);
  await expect(page.locator('.channel-card[data-channel="demo"]')).toBeVisible();
  await page.getByTestId('search').fill('no channel is called this');
  await page.getByTestId('search').press('Enter');
  await expect(page).toHaveURL(/[?&]q=no(\+|%20)channel/);
  await expect(page.getByText('No channel matches that search.')).toBeVisible();
  await expect(page.locator('.channel-card')).toHaveCount(0);
});

test('chat rules: slow mode and followers-only say when one may post; a timeout ends by itself', async ({
  page,
  browser,
}) => {
  const host = await signUp(page, newUsername('cr'));
  await visit(page, '/studio');
  const rules = page.getByTestId('chat-rules-panel');
  await rules.locator('summary').click();
  await rules.getByTestId('slow-mode').selectOption('10');
  await expect(rules.getByTestId('chat-rules-saved')).toBeVisible();

  const viewerContext = await browser.newContext();
  try {
    const viewerPage = await viewerContext.newPage();
    const viewerName = await signUp(viewerPage, newUsername('cv'));
    await visit(viewerPage, `/watch/${host}`);
    const chat = new ChatPanel(viewerPage);
    await expect(viewerPage.getByTestId('chat-rules')).toHaveText('Slow mode: one message every 10 s');
    await chat.say('first');
    await expect(chat.message('first')).toBeVisible();
    await chat.say('second');
    await expect(chat.error).toContainText(/Slow mode: one message every 10 s\. You may post again in \d+ s/);
    await expect(chat.message('second')).toHaveCount(0);

    // Followers only: the viewer follows, then may post. Each change is saved before the next
    // is made ("Saved" shows only once nothing is on its way; CI once saw the viewer's page
    // before the second change was saved).
    await rules.getByTestId('slow-mode').selectOption('0');
    await expect(rules.getByTestId('chat-rules-saved')).toBeVisible();
    await rules.getByTestId('followers-only').selectOption('0');
    await expect(rules.getByTestId('chat-rules-saved')).toBeVisible();
    await visit(viewerPage, `/watch/${host}`);
    await expect(viewerPage.getByTestId('chat-rules')).toHaveText('Followers only');
    await chat.say('not yet a follower');
    await expect(chat.error).toContainText('follow the channel to post');
    await viewerPage.getByTestId('follow').click();
    await expect(viewerPage.getByTestId('follow')).toHaveText('Following');
    await chat.say('a follower now');
    await expect(chat.message('a follower now')).toBeVisible();

    // The owner times the viewer out for 5 s from the chat ("Other…"), and it ends by itself.
    await visit(page, `/watch/${host}`);
    page.once('dialog', (dialog) => dialog.accept('5'));
    await new ChatPanel(page).message('a follower now').getByTestId('chat-timeout').selectOption('custom');
    await expect(async () => {
      await chat.say('timed out?');
      await expect(chat.error).toContainText(/timed out of this channel's chat: you may post again in \d+ s/, { timeout: 1_000 });
    }).toPass({ timeout: 10_000 });
    await expect(async () => {
      await chat.say('the timeout is over');
      await expect(chat.message('the timeout is over')).toBeVisible({ timeout: 1_000 });
    }).toPass({ timeout: 15_000 });

    // The owner's lines carry the owner's badge; a viewer's none. A mention is highlighted for
    // the one mentioned only.
    const hostChat = new ChatPanel(page);
    await hostChat.say(`@${viewerName.toUpperCase()} welcome back`);
    const line = chat.message('welcome back');
    await expect(line.getByTestId('chat-role')).toHaveText('owner');
    await expect(line).toHaveClass(/\bmentioned\b/);
    await expect(hostChat.message('welcome back')).not.toHaveClass(/\bmentioned\b/);
    await expect(chat.message('the timeout is over').getByTestId('chat-role')).toHaveCount(0);

    // The viewer replies: the reply quotes the line it answers, for everyone.
    await line.getByTestId('chat-reply').click();
    await expect(viewerPage.getByTestId('chat-replying')).toContainText(`@${host}: @${viewerName.toUpperCase()} welcome back`);
    await chat.say('thanks, glad to be here');
    await expect(viewerPage.getByTestId('chat-replying')).toHaveCount(0);
    const reply = hostChat.message('thanks, glad to be here');
    await expect(reply.getByTestId('chat-quote')).toHaveText(`↪ @${host}: @${viewerName.toUpperCase()} welcome back`);
  } finally {
    await viewerContext.close();
  }
});
