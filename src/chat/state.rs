//! `Chat`: posting, deleting, banning and erasing old messages, with the per-user rate limit and the one ordering
//! lock that makes stored ids and delivery agree. Messages reach viewers through their
//! channel's hub; in a cluster, through the [`ChatBus`] to every instance's hubs, with the
//! lock and the rate limit held in the shared database.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::api::{Banned, ChatRules};
use super::bus::{ChatBus, ChatNews};
use super::limit::{self, ChatLimit};
use super::rules;
use super::store::{self, Said};
use crate::accounts::name_colour;
use crate::accounts::session::SignedIn;
use crate::channels::Channels;
use crate::clock::now_ms;
use crate::components::elapsed::countdown;
use crate::db::Db;
use crate::error::AppError;
use crate::follows::Follows;
use crate::live::wire::{ChatEvent, ChatRole};
use crate::webhooks::{HookEvent, Webhooks};

mod moderation;

#[derive(Clone)]
pub struct Chat {
    db: Db,
    channels: Channels,
    limit: Arc<ChatLimit>,
    /// Messages are stored and published one at a time, so ids and delivery agree.
    order: Arc<tokio::sync::Mutex<()>>,
    /// In a cluster (shared database): where changes go to reach every instance.
    bus: Option<Arc<dyn ChatBus>>,
    /// Who is told of every message posted here.
    webhooks: Option<Webhooks>,
    /// Who follows whom, for followers-only chat.
    follows: Option<Follows>,
}

impl Chat {
    pub fn new(db: Db, channels: Channels) -> Self {
        Self {
            db,
            channels,
            limit: Arc::default(),
            order: Arc::default(),
            bus: None,
            webhooks: None,
            follows: None,
        }
    }

    /// Reads follows from `follows` (a followers-only chat asks since when a person follows).
    pub fn with_follows(mut self, follows: Follows) -> Self {
        self.follows = Some(follows);
        self
    }

    /// Tells `webhooks` of every message posted through this instance.
    pub fn with_webhooks(mut self, webhooks: Webhooks) -> Self {
        self.webhooks = Some(webhooks);
        self
    }

    fn tell(&self, channel: &str, message: &ChatEvent) {
        if let Some(webhooks) = &self.webhooks {
            webhooks.emit(channel, HookEvent::ChatMessage, message);
        }
    }

    /// Shares this chat with the cluster's other instances through `bus` (the database must be
    /// the shared one).
    pub fn with_bus(mut self, bus: Arc<dyn ChatBus>) -> Self {
        self.bus = Some(bus);
        self
    }

    /// The channel's latest `limit` messages, oldest first.
    pub async fn recent(&self, channel: &str, limit: u32) -> Result<Vec<ChatEvent>, AppError> {
        Ok(store::recent(&self.db, channel, limit).await?)
    }

