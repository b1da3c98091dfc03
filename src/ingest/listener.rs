//! The RTMP port: accepts connections up to a total and a per-address cap, serves each on its
//! own task, and cuts them all at shutdown.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::connection::{self, Deadlines, Hangup};
use super::state::Ingest;

/// Connections allowed at once.
#[derive(Clone, Copy, Debug)]
pub struct Caps {
    pub total: usize,
    pub per_address: usize,
}

/// Accepts on `listener` until `shutdown`; connections run on `tasks`.
pub async fn listen(
    listener: TcpListener,
    ingest: Ingest,
    caps: Caps,
    deadlines: Deadlines,
    tasks: TaskTracker,
    shutdown: CancellationToken,
) {
    let open = OpenConnections::default();
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
        let Some(slot) = open.take(peer.ip(), caps) else {
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

/// Open connections by address.
#[derive(Clone, Default)]
struct OpenConnections(Arc<Mutex<HashMap<IpAddr, usize>>>);

impl OpenConnections {
    /// A place for one more connection from `ip`, if the caps allow it.
    fn take(&self, ip: IpAddr, caps: Caps) -> Option<Slot> {
        let mut open = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let total: usize = open.values().sum();
        let mine = open.get(&ip).copied().unwrap_or(0);
        if total >= caps.total || mine >= caps.per_address {
            return None;
        }
        open.insert(ip, mine + 1);
        Some(Slot {
            open: self.clone(),
            ip,
        })
    }
}

/// One connection's place; given back when dropped.
struct Slot {
    open: OpenConnections,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_hold_per_address_and_in_total_and_free_up_on_drop() {
        let open = OpenConnections::default();
        let caps = Caps {
            total: 3,
            per_address: 2,
        };
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let c: IpAddr = "10.0.0.3".parse().unwrap();
        let a1 = open.take(a, caps).unwrap();
        let _a2 = open.take(a, caps).unwrap();
        assert!(open.take(a, caps).is_none(), "per address");
        let _b1 = open.take(b, caps).unwrap();
        assert!(open.take(c, caps).is_none(), "in total");
        drop(a1);
        assert!(open.take(c, caps).is_some());
    }
}
