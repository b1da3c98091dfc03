import { expect, type Page } from '@playwright/test';
import { AccountForms } from '../pages/account-forms';

/** The password every test account uses (strong enough for the sign-up's checks). */
export const PASSWORD = 'correct horse 42';

/** A username no earlier run of the database has taken, starting with `prefix`. */
export function newUsername(prefix = 'u'): string {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`;
}

/**
 * Signs up `username` on `page` (on the server at `base`, the test server's when empty) and
 * waits for the studio the sign-up leads to. Returns the account's channel name.
 */
export async function signUp(page: Page, username: string, base = ''): Promise<string> {
  await new AccountForms(page).signUp(username, PASSWORD, base);
  await expect(page).toHaveURL(/\/studio$/);
  return username.toLowerCase();
}
