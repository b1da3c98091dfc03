import { type Locator, type Page } from '@playwright/test';
import { visit } from '../support/visit';

/** The broadcaster's studio. */
export class StudioPage {
  readonly title: Locator;
  readonly source: Locator;
  readonly goLive: Locator;
  readonly stop: Locator;
  readonly state: Locator;
  readonly fps: Locator;
  readonly bitrate: Locator;
  readonly error: Locator;

  constructor(private readonly page: Page) {
    this.title = page.locator('.studio-controls input[name=title]');
    this.source = page.getByTestId('source');
    this.goLive = page.getByRole('button', { name: 'Go live' });
    this.stop = page.getByRole('button', { name: 'Stop' });
    this.state = page.getByTestId('studio-state');
    this.fps = page.getByTestId('fps');
    this.bitrate = page.getByTestId('bitrate');
    this.error = page.getByTestId('studio-error');
  }

  async open() {
    await visit(this.page, '/studio');
  }
}
