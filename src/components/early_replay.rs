//! The replay page's head start: a small inline script (carrying the page's CSP nonce,
//! `replay_start.js`) in the page's `<head>` that fetches the start of the replay and shows its
//! first frame while the WebAssembly still loads; the player takes its media source over
//! (`client::early_replay`). Not finished within `GIVE_UP_MS`, it stops and the player starts
//! the replay itself.

use leptos::prelude::*;

use crate::recordings::api::EARLY_REPLAY;

const GIVE_UP_MS: u32 = 10_000;
/// How long hydration waits at most for the early first frame (`ready`).
const SHOWN_WITHIN_MS: u32 = 1_000;
/// The replay's video (components/replay_player.rs), looked for as the page is parsed.
const VIDEO: &str = "[data-testid=replay] video";

/// The head start for this request, if it is for a replay page (`/replay/{id}`).
#[component]
pub fn ReplayHeadStart() -> impl IntoView {
    #[cfg(feature = "ssr")]
    let id = use_context::<axum::http::request::Parts>().and_then(|parts| {
        let id = parts.uri.path().strip_prefix("/replay/")?;
        id.parse::<i64>().ok().filter(|id| *id > 0)
    });
    #[cfg(not(feature = "ssr"))]
    let id = None::<i64>;
    id.map(|id| {
        let script = include_str!("replay_start.js")
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n")
            .replace("__ID__", &id.to_string())
            .replace("__GLOBAL__", &format!("{EARLY_REPLAY:?}"))
            .replace("__GIVE_UP_MS__", &GIVE_UP_MS.to_string())
            .replace("__SHOWN_WITHIN_MS__", &SHOWN_WITHIN_MS.to_string())
            .replace("__VIDEO__", &format!("{VIDEO:?}"));
        let nonce = use_nonce();
        view! { <script nonce=nonce inner_html=script></script> }
    })
}
