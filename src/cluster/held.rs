//! A server-side broadcast (the demo channel) in a cluster: every instance runs this loop, the
//! lease holder runs the encoder, and the others relay it for their viewers — only while they
//! have any, as an SRS edge pulls from its origin only when asked. When the holder dies its
//! lease lapses and the first instance to ask takes the broadcast over; its fragment ids
//! continue above the old origin's.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::lease::Holder;
use super::{Cluster, LEASE_TTL, relay};
use crate::broadcasts::Broadcasts;
use crate::broadcasts::api::SourceChoice;
use crate::channels::Channel;

/// How often the loop looks for viewers to relay to.
const TICK: Duration = Duration::from_millis(250);
/// Every this many ticks (a second) the lease is renewed or asked for.
const LEASE_TICKS: u64 = 4;
/// A relay with no viewers for this many ticks (10 s) stops.
const IDLE_TICKS: u64 = 40;

/// Runs `channel` from `source` under `title` on one instance of the cluster at a time, until
/// `shutdown`; then gives the lease up, so another instance takes over at once.
pub async fn hold(
    cluster: Arc<Cluster>,
    broadcasts: Broadcasts,
    channel: Arc<Channel>,
    title: String,
    source: SourceChoice,
    shutdown: CancellationToken,
) {
    let name = channel.name.clone();
    let mut held: Option<u64> = None;
    let mut renewed = Instant::now();
    let mut relaying: Option<Relaying> = None;
    let mut idle = 0u64;
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for ticks in 0u64.. {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tick.tick() => {}
        }
        if ticks % LEASE_TICKS == 0 {
            match cluster.lease(&name, held).await {
                Holder::Me(revision) => {
                    if held.is_none() {
                        if let Some(relay) = relaying.take() {
                            relay.stop().await;
                        }
                        tracing::info!(channel = %name, "this instance is the channel's origin now");
                        channel.hub.take_over_ids();
                        if let Err(err) =
                            broadcasts.start(&name, title.clone(), source.clone()).await
                        {
                            // Another instance may manage: let it have the lease.
                            tracing::error!(%err, channel = %name, "could not start the broadcast");
                            cluster.release(&name).await;
                            continue;
                        }
                    }
                    held = Some(revision);
                    renewed = Instant::now();
                }
                Holder::Other => {
                    if held.take().is_some() {
                        tracing::warn!(channel = %name, "another instance holds the channel now");
                        let _ = broadcasts.stop(&name).await;
                    }
                }
                Holder::Unknown => {
                    // NATS is away: this instance's own viewers keep watching. When it is
                    // back, the lease is renewed, or retaken, or (if another instance took it
                    // meanwhile) this broadcast stops.
                    if held.is_some() && renewed.elapsed() > LEASE_TTL {
                        tracing::warn!(channel = %name, "NATS is away; the broadcast goes on here");
                        renewed = Instant::now();
                    }
                }
            }
        }
        if held.is_some() {
            continue;
        }
        if channel.hub.viewer_count() > 0 {
            idle = 0;
            if relaying.is_none() {
                relaying = Some(Relaying::start(&cluster, &channel));
            }
        } else if relaying.is_some() {
            idle += 1;
            if idle >= IDLE_TICKS
                && let Some(relay) = relaying.take()
            {
                relay.stop().await;
            }
        }
        if relaying.is_none() && ticks % LEASE_TICKS == 0 {
            // Nobody watches here: the directory still shows the channel as it is.
            relay::sync_status(&cluster, &name, &channel.hub).await;
        }
    }
    if let Some(relay) = relaying.take() {
        relay.stop().await;
    }
    if held.is_some() {
        cluster.release(&name).await;
    }
}

/// A running relay of the channel into this instance's hub.
struct Relaying {
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl Relaying {
    fn start(cluster: &Arc<Cluster>, channel: &Channel) -> Self {
        let stop = CancellationToken::new();
        let task = tokio::spawn(relay::relay(
            cluster.clone(),
            channel.name.clone(),
            channel.hub.clone(),
            stop.clone(),
        ));
        Self { stop, task }
    }

    async fn stop(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}
