//! Broadcasts: the server functions a studio calls and the types they share (`api`), the rules
//! for a title (`rules`); on the server, the `Broadcasts` state with the studio's operations
//! (`state`), the sources ffmpeg can read (`source`), the H.264
//! encoder it makes pictures with (`encoder`) and the media folder they come from
//! (`media`), where each run's input comes from (`feed`), the supervision of each broadcast's
//! ffmpeg (`supervisor`) with its progress figures (`progress`), the broadcasts on air by
//! channel (`registry`), why one cannot start or stop (`error`) and the broadcasts table (`store`); in a cluster, the one instance
//! that runs each channel (`origins`).
//!
//! A broadcast's path: `Broadcasts::start_with(source, feed)` -> `registry` (record, task) ->
//! `supervisor` (ffmpeg, fed by `feed`) -> `live::splitter` -> the channel's hub.

pub mod api;
pub mod rules;

#[cfg(feature = "ssr")]
pub mod encoder;
#[cfg(feature = "ssr")]
mod error;
#[cfg(feature = "ssr")]
pub mod feed;
#[cfg(feature = "ssr")]
pub mod media;
#[cfg(feature = "ssr")]
pub mod origins;
#[cfg(feature = "ssr")]
pub mod progress;
#[cfg(feature = "ssr")]
pub mod registry;
#[cfg(feature = "ssr")]
pub mod source;
#[cfg(feature = "ssr")]
mod state;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod supervisor;

#[cfg(feature = "ssr")]
pub use error::BroadcastError;
#[cfg(feature = "ssr")]
pub use registry::Downstream;
#[cfg(feature = "ssr")]
pub use state::{BroadcastConfig, Broadcasts, InCluster};
