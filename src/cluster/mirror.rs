//! The origin's side: every broadcast running here is published for the other instances, in
//! the order the encoder made it. The encoder's supervisor must never wait for NATS, so its
//! calls only queue (bounded); one task per instance publishes the queue in order. If NATS is
//! away long enough for the queue to fill, fragments are dropped (relaying instances skip to the next
//! keyframe) and a warning says how many.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_nats::HeaderMap;
use bytes::Bytes;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::Cluster;
use crate::live::outlet::Mirror;
use crate::live::splitter::{Fragment, InitSegment};
use crate::live::wire::StatusEvent;

/// Queued messages, at most (all channels together): seconds of a few dozen channels'
/// 200 ms fragments, a few tens of MB at most.
const QUEUE: usize = 512;

/// The header that says what a message on a channel's subject carries: `init` (the run's
/// epoch, 8 bytes big-endian, then its init segment), `media` (a fragment, its id in the
/// `Onair-Id` header) or `status` (JSON).
pub(super) const KIND: &str = "Onair-Kind";
/// A media message's fragment id.
pub(super) const ID: &str = "Onair-Id";
pub(super) const INIT: &str = "init";
pub(super) const MEDIA: &str = "media";
pub(super) const STATUS: &str = "status";

struct Outgoing {
    channel: String,
    kind: &'static str,
    id: Option<u64>,
    payload: Bytes,
}

/// Queues this instance's broadcasts for the cluster; see the module's doc.
pub struct ClusterMirror {
    queue: mpsc::Sender<Outgoing>,
    dropped: AtomicU64,
}

impl ClusterMirror {
    /// Starts the publishing task on `tasks`; it ends shortly after `shutdown`.
    pub fn start(
        cluster: Arc<Cluster>,
        tasks: &TaskTracker,
        shutdown: CancellationToken,
    ) -> Arc<Self> {
        let (queue, outgoing) = mpsc::channel(QUEUE);
        tasks.spawn(publish(cluster, outgoing, shutdown));
        Arc::new(Self {
            queue,
            dropped: AtomicU64::new(0),
        })
    }

    fn send(&self, message: Outgoing) {
        if self.queue.try_send(message).is_err() {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                tracing::warn!(
                    dropped,
                    "NATS cannot keep up: media for other instances dropped"
                );
            }
        }
    }
}

impl Mirror for ClusterMirror {
    fn init(&self, channel: &str, epoch: u64, init: &InitSegment) {
        // The run's epoch, then the init segment: kept together in the bucket too.
        let mut payload = Vec::with_capacity(8 + init.data.len());
        payload.extend_from_slice(&epoch.to_be_bytes());
        payload.extend_from_slice(&init.data);
        self.send(Outgoing {
            channel: channel.to_string(),
            kind: INIT,
            id: None,
            payload: payload.into(),
        });
    }

    fn fragment(&self, channel: &str, id: u64, fragment: &Fragment) {
        self.send(Outgoing {
            channel: channel.to_string(),
            kind: MEDIA,
            id: Some(id),
            payload: fragment.data.clone(),
        });
    }

    fn status(&self, channel: &str, status: &StatusEvent) {
        if let Ok(json) = serde_json::to_vec(status) {
            self.send(Outgoing {
                channel: channel.to_string(),
                kind: STATUS,
                id: None,
                payload: json.into(),
            });
        }
    }
}

/// How long after shutdown begins the queue is still published: the broadcasts' last words
/// (offline) come just after it.
const LAST_WORDS: Duration = Duration::from_millis(500);

/// Publishes the queue in order. Init segments and statuses are also kept in the `live`
/// bucket, for an instance that starts relaying mid-run.
async fn publish(
    cluster: Arc<Cluster>,
    mut outgoing: mpsc::Receiver<Outgoing>,
    shutdown: CancellationToken,
) {
    loop {
        let message = tokio::select! {
            message = outgoing.recv() => message,
            _ = shutdown.cancelled() => break,
        };
        match message {
            Some(message) => send(&cluster, message).await,
            None => return,
        }
    }
    while let Ok(Some(message)) = tokio::time::timeout(LAST_WORDS, outgoing.recv()).await {
        send(&cluster, message).await;
    }
    if let Err(err) = cluster.client.flush().await {
        tracing::warn!(%err, "could not flush NATS at shutdown");
    }
}

async fn send(cluster: &Cluster, message: Outgoing) {
    let mut headers = HeaderMap::new();
    headers.insert(KIND, message.kind);
    if let Some(id) = message.id {
        headers.insert(ID, id.to_string().as_str());
    }
    if message.kind != MEDIA {
        let key = format!("{}.{}", message.channel, message.kind);
        if let Err(err) = cluster.live.put(key, message.payload.clone()).await {
            tracing::warn!(%err, channel = %message.channel, "could not keep the channel's state in NATS");
        }
    }
    if let Err(err) = cluster
        .client
        .publish_with_headers(cluster.subject(&message.channel), headers, message.payload)
        .await
    {
        tracing::warn!(%err, channel = %message.channel, "could not publish to NATS");
    }
}
