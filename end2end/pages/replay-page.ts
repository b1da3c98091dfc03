import { type Locator, type Page } from '@playwright/test';

/** A recording's replay page: its player, seek bar and chat as it was. */
export class ReplayPage {
  readonly player: Locator;
  readonly video: Locator;
  readonly seek: Locator;
  readonly preview: Locator;
  readonly time: Locator;
  readonly playPause: Locator;
  readonly chatLines: Locator;
  readonly visibility: Locator;
  readonly error: Locator;

  constructor(private readonly page: Page) {
    this.player = page.getByTestId('replay');
    this.video = this.player.locator('video');
    this.seek = page.getByTestId('seek');
    this.preview = page.getByTestId('seek-preview');
    this.time = page.getByTestId('replay-time');
    this.playPause = page.getByTestId('play-pause');
    this.chatLines = page.getByTestId('chat-messages').locator('.chat-message');
    this.visibility = page.getByTestId('visibility');
    this.error = this.player.locator('.player-error');
  }

  /** The chat line whose text is exactly `text`. */
  line(text: string): Locator {
    return this.chatLines.filter({ has: this.page.locator('.chat-text', { hasText: text }) });
  }

  /** The video's playhead, seconds. */
  currentTime(): Promise<number> {
    return this.video.evaluate((v: HTMLVideoElement) => v.currentTime);
  }

  /** Whether the video is playing and showing pictures. */
  playing(): Promise<boolean> {
    return this.video.evaluate((v: HTMLVideoElement) => !v.paused && v.readyState >= 3 && v.videoWidth > 0);
  }

  /** Drags the seek bar to `secs` (the preview shows while it is held), then lets go. */
  async dragTo(secs: number, release = true) {
    await this.seek.evaluate((input: HTMLInputElement, value) => {
      input.value = String(value);
      input.dispatchEvent(new Event('input', { bubbles: true }));
    }, secs);
    if (release) {
      await this.seek.evaluate((input: HTMLInputElement) => input.dispatchEvent(new Event('change', { bubbles: true })));
    }
  }
}

/** The replay's clip editor: a range of the recording, its ends set where the replay is. */
export class ReplayClip {
  readonly open: Locator;
  readonly range: Locator;
  readonly start: Locator;
  readonly end: Locator;
  readonly make: Locator;
  readonly problem: Locator;

  constructor(page: Page) {
    this.open = page.getByTestId('clip-open');
    this.range = page.getByTestId('clip-range');
    this.start = page.getByTestId('clip-start');
    this.end = page.getByTestId('clip-end');
    this.make = page.getByTestId('make-clip');
    this.problem = page.getByTestId('clip-problem');
  }
}
