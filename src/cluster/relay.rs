//! A relaying instance's side: one subscription to a channel's subject feeds this instance's hub, however
//! many viewers watch here. It starts from the run's init segment as the origin left it in the
//! `live` bucket (subscribed first, so nothing published meanwhile is missed) and from the next
//! keyframe; fragments keep the origin's ids.

use std::sync::Arc;

use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::Cluster;
use super::mirror::{ID, INIT, KIND, MEDIA, STATUS};
use crate::live::hub::Hub;
use crate::live::splitter::{Piece, Splitter};
use crate::live::wire::StatusEvent;

/// Relays `channel` from its origin into `hub` until `stop`; held media is dropped at the end
/// (nobody keeps it current any more).
pub async fn relay(cluster: Arc<Cluster>, channel: String, hub: Arc<Hub>, stop: CancellationToken) {
    let subject = cluster.subject(&channel);
    let mut messages = match cluster.client.subscribe(subject).await {
        Ok(messages) => messages,
        Err(err) => {
            tracing::warn!(%err, %channel, "cannot subscribe to the channel in NATS");
            return;
        }
    };
    tracing::info!(%channel, "relaying from the channel's origin");
    let mut run = OriginRun::default();
    if let Ok(Some(init)) = cluster.live.get(format!("{channel}.{INIT}")).await {
        run.init(&hub, &init);
    }
    // After the init segment, which would otherwise put an offline channel live.
    if let Ok(Some(status)) = cluster.live.get(format!("{channel}.{STATUS}")).await {
        take_status(&hub, &status);
    }
    loop {
        let message = tokio::select! {
            _ = stop.cancelled() => break,
            message = messages.next() => match message {
                Some(message) => message,
                None => break,
            },
        };
        let Some(headers) = &message.headers else {
            continue;
        };
        match headers.get(KIND).map(|kind| kind.as_str()) {
            Some(INIT) => run.init(&hub, &message.payload),
            Some(STATUS) => take_status(&hub, &message.payload),
            Some(MEDIA) => {
                if let Some(id) = headers.get(ID).and_then(|id| id.as_str().parse().ok()) {
                    run.fragment(&hub, id, &message.payload);
                }
            }
            _ => {}
        }
    }
    hub.forget_media();
    tracing::info!(%channel, "stopped relaying");
}

/// What the relay knows of the origin's current run.
#[derive(Default)]
struct OriginRun {
    /// Parses fragments of the current run; None before its init segment.
    splitter: Option<Splitter>,
    /// Set once a keyframe has been relayed: a viewer here can start from it.
    started: bool,
}

impl OriginRun {
    fn init(&mut self, hub: &Hub, payload: &[u8]) {
        let Some((epoch, data)) = payload.split_first_chunk::<8>() else {
            tracing::warn!("the origin's init message is too short");
            return;
        };
        let epoch = u64::from_be_bytes(*epoch);
        let mut splitter = Splitter::new();
        match splitter.push(data) {
            Ok(pieces) => {
                for piece in pieces {
                    if let Piece::Init(init) = piece {
                        hub.publish_relayed_init(&init, epoch);
                    }
                }
                self.splitter = Some(splitter);
                self.started = false;
            }
            Err(err) => tracing::warn!(%err, "the origin's init segment does not parse"),
        }
    }

    fn fragment(&mut self, hub: &Hub, id: u64, data: &[u8]) {
        let Some(splitter) = &mut self.splitter else {
            return;
        };
        match splitter.push(data) {
            Ok(pieces) => {
                for piece in pieces {
                    if let Piece::Fragment(fragment) = piece {
                        self.started |= fragment.keyframe;
                        if self.started {
                            hub.publish_relayed(&fragment, id);
                        }
                    }
                }
            }
            Err(err) => {
                tracing::warn!(%err, "a fragment from the origin does not parse; waiting for the next run");
                self.splitter = None;
            }
        }
    }
}

/// Takes the origin's status (JSON) into `hub`.
fn take_status(hub: &Hub, json: &[u8]) {
    match serde_json::from_slice::<StatusEvent>(json) {
        Ok(status) => hub.relay_status(status),
        Err(err) => tracing::warn!(%err, "the origin's status does not parse"),
    }
}

/// Says, for every instance, that `channel` went off air: its origin is gone without saying so
/// (killed, or cut off), and no instance took it over.
pub async fn mark_offline(cluster: &Cluster, channel: &str, hub: &Hub) {
    let status = StatusEvent {
        state: crate::live::wire::ChannelState::Offline,
        since_ms: crate::clock::now_ms(),
        reason: Some("The server running this broadcast stopped.".into()),
    };
    if let Ok(json) = serde_json::to_vec(&status) {
        let key = format!("{channel}.{STATUS}");
        if let Err(err) = cluster.live.put(key, json.into()).await {
            tracing::warn!(%err, %channel, "could not mark the channel offline in NATS");
        }
    }
    hub.relay_status(status);
}

/// Takes `channel`'s status from the `live` bucket, as its origin last left it (for an
/// instance not relaying it: its directory and pages still say whether it is live).
pub async fn sync_status(cluster: &Cluster, channel: &str, hub: &Hub) {
    if let Ok(Some(status)) = cluster.live.get(format!("{channel}.{STATUS}")).await {
        take_status(hub, &status);
    }
}
