//! Live chat, one per channel: message rules shared by the input and the server (`rules`),
//! the server functions to read, post and moderate (`api`), and on the server the `Chat` state
//! that posts and moderates (`state`), the stored messages and bans (`store`) and the per-user
//! rate limit (`limit`). New messages and deletions reach viewers on the channel's SSE stream
//! through its hub; in a cluster, through every instance's hub (`bus`).

pub mod api;
pub mod rules;

#[cfg(feature = "ssr")]
pub mod bus;
#[cfg(feature = "ssr")]
pub mod limit;
#[cfg(feature = "ssr")]
mod state;
#[cfg(feature = "ssr")]
pub mod store;

#[cfg(feature = "ssr")]
pub use state::Chat;
