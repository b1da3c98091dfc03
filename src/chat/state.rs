//! `Chat`: posting, deleting, banning and erasing old messages, with the per-user rate limit and the one ordering
//! lock that makes stored ids and delivery agree. Messages reach viewers through their
//! channel's hub.

use std::sync::Arc;
use std::time::Duration;

use crate::db::Db;
use tokio_util::sync::CancellationToken;

use super::api::Banned;
use super::limit::ChatLimit;
use super::{rules, store};
use crate::channels::Channels;
use crate::clock::now_ms;
use crate::error::AppError;
use crate::live::wire::ChatEvent;

#[derive(Clone)]
pub struct Chat {
    db: Db,
    channels: Channels,
    limit: Arc<ChatLimit>,
    /// Messages are stored and published one at a time, so ids and delivery agree.
    order: Arc<tokio::sync::Mutex<()>>,
}

impl Chat {
    pub fn new(db: Db, channels: Channels) -> Self {
        Self {
            db,
            channels,
            limit: Arc::default(),
            order: Arc::default(),
        }
    }

    /// The channel's latest `limit` messages, oldest first.
    pub async fn recent(&self, channel: &str, limit: u32) -> Result<Vec<ChatEvent>, AppError> {
        Ok(store::recent(&self.db, channel, limit).await?)
    }

    /// Posts `text` to `channel` as `author`: checked, rate limited, stored, then sent to every
    /// viewer in the stored order.
    pub async fn post(&self, channel: &str, author: &str, text: &str) -> Result<(), AppError> {
        let Some(found) = self.channels.get(channel) else {
            return Err(AppError::NotFound(format!(
                "There is no channel {channel}."
            )));
        };
        let text = rules::clean_message(text).map_err(AppError::Invalid)?;
        if store::is_banned(&self.db, channel, author).await? {
            return Err(AppError::Forbidden(
                "You are banned from this channel's chat.".into(),
            ));
        }
        self.limit
            .allow(author)
            .map_err(AppError::TooManyAttempts)?;
        let _in_order = self.order.lock().await;
        let message = store::insert(&self.db, channel, author, &text).await?;
        found.hub.publish_chat(&message);
        metrics::counter!("onair_chat_messages_total").increment(1);
        Ok(())
    }

    /// Deletes message `id` from `channel`'s chat, for every viewer (the caller checked who
    /// may).
    pub async fn delete(&self, channel: &str, id: u64) -> Result<(), AppError> {
        let _in_order = self.order.lock().await;
        if !store::delete(&self.db, channel, id).await? {
            return Err(AppError::NotFound("That message is already gone.".into()));
        }
        if let Some(found) = self.channels.get(channel) {
            found.hub.publish_chat_deleted(id);
        }
        Ok(())
    }

    /// Erases, every hour until `stop`, messages older than `retention` (None: keeps all).
    pub async fn erase_old(&self, retention: Option<Duration>, stop: CancellationToken) {
        let Some(retention) = retention else { return };
        let mut hourly = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = hourly.tick() => {}
            }
            let before = now_ms().saturating_sub(retention.as_millis() as u64);
            match store::erase_before(&self.db, before).await {
                Ok(0) => {}
                Ok(erased) => tracing::info!(erased, "old chat messages erased"),
                Err(err) => tracing::warn!(%err, "could not erase old chat messages"),
            }
        }
    }

    /// Lifts `username`'s ban from `channel`'s chat (the caller checked who may).
    pub async fn unban(&self, channel: &str, username: &str) -> Result<(), AppError> {
        if !store::unban(&self.db, channel, username).await? {
            return Err(AppError::NotFound(
                "That user is not banned from this chat.".into(),
            ));
        }
        tracing::info!(%channel, username = ?username, "ban lifted");
        Ok(())
    }

    /// Who is banned from `channel`'s chat, newest first.
    pub async fn bans(&self, channel: &str) -> Result<Vec<Banned>, AppError> {
        Ok(store::bans(&self.db, channel)
            .await?
            .into_iter()
            .map(|(username, banned_ms)| Banned {
                username,
                banned_ms,
            })
            .collect())
    }

    /// Bans `username` from `channel`'s chat (the caller checked who may).
    pub async fn ban(&self, channel: &str, username: &str) -> Result<(), AppError> {
        store::ban(&self.db, channel, username).await?;
        tracing::info!(%channel, %username, "banned from chat");
        Ok(())
    }
}
