//! Webhooks: addresses told, by a signed HTTP POST, when something happens on a channel (went
//! live, ended, a chat message, a clip made, a new viewer peak). An owner registers them for
//! their channel, an operator for every channel. Each request carries JSON and an HMAC-SHA256
//! signature made with the hook's own secret; deliveries to one address go in order, each within
//! a deadline, retried with backoff, never following redirects, and never to loopback or
//! private addresses unless `[webhooks] allow_private` says so. The latest attempts are kept
//! for the studio.

pub mod api;
#[cfg(feature = "ssr")]
mod delivery;
pub mod event;
#[cfg(feature = "ssr")]
pub mod signature;
#[cfg(feature = "ssr")]
mod state;
#[cfg(feature = "ssr")]
mod store;
#[cfg(feature = "ssr")]
pub mod target;

pub use event::HookEvent;
#[cfg(feature = "ssr")]
pub use state::{WebhookConfig, Webhooks};
