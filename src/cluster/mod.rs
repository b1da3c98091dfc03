//! Several OnAir instances behind one address, on NATS (JetStream key-value buckets for what
//! must outlive a message). The model is SRS's origin/edge cluster (here
//! an edge is a *relaying* instance; "edge" alone means the player's live edge):
//!
//! - the instance that runs a broadcast (its *origin*) publishes each rung's init segment and
//!   each status change once on `{name}.live.{channel}`, and each fragment under its id on its
//!   rung's `{name}.live.{channel}.{rung}` ([`mirror`]);
//! - any other instance with viewers of that channel subscribes once, to the rungs its viewers
//!   are on (and the lowest picture), and feeds its own hub ([`relay`]), so its viewers get the
//!   same ids: a viewer who moves to another instance resumes with `Last-Event-ID` without gap
//!   or repeat;
//! - a server-side broadcast (the demo) runs on one instance at a time, the holder of a lease
//!   that lapses within seconds of its holder's death; then another instance takes it over
//!   ([`lease`], [`held`]);
//! - any channel watched on an instance that does not run it is relayed there ([`relays`]);
//! - one origin per channel: a lease taken as a broadcast starts, on whichever instance its
//!   broadcaster (studio, OBS, browser) reached, renewed while it runs; a stop asked anywhere
//!   reaches it ([`origins`]);
//! - viewer counts are summed over the instances ([`counts`]);
//! - chat changes go through one JetStream stream, in one order everywhere ([`chat`]);
//!   accounts, sessions, channels, chat and records live in the shared PostgreSQL (`db`).

pub mod chat;
pub mod counts;
pub mod held;
mod lease;
pub mod mirror;
pub mod origins;
mod relay;
pub mod relays;

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::kv;

/// How long an origin's lease lasts without renewal: past it, another instance takes over.
const LEASE_TTL: Duration = Duration::from_secs(3);

/// This instance's place in the cluster.
pub struct Cluster {
    name: String,
    /// Random, new at every start: names this instance in leases.
    instance: String,
    client: async_nats::Client,
    /// Channel -> the instance that runs it (expires [`LEASE_TTL`] after the last renewal).
    origins: kv::Store,
    /// `{channel}.init` -> the current run's init segment; `{channel}.status` -> its status.
    live: kv::Store,
    /// `{channel}.{instance}` -> how many watch the channel there ([`counts`]).
    viewers: kv::Store,
    /// The channels relayed here from their origins.
    relays: relays::Relays,
}

/// Why joining the cluster failed.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error("cannot reach NATS at {url}: {err}")]
    Connect { url: String, err: String },
    #[error(
        "NATS JetStream refused the {bucket} bucket (is JetStream enabled, `nats-server -js`?): {err}"
    )]
    Bucket { bucket: String, err: String },
}

impl Cluster {
    /// Connects to NATS at `url` and opens (or makes) cluster `name`'s buckets. Later outages
    /// are ridden out by the client, which reconnects on its own.
    pub async fn join(url: &str, name: &str) -> Result<Arc<Self>, JoinError> {
        let instance = format!("{:016x}", rand_u64());
        let client = async_nats::ConnectOptions::new()
            .name(format!("onair {instance}"))
            .connection_timeout(Duration::from_secs(5))
            // A relay that falls behind holds at most this many messages (~13 s of a channel's
            // 200 ms fragments), not the client's default of 65536.
            .subscription_capacity(64)
            .event_callback(|event| async move {
                tracing::warn!(%event, "NATS");
            })
            .connect(url)
            .await
            .map_err(|err| JoinError::Connect {
                url: url.to_string(),
                err: err.to_string(),
            })?;
        let jetstream = async_nats::jetstream::new(client.clone());
        let origins = bucket(&jetstream, format!("{name}-origins"), LEASE_TTL).await?;
        let live = bucket(&jetstream, format!("{name}-live"), Duration::ZERO).await?;
        let viewers = bucket(&jetstream, format!("{name}-viewers"), 3 * counts::FRESH).await?;
        tracing::info!(%url, cluster = %name, %instance, "joined the cluster");
        Ok(Arc::new(Self {
            name: name.to_string(),
            instance,
            client,
            origins,
            live,
            viewers,
            relays: relays::Relays::default(),
        }))
    }

    /// This instance's NATS connection.
    pub fn nats(&self) -> async_nats::Client {
        self.client.clone()
    }

    /// The subject `channel`'s init segments and status travel on.
    fn subject(&self, channel: &str) -> String {
        format!("{}.live.{channel}", self.name)
    }

    /// The subject the fragments of `channel`'s `rung` travel on.
    fn rung_subject(&self, channel: &str, rung: usize) -> String {
        format!("{}.live.{channel}.{rung}", self.name)
    }
}

/// Opens key-value bucket `name`, making it if it is missing; entries expire after `max_age`
/// (zero: never). Made as the stream the client's own `create_key_value` would make, without
/// the account query before it, whose answer from nats-server 2.9 (Debian 12's) the client
/// cannot read.
async fn bucket(
    jetstream: &async_nats::jetstream::Context,
    name: String,
    max_age: Duration,
) -> Result<kv::Store, JoinError> {
    use async_nats::jetstream::stream;
    let refused = |err: &dyn std::fmt::Display| JoinError::Bucket {
        bucket: name.clone(),
        err: err.to_string(),
    };
    if let Ok(store) = jetstream.get_key_value(&name).await {
        return Ok(store);
    }
    let config = stream::Config {
        name: format!("KV_{name}"),
        subjects: vec![format!("$KV.{name}.>")],
        max_messages_per_subject: 1,
        max_age,
        // A repeated write is not held back as a duplicate for longer than it lives.
        duplicate_window: if max_age.is_zero() {
            Duration::from_secs(120)
        } else {
            max_age
        },
        // On disk (nats-server -sd), so a restarted NATS still has them.
        storage: stream::StorageType::File,
        num_replicas: 1,
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        discard: stream::DiscardPolicy::New,
        ..Default::default()
    };
    // Another instance may make it at the same moment: then it exists, which is all we need.
    if let Err(err) = jetstream.create_stream(config).await {
        tracing::debug!(%err, bucket = %name, "making the bucket");
    }
    jetstream
        .get_key_value(&name)
        .await
        .map_err(|err| refused(&err))
}

fn rand_u64() -> u64 {
    let mut bytes = [0u8; 8];
    // The OS's generator; if it were unavailable the time still tells instances apart.
    if getrandom::fill(&mut bytes).is_err() {
        return crate::clock::now_ms() ^ u64::from(std::process::id());
    }
    u64::from_le_bytes(bytes)
}
