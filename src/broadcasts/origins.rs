//! In a cluster, each channel's broadcast runs on one instance at a time, its *origin*; the
//! others relay it (see `cluster`). [`Origins`] is what the registry asks before it puts a
//! channel on air, and how a stop reaches the origin from any instance.

use tokio_util::sync::CancellationToken;

use crate::error::AppError;

#[async_trait::async_trait]
pub trait Origins: Send + Sync {
    /// Makes this instance `channel`'s origin. `lost` is cancelled if it stops being so (the
    /// instance lost touch with the cluster past its lease and another took over, or a stop
    /// was asked from another instance). Err: another instance runs it, or nobody can tell.
    /// Ok: this claim's number, for [`Origins::release`].
    async fn claim(&self, channel: &str, lost: CancellationToken) -> Result<u64, AppError>;

    /// This instance no longer runs `channel` under `claim`: another may at once. A claim
    /// already lost, or replaced by a newer one, is left alone.
    async fn release(&self, channel: &str, claim: u64);

    /// Asks the instance that runs `channel`, whichever it is, to stop it.
    async fn stop_elsewhere(&self, channel: &str) -> Result<(), AppError>;
}
