//! In a cluster, each channel's broadcast runs on one instance at a time, its *origin*; the
//! others relay it (see `cluster`). [`Origins`] is what the registry asks before it puts a
//! channel on air, and how a stop reaches the origin from any instance.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::BroadcastError;

#[async_trait::async_trait]
pub trait Origins: Send + Sync {
    /// Makes this instance `channel`'s origin. `lost` is cancelled if it stops being so (the
    /// instance lost touch with the cluster past its lease and another took over, or a stop
    /// was asked from another instance). Err: another instance runs it, or nobody can tell.
    /// Ok: this claim's number, for [`Origins::release`]. `waiting` tells, when asked, whether
    /// the broadcast only waits for its publisher to come back (then it yields to that
    /// publisher reconnecting to another instance).
    async fn claim(
        &self,
        channel: &str,
        lost: CancellationToken,
        waiting: Waiting,
    ) -> Result<u64, BroadcastError>;

    /// This instance no longer runs `channel` under `claim`: another may at once. A claim
    /// already lost, or replaced by a newer one, is left alone.
    async fn release(&self, channel: &str, claim: u64);

    /// Asks the instance that runs `channel`, whichever it is, to stop it — with
    /// [`Ask::YieldIfWaiting`], only if it waits for its publisher.
    async fn stop_elsewhere(&self, channel: &str, ask: Ask) -> Result<(), BroadcastError>;
}

/// Whether a broadcast waits for its publisher to come back.
pub type Waiting = Arc<dyn Fn() -> bool + Send + Sync>;

/// What is asked of a channel's origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ask {
    Stop,
    YieldIfWaiting,
}
