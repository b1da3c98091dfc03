import { expect, type Page } from '@playwright/test';
import { newUsername, signUp } from '../support/accounts';
import { StudioPage } from '../pages/studio-page';
import { publishSoundAlone } from '../support/publisher';
import { SlowLink } from '../support/slow-link';
import { WebDriverSession, type Engine } from '../support/webdriver';

/** The video's state as a viewer would judge it, and (for a player that does not play) enough
 * to tell where it stopped: the element's states, what is buffered, the player's error, the rung. */
const PLAYBACK = `
  const v = document.querySelector('video');
  const text = (selector) => document.querySelector(selector)?.textContent ?? null;
  const ranges = [];
  for (let i = 0; v && i < v.buffered.length; i++) ranges.push([v.buffered.start(i), v.buffered.end(i)]);
  return v && {
    playing: !v.paused && v.readyState >= 2 && v.currentTime > 0,
    time: v.currentTime,
    error: v.error ? v.error.code : null,
    state: text('[data-testid=player-state]'),
    hydrated: document.documentElement.hasAttribute('data-hydrated'),
    paused: v.paused, readyState: v.readyState, networkState: v.networkState, buffered: ranges,
    playerError: text('.player-error'),
    rung: document.querySelector('.player')?.getAttribute('data-rung') ?? null,
  };`;

/** Waits (30 s at most) for the video to play; on timeout the error says what the page showed. */
const playing = (browser: WebDriverSession) =>
  browser.poll('the video plays', `const p = (() => {${PLAYBACK}})(); return p && p.playing && p;`, 30_000, PLAYBACK);

type Playback = { playing: boolean; time: number; error: number | null; state: string | null; hydrated: boolean };

/** Opens the demo's watch page in `engine` and checks that it plays live and keeps playing. */
export async function watchTheDemo(engine: Engine, baseURL: string) {
  const browser = await WebDriverSession.start(engine);
  try {
    const started = Date.now();
    await browser.goto(`${baseURL}/watch/demo`);
    await playing(browser);
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

    // The quality menu forces the 240p rung: a new init segment mid-stream, on the same
    // timeline (changeType where the engine has it), and playback goes on.
    await browser.run(`
      const menu = document.querySelector('[data-testid=quality]');
      menu.value = '240p';
      menu.dispatchEvent(new Event('change', { bubbles: true }));
      return true;`);
    const switched = Date.now();
    await browser.poll('the picture is 240 lines tall', `const v = document.querySelector('video'); return v.videoHeight === 240;`);
    console.log(`${engine}: on 240p ${Date.now() - switched} ms after picking it`);
    const on240 = await browser.run<Playback>(PLAYBACK);
    await browser.poll('it plays on', `const p = (() => {${PLAYBACK}})(); return p.time > ${on240.time + 2} && p;`);
    const last = await browser.run<Playback>(PLAYBACK);
    expect(last.error).toBeNull();
    // Back to Auto for the next visitor of this profile.
    await browser.run(`localStorage.removeItem('onair-quality'); return true;`);
  } finally {
    await browser.close();
  }
}

const HEIGHT = `const v = document.querySelector('video'); return v ? v.videoHeight : 0;`;

/** Watches the demo in `engine` over a real slow link: held to 600 kbit/s it is moved down to
 * the 240p rung and plays on there; the link fast again, it is moved back to the source. */
export async function followsASlowLink(engine: Engine, baseURL: string) {
  const link = SlowLink.up();
  const browser = await WebDriverSession.start(engine, link);
  try {
    await browser.goto(`${link.url(Number(new URL(baseURL).port))}/watch/demo`);
    await playing(browser);
    await browser.poll('the source plays, 540 lines', `return (() => {${HEIGHT}})() === 540;`);

    // The demo's source is about 1.35 Mbit/s on the wire, 240p about 0.45.
    link.limit(600);
    const slowed = Date.now();
    await browser.poll('the picture is 240 lines tall', `return (() => {${HEIGHT}})() === 240;`);
    console.log(`${engine}: on 240p ${Date.now() - slowed} ms after the link slowed to 600 kbit/s`);
    const on240 = await browser.run<Playback>(PLAYBACK);
    await browser.poll('it plays on at 240p', `const p = (() => {${PLAYBACK}})(); return p.time > ${on240.time + 3} && p;`, 10_000);
    expect((await browser.run<Playback>(PLAYBACK)).error).toBeNull();

    link.limit(null);
    const fast = Date.now();
    await browser.poll('back on the source', `return (() => {${HEIGHT}})() === 540;`);
    console.log(`${engine}: back on the source ${Date.now() - fast} ms after the link got fast`);
    expect((await browser.run<Playback>(PLAYBACK)).error).toBeNull();
  } finally {
    await browser.close();
    link.down();
  }
}

/** A broadcaster (signed up in `page`) streams sound alone over RTMP; a viewer in `engine` hears
 * it, under the poster that says the broadcast has no picture. */
export async function hearsSoundAlone(engine: Engine, baseURL: string, page: Page) {
  const channel = await signUp(page, newUsername('r'));
  const { server, key } = await new StudioPage(page).streamingSoftware();
  const radio = publishSoundAlone(`${server}/${key}`);
  const browser = await WebDriverSession.start(engine);
  try {
    await browser.goto(`${baseURL}/watch/${channel}`);
    await playing(browser);
    const poster = await browser.poll<string>(
      'the poster shows',
      `return document.querySelector('[data-testid=audio-only]')?.textContent || false;`,
    );
    expect(poster).toBe('Audio only: this broadcast has no picture.');
    const at = await browser.run<Playback>(PLAYBACK);
    await browser.poll('it plays on', `const p = (() => {${PLAYBACK}})(); return p.time > ${at.time + 2} && p;`);
    const last = await browser.run<Playback>(PLAYBACK);
    expect(last.error).toBeNull();
    console.log(`${engine}: sound alone played ${(last.time - at.time).toFixed(2)} s`);
  } finally {
    await browser.close();
    radio.kill('SIGKILL');
  }
}
