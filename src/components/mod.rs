//! Reusable view pieces, one per file.

pub mod channel_card;
pub mod player;
