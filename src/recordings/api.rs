//! Recordings as both sides see them: what a channel's past broadcasts look like, the index a
//! replay plays from, and the server functions of the channel page, the replay page and the
//! studio. Visibility is checked on the server at every call: a private recording is known to
//! its owner (and the operators) alone, and is "not found" to everyone else.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::live::wire::ChatEvent;

/// Who may watch a recording.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Visibility {
    /// Listed on the channel page, playable by anyone.
    #[default]
    Public,
    /// Not listed; anyone with the link can play it.
    Unlisted,
    /// Only the owner (and the operators).
    Private,
}

impl Visibility {
    pub fn words(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Private => "private",
        }
    }

    pub fn from_words(words: &str) -> Option<Self> {
        match words {
            "public" => Some(Visibility::Public),
            "unlisted" => Some(Visibility::Unlisted),
            "private" => Some(Visibility::Private),
            _ => None,
        }
    }
}

/// Where a recording stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecordingState {
    /// Being written: the broadcast is on air.
    Recording,
    /// The broadcast ended and everything was written.
    Complete,
    /// The server stopped without closing it (a crash, a power cut): it plays up to the
    /// fragment before.
    Cut,
    /// Recording stopped early (the disk was full, the storage failed); what was written plays.
    Stopped,
}

impl RecordingState {
    pub fn words(self) -> &'static str {
        match self {
            RecordingState::Recording => "recording",
            RecordingState::Complete => "complete",
            RecordingState::Cut => "cut",
            RecordingState::Stopped => "stopped",
        }
    }

    pub fn from_words(words: &str) -> Option<Self> {
        match words {
            "recording" => Some(RecordingState::Recording),
            "complete" => Some(RecordingState::Complete),
            "cut" => Some(RecordingState::Cut),
            "stopped" => Some(RecordingState::Stopped),
            _ => None,
        }
    }
}

/// One past (or current) broadcast's recording, as a list or a page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordingSummary {
    /// The broadcast's id: `/replay/{id}`.
    pub id: i64,
    pub channel: String,
    pub title: String,
    pub started_ms: u64,
    pub duration_ms: u64,
    pub state: RecordingState,
    /// Why it stopped early, when it did.
    pub problem: Option<String>,
    pub visibility: Visibility,
    pub peak_viewers: u32,
    /// Its parts, one per encoder run (an OBS reconnect starts a new one): each downloads as
    /// one MP4.
    pub parts: u32,
    /// Whether the one asking owns the channel (and may change or delete it).
    pub yours: bool,
}

/// A segment in a replay's index: a keyframe and the fragments after it, as a JSON array
/// `[seq, run, at_ms, duration_ms, media_us, wall_ms]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentEntry(
    /// Its number: `/recordings/{id}/segments/{seq}`.
    pub i64,
    /// The encoder run whose init segment it decodes with: `/recordings/{id}/init/{run}`.
    pub i64,
    /// Where it starts on the recording's timeline, ms.
    pub i64,
    /// How long it plays, ms.
    pub i64,
    /// Where its media starts on its run's own timeline, microseconds: the player moves it by
    /// `at_ms - media_us` to put it in place.
    pub i64,
    /// When it was made, Unix ms (lines chat up with the picture).
    pub i64,
);

impl SegmentEntry {
    pub fn seq(&self) -> i64 {
        self.0
    }
    pub fn run(&self) -> i64 {
        self.1
    }
    pub fn at_ms(&self) -> i64 {
        self.2
    }
    pub fn duration_ms(&self) -> i64 {
        self.3
    }
    pub fn end_ms(&self) -> i64 {
        self.2 + self.3
    }
    pub fn media_us(&self) -> i64 {
        self.4
    }
    pub fn wall_ms(&self) -> i64 {
        self.5
    }
}

/// Where the replay page's head start leaves what it began for the player to take over:
/// `window[EARLY_REPLAY]` (`components::early_replay`).
pub const EARLY_REPLAY: &str = "onairEarlyReplay";

/// `GET /recordings/{id}`: everything a replay needs to find any moment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplayIndex {
    pub id: i64,
    pub state: RecordingState,
    pub duration_ms: u64,
    /// Each encoder run's init segment: `(run, mime)`.
    pub inits: Vec<(i64, String)>,
    /// In order of time.
    pub segments: Vec<SegmentEntry>,
}

impl ReplayIndex {
    /// The segment playing at `ms` on the recording's timeline (the last one past its end).
    pub fn segment_at(&self, ms: i64) -> Option<usize> {
        if self.segments.is_empty() {
            return None;
        }
        let after = self.segments.partition_point(|s| s.at_ms() <= ms);
        Some(after.saturating_sub(1))
    }