    /// Posts `text` to `channel` as `user` (`bot`: through one of their API tokens), perhaps
    /// as a reply to message `reply_to` of the channel: checked against the channel's bans,
    /// timeouts and rules (blocked terms, followers-only, slow mode: none holds for its owner,
    /// the operators or its moderators), rate limited, stored, then sent to every viewer in the
    /// stored order. Returns it as sent.
    pub async fn post(
        &self,
        channel: &str,
        user: &SignedIn,
        text: &str,
        bot: bool,
        reply_to: Option<u64>,
    ) -> Result<ChatEvent, AppError> {
        let author = user.username.as_str();
        let found = self.channels.require(channel).await?;
        let text = rules::clean_message(text).map_err(AppError::Invalid)?;
        let now = now_ms();
        // Asked together: a post waits for one round trip to the database, not three.
        let (banned, settings, (moderator, colour)) = tokio::try_join!(
            store::banned(&self.db, channel, author),
            store::settings(&self.db, channel),
            store::poster(&self.db, channel, user.user_id),
        )?;
        match banned {
            None => {}
            Some(None) => {
                return Err(AppError::Forbidden(
                    "You are banned from this channel's chat.".into(),
                ));
            }
            Some(Some(until)) => {
                return Err(AppError::Forbidden(format!(
                    "You are timed out of this channel's chat: you may post again in {}.",
                    countdown(until.saturating_sub(now))
                )));
            }
        }
        let role = role(user, channel, moderator);
        // The rules are for viewers: its owner, the operators and its moderators are held to
        // none of them.
        let viewer = role.is_none();
        if viewer && rules::blocked_term_in(&text, &settings.blocked_terms) {
            return Err(AppError::Invalid(
                "Your message was not sent: it holds a word or phrase this channel's chat does not allow."
                    .into(),
            ));
        }
        if let (Some(minutes), true) = (settings.followers_only_min, viewer) {
            self.ensure_follower(user, channel, minutes, now).await?;
        }
        let slow = (viewer && settings.slow_secs > 0).then_some(settings.slow_secs);
        let reply = match reply_to {
            None => None,
            Some(id) => Some(store::quotable(&self.db, channel, id).await?.ok_or_else(|| {
                AppError::Invalid(
                    "That message was deleted, or is not in this chat: there is nothing to reply to."
                        .into(),
                )
            })?),
        };
        let said = Said {
            author,
            text: &text,
            bot,
            role,
            colour: name_colour::shown(colour.as_deref()),
            reply,
        };
        if let Some(bus) = &self.bus {
            self.limit
                .allow(author)
                .map_err(AppError::TooManyAttempts)?;
            let message = self.post_shared(bus.as_ref(), channel, said, slow).await?;
            self.tell(channel, &message);
            return Ok(message);
        }
        let _in_order = self.order.lock().await;
        // Slow mode first: a message it refuses does not count against the rate limit.
        if let Some(secs) = slow {
            slow_mode(&self.db, channel, author, secs).await?;
        }
        self.limit
            .allow(author)
            .map_err(AppError::TooManyAttempts)?;
        let message = store::insert(&self.db, channel, said).await?;
        found.hub.publish_chat(&message);
        self.tell(channel, &message);
        metrics::counter!("onair_chat_messages_total").increment(1);
        Ok(message)
    }

    /// Followers-only chat: `user` must have followed `channel` for `minutes` by `now`.
    async fn ensure_follower(
        &self,
        user: &SignedIn,
        channel: &str,
        minutes: u64,
        now: u64,
    ) -> Result<(), AppError> {
        let since = match &self.follows {
            Some(follows) => follows.since(user.user_id, channel).await?,
            None => None,
        };
        let needed = minutes.saturating_mul(60_000);
        match since {
            None => Err(AppError::Forbidden(
                "This chat is for followers only: follow the channel to post.".into(),
            )),
            Some(since) if now.saturating_sub(since) < needed => Err(AppError::Forbidden(format!(
                "This chat is for those who have followed the channel for {minutes} min: you may post in {}.",
                countdown(needed - now.saturating_sub(since))
            ))),
            Some(_) => Ok(()),
        }
    }

    /// `channel`'s chat rules, as every viewer may read them.
    pub async fn rules(&self, channel: &str) -> Result<ChatRules, AppError> {
        let found = self.channels.require(channel).await?;
        let settings = store::settings(&self.db, &found.name).await?;
        Ok(ChatRules {
            slow_secs: settings.slow_secs,
            followers_only_min: settings.followers_only_min,
        })
    }

    /// `user` (the channel's owner or an operator) sets `channel`'s chat rules.
    pub async fn set_rules_by(
        &self,
        user: &SignedIn,
        channel: &str,
        wanted: ChatRules,
    ) -> Result<(), AppError> {
        user.ensure_in_charge(channel)?;
        let wanted = rules::check_chat_rules(wanted).map_err(AppError::Invalid)?;
        store::set_rules(
            &self.db,
            channel,
            wanted.slow_secs,
            wanted.followers_only_min,
        )
        .await?;
        tracing::info!(%channel, slow_secs = wanted.slow_secs, followers_only_min = ?wanted.followers_only_min, by = %user.username, "chat rules set");
        Ok(())
    }

