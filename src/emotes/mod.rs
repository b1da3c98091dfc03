//! Channel emotes: pictures a channel's owner uploads, used in its chat as `:name:`. What a
//! name may be and how a message is cut into text and emotes is shared by the chat and the
//! server (`rules`); the server functions list and delete them (`api`). On the server an upload
//! is decoded under limits and re-encoded as a small PNG (`pictures`), never served as
//! uploaded, and kept in the database (`store`), so every instance of a cluster serves it;
//! `Emotes` holds the rules of adding and deleting (`state`).

pub mod api;
pub mod rules;

#[cfg(feature = "ssr")]
mod state;
#[cfg(feature = "ssr")]
pub mod store;

#[cfg(feature = "ssr")]
pub use state::Emotes;
