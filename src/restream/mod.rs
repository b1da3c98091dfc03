//! Restream (simulcast): a channel's broadcast also pushed to other platforms, to each RTMP or
//! RTMPS destination its owner added and switched on. Each destination gets the top rung as it
//! is, by its own `ffmpeg -c copy` (no second encode), fed the fragments the hub gets; it
//! reconnects with backoff when the destination drops it, and a failing destination never
//! touches the broadcast or the others. Its state (connecting, live with its bitrate, retrying
//! and why, failed) is in the studio. Keys are secrets: never shown back in full, never logged.

pub mod api;
#[cfg(feature = "ssr")]
pub mod destination;
pub mod presets;
#[cfg(feature = "ssr")]
mod push;
#[cfg(feature = "ssr")]
mod state;
#[cfg(feature = "ssr")]
mod store;

#[cfg(feature = "ssr")]
pub use push::Restreaming;
#[cfg(feature = "ssr")]
pub use state::{Restream, RestreamConfig};
