//! The studio's server functions and the types both sides share: start and stop a channel's
//! broadcast and report its state. Every call checks, on the server, that the signed-in user
//! owns the channel.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::live::wire::ChannelState;

/// What a broadcaster picks to go live with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SourceChoice {
    TestPattern,
    /// A file from the media folder, by its plain name.
    MediaFile(String),
}

/// How records and the studio name a broadcast from streaming software.
pub const RTMP_LABEL: &str = "streaming software (RTMP)";
/// ... and from the studio page itself.
pub const BROWSER_CAMERA_LABEL: &str = "camera (browser)";
pub const BROWSER_SCREEN_LABEL: &str = "screen (browser)";

/// The encoder's own figures, from ffmpeg's progress output.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EncoderFigures {
    pub frames: u64,
    pub fps: Option<f64>,
    pub kbps: Option<f64>,
    /// 1.0 means real time.
    pub speed: Option<f64>,
}

/// What a publisher's software sends, measured as it arrives (OBS over RTMP, the browser).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IncomingFigures {
    /// "H.264", with "AAC" audio when there is audio; empty for sound alone.
    pub video: String,
    pub audio: Option<String>,
    /// As the publisher announces them.
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Measured over the last second or so.
    pub fps: Option<f64>,
    pub kbps: Option<f64>,
    /// Seconds between the last two keyframes.
    pub keyframe_secs: Option<f64>,
}

/// Viewers join at a keyframe: a longer interval than this makes them wait and lag.
pub const MAX_GOOD_KEYFRAME_SECS: f64 = 2.0;

impl IncomingFigures {
    /// What to change when keyframes come too seldom.
    pub fn keyframe_warning(&self) -> Option<String> {
        let secs = self
            .keyframe_secs
            .filter(|&s| s > MAX_GOOD_KEYFRAME_SECS + 0.25)?;
        Some(format!(
            "Keyframes arrive every {secs:.1} s: viewers wait that long to start and watch that \
             far behind. In OBS: Settings → Output → Streaming → Keyframe Interval: 1 s."
        ))
    }
}

/// A broadcast on air now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OnAir {
    pub source: String,
    pub started_ms: u64,
    /// Live, or reconnecting while ffmpeg is restarted.
    pub state: ChannelState,
    /// Why it is reconnecting, if it is.
    pub reason: Option<String>,
    pub figures: Option<EncoderFigures>,
    /// What the publisher sends, for a pushed source while it is connected.
    pub incoming: Option<IncomingFigures>,
    pub viewers: usize,
    /// The rungs of its quality ladder being made, from the top, with the viewers on each here.
    #[serde(default)]
    pub rungs: Vec<RungShare>,
}

/// One rung of a broadcast's quality ladder, and how many watch it on this instance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RungShare {
    pub name: String,
    pub viewers: usize,
}

/// How the channel's last broadcast went.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PastBroadcast {
    pub title: String,
    pub source: String,
    pub started_ms: u64,
    pub ended_ms: u64,
    pub end_reason: EndReason,
    pub failure: Option<String>,
    pub peak_viewers: u32,
}

/// How a broadcast ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EndReason {
    /// Stopped in the studio.
    Stopped,
    /// Its software or page said goodbye (OBS's Stop Streaming, the studio page's Stop).
    StoppedByBroadcaster,
    /// Its ffmpeg kept failing; the record says why.
    Failed,
    ServerShutdown,
    /// Its publisher left and did not come back within the grace period.
    PublisherLeft,
    /// Cut by a crash; its end is when it was last seen on air.
    Interrupted,
}

impl EndReason {
    const ALL: [EndReason; 6] = [
        EndReason::Stopped,
        EndReason::StoppedByBroadcaster,
        EndReason::Failed,
        EndReason::ServerShutdown,
        EndReason::PublisherLeft,
        EndReason::Interrupted,
    ];

