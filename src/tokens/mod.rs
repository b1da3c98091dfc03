//! API tokens: what a user's bots and tools present (`Authorization: Bearer onair_…`) to act as
//! that user through the JSON API (`server::bot_api`, docs/api.md), within the scopes the token
//! grants ([`Scope`]). Made in the studio and shown once, stored as their SHA-256 only,
//! revocable at once, their last use shown. A user's rules are the token's: it can never do
//! more than its user could on the site.

pub mod api;
pub mod scope;
#[cfg(feature = "ssr")]
mod secret;
#[cfg(feature = "ssr")]
mod state;
#[cfg(feature = "ssr")]
mod store;

pub use scope::Scope;
#[cfg(feature = "ssr")]
pub use state::{Bearer, Tokens};
