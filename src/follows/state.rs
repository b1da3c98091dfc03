//! `Follows`: who follows which channel.

use super::api::Following;
use super::store;
use crate::accounts::session::SignedIn;
use crate::channels::Channels;
use crate::channels::api::ChannelSummary;
use crate::clock::now_ms;
use crate::db::Db;
use crate::error::AppError;
use crate::live::wire::ChannelState;

/// The most channels one user may follow (Twitch's limit too).
pub const MAX_FOLLOWED: usize = 2000;

#[derive(Clone)]
pub struct Follows {
    db: Db,
    channels: Channels,
}

impl Follows {
    pub fn new(db: Db, channels: Channels) -> Self {
        Self { db, channels }
    }

    /// `channel`'s followers, and whether `user` follows it.
    pub async fn following(
        &self,
        user: Option<&SignedIn>,
        channel: &str,
    ) -> Result<Following, AppError> {
        let channel = self.channels.require(channel).await?;
        let following = match user {
            Some(user) => store::since(&self.db, user.user_id, &channel.name)
                .await?
                .is_some(),
            None => false,
        };
        Ok(Following {
            followers: store::count(&self.db, &channel.name).await?,
            following,
            can_follow: user.is_some_and(|user| user.channel != channel.name),
            signed_in: user.is_some(),
        })
    }

    /// `user` follows `channel` (`on`), or stops following it.
    pub async fn set(&self, user: &SignedIn, channel: &str, on: bool) -> Result<(), AppError> {
        let channel = self.channels.require(channel).await?;
        if !on {
            store::delete(&self.db, user.user_id, &channel.name).await?;
            return Ok(());
        }
        if user.channel == channel.name {
            return Err(AppError::Invalid(
                "This is your own channel: you cannot follow it.".into(),
            ));
        }
        if store::channels_of(&self.db, user.user_id).await?.len() >= MAX_FOLLOWED {
            return Err(AppError::Invalid(format!(
                "You follow {MAX_FOLLOWED} channels, the most one can: unfollow one first."
            )));
        }
        store::insert(&self.db, user.user_id, &channel.name, now_ms()).await?;
        tracing::info!(channel = %channel.name, by = %user.username, "followed");
        Ok(())
    }

    /// Since when `user_id` follows `channel` (Unix ms), if they do.
    pub async fn since(&self, user_id: i64, channel: &str) -> Result<Option<u64>, AppError> {
        Ok(store::since(&self.db, user_id, channel).await?)
    }

    /// The channels `user` follows that are on air, longest live first.
    pub async fn live_of(&self, user: &SignedIn) -> Result<Vec<ChannelSummary>, AppError> {
        let mut live = Vec::new();
        for name in store::channels_of(&self.db, user.user_id).await? {
            if let Some(channel) = self.channels.get(&name) {
                let summary = channel.summary();
                if summary.state != ChannelState::Offline {
                    live.push(summary);
                }
            }
        }
        live.sort_by_key(|c| (c.since_ms, c.name.clone()));
        Ok(live)
    }
}
