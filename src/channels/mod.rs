//! Channels: what the directory and watch pages show (`api`), and on the server the registry
//! of channels with their hubs (`registry`), the channels table (`store`) and pictures of what
//! each live channel shows (`thumbnail`).

pub mod api;
#[cfg(feature = "ssr")]
pub mod registry;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod thumbnail;

#[cfg(feature = "ssr")]
pub use registry::{Channel, Channels};
