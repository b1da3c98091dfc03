//! The watch page's head start: a small inline script (carrying the page's CSP nonce,
//! `early_start.js`) in the page's `<head>`, before the stylesheet, so that nothing holds it
//! up. It opens the event stream and holds what arrives; with a plain MediaSource it also
//! attaches one to the player's video as soon as that is parsed and appends the init segment and
//! the media, so the first frame shows while the WebAssembly still loads. The player adopts that
//! stream, the events it held and the media source (`client::live_events`). Not adopted within
//! `GIVE_UP_MS` (no WebAssembly, a very slow device), the early stream closes itself and the
//! player opens its own.

use leptos::prelude::*;

use crate::live::wire::{EARLY_EVENTS, EVENT_NAMES, PICKED_RUNG_KEY, VIEWER_KEY, events_url};

const GIVE_UP_MS: u32 = 10_000;
/// How long hydration waits at most for the early media's first frame (`ready`).
const SHOWN_WITHIN_MS: u32 = 1_000;
/// The player's video (components/player.rs), which the script looks for as the page is parsed.
const VIDEO: &str = ".player > video";

/// The head start for this request, if it is for a watch page (`/watch/{channel}`) or the
/// player another site frames (`/embed/{channel}`); the shell puts it in the `<head>`. A name
/// that cannot be a channel's (the chat overlay's `{channel}/chat` included) gets none.
#[component]
pub fn WatchHeadStart() -> impl IntoView {
    #[cfg(feature = "ssr")]
    let channel = use_context::<axum::http::request::Parts>().and_then(|parts| {
        use crate::accounts::rules::{channel_name, could_be_username};
        let path = parts.uri.path();
        let name = path
            .strip_prefix("/watch/")
            .or_else(|| path.strip_prefix(crate::sharing::FRAMABLE))?;
        could_be_username(name).then(|| channel_name(name))
    });
    #[cfg(not(feature = "ssr"))]
    let channel = None::<String>;
    channel.map(|channel| view! { <EarlyEvents events_url=events_url(&channel)/> })
}

/// The inline script for the stream at `events_url` (`/live/{channel}/events`).
#[component]
pub fn EarlyEvents(events_url: String) -> impl IntoView {
    let names = serde_json::to_string(&EVENT_NAMES).unwrap_or_default();
    // A JSON string is a JS string literal; with `<` escaped it cannot close the script.
    let base = serde_json::to_string(&events_url)
        .unwrap_or_default()
        .replace('<', "\\u003c");
    // The key is made as the player makes it (32 hex digits); the URL is the player's own.
    let script = include_str!("early_start.js")
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("__NAMES__", &names)
        .replace("__KEY__", &format!("{VIEWER_KEY:?}"))
        .replace("__PICKED__", &format!("{PICKED_RUNG_KEY:?}"))
        .replace("__BASE__", &base)
        .replace("__GLOBAL__", &format!("{EARLY_EVENTS:?}"))
        .replace("__GIVE_UP_MS__", &GIVE_UP_MS.to_string())
        .replace("__SHOWN_WITHIN_MS__", &SHOWN_WITHIN_MS.to_string())
        .replace("__VIDEO__", &format!("{VIDEO:?}"));
    let nonce = use_nonce();
    view! { <script nonce=nonce inner_html=script></script> }
}
