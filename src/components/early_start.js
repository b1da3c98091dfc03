// The watch page's head start (components/early_events.rs), run from the page's <head> before
// the stylesheet, so nothing delays it. It opens the channel's event stream and holds what
// arrives for the player. Where the browser has a plain MediaSource, it also attaches one to the
// player's video as soon as the parser has made it (the source opens while the stream
// connects), then appends the init segment and the media as they arrive, so the first frame
// shows while the WebAssembly is still loading. The player adopts the stream, the held events
// and this MediaSource (client::live_events): events marked `onairAppended` are already in the
// SourceBuffer, and they are always the first ones after the first init. Where
// `ManagedMediaSource` exists (iPhone, iPad) the player starts the media itself, as it must
// follow the browser's `startstreaming` and `endstreaming`.
// `ready` settles once the first frame is shown, or once this script can do no more (no media,
// channel not live, stream failed), or after a cap (SHOWN_WITHIN_MS, early_events.rs): the page
// hydrates then (lib.rs), so that running the WebAssembly does not hold up the first frame.
(() => {
  try {
    const names = __NAMES__;
    const store = sessionStorage;
    let key = store.getItem(__KEY__);
    if (!key) {
      key = Array.from(crypto.getRandomValues(new Uint32Array(4)), (n) => n.toString(16).padStart(8, "0")).join("");
      store.setItem(__KEY__, key);
    }
    // The player's ask of the rungs, as client::live_player asks it: no taller picture than
    // the page can show, the rung picked in this browser, a low start where data is saved.
    let ask = "";
    const tall = Math.ceil(window.innerWidth * (window.devicePixelRatio || 1) * 9 / 16);
    if (tall >= 1) ask += "&max_height=" + tall;
    const picked = localStorage.getItem(__PICKED__);
    if (picked && /^[A-Za-z0-9]{1,16}$/.test(picked)) ask += "&rung=" + picked;
    const link = navigator.connection;
    if (link && (link.saveData || /2g$/.test(link.effectiveType || ""))) ask += "&start=low";
    const url = __BASE__ + "?viewer=" + key + ask;
    const source = new EventSource(url);
    const held = [];
    let settle;
    const ready = new Promise((resolve) => (settle = resolve));
    const cap = setTimeout(() => settle(), __SHOWN_WITHIN_MS__);
    ready.then(() => clearTimeout(cap));
    let video = null;
    let parsing = null;
    const media = {
      source: null,
      buffer: null,
      url: null,
      mime: null,
      waiting: [],
      done: typeof MediaSource !== "function" || "ManagedMediaSource" in window,
    };
    const stop = () => {
      media.done = true;
      if (parsing) parsing.disconnect();
      settle();
    };
    const bytes = (text) => {
      const raw = atob(text.trim());
      const out = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
      return out;
    };
    // One append at a time, in arrival order; the first media buffered starts playback at its
    // keyframe (the player steers towards the live edge once it has taken over).
    const pump = () => {
      const buffer = media.buffer;
      if (media.done || !buffer || buffer.updating) return;
      const ranges = buffer.buffered;
      if (ranges.length && video.played.length === 0 && video.currentTime < ranges.start(ranges.length - 1)) {
        video.currentTime = ranges.start(ranges.length - 1);
        video.play().catch(stop);
      }
      const next = media.waiting.shift();
      if (!next) return;
      try {
        buffer.appendBuffer(next.data);
        next.event.onairAppended = true;
      } catch (_) {
        stop();
      }
    };
    // The SourceBuffer, once the source is open and the first init has said what it holds.
    const addBuffer = () => {
      if (media.done || !media.mime || media.buffer || !media.source || media.source.readyState !== "open") return;
      try {
        media.buffer = media.source.addSourceBuffer(media.mime);
        media.buffer.mode = "segments";
        media.buffer.addEventListener("updateend", pump);
        pump();
      } catch (_) {
        stop();
      }
    };
    const attach = (element) => {
      video = element;
      if (parsing) parsing.disconnect();
      try {
        media.source = new MediaSource();
        media.url = URL.createObjectURL(media.source);
        media.source.addEventListener("sourceopen", addBuffer);
        video.src = media.url;
        if (typeof video.requestVideoFrameCallback === "function") video.requestVideoFrameCallback(() => settle());
        else video.addEventListener("playing", () => settle(), { once: true });
      } catch (_) {
        stop();
      }
    };
    // The player's video comes later in the page: watch the parser for it.
    const find = () => {
      const element = !video && !media.done && document.querySelector(__VIDEO__);
      if (element) attach(element);
    };
    find();
    if (!video && !media.done) {
      parsing = new MutationObserver(find);
      parsing.observe(document, { childList: true, subtree: true });
      document.addEventListener("DOMContentLoaded", () => video || stop(), { once: true });
    }
    if (media.done) settle();
    const hold = (event) => {
      held.push(event);
      if (media.done) return;
      try {
        if (event.type === "status") {
          if (JSON.parse(event.data).state !== "live") stop();
        } else if (event.type === "init") {
          // A second init is a new encoder run: the player starts that one.
          const init = JSON.parse(event.data);
          if (media.mime || !MediaSource.isTypeSupported(init.mime)) {
            stop();
            return;
          }
          media.mime = init.mime;
          media.waiting.push({ event, data: bytes(init.data) });
          addBuffer();
        } else if (event.type === "media" && media.mime) {
          media.waiting.push({ event, data: bytes(event.data) });
          pump();
        }
      } catch (_) {
        stop();
      }
    };
    for (const name of names) source.addEventListener(name, hold);
    source.addEventListener("error", stop);
    const early = {
      url,
      source,
      held,
      media,
      ready,
      release() {
        for (const name of names) source.removeEventListener(name, hold);
        source.removeEventListener("error", stop);
        clearTimeout(early.timer);
        stop();
        if (media.source) media.source.removeEventListener("sourceopen", addBuffer);
        if (media.buffer) media.buffer.removeEventListener("updateend", pump);
      },
    };
    early.timer = setTimeout(() => {
      if (window[__GLOBAL__] === early) {
        delete window[__GLOBAL__];
        early.release();
        source.close();
      }
    }, __GIVE_UP_MS__);
    window[__GLOBAL__] = early;
  } catch (_) {}
})();
