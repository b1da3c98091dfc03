//! The JSON payloads of the `/live/{channel}/events` SSE stream, shared by server and player.
//! The protocol itself is documented in `docs/protocol.md`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The events a viewer's stream carries, each named by its `event:` field.
pub const EVENT_NAMES: [&str; 6] = ["status", "init", "media", "viewers", "chat", "chat-deleted"];

/// Where a tab keeps its viewer key in `sessionStorage` (the page's early script and the
/// player read and write the same one), sent as `?viewer=` so a reconnect counts once.
pub const VIEWER_KEY: &str = "onair-viewer";

/// Where the page's early stream waits for the player to take it over: `window[EARLY_EVENTS]`.
pub const EARLY_EVENTS: &str = "onairEarlyEvents";

/// The address of `channel`'s event stream.
pub fn events_url(channel: &str) -> String {
    format!("/live/{channel}/events")
}

/// The address of `channel`'s chat alone (its status and chat, no media; not a viewer).
pub fn chat_events_url(channel: &str) -> String {
    format!("/live/{channel}/events?only=chat")
}

/// Whether a channel is on air.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelState {
    Live,
    /// The encoder died and is being restarted; media resumes with a new init.
    Reconnecting,
    Offline,
}

/// `event: status` — first on every connection, then on every change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusEvent {
    pub state: ChannelState,
    /// Unix milliseconds at which the channel went live (a reconnect keeps it) or offline.
    pub since_ms: u64,
    /// Why the channel is offline or reconnecting, when there is something to say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `event: init` — the init segment (ftyp+moov) the following media decodes with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InitEvent {
    /// A MIME type with exact codecs, for `MediaSource.addSourceBuffer`.
    pub mime: String,
    /// The rung of the run's quality ladder this init is for ("source", "480p", "audio").
    /// Within one epoch every rung shares the timeline: a new rung's init and keyframe are
    /// appended where the last rung's media ended (a switch, see docs/protocol.md). Before the
    /// init segment, so a reader that keeps only an event's first bytes sees it.
    #[serde(default = "source_rung")]
    pub rung: String,
    /// Base64 of the init segment.
    pub data: String,
    /// Names the encoder run, the same on every instance of a cluster (a later run has a
    /// larger epoch); a new epoch means timestamps restart.
    pub epoch: u64,
    /// Track id -> media timescale, to turn a prft box's media time into seconds.
    pub timescales: BTreeMap<u32, u32>,
    /// Every rung of the run's ladder, from the top: what the quality menu offers.
    #[serde(default)]
    pub rungs: Vec<String>,
}

fn source_rung() -> String {
    SOURCE_RUNG.into()
}

/// What a ladder calls the broadcaster's own picture, and sound alone.
pub const SOURCE_RUNG: &str = "source";
pub const AUDIO_RUNG: &str = "audio";

/// What a player asks of the rungs it is sent (see `renditions`), as its events address's
/// query says it: `max_height` (how tall it shows the picture, device pixels: no taller rung
/// is needed), `rung` (a rung picked by name in the quality menu; absent is Auto) and
/// `start=low` (start on the lowest picture and climb: data saver, a low-quality hint).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ask {
    pub max_height: Option<u32>,
    pub pick: Option<String>,
    pub start_low: bool,
}

impl Ask {
    /// The query parameters, each after a `&`.
    pub fn query(&self) -> String {
        let mut query = String::new();
        if let Some(height) = self.max_height {
            query.push_str(&format!("&max_height={height}"));
        }
        if let Some(pick) = &self.pick {
            let safe: String = pick.chars().filter(char::is_ascii_alphanumeric).collect();
            query.push_str(&format!("&rung={safe}"));
        }
        if self.start_low {
            query.push_str("&start=low");
        }
        query
    }
}

/// Where a browser remembers the rung its viewer picked (`localStorage`); absent is Auto.
pub const PICKED_RUNG_KEY: &str = "onair-quality";

/// `event: viewers` — how many are watching: at once on connecting, then when it changes
/// (at most once a second).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ViewersEvent {
    pub count: usize,
}

/// `event: chat` — one chat message, in the order the channel's chat received them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatEvent {
    pub id: u64,
    /// The author's username, from their session.
    pub author: String,
    /// Plain text (never HTML), 1–500 characters.
    pub text: String,
    /// Unix milliseconds.
    pub sent_at: u64,
    /// Posted by a program with its user's API token (`tokens`), shown as a bot's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bot: bool,
    /// The author's standing in the channel when they posted, shown as a badge; None for a
    /// viewer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<ChatRole>,
    /// The colour its author picked for their name ('#rrggbb', readable on the site's
    /// backgrounds); None: the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour: Option<String>,
    /// The message this one replies to, quoted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<ChatQuote>,
}

/// The message a reply answers, quoted beside it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatQuote {
    pub id: u64,
    pub author: String,
    /// Its first `QUOTE_MAX` characters; None once it was deleted.
    pub text: Option<String>,
}

/// The most characters of a message a reply quotes.
pub const QUOTE_MAX: usize = 100;

impl ChatQuote {
    /// Quotes message `id` by `author` saying `text` (None: deleted).
    pub fn of(id: u64, author: String, text: Option<&str>) -> Self {
        Self {
            id,
            author,
            text: text.map(|t| t.chars().take(QUOTE_MAX).collect()),
        }
    }
}

/// Who an author was in a channel's chat when they posted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatRole {
    /// The channel's owner.
    Owner,
    /// An operator of the site.
    Operator,
    /// Appointed by the channel's owner to keep its chat.
    Moderator,
}

impl ChatRole {
    /// Its badge's word, and its name in the database.
    pub fn word(self) -> &'static str {
        match self {
            ChatRole::Owner => "owner",
            ChatRole::Operator => "operator",
            ChatRole::Moderator => "moderator",
        }
    }

    pub fn from_word(word: &str) -> Option<Self> {
        match word {
            "owner" => Some(ChatRole::Owner),
            "operator" => Some(ChatRole::Operator),
            "moderator" => Some(ChatRole::Moderator),
            _ => None,
        }
    }
}

/// `event: chat-deleted` — the channel's owner removed message `id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatDeletedEvent {
    pub id: u64,
}
