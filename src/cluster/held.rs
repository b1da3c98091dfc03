//! A server-side broadcast that must always be on air somewhere (the demo channel): every
//! instance tries to start it every second; the origin lease ([`super::origins`]) lets one of
//! them run it, and when that instance dies its lease lapses and the next try elsewhere takes
//! the broadcast over. Its viewers elsewhere get it through [`super::relays`].

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::broadcasts::Broadcasts;
use crate::broadcasts::api::SourceChoice;

/// How often an instance that does not run the broadcast tries to.
const TRY_EVERY: Duration = Duration::from_secs(1);

/// Keeps `channel` on air from `source` under `title` on one instance of the cluster, until
/// `shutdown` (which stops it here, giving the lease up so another instance takes over at
/// once).
pub async fn hold(
    broadcasts: Broadcasts,
    channel: String,
    title: String,
    source: SourceChoice,
    shutdown: CancellationToken,
) {
    let mut tries = tokio::time::interval(TRY_EVERY);
    tries.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tries.tick() => {}
        }
        if broadcasts.is_on_air(&channel) {
            continue;
        }
        match broadcasts
            .start(&channel, title.clone(), source.clone())
            .await
        {
            Ok(()) => {}
            // Another instance runs it, or is asked to: the normal case.
            Err(err) if err.is_live_already() => {}
            Err(err) => tracing::warn!(%err, %channel, "could not start the broadcast"),
        }
    }
}
