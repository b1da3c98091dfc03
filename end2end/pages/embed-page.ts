import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { expect, type FrameLocator, type Locator, type Page } from '@playwright/test';

/** A page of another site that frames `src`: a small HTTP server of its own on loopback (another
 * origin; Chromium lets only local pages frame a local server), closed when the test ends. */
export async function anotherSiteFraming(page: Page, src: string): Promise<FrameLocator> {
  const body = `<!doctype html><title>A blog</title><h1>My blog</h1>
    <iframe src="${src}" width="640" height="360" allow="autoplay; fullscreen"></iframe>`;
  const site = createServer((_, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(body);
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  page.once('close', () => site.close());
  const { port } = site.address() as AddressInfo;
  await page.goto(`http://127.0.0.1:${port}/post`);
  return page.frameLocator('iframe');
}

/** The player another site frames (`/embed/{channel}`), as its visitor sees it. */
export class EmbeddedPlayer {
  readonly video: Locator;
  readonly unmute: Locator;
  readonly siteBar: Locator;
  readonly hydrated: Locator;

  constructor(frame: FrameLocator) {
    this.video = frame.locator('video');
    this.unmute = frame.getByRole('button', { name: 'Unmute' });
    this.siteBar = frame.locator('.topbar');
    this.hydrated = frame.locator('html[data-hydrated]');
  }

  /** Waits until a frame has been shown and playback is moving. */
  async waitForVideo(timeout = 20_000) {
    await expect
      .poll(() => this.video.evaluate((v: HTMLVideoElement) => !v.paused && v.readyState >= 2 && v.currentTime > 0), {
        timeout,
      })
      .toBe(true);
  }

  muted(): Promise<boolean> {
    return this.video.evaluate((v: HTMLVideoElement) => v.muted);
  }
}

/** The chat overlay (`/embed/{channel}/chat`), as a broadcaster's scene shows it. */
export class ChatOverlay {
  readonly lines: Locator;

  constructor(private readonly page: Page) {
    this.lines = page.getByTestId('overlay-lines').locator('.overlay-line');
  }

  /** The page's own background colour (transparent lets the scene show through). */
  background(): Promise<string> {
    return this.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  }
}
