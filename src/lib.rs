//! OnAir: live video over Server-Sent Events.
//!
//! # Layout
//!
//! One crate, two builds: the server (`ssr`) and the browser bundle (`hydrate`). Each
//! capability owns a folder with its server functions and shared types (`api`), its shared
//! validators (`rules`), and on the server its state type (`state`), its tables (`store`) and
//! in-memory maps (`registry`):
//!
//! - [`live`]: the media path, free of HTTP: ffmpeg -> splitter -> hub publish -> viewer cursor
//!   -> SSE handler (in `server`).
//! - [`broadcasts`]: going live: sources, where their bytes come from (`feed`), ffmpeg's
//!   supervision, records.
//! - [`ingest`]: streams pushed from broadcasters' software (OBS over RTMP) with stream keys,
//!   and from the studio page, into a broadcast's pushed feed.
//! - [`channels`]: the channels, each with its hub; the directory; thumbnails.
//! - [`chat`]: messages and moderation, delivered through the channel's hub; [`emotes`]: the
//!   pictures a channel's chat shows for `:name:`; [`avatars`]: a channel's own picture.
//! - [`follows`]: who follows which channel; [`schedule`]: the broadcasts channels announce,
//!   and their calendar feeds; [`push`]: Web Push to followers' browsers when a channel goes
//!   live.
//! - [`recordings`]: every broadcast kept as it went out, its index, and its replay with chat.
//! - [`sharing`]: beyond the site: the embeds other sites frame, link previews, oEmbed.
//! - [`accounts`]: sign-up, sign-in, sessions.
//! - [`tokens`]: API tokens a user makes for bots and tools, and what each grants.
//! - [`restream`]: a broadcast also pushed to other platforms (RTMP/RTMPS, `-c copy` each).
//! - [`webhooks`]: addresses told of a channel's events, signed, in order, with retries.
//! - [`pages`], [`components`]: the UI, one file per route or piece; [`app`]: the route table.
//! - [`player`]: the watch page's player state and live-edge rules, free of browser types.
//! - `client` (browser only): EventSource, the MediaSource queue, the player loop, the
//!   recorder.
//! - `cluster` (server only): several instances on NATS: each broadcast published once by its
//!   origin and relayed by the others; the demo run by one instance, taken over if it dies.
//! - `renditions` (server only): the quality ladder a broadcast is made in, and the rung the
//!   server chooses for each viewer: pure rules, not yet used by the media path.
//! - `server` (server only): settings and wiring: it knows every capability, none knows it.
//! - `fuzzing` (server only): each network parser as the fuzzer (`fuzz/`) and the corpus
//!   replay test feed it.
//! - `child_process`, `client_key`, `clock`, `db`, `open_connections`, `outbound`, `secrets`
//!   (server only): ffmpeg children that die with the server, what per-client limits count by
//!   (an IPv4 address, an IPv6 /64), the wall clock, the database, connections counted by
//!   client within caps, where the server may connect for users (public addresses only), random
//!   secrets in hex and their SHA-256.
//!
//! # Words
//!
//! - *shared*: built for both the server and the browser (`api`, `rules`, `live::wire`,
//!   `player`).
//! - *site*: this server as browsers address it; `server::site` checks requests' `Host` and
//!   `Origin` headers against it.
//! - *origin*: in a cluster, the instance that runs a channel's broadcast (`cluster::origins`);
//!   the others *relay* it (`cluster::relays`: SRS calls them edges).
//! - *live edge*: the newest media a player could show; *edge* means nothing else
//!   (`player::live_edge`).
//! - *feed*: where a broadcast's ffmpeg reads its input (`broadcasts::feed::Feed`: its own
//!   file or pattern, or the bytes a publisher pushes).
//! - *publisher*: a connection allowed to push a channel's stream (`ingest::Publisher`: OBS over
//!   RTMP, or the studio page's socket); *publishing* is what it does, *forwarding* its
//!   media on to ffmpeg (`ingest::forwarding`).
//! - *state*: a capability's state type, held by the server (`Channels`, `Broadcasts`,
//!   `Ingest`, …); *registry*: an in-memory map inside one (`broadcasts::registry`: on air by
//!   channel; `ingest::registry`: connected publishers by channel).
//! - *bus*: how chat's changes reach every instance of a cluster (`chat::bus`).
//! - *Settings* are the sections of `Leptos.toml` and `ONAIR_*` (`server::settings`); a
//!   *Config* is what a capability is started with (`HubConfig`, `BroadcastConfig`, …).
//! - *Error* types say why something failed to callers that decide by it
//!   (`broadcasts::BroadcastError`); `AppError` is what a person is told, with its HTTP status.

#![recursion_limit = "256"]

pub mod accounts;
pub mod app;
pub mod avatars;
pub mod broadcasts;
pub mod channels;
pub mod chat;
pub mod components;
pub mod emotes;
pub mod error;
pub mod follows;
pub mod ingest;
pub mod live;
pub mod pages;
pub mod player;
pub mod push;
pub mod recordings;
pub mod restream;
pub mod schedule;
pub mod sharing;
pub mod text;
pub mod tokens;
pub mod webhooks;

#[cfg(feature = "ssr")]
pub mod child_process;
#[cfg(feature = "hydrate")]
pub mod client;
#[cfg(feature = "ssr")]
pub mod client_key;
#[cfg(feature = "ssr")]
pub mod clock;
#[cfg(feature = "ssr")]
pub mod cluster;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod fuzzing;
#[cfg(feature = "ssr")]
pub mod open_connections;
#[cfg(feature = "ssr")]
pub mod outbound;
#[cfg(feature = "ssr")]
pub mod pictures;
#[cfg(feature = "ssr")]
pub mod renditions;
#[cfg(feature = "ssr")]
pub mod secrets;
#[cfg(feature = "ssr")]
pub mod server;

/// The browser entry: hydrate the server-rendered page. On a watch or replay page that waits
/// until the page's own script has shown the first frame (within a cap); a lazily loaded
/// route's chunk (the studio's, the account forms') is fetched first when the page is one of
/// those.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    wasm_bindgen_futures::spawn_local(async {
        client::early_media_settled().await;
        client::early_replay_shown().await;
        let Some(body) = leptos::prelude::document().body() else {
            return;
        };
        let owner = leptos::mount::hydrate_from_async(body, app::App).await;
        owner.forget();
        // Event handlers are attached now; `data-hydrated` on <html> lets anyone (the end-to-end
        // tests, a user script) tell a live page from the server-rendered HTML it started as.
        if let Some(root) = leptos::prelude::document().document_element() {
            let _ = root.set_attribute("data-hydrated", "");
        }
    });
}
