import { expect, type Locator, type Page } from '@playwright/test';

/** The studio's API tokens: make one for a bot, see the list, revoke. */
export class ApiTokens {
  readonly section: Locator;
  readonly name: Locator;
  readonly make: Locator;
  readonly made: Locator;
  readonly tokens: Locator;

  constructor(private readonly page: Page) {
    this.section = page.getByTestId('api-tokens');
    this.name = page.getByTestId('token-name');
    this.make = page.getByTestId('make-token');
    this.made = page.getByTestId('new-token');
    this.tokens = page.getByTestId('token');
  }

  /** Makes a token named `name` with exactly `scopes`; returns the token, shown this once. */
  async makeToken(name: string, scopes: string[]): Promise<string> {
    await this.section.locator('summary').click();
    await this.name.fill(name);
    for (const scope of ['read', 'chat', 'moderate', 'broadcast']) {
      await this.page.getByTestId(`scope-${scope}`).setChecked(scopes.includes(scope));
    }
    await this.make.click();
    await expect(this.made).toHaveValue(/^onair_[0-9a-f]{48}$/);
    return this.made.inputValue();
  }

  async revoke(name: string) {
    await this.tokens.filter({ hasText: name }).getByTestId('revoke-token').click();
    await expect(this.tokens.filter({ hasText: name })).toHaveCount(0);
  }
}
