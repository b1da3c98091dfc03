//! This instance as a relay: any channel watched here but run by another instance is relayed
//! from its origin — one subscription however many watch here, only while anyone does (as an
//! SRS edge pulls from its origin only when asked), stopped 10 s after the last viewer left.
//! Channels nobody watches here still show their origin's status (directory, pages), and
//! with a shared database, channels and titles made on other instances appear here. A
//! channel whose origin died without a successor is taken over (a test pattern or media
//! file resumes on one instance) or shown offline.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{Cluster, relay};
use crate::broadcasts::Broadcasts;
use crate::channels::{Channel, Channels};
use crate::live::wire::ChannelState;

/// How often the loop looks for viewers to relay to.
const TICK: Duration = Duration::from_millis(250);
/// Every this many ticks (two seconds) idle channels' statuses and the channel list are read.
const SYNC_TICKS: u64 = 8;
/// A relay with no viewers for this many ticks (10 s) stops.
const IDLE_TICKS: u64 = 40;

/// Runs until `shutdown`; `shared_db` says whether other instances add channels to this one's
/// database.
pub async fn serve(
    cluster: Arc<Cluster>,
    channels: Channels,
    broadcasts: Broadcasts,
    shared_db: bool,
    shutdown: CancellationToken,
) {
    let relays = &cluster.relays;
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for ticks in 0u64.. {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tick.tick() => {}
        }
        let sync = ticks.is_multiple_of(SYNC_TICKS);
        if sync
            && shared_db
            && let Err(err) = channels.refresh().await
        {
            tracing::warn!(%err, "could not read the channels from the database");
        }
        for channel in channels.all() {
            let name = &channel.name;
            if broadcasts.is_on_air(name) {
                // This instance is the origin now.
                relays.stop(name).await;
                continue;
            }
            // Shown live, but no instance holds its lease (gone 3 s after its holder's last
            // renewal): its origin died without a successor.
            if sync
                && channel.hub.status().state != ChannelState::Offline
                && cluster.has_origin(name).await == Some(false)
            {
                take_orphan(&cluster, &broadcasts, &channel).await;
            }
            let watched = channel.hub.viewer_count() > 0;
            let relaying = relays.tend(name, watched);
            if !relaying && watched {
                relays.start(&cluster, &channel);
            } else if !relaying && sync {
                relay::sync_status(&cluster, name, &channel.hub).await;
            }
        }
    }
    relays.stop_all().await;
}

/// `channel`'s origin died and nobody took over: a server-side broadcast resumes here (or on
/// whichever instance's try wins the lease); anything else is shown offline everywhere.
async fn take_orphan(cluster: &Cluster, broadcasts: &Broadcasts, channel: &Channel) {
    let name = &channel.name;
    match broadcasts.resume_orphan(name).await {
        Ok(true) => tracing::warn!(channel = %name, "its origin died: the broadcast resumes here"),
        // Another instance's try won.
        Err(err) if err.is_live_already() => {}
        outcome => {
            if let Err(err) = outcome {
                tracing::warn!(%err, channel = %name, "could not resume the broadcast of a dead origin");
            }
            // Unless another instance resumed it meanwhile.
            if cluster.has_origin(name).await == Some(false) {
                tracing::warn!(channel = %name, "its origin is gone: off air");
                relay::mark_offline(cluster, name, &channel.hub).await;
            }
        }
    }
}

/// The relays running on this instance, by channel. Shared with [`super::origins`], which
/// stops a channel's relay as this instance becomes its origin (before its own broadcast
/// feeds the hub).
#[derive(Default)]
pub struct Relays {
    running: Mutex<HashMap<String, Relaying>>,
    /// Channels this instance is the origin of (or is becoming): never relayed here.
    origin_here: Mutex<HashSet<String>>,
}

impl Relays {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Relaying>> {
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `channel` is relayed here (after this tick: a relay idle too long is stopped).
    fn tend(&self, channel: &str, watched: bool) -> bool {
        let mut running = self.lock();
        let Some(relay) = running.get_mut(channel) else {
            return false;
        };
        if watched {
            relay.idle = 0;
            return true;
        }
        relay.idle += 1;
        if relay.idle < IDLE_TICKS {
            return true;
        }
        if let Some(relay) = running.remove(channel) {
            relay.stop.cancel();
        }
        false
    }

    fn start(&self, cluster: &Arc<Cluster>, channel: &Channel) {
        let origin_here = self.origin_here.lock().unwrap_or_else(|p| p.into_inner());
        if origin_here.contains(&channel.name) {
            return;
        }
        self.lock()
            .entry(channel.name.clone())
            .or_insert_with(|| Relaying::start(cluster, channel));
    }

    /// This instance becomes `channel`'s origin: its relay stops (and has let go of the hub
    /// when this returns) and none starts until [`Relays::take_back`].
    pub async fn hand_over(&self, channel: &str) {
        self.origin_here
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(channel.to_string());
        self.stop(channel).await;
    }

    /// This instance is no longer `channel`'s origin: it may relay it again.
    pub fn take_back(&self, channel: &str) {
        self.origin_here
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(channel);
    }

    /// Stops relaying `channel`, and waits until the relay has let go of its hub.
    async fn stop(&self, channel: &str) {
        let relay = self.lock().remove(channel);
        if let Some(relay) = relay {
            relay.stop().await;
        }
    }

    async fn stop_all(&self) {
        let all: Vec<Relaying> = self.lock().drain().map(|(_, relay)| relay).collect();
        for relay in all {
            relay.stop().await;
        }
    }
}

/// A running relay of a channel into this instance's hub.
struct Relaying {
    stop: CancellationToken,
    task: JoinHandle<()>,
    /// Ticks without a viewer here.
    idle: u64,
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
        Self {
            stop,
            task,
            idle: 0,
        }
    }

    async fn stop(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}