    /// The position on the recording's timeline of a moment on the wall clock (Unix ms).
    pub fn at_for_wall(&self, wall_ms: i64) -> Option<i64> {
        let after = self.segments.partition_point(|s| s.wall_ms() <= wall_ms);
        let segment = self.segments.get(after.checked_sub(1)?)?;
        Some((segment.at_ms() + (wall_ms - segment.wall_ms())).min(segment.end_ms()))
    }

    pub fn mime(&self, run: i64) -> Option<&str> {
        self.inits
            .iter()
            .find(|(r, _)| *r == run)
            .map(|(_, mime)| mime.as_str())
    }
}

/// A chat line of a replay: the message, and where it falls on the recording's timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplayChatLine {
    pub at_ms: i64,
    pub message: ChatEvent,
}

/// How long a clip may be, seconds.
pub const CLIP_MIN_SECS: u64 = 5;
pub const CLIP_MAX_SECS: u64 = 60;
/// What "Clip" on a live channel keeps: its last seconds.
pub const LIVE_CLIP_SECS: u64 = 30;
/// Recordings a page of a channel's past broadcasts holds ("Show more" asks for the next).
pub const PAST_BROADCASTS_PAGE: u32 = 24;

/// A clip as its page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClipSummary {
    /// `/clip/{id}`; the video is `/clips/{id}.mp4`, its picture `/clips/{id}.jpg`.
    pub id: i64,
    /// The recording it was cut from, and where in it (ms).
    pub recording: i64,
    pub from_ms: u64,
    pub channel: String,
    pub title: String,
    pub duration_ms: u64,
    pub made_by: String,
    pub made_ms: u64,
    /// Whether the one asking may delete it (the channel's owner, an operator).
    pub yours: bool,
}

/// A signed-in viewer clips the last `LIVE_CLIP_SECS` of `channel`'s broadcast on air;
/// returns the clip's id.
#[server(endpoint = "clip_live", input = Json)]
pub async fn clip_live(channel: String) -> Result<i64, AppError> {
    crate::error::reply(async {
        let recordings = crate::error::state::<super::Recordings>()?;
        let user = crate::accounts::session::require_user().await?;
        recordings.clip_live(&channel, &user).await
    })
    .await
}

/// A signed-in viewer clips `from_ms`..`to_ms` of recording `id` (from the keyframe at or
/// before `from_ms`); returns the clip's id.
#[server(endpoint = "clip_replay", input = Json)]
pub async fn clip_replay(id: i64, from_ms: u64, to_ms: u64) -> Result<i64, AppError> {
    crate::error::reply(async {
        let recordings = crate::error::state::<super::Recordings>()?;
        let user = crate::accounts::session::require_user().await?;
        recordings.clip_range(id, from_ms, to_ms, &user).await
    })
    .await
}

#[server(endpoint = "clip", input = Json)]
pub async fn clip(id: i64) -> Result<ClipSummary, AppError> {
    crate::error::reply(async {
        let recordings = crate::error::state::<super::Recordings>()?;
        let viewer = super::state::asking().await?;
        recordings.clip(id, viewer.as_ref()).await
    })
    .await
}

/// The channel's owner (or an operator) deletes a clip.
#[server(endpoint = "delete_clip", input = Json)]
pub async fn delete_clip(id: i64) -> Result<(), AppError> {
    crate::error::reply(async {
        let recordings = crate::error::state::<super::Recordings>()?;
        let user = crate::accounts::session::require_user().await?;
        recordings.delete_clip(id, &user).await
    })
    .await
}

/// What the studio shows of its channel's recording.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordingSetting {
    /// Whether this server records broadcasts at all.
    pub server_records: bool,
    /// Whether the owner has the channel's broadcasts recorded.
    pub on: bool,
    /// Why the latest recording stopped early, if it did.
    pub problem: Option<String>,
}

/// The channel's recording setting and how its latest recording went. Owner only.
#[server(endpoint = "channel_recording", input = Json)]
pub async fn channel_recording(channel: String) -> Result<RecordingSetting, AppError> {
    crate::error::reply(async {
        let recordings = crate::error::state::<super::Recordings>()?;
        let user = crate::accounts::session::require_user().await?;
        user.ensure_owns(&channel)?;
        recordings.setting(&channel, &user).await
    })
    .await
}

/// Records the channel's broadcasts from the next one (`on`), or stops doing so. Owner only.
#[server(endpoint = "set_recording", input = Json)]
pub async fn set_recording(channel: String, on: bool) -> Result<(), AppError> {
    crate::error::reply(async {
        let recordings = crate::error::state::<super::Recordings>()?;
        let user = crate::accounts::session::require_user().await?;
        user.ensure_owns(&channel)?;
        recordings.set_channel_records(&channel, on).await
    })
    .await
}

