//! `Schedule`: the broadcasts channels announce.

use super::api::{Announced, Upcoming};
use super::rules::{LISTED_AFTER_START_MS, UPCOMING_MAX, check_start};
use super::store;
use crate::channels::Channels;
use crate::clock::now_ms;
use crate::db::Db;
use crate::error::AppError;
use crate::live::wire::ChannelState;

/// Announcements in the home page's "Upcoming" row.
pub const HOME_ROW: usize = 8;

#[derive(Clone)]
pub struct Schedule {
    db: Db,
    channels: Channels,
}

impl Schedule {
    pub fn new(db: Db, channels: Channels) -> Self {
        Self { db, channels }
    }

    /// `channel`'s upcoming broadcasts (and those that should have started within the hour),
    /// soonest first.
    pub async fn of(&self, channel: &str) -> Result<Upcoming, AppError> {
        let channel = self.channels.require(channel).await?;
        let now = now_ms();
        let announced = store::of(
            &self.db,
            &channel.name,
            now.saturating_sub(LISTED_AFTER_START_MS),
            UPCOMING_MAX,
        )
        .await?;
        Ok(Upcoming {
            announced,
            as_of_ms: now,
        })
    }

    /// The `limit` soonest announcements of channels that are not on air now, one per channel.
    pub async fn upcoming(&self, limit: usize) -> Result<Upcoming, AppError> {
        let now = now_ms();
        // Looked at beyond `limit`: live channels and a channel's later entries are left out.
        let candidates = store::all(&self.db, now, limit.saturating_mul(8)).await?;
        let mut announced: Vec<Announced> = Vec::new();
        for entry in candidates {
            let on_air = self
                .channels
                .get(&entry.channel)
                .is_some_and(|c| c.hub.status().state != ChannelState::Offline);
            if on_air || announced.iter().any(|a| a.channel == entry.channel) {
                continue;
            }
            announced.push(entry);
            if announced.len() == limit {
                break;
            }
        }
        Ok(Upcoming {
            announced,
            as_of_ms: now,
        })
    }

    /// Announces a broadcast on `channel` (its owner asked): `title` at `starts_ms`.
    pub async fn announce(
        &self,
        channel: &str,
        title: &str,
        starts_ms: i64,
    ) -> Result<Announced, AppError> {
        let channel = self.channels.require(channel).await?;
        let title = crate::broadcasts::rules::check_title(title).map_err(AppError::Invalid)?;
        let now = now_ms();
        let starts_ms = check_start(starts_ms, now).map_err(AppError::Invalid)?;
        let listed = store::of(&self.db, &channel.name, now, UPCOMING_MAX).await?;
        if listed.len() >= UPCOMING_MAX {
            return Err(AppError::Invalid(format!(
                "A channel announces at most {UPCOMING_MAX} broadcasts at once: cancel one first."
            )));
        }
        let id = store::insert(&self.db, &channel.name, &title, starts_ms, now).await?;
        tracing::info!(channel = %channel.name, id, starts_ms, "broadcast announced");
        Ok(Announced {
            id,
            channel: channel.name.clone(),
            broadcaster: channel.broadcaster.clone(),
            title,
            starts_ms,
        })
    }

    /// Takes announcement `id` off `channel`'s schedule.
    pub async fn cancel(&self, channel: &str, id: i64) -> Result<(), AppError> {
        if store::delete(&self.db, channel, id).await? {
            Ok(())
        } else {
            Err(AppError::NotFound(
                "That broadcast is not on the schedule (any more).".into(),
            ))
        }
    }

    /// `channel`'s announcements for its calendar feed: from a week back on, at most 200.
    pub async fn feed(&self, channel: &str) -> Result<Vec<Announced>, AppError> {
        let channel = self.channels.require(channel).await?;
        let week_ago = now_ms().saturating_sub(7 * 24 * 3600 * 1000);
        Ok(store::of(&self.db, &channel.name, week_ago, 200).await?)
    }
}
