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
  readonly rtmpServer: Locator;
  readonly streamKey: Locator;
  readonly revealKey: Locator;
  readonly resetKey: Locator;
  readonly saveTitle: Locator;
  readonly incomingCodecs: Locator;
  readonly incomingSize: Locator;
  /** "Lower qualities for viewers on slow links": the channel's quality ladder. */
  readonly ladder: Locator;

  constructor(private readonly page: Page) {
    this.title = page.locator('.studio-controls input[name=title]');
    this.source = page.getByTestId('source');
    this.goLive = page.getByTestId('go-live');
    this.stop = page.getByTestId('stop');
    this.state = page.getByTestId('studio-state');
    this.fps = page.getByTestId('fps');
    this.bitrate = page.getByTestId('bitrate');
    this.error = page.getByTestId('studio-error');
    this.rtmpServer = page.getByTestId('rtmp-server');
    this.streamKey = page.getByTestId('stream-key');
    this.revealKey = page.getByTestId('reveal-key');
    this.resetKey = page.getByTestId('reset-key');
    this.saveTitle = page.getByTestId('save-title');
    this.incomingCodecs = page.getByTestId('incoming-codecs');
    this.incomingSize = page.getByTestId('incoming-size');
    this.ladder = page.getByTestId('ladder');
  }

  /** Picks "OBS / streaming software"; returns the server address and the revealed key. */
  async streamingSoftware(): Promise<{ server: string; key: string }> {
    await this.source.selectOption('streaming-software');
    await this.revealKey.click();
    await this.page.waitForFunction(
      () => /_[0-9a-f]{40}$/.test((document.querySelector('[data-testid=stream-key]') as HTMLInputElement)?.value ?? ''),
    );
    return { server: await this.rtmpServer.inputValue(), key: await this.streamKey.inputValue() };
  }

  async open() {
    await visit(this.page, '/studio');
  }
}
