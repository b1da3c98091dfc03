//! The watch page's player, free of browser types so both builds share it and its rules are
//! tested natively: what the viewer is told ([`state`]) and how far behind the live edge the
//! player holds itself ([`live_edge`]). `client::live_player` runs it in the browser;
//! `components::player` shows it.

pub mod live_edge;
pub mod state;

pub use state::PlayerState;
