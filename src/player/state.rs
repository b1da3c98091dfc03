//! What the viewer is told about playback: the player's state, shown by the page and set by
//! the player loop.

/// What the viewer is told about playback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlayerState {
    Connecting,
    Live,
    Offline,
    Reconnecting,
}

impl PlayerState {
    pub fn label(self) -> &'static str {
        match self {
            PlayerState::Connecting => "Connecting…",
            PlayerState::Live => "Live",
            PlayerState::Offline => "Offline",
            PlayerState::Reconnecting => "Reconnecting…",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            PlayerState::Connecting => "connecting",
            PlayerState::Live => "live",
            PlayerState::Offline => "offline",
            PlayerState::Reconnecting => "reconnecting",
        }
    }
}
