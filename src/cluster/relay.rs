//! A relaying instance's side: one subscription to a channel's subject feeds this instance's hub, however
//! many viewers watch here. It starts from the run's init segment as the origin left it in the
//! `live` bucket (subscribed first, so nothing published meanwhile is missed) and from the next
//! keyframe; fragments keep the origin's ids.

use std::sync::Arc;

use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::Cluster;
use super::mirror::{ID, INIT, InitMessage, KIND, MEDIA, RUNG, STATUS};
use crate::live::hub::Hub;
use crate::live::splitter::{Piece, Splitter};
use crate::live::wire::StatusEvent;
use crate::renditions::ladder::MAX_RUNGS;

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
    // Each rung's init as the origin left it; a rung the current run does not have is an old
    // run's, and is passed over.
    let mut epoch = None;
    for rung in 0..MAX_RUNGS {
        let Ok(Some(init)) = cluster.live.get(InitMessage::key(&channel, rung)).await else {
            break;
        };
        let this = InitMessage::decode(&init).map(|m| m.epoch);
        if epoch.is_some() && this != epoch {
            break;
        }
        epoch = this;
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
                let rung = headers
                    .get(RUNG)
                    .and_then(|rung| rung.as_str().parse().ok())
                    .unwrap_or(0);
                if let Some(id) = headers.get(ID).and_then(|id| id.as_str().parse().ok()) {
                    run.fragment(&hub, rung, id, &message.payload);
                }
            }
            _ => {}
        }
    }
    hub.forget_media();
    tracing::info!(%channel, "stopped relaying");
}

/// What the relay knows of the origin's current run, rung by rung.
#[derive(Default)]
struct OriginRun {
    rungs: [RelayedRung; MAX_RUNGS],
}

#[derive(Default)]
struct RelayedRung {
    /// Parses fragments of the current run; None before its init segment.
    splitter: Option<Splitter>,
    /// Set once a keyframe has been relayed: a viewer here can start from it.
    started: bool,
}

impl OriginRun {
    fn init(&mut self, hub: &Hub, payload: &[u8]) {
        let Some(message) = InitMessage::decode(payload) else {
            tracing::warn!("the origin's init message is malformed");
            return;
        };
        let mut splitter = Splitter::new();
        match splitter.push(message.data) {
            Ok(pieces) => {
                for piece in pieces {
                    if let Piece::Init(init) = piece {
                        hub.publish_relayed_init(
                            message.rung,
                            &init,
                            message.epoch,
                            message.ladder.clone(),
                        );
                    }
                }
                self.rungs[message.rung] = RelayedRung {
                    splitter: Some(splitter),
                    started: false,
                };
            }
            Err(err) => tracing::warn!(%err, "the origin's init segment does not parse"),
        }
    }

    fn fragment(&mut self, hub: &Hub, rung: usize, id: u64, data: &[u8]) {
        let Some(relayed) = self.rungs.get_mut(rung) else {
            return;
        };
        let Some(splitter) = &mut relayed.splitter else {
            return;
        };
        match splitter.push(data) {
            Ok(pieces) => {
                for piece in pieces {
                    if let Piece::Fragment(fragment) = piece {
                        relayed.started |= fragment.keyframe;
                        if relayed.started {
                            hub.publish_relayed(rung, &fragment, id);
                        }
                    }
                }
            }
            Err(err) => {
                tracing::warn!(%err, "a fragment from the origin does not parse; waiting for the next run");
                relayed.splitter = None;
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
