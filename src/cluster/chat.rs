//! Chat between instances: a JetStream stream (`{name}-chat`, subjects `{name}.chat.{channel}`)
//! gives every change one place in one order; each instance follows it with an ordered
//! consumer and hands each change to its own viewers in that order, its own changes included.
//! After a NATS outage the consumer resumes after the last change it had, so none is lost or
//! repeated; the stream keeps 10 minutes (the database keeps everything).

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use futures::StreamExt;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{Cluster, JoinError};
use crate::channels::Channels;
use crate::chat::bus::{ChatBus, ChatNews, deliver};

/// How long the stream keeps changes: enough to ride out an outage of NATS's clients.
const KEEP: Duration = Duration::from_secs(600);
/// How long a send waits for JetStream to hold the change.
const SEND_TIMEOUT: Duration = Duration::from_secs(3);

pub struct ClusterChat {
    cluster: Arc<Cluster>,
    jetstream: jetstream::Context,
}

impl ClusterChat {
    /// Opens (or makes) the stream and follows it on `tasks` until `shutdown`.
    pub async fn start(
        cluster: Arc<Cluster>,
        channels: Channels,
        tasks: &TaskTracker,
        shutdown: CancellationToken,
    ) -> Result<Arc<Self>, JoinError> {
        let jetstream = jetstream::new(cluster.client.clone());
        let name = format!("{}-chat", cluster.name);
        let config = stream::Config {
            name: name.clone(),
            subjects: vec![format!("{}.chat.*", cluster.name)],
            max_age: KEEP,
            storage: stream::StorageType::File,
            num_replicas: 1,
            ..Default::default()
        };
        let chat_stream = match jetstream.get_stream(&name).await {
            Ok(found) => found,
            Err(_) => match jetstream.create_stream(config).await {
                Ok(made) => made,
                // Made by another instance meanwhile.
                Err(_) => jetstream
                    .get_stream(&name)
                    .await
                    .map_err(|err| JoinError::Bucket {
                        bucket: name.clone(),
                        err: err.to_string(),
                    })?,
            },
        };
        tasks.spawn(follow(cluster.clone(), chat_stream, channels, shutdown));
        Ok(Arc::new(Self { cluster, jetstream }))
    }

    fn subject(&self, channel: &str) -> String {
        format!("{}.chat.{channel}", self.cluster.name)
    }
}

#[async_trait::async_trait]
impl ChatBus for ClusterChat {
    async fn send(&self, channel: &str, news: &ChatNews) -> Result<(), String> {
        let json = serde_json::to_vec(news).map_err(|err| err.to_string())?;
        let sent = async {
            self.jetstream
                .publish(self.subject(channel), json.into())
                .await
                .map_err(|err| err.to_string())?
                .await
                .map_err(|err| err.to_string())
        };
        match tokio::time::timeout(SEND_TIMEOUT, sent).await {
            Ok(Ok(_ack)) => Ok(()),
            Ok(Err(err)) => Err(err),
            Err(_) => Err("JetStream did not confirm in time".into()),
        }
    }
}

/// Follows the stream from now on, handing each change to this instance's viewers; if the
/// consumer fails, a new one resumes after the last change handed over.
async fn follow(
    cluster: Arc<Cluster>,
    chat_stream: stream::Stream,
    channels: Channels,
    shutdown: CancellationToken,
) {
    let prefix = format!("{}.chat.", cluster.name);
    let mut last: Option<u64> = None;
    loop {
        let deliver_policy = match last {
            None => consumer::DeliverPolicy::New,
            Some(sequence) => consumer::DeliverPolicy::ByStartSequence {
                start_sequence: sequence + 1,
            },
        };
        let config = consumer::push::OrderedConfig {
            deliver_subject: cluster.client.new_inbox(),
            filter_subject: format!("{prefix}*"),
            deliver_policy,
            ..Default::default()
        };
        let messages = match chat_stream.create_consumer(config).await {
            Ok(made) => made.messages().await.map_err(|err| err.to_string()),
            Err(err) => Err(err.to_string()),
        };
        match messages {
            Ok(mut messages) => loop {
                let message = tokio::select! {
                    _ = shutdown.cancelled() => return,
                    message = messages.next() => message,
                };
                let message = match message {
                    Some(Ok(message)) => message,
                    Some(Err(err)) => {
                        tracing::warn!(%err, "following the chat stream");
                        break;
                    }
                    None => break,
                };
                if let Ok(info) = message.info() {
                    last = Some(info.stream_sequence);
                }
                let Some(channel) = message.subject.as_str().strip_prefix(&prefix) else {
                    continue;
                };
                match serde_json::from_slice::<ChatNews>(&message.payload) {
                    Ok(news) => deliver(&channels, channel, &news),
                    Err(err) => tracing::warn!(%err, %channel, "a chat change does not parse"),
                }
            },
            Err(err) => tracing::warn!(%err, "cannot follow the chat stream"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}