/// A page of the channel's recordings anyone may see listed (its owner sees all of them), newest
/// first: the first page, or the one after recording `before`.
#[server(endpoint = "past_broadcasts", input = Json)]
pub async fn past_broadcasts(
    channel: String,
    before: Option<i64>,
) -> Result<Vec<RecordingSummary>, AppError> {
    crate::error::reply(async {
        let recordings = crate::error::state::<super::Recordings>()?;
        let viewer = super::state::asking().await?;
        recordings.list(&channel, before, viewer.as_ref()).await
    })
    .await
}

/// One recording, for its replay page.
#[server(endpoint = "recording", input = Json)]
pub async fn recording(id: i64) -> Result<RecordingSummary, AppError> {
    crate::error::reply(async {
        let recordings = crate::error::state::<super::Recordings>()?;
        let viewer = super::state::asking().await?;
        recordings.summary(id, viewer.as_ref()).await
    })
    .await
}

/// The chat of a recording's broadcast, each line placed on the recording's timeline.
#[server(endpoint = "replay_chat", input = Json)]
pub async fn replay_chat(id: i64) -> Result<Vec<ReplayChatLine>, AppError> {
    crate::error::reply(async {
        let recordings = crate::error::state::<super::Recordings>()?;
        let viewer = super::state::asking().await?;
        recordings.chat(id, viewer.as_ref()).await
    })
    .await
}

/// The emotes of a recording's channel, for its chat replay.
#[server(endpoint = "replay_emotes", input = Json)]
pub async fn replay_emotes(id: i64) -> Result<Vec<String>, AppError> {
    crate::error::reply(async {
        let recordings = crate::error::state::<super::Recordings>()?;
        let emotes = crate::error::state::<crate::emotes::Emotes>()?;
        let viewer = super::state::asking().await?;
        let channel = recordings.summary(id, viewer.as_ref()).await?.channel;
        emotes.names(&channel).await
    })
    .await
}

/// The owner makes a recording public, unlisted or private.
#[server(endpoint = "set_recording_visibility", input = Json)]
pub async fn set_recording_visibility(id: i64, visibility: Visibility) -> Result<(), AppError> {
    crate::error::reply(async {
        let recordings = crate::error::state::<super::Recordings>()?;
        let user = crate::accounts::session::require_user().await?;
        recordings.set_visibility(id, &user, visibility).await
    })
    .await
}

/// The owner deletes a recording: its files and its index.
#[server(endpoint = "delete_recording", input = Json)]
pub async fn delete_recording(id: i64) -> Result<(), AppError> {
    crate::error::reply(async {
        let recordings = crate::error::state::<super::Recordings>()?;
        let user = crate::accounts::session::require_user().await?;
        recordings.delete(id, &user).await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> ReplayIndex {
        ReplayIndex {
            id: 1,
            state: RecordingState::Complete,
            duration_ms: 3000,
            inits: vec![(1, "video/mp4".into())],
            segments: vec![
                SegmentEntry(1, 1, 0, 1000, 5_000_000, 10_000),
                SegmentEntry(2, 1, 1000, 1000, 6_000_000, 11_000),
                // A reconnect: 5 s of wall time passed, none of it on the timeline.
                SegmentEntry(3, 1, 2000, 1000, 0, 17_000),
            ],
        }
    }

    #[test]
    fn the_segment_at_a_time_is_the_one_that_started_last_before_it() {
        let index = index();
        assert_eq!(index.segment_at(0), Some(0));
        assert_eq!(index.segment_at(999), Some(0));
        assert_eq!(index.segment_at(1000), Some(1));
        assert_eq!(index.segment_at(2500), Some(2));
        assert_eq!(index.segment_at(99_000), Some(2));
        assert_eq!(index.segment_at(-5), Some(0));
    }

    #[test]
    fn a_wall_clock_moment_lands_on_the_timeline_and_gaps_fold_away() {
        let index = index();
        assert_eq!(index.at_for_wall(10_500), Some(500));
        // During the reconnect: the end of what was recorded before it.
        assert_eq!(index.at_for_wall(14_000), Some(2000));
        assert_eq!(index.at_for_wall(17_250), Some(2250));
        // Before the recording began: nowhere.
        assert_eq!(index.at_for_wall(9_000), None);
    }

    #[test]
    fn segment_entries_travel_as_arrays() {
        let json = serde_json::to_string(&SegmentEntry(1, 2, 3, 4, 5, 6)).unwrap();
        assert_eq!(json, "[1,2,3,4,5,6]");
    }
}
