//! Publishers turned away, and why: the words the publisher gets, the last refusal the studio
//! shows, and the cool-down after "Stop" in the studio that keeps software's automatic
//! reconnect from putting the channel straight back on air.

use std::time::Duration;

use super::state::Ingest;
use crate::broadcasts::api::{EndReason, RTMP_LABEL};
use crate::clock::now_ms;

/// After "Stop" in the studio, the channel's key is refused this long, so the software's
/// automatic reconnect does not put the channel straight back on air.
pub const STOPPED_COOLDOWN: Duration = Duration::from_secs(30);

/// Why a publisher is turned away, in words shown to it (and, where it is the owner's
/// business, in the studio).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Refusal {
    #[error("wrong stream key")]
    WrongKey,
    #[error("another publisher is already streaming to this channel")]
    AlreadyPublishing,
    #[error("{0}")]
    Unsuitable(String),
    #[error("{0}")]
    CannotGoLive(String),
}

/// A refusal answered over HTTP (the studio page's publish socket): the channel is taken.
impl From<Refusal> for crate::error::AppError {
    fn from(refusal: Refusal) -> Self {
        crate::error::AppError::Conflict(refusal.to_string())
    }
}

impl Ingest {
    /// Why the channel's last publisher was turned away, if that was the latest news.
    pub fn problem(&self, channel: &str) -> Option<(u64, String)> {
        self.lock().get(channel).and_then(|c| c.problem.clone())
    }

    /// Turns a publisher with the right key away for `reason`, which its studio shows.
    pub(super) fn refuse(&self, channel: &str, reason: String) -> Refusal {
        tracing::warn!(%channel, %reason, "publisher refused");
        self.lock().entry(channel.to_string()).or_default().problem =
            Some((now_ms(), reason.clone()));
        Refusal::CannotGoLive(reason)
    }

    /// Records that a stream was unsuitable (codec), for the studio to show.
    pub(super) fn unsuitable(&self, channel: &str, reason: String) -> Refusal {
        self.refuse(channel, reason.clone());
        Refusal::Unsuitable(reason)
    }

    /// Whether the owner stopped the channel's pushed broadcast in the studio just now.
    pub(super) async fn stopped_in_studio(&self, channel: &str) -> Option<String> {
        let last = self.inner.broadcasts.last(channel).await.ok()??;
        let recent = now_ms().saturating_sub(last.ended_ms) < STOPPED_COOLDOWN.as_millis() as u64;
        (recent && last.end_reason == EndReason::Stopped && last.source == RTMP_LABEL).then(|| {
            format!(
                "the broadcast was stopped in the studio; stop streaming in your software, or \
                 wait {} s to go live again",
                STOPPED_COOLDOWN.as_secs()
            )
        })
    }
}
