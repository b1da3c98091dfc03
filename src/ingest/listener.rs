//! The RTMP port: takes connections within its places (`admission`: a total, a cap per client,
//! unauthenticated connections giving way to newcomers), serves each on its own task, and
//! cuts them all at shutdown.

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::Ingest;
use super::admission::Admission;
use super::connection::{self, Deadlines, Hangup};
use crate::open_connections::Caps;

/// Accepts on `listener` until `shutdown`; connections run on `tasks`.
pub async fn listen(
    listener: TcpListener,
    ingest: Ingest,
    caps: Caps,
    deadlines: Deadlines,
    tasks: TaskTracker,
    shutdown: CancellationToken,
) {
    let admission = Admission::new(caps);
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
        let ticket = match admission.admit(peer.ip()) {
            Ok(ticket) => ticket,
            Err(full) => {
                tracing::warn!(%peer, "RTMP connection refused: {full}");
                continue;
            }
        };
        let _ = socket.set_nodelay(true);
        let ingest = ingest.clone();
        let cut = shutdown.child_token();
        tasks.spawn(async move {
            let hangup = connection::serve(socket, ingest, deadlines, ticket, cut).await;
            match &hangup {
                Hangup::Closed | Hangup::Unpublished | Hangup::Cut(_) => {
                    tracing::info!(%peer, "RTMP connection ended: {hangup}")
                }
                _ => tracing::warn!(%peer, "RTMP connection ended: {hangup}"),
            }
        });
    }
}
