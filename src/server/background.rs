//! The server's background tasks: viewer counts and keep-alives for every hub, expired
//! sessions and old chat erased; in a cluster, counts shared and channels relayed. Each ends
//! when the server shuts down.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_sessions::session_store::ExpiredDeletion;

use super::{AppState, Settings};
use crate::channels::Channels;
use crate::cluster::Cluster;
use crate::db;

/// Spawns every background task on `tasks`.
pub fn spawn(
    state: &AppState,
    settings: &Settings,
    sessions: db::Sessions,
    cluster: Option<&Arc<Cluster>>,
    shared_db: bool,
    tasks: &TaskTracker,
    shutdown: &CancellationToken,
) {
    if let Some(cluster) = cluster {
        tasks.spawn(crate::cluster::counts::share(
            cluster.clone(),
            state.channels.clone(),
            shutdown.clone(),
        ));
        tasks.spawn(crate::cluster::relays::serve(
            cluster.clone(),
            state.channels.clone(),
            state.broadcasts.clone(),
            shared_db,
            shutdown.clone(),
        ));
    }
    tasks.spawn(publish_viewer_counts(
        state.channels.clone(),
        shutdown.clone(),
    ));
    tasks.spawn(keep_streams_alive(
        state.channels.clone(),
        settings.server.keep_alive_secs,
        shutdown.clone(),
    ));
    tasks.spawn(delete_expired_sessions(sessions, shutdown.clone()));
    let retention = (settings.chat.retention_days > 0)
        .then(|| Duration::from_secs(settings.chat.retention_days * 24 * 3600));
    tasks.spawn({
        let chat = state.chat.clone();
        let stop = shutdown.clone();
        async move { chat.erase_old(retention, stop).await }
    });
    tasks.spawn({
        let recordings = state.recordings.clone();
        let stop = shutdown.clone();
        async move { recordings.keep_within_limits(RETENTION_EVERY, stop).await }
    });
}

/// How often recordings past the retention's limits are removed.
const RETENTION_EVERY: Duration = Duration::from_secs(600);

/// Once a second, every channel whose audience changed tells its viewers the new count.
async fn publish_viewer_counts(channels: Channels, shutdown: CancellationToken) {
    let mut every_second = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = every_second.tick() => channels.publish_viewer_counts(),
        }
    }
}

/// Beats every hub twice per keep-alive period, so no SSE stream goes a whole period without
/// a byte (a write is also how a closed connection is noticed).
async fn keep_streams_alive(channels: Channels, keep_alive_secs: u64, shutdown: CancellationToken) {
    let period = Duration::from_secs(keep_alive_secs.max(1));
    let mut beat = tokio::time::interval(period / 2);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = beat.tick() => channels.heartbeat(),
        }
    }
}

/// Hourly, sessions past their expiry are deleted from the store.
async fn delete_expired_sessions(sessions: db::Sessions, shutdown: CancellationToken) {
    tokio::select! {
        _ = shutdown.cancelled() => {}
        ended = sessions.continuously_delete_expired(Duration::from_secs(3600)) => {
            if let Err(err) = ended {
                tracing::error!(%err, "expired-session cleanup stopped");
            }
        }
    }
}
