//! The demo channel: a test pattern on air from the start, so a new site has something to watch.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::AppState;
use crate::broadcasts::api::SourceChoice;
use crate::cluster::Cluster;

/// The demo channel's name.
pub const CHANNEL: &str = "demo";

/// The demo channel, owned by nobody, broadcasting the test pattern (its record kept like any;
/// recorded only with `[demo] record`, as it never ends).
/// In a cluster, one instance at a time runs it and the others relay it.
pub async fn start(
    state: &AppState,
    title: &str,
    cluster: Option<Arc<Cluster>>,
    tasks: &TaskTracker,
    shutdown: &CancellationToken,
) -> Result<(), crate::error::AppError> {
    let channel = state.channels.open(CHANNEL, "OnAir", title);
    match cluster {
        None => state
            .broadcasts
            .start(CHANNEL, title.to_string(), SourceChoice::TestPattern)
            .await
            .map_err(Into::into),
        Some(_) => {
            tasks.spawn(crate::cluster::held::hold(
                state.broadcasts.clone(),
                channel.name.clone(),
                title.to_string(),
                SourceChoice::TestPattern,
                shutdown.clone(),
            ));
            Ok(())
        }
    }
}
