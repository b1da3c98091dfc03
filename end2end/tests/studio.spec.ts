import { expect, type Page, test } from '@playwright/test';
import { AccountForms } from '../pages/account-forms';
import { newUsername, PASSWORD } from '../support/accounts';
import { StudioPage } from '../pages/studio-page';
import { WatchPage } from '../pages/watch-page';
import { hydrated, visit } from '../support/visit';


/** A fresh account, created and then signed out of: the sign-in form's starting point. */
async function signedUpThenOut(page: Page): Promise<{ forms: AccountForms; username: string }> {
  const username = newUsername();
  const forms = new AccountForms(page);
  await forms.signUp(username, PASSWORD);
  await expect(page).toHaveURL(/\/studio$/);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();
  return { forms, username };
}

test.describe('going live from the studio', () => {
  test('sign up, go live, a viewer watches, stop, the viewer sees it offline', async ({ page, browser }) => {
    const username = newUsername();
    const channel = username.toLowerCase();
    const forms = new AccountForms(page);
    await forms.signUp(username, PASSWORD);
    await expect(page).toHaveURL(/\/studio$/);
    await expect(page.getByTestId('signed-in-as')).toHaveText(username);

    const studio = new StudioPage(page);
    await expect(studio.state).toHaveText('Offline');
    // Offline: there is nothing to stop.
    await expect(studio.stop).toBeDisabled();
    await expect(studio.goLive).toBeEnabled();
    await studio.title.fill('My first broadcast');

    // The viewer is already waiting on the channel page when the broadcaster goes live.
    const viewerContext = await browser.newContext();
    const viewerPage = await viewerContext.newPage();
    const watch = new WatchPage(viewerPage);
    await watch.open(channel);
    await expect(watch.state).toHaveText('Offline');

    // While the request is on its way (held back a second here), the button says so and
    // neither can be pressed again.
    await page.route('**/api/start_broadcast', async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await route.continue();
    });
    const wentLive = Date.now();
    await studio.goLive.click();
    await expect(studio.goLive).toHaveText('Going live…');
    await expect(studio.goLive).toBeDisabled();
    await expect(studio.stop).toBeDisabled();
    await watch.waitForPlayback(30_000);
    console.log(`go live to first frame in a viewer: ${Date.now() - wentLive} ms`);
    const before = await watch.currentTime();
    await expect.poll(() => watch.currentTime(), { timeout: 15_000 }).toBeGreaterThan(before + 2);

    // The studio shows the encoder's own figures, updating live; live, Go live waits and Stop
    // is the one to press.
    await expect(studio.state).toHaveAttribute('data-state', 'Live');
    await expect(studio.goLive).toHaveText('Go live');
    await expect(studio.goLive).toBeDisabled();
    await expect(studio.stop).toBeEnabled();
    await expect(studio.fps).toHaveText(/^\d+\.\d$/, { timeout: 10_000 });
    await expect(studio.bitrate).toHaveText(/^\d+ kbit\/s$/);

    // A studio opened while live offers Stop, here a reload whose code is held back a second,
    // so the page's status has arrived before it hydrates.
    await page.route('**/*.wasm', async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await route.continue();
    });
    await page.reload();
    await hydrated(page);
    await page.unroute('**/*.wasm');
    await expect(studio.state).toHaveAttribute('data-state', 'Live');
    await expect(studio.stop).toBeEnabled();
    await expect(studio.goLive).toBeDisabled();

    // The title reached the directory.
    await viewerPage.goto('/');
    await expect(viewerPage.locator(`[data-channel="${channel}"] .channel-title`)).toHaveText('My first broadcast');
    await watch.open(channel);
    await watch.waitForPlayback(30_000);

    await page.route('**/api/stop_broadcast', async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await route.continue();
    });
    const stoppedAt = Date.now();
    await studio.stop.click();
    await expect(studio.stop).toHaveText('Stopping…');
    await expect(studio.stop).toBeDisabled();
    await expect(watch.state).toHaveText('Offline', { timeout: 10_000 });
    console.log(`stop to the viewer seeing offline: ${Date.now() - stoppedAt} ms`);
    await expect(studio.state).toHaveText('Offline');
    await expect(studio.stop).toBeDisabled();
    await expect(studio.goLive).toBeEnabled();
    await expect(page.getByTestId('last-broadcast')).toContainText('stopped');
    await viewerContext.close();
  });

  test('a wrong password shows an error and keeps the username', async ({ page }) => {
    const { forms, username } = await signedUpThenOut(page);

    await forms.signIn(username, 'not my password');
    await expect(forms.error).toHaveText('Wrong username or password.');
    await expect(forms.username).toHaveValue(username);
    await expect(forms.password).toHaveValue('');

    await forms.password.fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect(page).toHaveURL(/\/studio$/);
  });

  test('the studio sends signed-out visitors to sign in, and back', async ({ page }) => {
    await page.goto('/studio');
    await expect(page).toHaveURL(/\/signin\?next=\/studio$/);
    await hydrated(page);
    await page.getByRole('link', { name: 'Create an account' }).click();
    await expect(page).toHaveURL(/\/signup\?next=\/studio$/);
    await new AccountForms(page).submit(newUsername(), PASSWORD, 'Create account');
    await expect(page).toHaveURL(/\/studio$/);
  });

  test('a sign-in page opened from a channel returns to that channel', async ({ page }) => {
    const { forms, username } = await signedUpThenOut(page);

    await visit(page, '/signin?next=/watch/demo');
    await forms.submit(username, PASSWORD, 'Sign in');
    await expect(page).toHaveURL(/\/watch\/demo$/);
    await expect(page.getByTestId('signed-in-as')).toHaveText(username);
  });

  test('without JavaScript the forms still sign up, show errors and return to the page asked for', async ({ browser }) => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const forms = new AccountForms(page);
    const username = newUsername();

    await page.goto('/signup');
    await forms.submit(username, 'short', 'Create account');
    await expect(forms.error).toHaveText('A password has at least 8 characters.');
    // A second, different mistake shows its own message, not the first one again.
    await forms.submit('demo', PASSWORD, 'Create account');
    await expect(forms.error).toContainText('reserved');
    await forms.submit(username, PASSWORD, 'Create account');
    await expect(page).toHaveURL(/\/studio$/);
    await expect(page.getByTestId('signed-in-as')).toHaveText(username);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();
    await page.goto('/signin?next=/watch/demo');
    await forms.submit(username, 'not my password', 'Sign in');
    await expect(forms.error).toHaveText('Wrong username or password.');
    await forms.submit(username, PASSWORD, 'Sign in');
    await expect(page).toHaveURL(/\/watch\/demo$/);
    await context.close();
  });

  test('taken names and weak passwords are refused with a clear message', async ({ page }) => {
    const forms = new AccountForms(page);
    await forms.signUp('demo', PASSWORD);
    await expect(forms.error).toContainText('reserved');
    await forms.signUp(newUsername(), 'short');
    await expect(forms.error).toHaveText('A password has at least 8 characters.');
  });
});
