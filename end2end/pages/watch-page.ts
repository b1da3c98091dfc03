import { expect, type Locator, type Page } from '@playwright/test';
import { hydrated } from '../support/visit';

/** The watch page of one channel, as a viewer sees it. */
export class WatchPage {
  readonly video: Locator;
  readonly state: Locator;
  readonly latency: Locator;
  readonly title: Locator;
  readonly viewers: Locator;
  /** The quality menu (Auto, then each rung of the broadcast's ladder). */
  readonly quality: Locator;
  /** The poster shown while only sound plays. */
  readonly audioOnly: Locator;

  constructor(private readonly page: Page) {
    this.video = page.locator('video');
    this.state = page.getByTestId('player-state');
    this.latency = page.getByTestId('latency');
    this.title = page.locator('.watch-meta .channel-title');
    this.viewers = page.getByTestId('viewers');
    this.quality = page.getByTestId('quality');
    this.audioOnly = page.getByTestId('audio-only');
  }

  /** The rung of the quality ladder the player says it plays. */
  rung(): Promise<string | null> {
    return this.page.locator('.player').getAttribute('data-rung');
  }

  /** The height of the picture being decoded now. */
  videoHeight(): Promise<number> {
    return this.video.evaluate((v: HTMLVideoElement) => v.videoHeight);
  }

  async open(channel: string) {
    await this.page.goto(`/watch/${channel}`);
  }

  /** The video's playback position, in seconds. */
  currentTime(): Promise<number> {
    return this.video.evaluate((v: HTMLVideoElement) => v.currentTime);
  }

  /** The video element's error code, or null when it has none. */
  errorCode(): Promise<number | null> {
    return this.video.evaluate((v: HTMLVideoElement) => v.error?.code ?? null);
  }

  /** Waits until a frame has been shown and playback is moving, and the page has hydrated (the
   * page's own script may start the video before the player's code has loaded). */
  async waitForPlayback(timeout = 20_000) {
    await this.waitForVideo(timeout);
    await hydrated(this.page);
  }

  /** Waits until a frame has been shown and playback is moving, hydrated or not. */
  async waitForVideo(timeout = 20_000) {
    await expect
      .poll(() => this.video.evaluate((v: HTMLVideoElement) => !v.paused && v.readyState >= 2 && v.currentTime > 0), {
        timeout,
      })
      .toBe(true);
  }

  /** Latency shown by the player, in seconds. */
  async latencySeconds(): Promise<number> {
    const text = (await this.latency.textContent()) ?? '';
    return Number.parseFloat(text);
  }
}
