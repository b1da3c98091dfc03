import { type Page } from '@playwright/test';

/** What the emulated ManagedMediaSource saw, read from the page. */
export interface ManagedLog {
  created: number;
  appends: number;
  appendsWhilePaused: number;
}

/**
 * Makes Chromium look like Safari on iPhone or iPad (17.1+) to the page: no `MediaSource`, and
 * a `ManagedMediaSource` that behaves as the specification says — `streaming` false until the
 * browser fires `startstreaming` (shortly after `sourceopen`), `endstreaming` when it wants no
 * more media, buffered media evicted when it chooses — built on Chromium's real MediaSource.
 * It counts appends made while the page was told not to stream. The test drives it through
 * `setStreaming` and `evict`.
 */
export async function emulateManagedMediaSource(page: Page) {
  await page.addInitScript(() => {
    const Real = window.MediaSource;
    const log = { created: 0, appends: 0, appendsWhilePaused: 0 };
    let newest: Managed | null = null;

    class Managed extends Real {
      #streaming = false;
      buffer: SourceBuffer | null = null;

      constructor() {
        super();
        log.created += 1;
        newest = this;
        this.addEventListener('sourceopen', () => setTimeout(() => this.setStreaming(true), 30));
      }

      get streaming() {
        return this.#streaming;
      }

      setStreaming(on: boolean) {
        if (this.#streaming === on) return;
        this.#streaming = on;
        this.dispatchEvent(new Event(on ? 'startstreaming' : 'endstreaming'));
      }

      addSourceBuffer(type: string): SourceBuffer {
        const buffer = super.addSourceBuffer(type);
        const append = buffer.appendBuffer;
        buffer.appendBuffer = (data: BufferSource) => {
          log.appends += 1;
          if (!this.#streaming) log.appendsWhilePaused += 1;
          return append.call(buffer, data);
        };
        this.buffer = buffer;
        return buffer;
      }
    }

    const control = {
      log,
      setStreaming: (on: boolean) => newest?.setStreaming(on),
      /** Evicts everything buffered, as the browser may under memory pressure. */
      evict: () =>
        new Promise<void>((resolve) => {
          const attempt = () => {
            const buffer = newest?.buffer;
            if (!buffer || buffer.updating) return setTimeout(attempt, 5);
            buffer.remove(0, Number.POSITIVE_INFINITY);
            resolve();
          };
          attempt();
        }),
    };
    Object.assign(window, { ManagedMediaSource: Managed, managedControl: control });
    Object.defineProperty(window, 'MediaSource', { value: undefined, configurable: true, writable: true });
  });
}

/** A browser with neither Media Source: an old or unusual one. */
export async function hideMediaSource(page: Page) {
  await page.addInitScript(() => {
    Object.defineProperty(window, 'MediaSource', { value: undefined, configurable: true, writable: true });
  });
}

export function managedLog(page: Page): Promise<ManagedLog> {
  return page.evaluate(() => (window as unknown as { managedControl: { log: ManagedLog } }).managedControl.log);
}

export function setStreaming(page: Page, on: boolean): Promise<void> {
  return page.evaluate((on) => {
    (window as unknown as { managedControl: { setStreaming(on: boolean): void } }).managedControl.setStreaming(on);
  }, on);
}

export function evict(page: Page): Promise<void> {
  return page.evaluate(() => (window as unknown as { managedControl: { evict(): Promise<void> } }).managedControl.evict());
}
