import { type Locator, type Page } from '@playwright/test';
import { visit } from '../support/visit';

/** The sign-up and sign-in forms. */
export class AccountForms {
  readonly username: Locator;
  readonly password: Locator;
  readonly error: Locator;

  constructor(private readonly page: Page) {
    this.username = page.locator('input[name=username]');
    this.password = page.locator('input[name=password]');
    this.error = page.getByTestId('form-error');
  }

  /** Opens the sign-up form (on the server at `base`, the test server's when empty) and sends it. */
  async signUp(username: string, password: string, base = '') {
    await visit(this.page, `${base}/signup`);
    await this.submit(username, password, 'Create account');
  }

  async signIn(username: string, password: string) {
    await visit(this.page, '/signin');
    await this.submit(username, password, 'Sign in');
  }

  /** Fills in and submits the form already on the page. */
  async submit(username: string, password: string, button: 'Create account' | 'Sign in') {
    await this.username.fill(username);
    await this.password.fill(password);
    await this.page.getByRole('button', { name: button, exact: true }).click();
  }
}
