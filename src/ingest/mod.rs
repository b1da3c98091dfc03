//! Ingest: streams that broadcasters push to us from their own software (OBS, Streamlabs,
//! vMix, ffmpeg) over RTMP, with a stream key per channel; and from the studio page itself
//! (`browser`: its camera or screen, recorded as WebM, over a WebSocket opened by the owner,
//! whose protocol is `browser_socket`).
//!
//! The path: `listener` (the RTMP port, its places in `admission`) -> `connection` (the
//! handshake, then `rtmp`'s chunk stream, AMF0 and commands within their budgets; the key is
//! checked at publish by `keys`) -> `forwarding` (codec checks, `flv` tags, `meter` figures)
//! -> the broadcast's pushed `Feed` -> ffmpeg remuxes (`-c copy`) into the same fMP4
//! fragments as every source -> the channel's hub.
//!
//! The `Ingest` state (`state`) is split by what each part is for: stream keys (`keys`, the
//! key itself in `key`, its table in `store`), the publishers connected now by channel
//! (`registry`), going live and taking a broadcast over from another instance
//! (`going_live`), and turning publishers away (`refusal`). `api` holds the studio's server
//! functions, with `address` the server address they show.

pub mod api;

#[cfg(feature = "ssr")]
mod address;
#[cfg(feature = "ssr")]
mod admission;
#[cfg(feature = "ssr")]
pub mod browser;
#[cfg(feature = "ssr")]
pub mod browser_socket;
#[cfg(feature = "ssr")]
pub mod connection;
#[cfg(feature = "ssr")]
pub mod flv;
#[cfg(feature = "ssr")]
mod forwarding;
#[cfg(feature = "ssr")]
mod going_live;
#[cfg(feature = "ssr")]
pub mod key;
#[cfg(feature = "ssr")]
mod keys;
#[cfg(feature = "ssr")]
pub mod listener;
#[cfg(feature = "ssr")]
mod meter;
#[cfg(feature = "ssr")]
mod refusal;
#[cfg(feature = "ssr")]
mod registry;
#[cfg(feature = "ssr")]
pub mod rtmp;
#[cfg(feature = "ssr")]
mod state;
#[cfg(feature = "ssr")]
pub mod store;

#[cfg(feature = "ssr")]
pub use refusal::Refusal;
#[cfg(feature = "ssr")]
pub use registry::Publisher;
#[cfg(feature = "ssr")]
pub use state::{Ingest, IngestConfig};
