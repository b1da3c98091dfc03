//! Web Push: a follower's browser is told when a followed channel goes live, even with no
//! OnAir tab open. The browser subscribes with the server's VAPID key (`api`); on the server
//! the key is made at first start and kept in the database (`keys`), subscriptions are kept
//! per user (`store`), and `Push` checks them and sends each follower's browsers an encrypted
//! message (RFC 8291, the `web-push-native` crate) signed for the push service (RFC 8292,
//! `vapid`), dropping the subscriptions the push service says are gone. `public/sw.js`, the
//! service worker, shows it.

pub mod api;

#[cfg(feature = "ssr")]
mod keys;
#[cfg(feature = "ssr")]
mod state;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod vapid;

#[cfg(feature = "ssr")]
pub use state::{Push, PushConfig};
