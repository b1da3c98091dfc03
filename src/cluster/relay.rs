//! A relaying instance's side: one subscription to a channel's subject (init segments and
//! status) and one to each rung its viewers here are on feed this instance's hub, however many
//! viewers watch here. It starts from the run's init segments as the origin left them in the
//! `live` bucket (subscribed first, so nothing published meanwhile is missed) and each rung
//! from its next keyframe; fragments keep the origin's ids.
//!
//! Which rungs: all of them for the first seconds (every rung's bitrate is learnt, and the
//! first viewers land where they want); then the rungs viewers here are on, the rungs a viewer
//! here wanted and found missing (taken at once: it moves there at a keyframe soon after), and
//! always the lowest picture, which a viewer falling behind steps down to at once and the
//! channel's thumbnail is made from. A rung nobody needed for 10 s is let go.

use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use async_nats::{Message, Subscriber};
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::Cluster;
use super::mirror::{ID, INIT, InitMessage, KIND, MEDIA, STATUS};
use crate::live::hub::{Hub, RungInfo};
use crate::live::splitter::{Piece, Splitter};
use crate::live::wire::StatusEvent;
use crate::renditions::ladder::MAX_RUNGS;

/// How often the rungs taken are reconsidered.
const TEND: Duration = Duration::from_millis(250);
/// A rung nobody here was on or wanted for this long is let go (and all are taken for this
/// long after the relay starts).
const RUNG_IDLE: Duration = Duration::from_secs(10);
/// A viewer that lacks the rung it wants asks again at every keyframe: a want counts this long.
const WANT_FRESH: Duration = Duration::from_secs(2);

/// Relays `channel` from its origin into `hub` until `stop`; held media is dropped at the end
/// (nobody keeps it current any more).
pub async fn relay(cluster: Arc<Cluster>, channel: String, hub: Arc<Hub>, stop: CancellationToken) {
    let subject = cluster.subject(&channel);
    let mut control = match cluster.client.subscribe(subject).await {
        Ok(messages) => messages,
        Err(err) => {
            tracing::warn!(%err, %channel, "cannot subscribe to the channel in NATS");
            return;
        }
    };
    tracing::info!(%channel, "relaying from the channel's origin");
    let mut run = OriginRun::default();
    let mut taken = TakenRungs::new(Instant::now());
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
    taken.tend(&cluster, &channel, &hub, &mut run).await;
    // After the init segment, which would otherwise put an offline channel live.
    if let Ok(Some(status)) = cluster.live.get(format!("{channel}.{STATUS}")).await {
        take_status(&hub, &status);
    }
    let mut tend = tokio::time::interval(TEND);
    tend.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        // In this order: a rung's init is read before that rung's fragments after it (they
        // left the origin in that order, on two subscriptions).
        tokio::select! {
            biased;
            _ = stop.cancelled() => break,
            message = control.next() => match message {
                Some(message) => match kind(&message) {
                    Some(INIT) => run.init(&hub, &message.payload),
                    Some(STATUS) => take_status(&hub, &message.payload),
                    _ => {}
                },
                None => break,
            },
            (rung, message) = taken.next() => {
                if kind(&message) == Some(MEDIA)
                    && let Some(id) = message
                        .headers
                        .as_ref()
                        .and_then(|h| h.get(ID))
                        .and_then(|id| id.as_str().parse().ok())
                {
                    run.fragment(&hub, rung, id, &message.payload);
                }
            }
            _ = tend.tick() => taken.tend(&cluster, &channel, &hub, &mut run).await,
        }
    }
    hub.forget_media();
    tracing::info!(%channel, "stopped relaying");
}

fn kind(message: &Message) -> Option<&str> {
    message
        .headers
        .as_ref()?
        .get(KIND)
        .map(|kind| kind.as_str())
}

