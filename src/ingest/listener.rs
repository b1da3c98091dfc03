//! The RTMP port: accepts connections up to a total and a per-address cap, serves each on its
//! own task, and cuts them all at shutdown.

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::connection::{self, Deadlines, Hangup};
use super::state::Ingest;
use crate::open_connections::{Caps, OpenConnections};

/// Accepts on `listener` until `shutdown`; connections run on `tasks`.
pub async fn listen(
    listener: TcpListener,
    ingest: Ingest,
    caps: Caps,
    deadlines: Deadlines,
    tasks: TaskTracker,
    shutdown: CancellationToken,
) {
    let open = OpenConnections::new(caps);
    loop {
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let (socket, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(err) => {
                // Out of file descriptors and the like: pause rather than spin.
                tracing::warn!(%err, "RTMP accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let Some(slot) = open.take(peer.ip()) else {
            tracing::warn!(%peer, "RTMP connection refused: too many connections");
            continue;
        };
        let _ = socket.set_nodelay(true);
        let ingest = ingest.clone();
        let cut = shutdown.child_token();
        tasks.spawn(async move {
            let hangup = connection::serve(socket, ingest, deadlines, cut).await;
            match &hangup {
                Hangup::Closed | Hangup::Cut(_) => {
                    tracing::info!(%peer, "RTMP connection ended: {hangup}")
                }
                _ => tracing::warn!(%peer, "RTMP connection ended: {hangup}"),
            }
            drop(slot);
        });
    }
}
