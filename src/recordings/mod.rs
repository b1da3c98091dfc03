//! Recordings: every broadcast kept as it went out (its top rung, from the fragments the hub
//! already has: no second encoder), and replayed with its chat.
//!
//! Shared: the types and server functions of the channel page, replay page and studio (`api`).
//! On the server: the `Recordings` state (`state`), the writer fed by a broadcast's outlet
//! (`recorder`), where the bytes live (`storage`), the index in the database (`store`),
//! closing what a stopped server left open (`recovery`), how long they are kept
//! (`retention`), and clips cut from them (`clips`). The replay's HTTP routes are
//! `server::recordings`; its player is `client::replay_player`.

pub mod api;

#[cfg(feature = "ssr")]
pub mod clips;
#[cfg(feature = "ssr")]
pub mod recorder;
#[cfg(feature = "ssr")]
mod recovery;
#[cfg(feature = "ssr")]
pub mod retention;
#[cfg(feature = "ssr")]
mod state;
#[cfg(feature = "ssr")]
pub mod storage;
#[cfg(feature = "ssr")]
pub mod store;

#[cfg(feature = "ssr")]
pub use state::{Recordings, RecordingsConfig, asking};

#[cfg(all(test, feature = "ssr"))]
mod tests;
