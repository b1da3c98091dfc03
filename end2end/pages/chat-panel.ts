import { type Locator, type Page } from '@playwright/test';

/** The chat beside the player on a watch page. */
export class ChatPanel {
  readonly messages: Locator;
  readonly input: Locator;
  readonly send: Locator;
  readonly error: Locator;
  readonly signInToChat: Locator;

  constructor(private readonly page: Page) {
    this.messages = page.getByTestId('chat-messages').locator('.chat-message');
    this.input = page.getByLabel('Chat message');
    this.send = page.getByRole('button', { name: 'Send' });
    this.error = page.getByTestId('chat-error');
    this.signInToChat = page.locator('.chat-signed-out');
  }

  /** The message whose text is exactly `text`. */
  message(text: string): Locator {
    return this.messages.filter({ has: this.page.locator('.chat-text', { hasText: text }) });
  }

  async say(text: string) {
    await this.input.fill(text);
    await this.send.click();
  }
}
