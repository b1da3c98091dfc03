//! Reusable view pieces, one per file.

pub mod account_menu;
pub mod api_tokens;
pub mod browser_capture;
pub mod channel_card;
pub mod chat_bans;
pub mod chat_panel;
pub mod chat_rules_panel;
pub mod early_events;
pub mod early_replay;
pub mod elapsed;
pub mod follow_button;
pub mod form_error;
pub mod link_preview;
pub mod live_alerts;
pub mod moment;
pub mod past_broadcasts;
pub mod player;
pub mod record_switch;
pub mod replay_player;
pub mod restream_panel;
pub mod schedule_panel;
pub mod share;
pub mod starts_at;
pub mod streaming_software;
pub mod upcoming;
pub mod webhooks_panel;
