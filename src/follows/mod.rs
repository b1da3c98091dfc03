//! Follows: a signed-in user follows channels. The home page lists the followed channels that
//! are live first; the channel page shows its follower count and the Follow button; every open
//! tab of a follower can tell them when a followed channel goes live (`components::live_alerts`).

pub mod api;
#[cfg(feature = "ssr")]
mod state;
#[cfg(feature = "ssr")]
mod store;

#[cfg(feature = "ssr")]
pub use state::Follows;
