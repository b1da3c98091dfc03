//! Reusable view pieces, one per file.

pub mod account_menu;
pub mod channel_card;
pub mod elapsed;
pub mod player;
