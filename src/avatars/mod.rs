//! A channel's avatar: a picture its owner uploads, shown for the channel while it is off air
//! and has no recorded broadcast to show. The server functions remove it (`api`); uploading is
//! a plain `POST /avatars/{channel}` with the picture as its body, served at
//! `GET /avatars/{channel}`. On the server the upload is re-encoded as our own PNG
//! (`pictures`) and kept in the database (`store`), so every instance of a cluster serves it.

pub mod api;

#[cfg(feature = "ssr")]
mod state;
#[cfg(feature = "ssr")]
pub mod store;

#[cfg(feature = "ssr")]
pub use state::Avatars;
