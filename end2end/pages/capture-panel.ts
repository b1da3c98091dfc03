import { type Locator, type Page } from '@playwright/test';

/** The studio's panel for going live from the page itself: its camera or a screen. */
export class CapturePanel {
  readonly root: Locator;
  readonly camera: Locator;
  readonly goLive: Locator;
  readonly stop: Locator;
  readonly mute: Locator;
  readonly preview: Locator;
  /** What the recording is doing ("Live", …); absent when it is not recording. */
  readonly state: Locator;
  readonly problem: Locator;
  /** What the recording does about an uplink that cannot keep up, while it lasts. */
  readonly uplink: Locator;

  constructor(page: Page) {
    this.root = page.getByTestId('browser-capture');
    this.camera = this.root.getByTestId('camera');
    this.goLive = this.root.getByTestId('capture-go-live');
    this.stop = this.root.getByTestId('capture-stop');
    this.mute = this.root.getByTestId('mute');
    this.preview = this.root.getByTestId('capture-preview');
    this.state = page.getByTestId('capture-state');
    this.problem = page.getByTestId('capture-problem');
    this.uplink = page.getByTestId('capture-uplink');
  }

  /** Whether the preview's microphone tracks are on. */
  async microphoneOn(): Promise<boolean[]> {
    return this.preview.evaluate((v: HTMLVideoElement) =>
      (v.srcObject as MediaStream).getAudioTracks().map((t) => t.enabled),
    );
  }
}