    /// Its words, as recorded in the broadcasts table and shown in the studio.
    pub fn words(self) -> &'static str {
        match self {
            EndReason::Stopped => "stopped",
            EndReason::StoppedByBroadcaster => "stopped by the broadcaster",
            EndReason::Failed => "failed",
            EndReason::ServerShutdown => "server shutdown",
            EndReason::PublisherLeft => "publisher left",
            EndReason::Interrupted => "interrupted",
        }
    }

    /// The reason recorded as `words`.
    pub fn from_words(words: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|reason| reason.words() == words)
    }
}

/// What the studio shows about its channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StudioStatus {
    pub channel: String,
    pub title: String,
    /// Whether its broadcasts are made in the quality ladder (the owner may turn it off).
    pub ladder: bool,
    pub on_air: Option<OnAir>,
    pub last: Option<PastBroadcast>,
    /// The server's clock when this was made, for "live for 3 min".
    pub now_ms: u64,
}

/// Puts `channel` on air with `source` under `title`. Owner only.
#[server(endpoint = "start_broadcast", input = Json)]
pub async fn start_broadcast(
    channel: String,
    title: String,
    source: SourceChoice,
) -> Result<(), AppError> {
    crate::error::reply(async {
        let broadcasts = crate::error::state::<super::Broadcasts>()?;
        let user = crate::accounts::session::require_user().await?;
        broadcasts.start_by(&user, &channel, &title, source).await
    })
    .await
}

/// Sets the title `channel` goes live with (and shows now, if it is live). Owner only.
#[server(endpoint = "save_title", input = Json)]
pub async fn save_title(channel: String, title: String) -> Result<(), AppError> {
    crate::error::reply(async {
        let broadcasts = crate::error::state::<super::Broadcasts>()?;
        let user = crate::accounts::session::require_user().await?;
        user.ensure_owns(&channel)?;
        let title = super::rules::check_title(&title).map_err(AppError::Invalid)?;
        broadcasts.save_title(&channel, &title).await
    })
    .await
}

/// Makes `channel`'s broadcasts, from the next one, in the quality ladder (`on`) or in the
/// source alone (every viewer gets what the broadcaster sends). Owner only.
#[server(endpoint = "set_ladder", input = Json)]
pub async fn set_ladder(channel: String, on: bool) -> Result<(), AppError> {
    crate::error::reply(async {
        let broadcasts = crate::error::state::<super::Broadcasts>()?;
        let user = crate::accounts::session::require_user().await?;
        user.ensure_owns(&channel)?;
        broadcasts.set_ladder(&channel, on).await
    })
    .await
}

/// Takes `channel` off air; returns once its ffmpeg has exited. Owner or operator.
#[server(endpoint = "stop_broadcast", input = Json)]
pub async fn stop_broadcast(channel: String) -> Result<(), AppError> {
    crate::error::reply(async {
        let broadcasts = crate::error::state::<super::Broadcasts>()?;
        let user = crate::accounts::session::require_user().await?;
        broadcasts.stop_by(&user, &channel).await
    })
    .await
}

/// The channel's broadcast state, encoder figures and last broadcast. Owner only.
#[server(endpoint = "broadcast_state", input = Json)]
pub async fn broadcast_state(channel: String) -> Result<StudioStatus, AppError> {
    crate::error::reply(async {
        let broadcasts = crate::error::state::<super::Broadcasts>()?;
        let user = crate::accounts::session::require_user().await?;
        user.ensure_owns(&channel)?;
        broadcasts.studio_status(&channel).await
    })
    .await
}

/// The files in the media folder a broadcaster can pick. Signed-in users only.
#[server(endpoint = "media_files")]
pub async fn media_files() -> Result<Vec<String>, AppError> {
    crate::error::reply(async {
        let broadcasts = crate::error::state::<super::Broadcasts>()?;
        crate::accounts::session::require_user().await?;
        Ok(broadcasts.media_files())
    })
    .await
}
