// The replay page's head start (components/early_replay.rs), run from the page's <head> before
// the stylesheet. It reads the recording's index; fetches at once the init segment, the segment
// holding the start (`?t=`) and the one after it; attaches a MediaSource to the player's video as
// soon as the parser has made it; appends them (each segment moved to its place on the
// recording's timeline) and plays from the start, so the first frame shows while the
// WebAssembly is still loading. The player takes over the source and goes on from the next
// segment (client::early_replay).
// `ready` settles once the first frame is shown, or this script can do no more, or after a cap
// (SHOWN_WITHIN_MS): the page hydrates then. `done` settles once the script has finished,
// given up (GIVE_UP_MS) or failed; `media` is set only when it got the video playing.
// Where ManagedMediaSource exists (iPhone, iPad) the player starts the media itself.
(() => {
  try {
    const id = __ID__;
    const asked = Number(new URLSearchParams(location.search).get("t"));
    const at = Number.isFinite(asked) && asked > 0 ? asked : 0;
    let shown;
    const ready = new Promise((resolve) => (shown = resolve));
    let finish;
    const done = new Promise((resolve) => (finish = resolve));
    const cap = setTimeout(() => shown(), __SHOWN_WITHIN_MS__);
    ready.then(() => clearTimeout(cap));
    const early = { id, ready, done, media: null };
    window[__GLOBAL__] = early;
    let over = false;
    const end = () => {
      over = true;
      shown();
      finish();
    };
    setTimeout(end, __GIVE_UP_MS__);
    if (typeof MediaSource !== "function" || "ManagedMediaSource" in window) return end();
    const base = "/recordings/" + id;
    const get = (path) =>
      fetch(path, { credentials: "same-origin" }).then((response) => {
        if (!response.ok) throw new Error(path + ": " + response.status);
        return response;
      });
    const video = new Promise((resolve) => {
      const look = () => document.querySelector(__VIDEO__);
      const found = look();
      if (found) return resolve(found);
      const parsing = new MutationObserver(() => {
        const element = look();
        if (element) {
          parsing.disconnect();
          resolve(element);
        }
      });
      parsing.observe(document, { childList: true, subtree: true });
      done.then(() => parsing.disconnect());
    });
    const append = (buffer, data) =>
      new Promise((resolve, reject) => {
        buffer.addEventListener("updateend", resolve, { once: true });
        buffer.addEventListener("error", reject, { once: true });
        buffer.appendBuffer(data);
      });
    (async () => {
      const index = await (await get(base)).json();
      // Each segment: [seq, run, at_ms, duration_ms, media_us, wall_ms]; each init: [run, mime].
      const segments = index.segments;
      if (!segments.length) return end();
      let i = 0;
      while (i + 1 < segments.length && segments[i + 1][2] <= at * 1000) i++;
      const [, run, atMs] = segments[i];
      const init = index.inits.find(([r]) => r === run);
      if (!init || !MediaSource.isTypeSupported(init[1])) return end();
      // The segment holding the start and the one after it (the start may be near its end).
      const taken = segments.slice(i, i + 2).filter((segment) => segment[1] === run);
      const paths = [base + "/init/" + run, ...taken.map(([seq]) => base + "/segments/" + seq)];
      const [head, ...bodies] = await Promise.all(
        paths.map((path) => get(path).then((response) => response.arrayBuffer())),
      );
      const element = await video;
      if (over) return;
      const source = new MediaSource();
      const url = URL.createObjectURL(source);
      const opened = new Promise((resolve) => source.addEventListener("sourceopen", resolve, { once: true }));
      element.src = url;
      await opened;
      const buffer = source.addSourceBuffer(init[1]);
      await append(buffer, head);
      for (let k = 0; k < bodies.length; k++) {
        const [, , segmentAtMs, , mediaUs] = taken[k];
        buffer.timestampOffset = segmentAtMs / 1000 - mediaUs / 1e6;
        await append(buffer, bodies[k]);
      }
      if (over) return URL.revokeObjectURL(url);
      if ("requestVideoFrameCallback" in element) element.requestVideoFrameCallback(() => shown());
      else element.addEventListener("playing", () => shown(), { once: true });
      element.currentTime = Math.max(at, atMs / 1000);
      early.media = { source, buffer, url, run, next: i + taken.length };
      finish();
      // Without a click the browser may refuse sound: then it plays muted.
      element.play().catch(() => {
        element.muted = true;
        return element.play();
      }).catch(() => shown());
    })().catch(() => end());
  } catch (err) {
    // The player starts the replay itself.
  }
})();
