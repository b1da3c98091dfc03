import { expect, type Locator, type Page } from '@playwright/test';

/** The studio's webhooks: add an address, send it a test event, read its deliveries. */
export class WebhooksPanel {
  readonly section: Locator;
  readonly url: Locator;
  readonly add: Locator;
  readonly secret: Locator;
  readonly hooks: Locator;
  readonly deliveries: Locator;
  readonly error: Locator;

  constructor(private readonly page: Page) {
    this.section = page.getByTestId('webhooks');
    this.url = this.section.getByTestId('webhook-url');
    this.add = this.section.getByTestId('add-webhook');
    this.secret = this.section.getByTestId('webhook-secret');
    this.hooks = this.section.getByTestId('webhook');
    this.deliveries = this.section.getByTestId('webhook-delivery');
    this.error = this.section.getByTestId('webhook-error');
  }

  /** Adds a hook for `url`, told of the events ticked by default; returns its secret. */
  async addHook(url: string): Promise<string> {
    await this.section.locator('summary').click();
    await this.url.fill(url);
    await this.add.click();
    await expect(this.secret).toHaveValue(/^whsec_[0-9a-f]{48}$/);
    return this.secret.inputValue();
  }

  async sendTest() {
    await this.hooks.first().getByTestId('test-webhook').click();
  }
}
