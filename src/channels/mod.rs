//! Channels: what the directory and watch pages show (`api`), and on the server the `Channels`
//! state, every channel with its hub (`state`), the channels table (`store`) and pictures of what
//! each live channel shows (`thumbnail`).

pub mod api;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod thumbnail;

#[cfg(feature = "ssr")]
pub use state::{Channel, Channels};
