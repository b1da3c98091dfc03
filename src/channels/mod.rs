//! Channels: what the directory and watch pages show (`api`), and on the server the registry
//! of channels with their hubs (`server`) and the channels table (`store`).

pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod store;
