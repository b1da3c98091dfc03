//! The watch page opens its event stream before the WebAssembly has loaded: a small inline
//! script (carrying the page's CSP nonce) starts the `EventSource` as soon as the HTML is
//! parsed and holds what arrives; the player adopts that stream, and what it held, when it
//! starts (`client::live_events`). The init segment and the newest keyframe are then already
//! in the page when hydration ends, instead of being asked for only then. Not adopted within
//! `GIVE_UP_MS` (no WebAssembly, a very slow device), the early stream closes itself and the
//! player opens its own.

use leptos::prelude::*;

/// Where the early stream waits for the player: `window[EARLY_EVENTS]`.
pub const EARLY_EVENTS: &str = "onairEarlyEvents";
/// Where the tab keeps its viewer key (the player reads and writes the same).
pub const VIEWER_KEY: &str = "onair-viewer";
/// The events the player listens to.
pub const EVENT_NAMES: [&str; 6] = ["status", "init", "media", "viewers", "chat", "chat-deleted"];
const GIVE_UP_MS: u32 = 10_000;

/// The inline script for the stream at `events_url` (`/live/{channel}/events`).
#[component]
pub fn EarlyEvents(events_url: String) -> impl IntoView {
    let names = serde_json::to_string(&EVENT_NAMES).unwrap_or_default();
    // A JSON string is a JS string literal; with `<` escaped it cannot close the script.
    let base = serde_json::to_string(&events_url)
        .unwrap_or_default()
        .replace('<', "\\u003c");
    // The key is made as the player makes it (32 hex digits); the URL is the player's own.
    let script = format!(
        r#"(() => {{
  try {{
    const store = sessionStorage;
    let key = store.getItem("{VIEWER_KEY}");
    if (!key) {{
      key = Array.from(crypto.getRandomValues(new Uint32Array(4)), (n) => n.toString(16).padStart(8, "0")).join("");
      store.setItem("{VIEWER_KEY}", key);
    }}
    const url = {base} + "?viewer=" + key;
    const source = new EventSource(url);
    const held = [];
    const hold = (event) => held.push(event);
    for (const name of {names}) source.addEventListener(name, hold);
    const early = {{ url, source, held, release() {{
      for (const name of {names}) source.removeEventListener(name, hold);
      clearTimeout(early.timer);
    }} }};
    early.timer = setTimeout(() => {{
      if (window.{EARLY_EVENTS} === early) {{ delete window.{EARLY_EVENTS}; early.release(); source.close(); }}
    }}, {GIVE_UP_MS});
    window.{EARLY_EVENTS} = early;
  }} catch (_) {{}}
}})();"#
    );
    let nonce = use_nonce();
    view! { <script nonce=nonce inner_html=script></script> }
}
