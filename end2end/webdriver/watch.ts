import { expect } from '@playwright/test';
import { WebDriverSession, type Engine } from '../support/webdriver';

/** The video's state as a viewer would judge it. */
const PLAYBACK = `
  const v = document.querySelector('video');
  const state = document.querySelector('[data-testid=player-state]');
  return v && {
    playing: !v.paused && v.readyState >= 2 && v.currentTime > 0,
    time: v.currentTime,
    error: v.error ? v.error.code : null,
    state: state ? state.textContent : null,
    hydrated: document.documentElement.hasAttribute('data-hydrated'),
  };`;

type Playback = { playing: boolean; time: number; error: number | null; state: string | null; hydrated: boolean };

/** Opens the demo's watch page in `engine` and checks that it plays live and keeps playing. */
export async function watchTheDemo(engine: Engine, baseURL: string) {
  const browser = await WebDriverSession.start(engine);
  try {
    const started = Date.now();
    await browser.goto(`${baseURL}/watch/demo`);
    await browser.poll('the video plays', `const p = (() => {${PLAYBACK}})(); return p && p.playing && p;`);
    console.log(`${engine}: playing ${Date.now() - started} ms after navigation`);
    await browser.poll('the page hydrates', `return document.documentElement.hasAttribute('data-hydrated');`);
    const before = await browser.run<Playback>(PLAYBACK);
    const windowStart = Date.now();
    while (Date.now() - windowStart < 5_000) await new Promise((r) => setTimeout(r, 250));
    const after = await browser.run<Playback>(PLAYBACK);
    console.log(`${engine}: played ${(after.time - before.time).toFixed(2)} s in 5 s`);
    expect(after.time - before.time, 'at least 3 s of video in 5 s').toBeGreaterThanOrEqual(3);
    expect(after.error).toBeNull();
    expect(after.state).toBe('Live');
  } finally {
    await browser.close();
  }
}
