//! What a webhook can be told of.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HookEvent {
    /// The channel went live.
    WentLive,
    /// Its broadcast ended.
    Ended,
    /// A chat message was posted.
    ChatMessage,
    /// A clip was made.
    ClipMade,
    /// The broadcast reached a new peak of viewers (at most once a minute).
    ViewerPeak,
    /// "Send test event" in the studio: sent to the one hook, whatever it asked for.
    Test,
}

impl HookEvent {
    /// What a hook can ask for.
    pub const CHOSEN: [HookEvent; 5] = [
        HookEvent::WentLive,
        HookEvent::Ended,
        HookEvent::ChatMessage,
        HookEvent::ClipMade,
        HookEvent::ViewerPeak,
    ];

    /// Its name in the JSON, the `X-OnAir-Event` header and the database.
    pub fn name(self) -> &'static str {
        match self {
            HookEvent::WentLive => "went_live",
            HookEvent::Ended => "ended",
            HookEvent::ChatMessage => "chat_message",
            HookEvent::ClipMade => "clip_made",
            HookEvent::ViewerPeak => "viewer_peak",
            HookEvent::Test => "test",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::CHOSEN
            .into_iter()
            .chain([HookEvent::Test])
            .find(|event| event.name() == name)
    }

    /// In the studio's words.
    pub fn describe(self) -> &'static str {
        match self {
            HookEvent::WentLive => "Went live",
            HookEvent::Ended => "Broadcast ended",
            HookEvent::ChatMessage => "Chat message",
            HookEvent::ClipMade => "Clip made",
            HookEvent::ViewerPeak => "New viewer peak",
            HookEvent::Test => "Test",
        }
    }
}

/// Events as stored: names joined by commas, in order, each once.
pub fn join(events: &[HookEvent]) -> String {
    let mut sorted = events.to_vec();
    sorted.sort();
    sorted.dedup();
    sorted
        .iter()
        .map(|e| e.name())
        .collect::<Vec<_>>()
        .join(",")
}

/// Events as stored, back.
pub fn split(stored: &str) -> Vec<HookEvent> {
    stored.split(',').filter_map(HookEvent::parse).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_stored_by_name_once_in_order() {
        let stored = join(&[
            HookEvent::ClipMade,
            HookEvent::WentLive,
            HookEvent::ClipMade,
        ]);
        assert_eq!(stored, "went_live,clip_made");
        assert_eq!(split(&stored), [HookEvent::WentLive, HookEvent::ClipMade]);
        assert_eq!(split("ended,nonsense"), [HookEvent::Ended]);
        let json = serde_json::to_string(&HookEvent::ViewerPeak).unwrap();
        assert_eq!(json, format!("\"{}\"", HookEvent::ViewerPeak.name()));
    }
}
