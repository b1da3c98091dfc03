//! Channels: what the directory and watch pages show (`api`), and the server's registry of
//! channels with their hubs (`server`).

pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
