//! Viewer counts summed over the cluster. Every second each instance writes how many watch
//! each channel here (`{channel}.{instance}` in the `viewers` bucket, whose entries expire)
//! and watches what the others write; a channel's count is its own plus the others' fresh
//! ones. A dead instance's viewers stop counting within [`FRESH`]; a tab that moves to
//! another instance counts twice for at most that long.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::kv::Operation;
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::Cluster;
use crate::channels::Channels;

/// An instance's count is trusted this long after it was written.
pub(super) const FRESH: Duration = Duration::from_secs(3);

/// Shares this instance's counts and takes the others' into each hub, until `shutdown`.
pub async fn share(cluster: Arc<Cluster>, channels: Channels, shutdown: CancellationToken) {
    let mut others = None;
    // Channel -> instance -> (count, when it was written).
    let mut elsewhere: HashMap<String, HashMap<String, (usize, Instant)>> = HashMap::new();
    // Channel -> the count last written for it, while not zero.
    let mut written: HashMap<String, usize> = HashMap::new();
    let mut every_second = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            entry = next_count(&mut others), if others.is_some() => match entry {
                Some(Ok(entry)) => {
                    let Some((channel, instance)) = entry.key.rsplit_once('.') else { continue };
                    if instance == cluster.instance {
                        continue;
                    }
                    let counts = elsewhere.entry(channel.to_string()).or_default();
                    let count = std::str::from_utf8(&entry.value).ok().and_then(|v| v.parse().ok());
                    match (entry.operation, count) {
                        (Operation::Put, Some(count)) => {
                            counts.insert(instance.to_string(), (count, Instant::now()));
                        }
                        _ => {
                            counts.remove(instance);
                        }
                    }
                }
                Some(Err(err)) => tracing::warn!(%err, "reading the cluster's viewer counts"),
                None => {
                    tracing::warn!("the cluster's viewer counts stopped (NATS away?); watching again");
                    others = None;
                }
            },
            _ = every_second.tick() => {
                if others.is_none() {
                    match cluster.viewers.watch_all().await {
                        Ok(watch) => others = Some(watch),
                        Err(err) => tracing::warn!(%err, "cannot watch the cluster's viewer counts yet"),
                    }
                }
                for channel in channels.all() {
                    let here = channel.hub.viewers_here();
                    // Written every second while anyone watches (so it stays fresh), and once
                    // more when nobody does.
                    if here > 0 || written.get(&channel.name).is_some_and(|&n| n > 0) {
                        let key = format!("{}.{}", channel.name, cluster.instance);
                        match cluster.viewers.put(key, here.to_string().into()).await {
                            Ok(_) => {
                                written.insert(channel.name.clone(), here);
                            }
                            Err(err) => tracing::warn!(%err, "could not share a viewer count"),
                        }
                    }
                    let counts = elsewhere.get(&channel.name);
                    let sum = counts.map_or(0, |counts| {
                        counts
                            .values()
                            .filter(|(_, at)| at.elapsed() < FRESH)
                            .map(|(count, _)| count)
                            .sum()
                    });
                    channel.hub.set_viewers_elsewhere(sum);
                }
            },
        }
    }
    // Viewers here stop counting elsewhere at once.
    for (channel, _) in written.into_iter().filter(|(_, n)| *n > 0) {
        let key = format!("{channel}.{}", cluster.instance);
        let _ = cluster.viewers.put(key, "0".into()).await;
    }
}

async fn next_count(
    watch: &mut Option<async_nats::jetstream::kv::Watch>,
) -> Option<Result<async_nats::jetstream::kv::Entry, async_nats::jetstream::kv::WatcherError>> {
    match watch {
        Some(watch) => watch.next().await,
        None => std::future::pending().await,
    }
}
