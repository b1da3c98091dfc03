//! The broadcasts this instance is the origin of: each under a lease ([`super::lease`]),
//! renewed every second by one task; a lease found taken by another instance (this one was
//! cut off from NATS past its lifetime) ends the broadcast here. A stop asked on any instance
//! reaches the origin on `{name}.control.{channel}`, where only the origin listens.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::Cluster;
use super::lease::Holder;
use crate::broadcasts::BroadcastError;
use crate::broadcasts::origins::{Ask, Origins, Waiting};
use crate::error::AppError;

/// How long a stop asked on another instance waits for the origin's answer.
const ASK_TIMEOUT: Duration = Duration::from_secs(3);
const STOP: &[u8] = b"stop";
const YIELD: &[u8] = b"yield if waiting";
const STOPPING: &str = "stopping";
const BUSY: &str = "busy";

pub struct ClusterOrigins {
    cluster: Arc<Cluster>,
    held: Mutex<HashMap<String, Held>>,
    claims: std::sync::atomic::AtomicU64,
}

struct Held {
    claim: u64,
    /// The lease's revision.
    revision: u64,
    /// Cancelled when this instance must stop running the channel.
    lost: CancellationToken,
}

impl ClusterOrigins {
    /// Starts renewing leases and answering stops on `tasks`, until `shutdown`.
    pub fn start(
        cluster: Arc<Cluster>,
        tasks: &TaskTracker,
        shutdown: CancellationToken,
    ) -> Arc<Self> {
        let origins = Arc::new(Self {
            cluster,
            held: Mutex::default(),
            claims: Default::default(),
        });
        tasks.spawn(origins.clone().renew(shutdown));
        origins
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Held>> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Where stops for `channel` are asked.
    fn control_subject(&self, channel: &str) -> String {
        format!("{}.control.{channel}", self.cluster.name)
    }

    /// Every second, each held lease is renewed; one another instance holds now ends the
    /// broadcast here. While NATS is away, broadcasts go on (their viewers here keep
    /// watching) and the leases are renewed or retaken when it is back.
    async fn renew(self: Arc<Self>, shutdown: CancellationToken) {
        let mut every_second = tokio::time::interval(Duration::from_secs(1));
        every_second.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = every_second.tick() => {}
            }
            let held: Vec<(String, u64, u64)> = self
                .lock()
                .iter()
                .map(|(channel, held)| (channel.clone(), held.claim, held.revision))
                .collect();
            for (channel, claim, revision) in held {
                let outcome = self.cluster.lease(&channel, Some(revision)).await;
                let mut held = self.lock();
                let Some(entry) = held.get_mut(&channel).filter(|h| h.claim == claim) else {
                    continue;
                };
                match outcome {
                    Holder::Me(revision) => entry.revision = revision,
                    Holder::Other => {
                        tracing::warn!(%channel, "another instance runs the channel now: stopping it here");
                        entry.lost.cancel();
                        held.remove(&channel);
                        self.cluster.relays.take_back(&channel);
                    }
                    Holder::Unknown => {}
                }
            }
        }
    }
}

/// Answers "stop" on `channel`'s control subject while this instance runs it (until `lost`):
/// only an origin listens, so no listener means nobody runs the channel.
async fn answer_stops(
    client: async_nats::Client,
    channel: String,
    mut requests: async_nats::Subscriber,
    lost: CancellationToken,
    waiting: Waiting,
) {
    loop {
        let request = tokio::select! {
            _ = lost.cancelled() => break,
            request = requests.next() => match request {
                Some(request) => request,
                None => break,
            },
        };
        let answer = match request.payload.as_ref() {
            STOP => STOPPING,
            YIELD if waiting() => STOPPING,
            YIELD => BUSY,
            _ => continue,
        };
        if answer == STOPPING {
            tracing::info!(%channel, "stopped as asked from another instance");
            lost.cancel();
        }
        if let Some(reply) = request.reply
            && let Err(err) = client.publish(reply, answer.into()).await
        {
            tracing::warn!(%err, %channel, "could not answer a stop");
        }
    }
    let _ = requests.unsubscribe().await;
}

#[async_trait::async_trait]
impl Origins for ClusterOrigins {
    async fn claim(
        &self,
        channel: &str,
        lost: CancellationToken,
        waiting: Waiting,
    ) -> Result<u64, BroadcastError> {
        match self.cluster.lease(channel, None).await {
            Holder::Me(revision) => {
                // The hub is this instance's broadcast's from now on.
                self.cluster.relays.hand_over(channel).await;
                let subject = self.control_subject(channel);
                let requests = match self.cluster.client.subscribe(subject).await {
                    Ok(requests) => requests,
                    Err(err) => {
                        tracing::warn!(%err, %channel, "cannot listen for stops from other instances");
                        self.cluster.relays.take_back(channel);
                        self.cluster.release(channel).await;
                        return Err(unreachable_cluster().into());
                    }
                };
                tokio::spawn(answer_stops(
                    self.cluster.client.clone(),
                    channel.to_string(),
                    requests,
                    lost.clone(),
                    waiting,
                ));
                let claim = self
                    .claims
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                    + 1;
                self.lock().insert(
                    channel.to_string(),
                    Held {
                        claim,
                        revision,
                        lost,
                    },
                );
                tracing::info!(%channel, "this instance is the channel's origin");
                Ok(claim)
            }
            Holder::Other => Err(BroadcastError::LiveElsewhere(channel.to_string())),
            Holder::Unknown => Err(unreachable_cluster().into()),
        }
    }

    async fn release(&self, channel: &str, claim: u64) {
        let mine = {
            let mut held = self.lock();
            match held.get(channel) {
                Some(entry) if entry.claim == claim => held.remove(channel),
                _ => None,
            }
        };
        if let Some(held) = mine {
            held.lost.cancel();
            self.cluster.relays.take_back(channel);
            self.cluster.release(channel).await;
        }
    }

    async fn stop_elsewhere(&self, channel: &str, ask: Ask) -> Result<(), BroadcastError> {
        let payload = match ask {
            Ask::Stop => STOP,
            Ask::YieldIfWaiting => YIELD,
        };
        let asked = self
            .cluster
            .client
            .request(self.control_subject(channel), payload.into());
        match tokio::time::timeout(ASK_TIMEOUT, asked).await {
            Ok(Ok(answer)) if answer.payload.as_ref() == BUSY.as_bytes() => {
                Err(BroadcastError::LiveElsewhere(channel.to_string()))
            }
            Ok(Ok(_)) => Ok(()),
            Ok(Err(err)) if err.kind() == async_nats::client::RequestErrorKind::NoResponders => {
                Err(BroadcastError::NotLive(channel.to_string()))
            }
            Ok(Err(err)) => {
                tracing::warn!(%err, %channel, "could not ask the channel's origin to stop");
                Err(AppError::Busy(
                    "The server running this broadcast cannot be reached; try again in a moment."
                        .into(),
                )
                .into())
            }
            Err(_) => Err(AppError::Busy(
                "The server running this broadcast did not answer; try again in a moment.".into(),
            )
            .into()),
        }
    }
}

fn unreachable_cluster() -> AppError {
    AppError::Busy(
        "The other servers of this site cannot be reached right now; try again in a moment.".into(),
    )
}
