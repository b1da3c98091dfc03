//! Chat shared by a cluster's instances. Every change (a message, a deletion) is stored in the
//! shared database and sent through a [`ChatBus`] to every instance, this one included; each
//! instance hands what arrives to its viewers in the bus's one order. Stores and sends of one
//! channel take turns cluster-wide (a database lock), so ids grow in that order too.

use serde::{Deserialize, Serialize};

use crate::channels::Channels;
use crate::live::wire::ChatEvent;

/// A change to a channel's chat, as it travels between instances.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatNews {
    Message(ChatEvent),
    Deleted { id: u64 },
}

/// Carries chat news to every instance, in one order (cluster mode: a NATS JetStream stream).
#[async_trait::async_trait]
pub trait ChatBus: Send + Sync {
    /// Sends `news` of `channel`; done once the bus holds it. Err says why it could not.
    async fn send(&self, channel: &str, news: &ChatNews) -> Result<(), String>;
}

/// Hands news that arrived on the bus to `channel`'s viewers on this instance (none if the
/// channel is unknown here: then nobody here watches it).
pub fn deliver(channels: &Channels, channel: &str, news: &ChatNews) {
    let Some(found) = channels.get(channel) else {
        return;
    };
    match news {
        ChatNews::Message(message) => found.hub.publish_chat(message),
        ChatNews::Deleted { id } => found.hub.publish_chat_deleted(*id),
    }
}
