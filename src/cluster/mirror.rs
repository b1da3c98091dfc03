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
use crate::live::hub::RungInfo;
use crate::live::outlet::Mirror;
use crate::live::splitter::{Fragment, InitSegment};
use crate::live::wire::StatusEvent;

/// Queued messages, at most (all channels together): seconds of a few dozen channels'
/// 200 ms fragments, a few tens of MB at most.
const QUEUE: usize = 512;

/// The header that says what a message carries: on a channel's subject, `init` (a rung's init
/// segment, see [`InitMessage`]) or `status` (JSON); on a rung's subject, `media` (a fragment,
/// its id in the `Onair-Id` header; its rung is the subject's last part).
pub(super) const KIND: &str = "Onair-Kind";
/// A media message's fragment id.
pub(super) const ID: &str = "Onair-Id";
pub(super) const INIT: &str = "init";
pub(super) const MEDIA: &str = "media";
pub(super) const STATUS: &str = "status";

struct Outgoing {
    channel: String,
    kind: &'static str,
    /// Which init or media: a rung.
    rung: usize,
    id: Option<u64>,
    payload: Bytes,
}

/// An init message, kept in the `live` bucket under `{channel}.init.{rung}` too: the run's
/// epoch (8 bytes big-endian), the rung (1 byte), the ladder (2 bytes of length, then
/// `name:height` for each rung, comma-separated, height 0 when unknown), the init segment.
pub(super) struct InitMessage<'a> {
    pub epoch: u64,
    pub rung: usize,
    pub ladder: Arc<[RungInfo]>,
    pub data: &'a [u8],
}

impl<'a> InitMessage<'a> {
    fn encode(&self) -> Vec<u8> {
        let ladder: Vec<String> = self
            .ladder
            .iter()
            .map(|r| format!("{}:{}", r.name, r.height.unwrap_or(0)))
            .collect();
        let ladder = ladder.join(",");
        let mut payload = Vec::with_capacity(11 + ladder.len() + self.data.len());
        payload.extend_from_slice(&self.epoch.to_be_bytes());
        payload.push(self.rung as u8);
        payload.extend_from_slice(&(ladder.len() as u16).to_be_bytes());
        payload.extend_from_slice(ladder.as_bytes());
        payload.extend_from_slice(self.data);
        payload
    }

    /// None when it is malformed.
    pub fn decode(payload: &'a [u8]) -> Option<Self> {
        let (epoch, rest) = payload.split_first_chunk::<8>()?;
        let (rung, rest) = rest.split_first()?;
        let (length, rest) = rest.split_first_chunk::<2>()?;
        let length = u16::from_be_bytes(*length) as usize;
        let ladder = std::str::from_utf8(rest.get(..length)?).ok()?;
        let ladder: Option<Vec<RungInfo>> = ladder
            .split(',')
            .take(crate::renditions::ladder::MAX_RUNGS)
            .map(|part| {
                let (name, height) = part.rsplit_once(':')?;
                let height: u32 = height.parse().ok()?;
                Some(RungInfo {
                    name: name.to_string(),
                    height: (height > 0).then_some(height),
                })
            })
            .collect();
        let ladder = ladder?;
        let rung = *rung as usize;
        (rung < ladder.len()).then(|| Self {
            epoch: u64::from_be_bytes(*epoch),
            rung,
            ladder: ladder.into(),
            data: &rest[length..],
        })
    }

    /// Its key in the `live` bucket.
    pub fn key(channel: &str, rung: usize) -> String {
        format!("{channel}.{INIT}.{rung}")
    }
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
    fn init(
        &self,
        channel: &str,
        epoch: u64,
        rung: usize,
        ladder: &Arc<[RungInfo]>,
        init: &InitSegment,
    ) {
        let message = InitMessage {
            epoch,
            rung,
            ladder: ladder.clone(),
            data: &init.data,
        };
        self.send(Outgoing {
            channel: channel.to_string(),
            kind: INIT,
            rung,
            id: None,
            payload: message.encode().into(),
        });
    }

    fn fragment(&self, channel: &str, rung: usize, id: u64, fragment: &Fragment) {
        self.send(Outgoing {
            channel: channel.to_string(),
            kind: MEDIA,
            rung,
            id: Some(id),
            payload: fragment.data.clone(),
        });
    }

    fn status(&self, channel: &str, status: &StatusEvent) {
        if let Ok(json) = serde_json::to_vec(status) {
            self.send(Outgoing {
                channel: channel.to_string(),
                kind: STATUS,
                rung: 0,
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
        let key = match message.kind {
            INIT => InitMessage::key(&message.channel, message.rung),
            kind => format!("{}.{kind}", message.channel),
        };
        if let Err(err) = cluster.live.put(key, message.payload.clone()).await {
            tracing::warn!(%err, channel = %message.channel, "could not keep the channel's state in NATS");
        }
    }
    let subject = match message.kind {
        MEDIA => cluster.rung_subject(&message.channel, message.rung),
        _ => cluster.subject(&message.channel),
    };
    if let Err(err) = cluster
        .client
        .publish_with_headers(subject, headers, message.payload)
        .await
    {
        tracing::warn!(%err, channel = %message.channel, "could not publish to NATS");
    }
}