    /// Deletes message `id` from `channel`'s chat, for every viewer (the caller checked who
    /// may).
    pub async fn delete(&self, channel: &str, id: u64) -> Result<(), AppError> {
        if let Some(bus) = &self.bus {
            let mut turn = self.db.begin().await?;
            store::take_turn(&mut turn, channel).await?;
            if !store::delete(&mut *turn, channel, id).await? {
                return Err(AppError::NotFound("That message is already gone.".into()));
            }
            send(bus.as_ref(), channel, &ChatNews::Deleted { id }).await?;
            turn.commit().await?;
            return Ok(());
        }
        let _in_order = self.order.lock().await;
        if !store::delete(&self.db, channel, id).await? {
            return Err(AppError::NotFound("That message is already gone.".into()));
        }
        if let Some(found) = self.channels.get(channel) {
            found.hub.publish_chat_deleted(id);
        }
        Ok(())
    }

    /// [`Chat::post`] in a cluster: in the channel's turn, checked against the author's
    /// messages on every instance, stored, and sent to all of them before the turn ends.
    async fn post_shared(
        &self,
        bus: &dyn ChatBus,
        channel: &str,
        said: Said<'_>,
        slow: Option<u64>,
    ) -> Result<ChatEvent, AppError> {
        let author = said.author;
        let mut turn = self.db.begin().await?;
        store::take_turn(&mut turn, channel).await?;
        let window = now_ms().saturating_sub(limit::PER.as_millis() as u64);
        if store::sent_since(&mut turn, author, window).await? >= u64::from(limit::BURST) {
            return Err(AppError::TooManyAttempts(limit::slow_down()));
        }
        if let Some(secs) = slow {
            slow_mode(&mut *turn, channel, author, secs).await?;
        }
        let message = store::insert(&mut *turn, channel, said).await?;
        send(bus, channel, &ChatNews::Message(message.clone())).await?;
        turn.commit().await?;
        // Counted where posted, as on a single instance: summed over instances, once each.
        metrics::counter!("onair_chat_messages_total").increment(1);
        Ok(message)
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

    /// Who is banned or timed out from `channel`'s chat now, newest first.
    pub async fn bans(&self, channel: &str) -> Result<Vec<Banned>, AppError> {
        Ok(store::bans(&self.db, channel)
            .await?
            .into_iter()
            .map(|(username, banned_ms, until_ms)| Banned {
                username,
                banned_ms,
                until_ms,
            })
            .collect())
    }

    /// Bans `username` from `channel`'s chat until `until_ms` (a timeout) or until lifted
    /// (the caller checked who may).
    pub async fn ban(
        &self,
        channel: &str,
        username: &str,
        until_ms: Option<u64>,
    ) -> Result<(), AppError> {
        store::ban(&self.db, channel, username, until_ms).await?;
        match until_ms {
            None => tracing::info!(%channel, %username, "banned from chat"),
            Some(until_ms) => tracing::info!(%channel, %username, until_ms, "timed out of chat"),
        }
        Ok(())
    }
}

/// What `user` is in `channel`'s chat, `moderator` if appointed one there.
fn role(user: &SignedIn, channel: &str, moderator: bool) -> Option<ChatRole> {
    if user.channel == channel {
        Some(ChatRole::Owner)
    } else if user.operator {
        Some(ChatRole::Operator)
    } else {
        moderator.then_some(ChatRole::Moderator)
    }
}

/// Slow mode: `author` may post in `channel` once every `secs` seconds (asked in the
/// channel's turn, so two posts at once cannot both pass).
async fn slow_mode(
    db: impl sqlx::Executor<'_, Database = sqlx::Any>,
    channel: &str,
    author: &str,
    secs: u64,
) -> Result<(), AppError> {
    let now = now_ms();
    let every = secs.saturating_mul(1000);
    if let Some(last) = store::last_sent(db, channel, author, now.saturating_sub(every)).await? {
        return Err(AppError::TooManyAttempts(format!(
            "Slow mode: one message every {secs} s. You may post again in {}.",
            countdown((last + every).saturating_sub(now))
        )));
    }
    Ok(())
}

/// Sends `news` through `bus`; if it cannot, the change is not made (the caller's transaction
/// rolls back) and the user is told to try again.
async fn send(bus: &dyn ChatBus, channel: &str, news: &ChatNews) -> Result<(), AppError> {
    bus.send(channel, news).await.map_err(|err| {
        tracing::error!(%err, %channel, "chat could not reach the other instances");
        AppError::Busy(
            "Chat cannot reach the other servers right now; try again in a moment.".into(),
        )
    })
}
