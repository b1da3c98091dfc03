//! The media path, free of HTTP:
//!
//! ffmpeg -> `broadcasts::supervisor` -> [`splitter`] -> [`hub`] publish -> [`hub::Viewer`]
//! cursor -> SSE handler (`server::sse`).
//!
//! Shared with the player: what the wire carries ([`wire`]) and the producer clock in each
//! fragment ([`prft`]). On the server: the fMP4 splitter, SSE framing ([`frame`]), the
//! per-channel hub and who is watching ([`audience`]).

pub mod prft;
pub mod wire;

#[cfg(feature = "ssr")]
pub mod audience;
#[cfg(feature = "ssr")]
pub mod deflate;
#[cfg(feature = "ssr")]
pub mod frame;
#[cfg(feature = "ssr")]
pub mod hub;
#[cfg(feature = "ssr")]
pub mod outbox;
#[cfg(feature = "ssr")]
pub mod outlet;
#[cfg(feature = "ssr")]
pub mod splitter;

#[cfg(all(test, feature = "ssr"))]
pub(crate) mod testing;