/// The rungs this relay takes from the origin, each with its own subscription.
struct TakenRungs {
    subscriptions: [Option<Subscriber>; MAX_RUNGS],
    /// When each rung was last needed here.
    needed: [Instant; MAX_RUNGS],
    /// Where the next poll starts, so every rung gets its turn.
    first: usize,
    /// The origin's run these are for: a new one takes every rung again for a while.
    epoch: u64,
}

impl TakenRungs {
    fn new(now: Instant) -> Self {
        Self {
            subscriptions: Default::default(),
            needed: [now; MAX_RUNGS],
            first: 0,
            epoch: 0,
        }
    }

    /// Takes the rungs needed here now and lets go of those not needed for [`RUNG_IDLE`].
    async fn tend(&mut self, cluster: &Cluster, channel: &str, hub: &Hub, run: &mut OriginRun) {
        let now = Instant::now();
        if run.epoch != self.epoch {
            self.epoch = run.epoch;
            self.needed = [now; MAX_RUNGS];
        }
        // Kept at all times, to start viewers on: the lowest rung with a picture, or the one
        // rung of a broadcast of sound alone.
        let lowest_picture = run
            .ladder
            .iter()
            .rposition(|r| !r.is_sound_alone())
            .unwrap_or(0);
        for rung in 0..MAX_RUNGS {
            let exists = rung < run.ladder.len();
            if exists && (rung == lowest_picture || hub.rung_in_use(rung, WANT_FRESH)) {
                self.needed[rung] = now;
            }
            let keep = exists && now.duration_since(self.needed[rung]) < RUNG_IDLE;
            match (&self.subscriptions[rung], keep) {
                (None, true) => {
                    match cluster
                        .client
                        .subscribe(cluster.rung_subject(channel, rung))
                        .await
                    {
                        Ok(subscription) => {
                            tracing::debug!(%channel, rung, "relaying a rung");
                            self.subscriptions[rung] = Some(subscription);
                            // From its next keyframe.
                            run.restart(rung);
                        }
                        Err(err) => {
                            tracing::warn!(%err, %channel, rung, "cannot subscribe to a rung")
                        }
                    }
                }
                (Some(_), false) => {
                    tracing::debug!(%channel, rung, "no longer relaying a rung nobody watches here");
                    self.subscriptions[rung] = None;
                    hub.forget_rung(rung);
                }
                _ => {}
            }
        }
    }

    /// The next fragment message of any rung taken; pending while none is taken.
    async fn next(&mut self) -> (usize, Message) {
        std::future::poll_fn(|cx| {
            for step in 0..MAX_RUNGS {
                let rung = (self.first + step) % MAX_RUNGS;
                let Some(subscription) = &mut self.subscriptions[rung] else {
                    continue;
                };
                match subscription.poll_next_unpin(cx) {
                    Poll::Ready(Some(message)) => {
                        self.first = (rung + 1) % MAX_RUNGS;
                        return Poll::Ready((rung, message));
                    }
                    // NATS ended it: taken again at the next tend.
                    Poll::Ready(None) => self.subscriptions[rung] = None,
                    Poll::Pending => {}
                }
            }
            Poll::Pending
        })
        .await
    }
}

/// What the relay knows of the origin's current run, rung by rung.
#[derive(Default)]
struct OriginRun {
    /// Its epoch and ladder, from the last init segment (0 and empty before one).
    epoch: u64,
    ladder: Arc<[RungInfo]>,
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
                self.epoch = message.epoch;
                self.ladder = message.ladder.clone();
                self.rungs[message.rung] = RelayedRung {
                    splitter: Some(splitter),
                    started: false,
                };
            }
            Err(err) => tracing::warn!(%err, "the origin's init segment does not parse"),
        }
    }

    /// `rung` continues after a gap (it was not taken): from its next keyframe.
    fn restart(&mut self, rung: usize) {
        if let Some(relayed) = self.rungs.get_mut(rung) {
            relayed.started = false;
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
