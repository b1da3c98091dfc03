// The watch page's head start (components/early_events.rs), run while the HTML is parsed. It
// opens the channel's event stream and holds what arrives for the player. Where the browser has
// a plain MediaSource, it also attaches one to the video and appends the init segment and the
// media as they arrive, so the first frame shows while the WebAssembly is still loading. The
// player adopts the stream, the held events and this MediaSource (client::live_events): events
// marked `onairAppended` are already in the SourceBuffer, and they are always the first ones
// after the first init. Where `ManagedMediaSource` exists (iPhone, iPad) the player starts the
// media itself, as it must follow the browser's `startstreaming` and `endstreaming`.
(() => {
  try {
    const names = __NAMES__;
    const store = sessionStorage;
    let key = store.getItem(__KEY__);
    if (!key) {
      key = Array.from(crypto.getRandomValues(new Uint32Array(4)), (n) => n.toString(16).padStart(8, "0")).join("");
      store.setItem(__KEY__, key);
    }
    const url = __BASE__ + "?viewer=" + key;
    const source = new EventSource(url);
    const held = [];
    const script = document.currentScript;
    const video = script && script.parentElement && script.parentElement.querySelector("video");
    const media = {
      source: null,
      buffer: null,
      url: null,
      mime: null,
      waiting: [],
      done: !video || typeof MediaSource !== "function" || "ManagedMediaSource" in window,
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
        video.play().catch(() => {});
      }
      const next = media.waiting.shift();
      if (!next) return;
      try {
        buffer.appendBuffer(next.data);
        next.event.onairAppended = true;
      } catch (_) {
        media.done = true;
      }
    };
    const open = () => {
      if (media.done) return;
      try {
        media.buffer = media.source.addSourceBuffer(media.mime);
        media.buffer.mode = "segments";
        media.buffer.addEventListener("updateend", pump);
        pump();
      } catch (_) {
        media.done = true;
      }
    };
    const start = (event) => {
      const init = JSON.parse(event.data);
      if (!MediaSource.isTypeSupported(init.mime)) {
        media.done = true;
        return;
      }
      media.mime = init.mime;
      media.waiting.push({ event, data: bytes(init.data) });
      media.source = new MediaSource();
      media.url = URL.createObjectURL(media.source);
      media.source.addEventListener("sourceopen", open);
      video.src = media.url;
    };
    const hold = (event) => {
      held.push(event);
      if (media.done) return;
      try {
        if (event.type === "init") {
          // A second init is a new encoder run: the player starts that one.
          if (media.source) media.done = true;
          else start(event);
        } else if (event.type === "media" && media.source) {
          media.waiting.push({ event, data: bytes(event.data) });
          pump();
        }
      } catch (_) {
        media.done = true;
      }
    };
    for (const name of names) source.addEventListener(name, hold);
    const early = {
      url,
      source,
      held,
      media,
      release() {
        for (const name of names) source.removeEventListener(name, hold);
        clearTimeout(early.timer);
        media.done = true;
        if (media.source) media.source.removeEventListener("sourceopen", open);
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
