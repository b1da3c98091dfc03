//! `Channels`: every channel, each with its fan-out hub: loaded from the channels table at
//! start, a channel added as its account is created, titles saved as broadcasts go live.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crate::db::Db;
use crate::error::AppError;

use super::api::{ChannelSummary, DirectoryPage, RECENT_MS};
use super::store;
use crate::clock::now_ms;
use crate::live::hub::{Hub, HubConfig};
use crate::live::wire::ChannelState;

/// One channel: who owns it, what it is called, and its hub.
pub struct Channel {
    pub name: String,
    pub broadcaster: String,
    title: RwLock<String>,
    /// Unix ms when its last broadcast ended; 0 if it never was on air.
    last_live_ms: AtomicU64,
    pub hub: Arc<Hub>,
}

impl Channel {
    pub fn title(&self) -> String {
        self.title.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn set_title(&self, title: &str) {
        *self.title.write().unwrap_or_else(|p| p.into_inner()) = title.to_string();
    }

    pub fn set_last_live(&self, ms: u64) {
        self.last_live_ms.fetch_max(ms, Ordering::Relaxed);
    }

    pub fn summary(&self) -> ChannelSummary {
        let status = self.hub.status();
        ChannelSummary {
            name: self.name.clone(),
            title: self.title(),
            broadcaster: self.broadcaster.clone(),
            state: status.state,
            since_ms: status.since_ms,
            viewers: self.hub.viewer_count(),
            last_live_ms: Some(self.last_live_ms.load(Ordering::Relaxed)).filter(|&ms| ms > 0),
            as_of_ms: now_ms(),
        }
    }
}

/// All channels by name.
#[derive(Clone)]
pub struct Channels {
    by_name: Arc<RwLock<BTreeMap<String, Arc<Channel>>>>,
    hub_config: HubConfig,
    db: Db,
    /// Set by `close_all`; a channel opened after it starts closed.
    closing: Arc<AtomicBool>,
}

impl Channels {
    /// Every stored channel, offline.
    pub async fn load(db: Db, hub_config: HubConfig) -> Result<Self, sqlx::Error> {
        let channels = Self {
            by_name: Arc::default(),
            hub_config,
            db,
            closing: Arc::default(),
        };
        for stored in store::all(&channels.db).await? {
            channels.open(&stored.name, &stored.username, &stored.title);
        }
        Ok(channels)
    }

    /// Keeps `channel`'s current title: the directory shows it while offline too.
    pub async fn save_title(&self, channel: &Channel) -> Result<(), sqlx::Error> {
        store::set_title(&self.db, &channel.name, &channel.title()).await
    }

    /// The channel `name`, created (offline) if it does not exist yet.
    pub fn open(&self, name: &str, broadcaster: &str, title: &str) -> Arc<Channel> {
        let mut by_name = self.by_name.write().unwrap_or_else(|p| p.into_inner());
        let channel = by_name.entry(name.to_string()).or_insert_with(|| {
            Arc::new(Channel {
                name: name.to_string(),
                broadcaster: broadcaster.to_string(),
                title: RwLock::new(title.to_string()),
                last_live_ms: AtomicU64::new(0),
                hub: Hub::new(self.hub_config.clone(), now_ms()),
            })
        });
        if self.closing.load(Ordering::SeqCst) {
            channel.hub.close();
        }
        Arc::clone(channel)
    }

    /// The channel `name`, from the database if this instance has not heard of it (in a
    /// shared database, another instance may have made it a moment ago).
    pub async fn find(&self, name: &str) -> Result<Option<Arc<Channel>>, sqlx::Error> {
        if let Some(found) = self.get(name) {
            return Ok(Some(found));
        }
        Ok(store::one(&self.db, name)
            .await?
            .map(|stored| self.open(&stored.name, &stored.username, &stored.title)))
    }

    /// The channel `name`, or the user's mistake of naming one there is not (404).
    pub async fn require(&self, name: &str) -> Result<Arc<Channel>, AppError> {
        self.find(name)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("There is no channel {name}.")))
    }

    /// Brings the channels in line with the database (in a shared one, other instances add
    /// channels and change titles): opens new ones, takes titles from it.
    pub async fn refresh(&self) -> Result<(), sqlx::Error> {
        for stored in store::all(&self.db).await? {
            let channel = self.open(&stored.name, &stored.username, &stored.title);
            if channel.title() != stored.title {
                channel.set_title(&stored.title);
            }
        }
        Ok(())
    }

    pub fn get(&self, name: &str) -> Option<Arc<Channel>> {
        self.by_name
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned()
    }

    /// Tells every channel's viewers its count, where it changed.
    pub fn publish_viewer_counts(&self) {
        for hub in self.hubs() {
            hub.publish_viewer_count();
        }
    }

    /// A keep-alive beat on every channel (see [`Hub::heartbeat`]).
    pub fn heartbeat(&self) {
        for hub in self.hubs() {
            hub.heartbeat();
        }
    }

    /// Server shutdown: ends every viewer's stream, on channels opened from now on too.
    pub fn close_all(&self) {
        self.closing.store(true, Ordering::SeqCst);
        for hub in self.hubs() {
            hub.close();
        }
    }

    /// Every channel, in name order.
    pub fn all(&self) -> Vec<Arc<Channel>> {
        self.by_name
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }

    fn hubs(&self) -> Vec<Arc<Hub>> {
        self.by_name
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(|c| c.hub.clone())
            .collect()
    }

    /// Page `page` of the directory, `per_page` channels to a page: live channels, then
    /// those live within [`RECENT_MS`]. With a `search` (not empty): the channels ever on air
    /// whose name, title or broadcaster contains it, whatever the case.
    pub fn directory(&self, page: usize, per_page: usize, search: &str) -> DirectoryPage {
        let now = now_ms();
        let search = search.to_lowercase();
        let mut listed = self.summaries().into_iter().filter(|c| {
            let on_air = c.state != ChannelState::Offline;
            if search.is_empty() {
                on_air
                    || c.last_live_ms
                        .is_some_and(|ms| now.saturating_sub(ms) < RECENT_MS)
            } else {
                (on_air || c.last_live_ms.is_some())
                    && [&c.name, &c.title, &c.broadcaster]
                        .iter()
                        .any(|text| text.to_lowercase().contains(&search))
            }
        });
        let channels: Vec<ChannelSummary> = listed
            .by_ref()
            .skip(page.saturating_mul(per_page))
            .take(per_page)
            .collect();
        DirectoryPage {
            channels,
            page,
            more: listed.next().is_some(),
        }
    }

    /// Every channel's summary: live ones first (longest live first), then offline ones
    /// (most recently live first).
    pub fn summaries(&self) -> Vec<ChannelSummary> {
        let by_name = self.by_name.read().unwrap_or_else(|p| p.into_inner());
        let mut all: Vec<ChannelSummary> = by_name.values().map(|c| c.summary()).collect();
        all.sort_by_key(|c| match c.state {
            ChannelState::Live | ChannelState::Reconnecting => (0, c.since_ms, c.name.clone()),
            ChannelState::Offline => (1, u64::MAX - c.last_live_ms.unwrap_or(0), c.name.clone()),
        });
        all
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::time::Duration;

    use super::*;

    /// Channels on a fresh database in `dir`, for tests.
    pub(crate) async fn channels_in(dir: &std::path::Path) -> Channels {
        let db = crate::db::open("", &dir.join("c.db")).await.unwrap().db;
        let settings = HubConfig {
            hold: Duration::from_secs(8),
            max_held_bytes: 1 << 20,
            max_lag: Duration::from_secs(2),
        };
        Channels::load(db, settings).await.unwrap()
    }

    #[tokio::test]
    async fn the_directory_pages_live_then_recently_live_channels_and_leaves_out_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let channels = channels_in(dir.path()).await;
        let now = now_ms();
        // Five live, four live lately (a day apart), three never live, one not for 40 days.
        for i in 0..5 {
            let name = format!("live{i}");
            channels
                .open(&name, &name, "on now")
                .hub
                .go_reconnecting("x".into());
        }
        for i in 0..4u64 {
            let name = format!("lately{i}");
            let channel = channels.open(&name, &name, "earlier");
            channel.set_last_live(now - (i + 1) * 24 * 3600 * 1000);
        }
        for i in 0..3 {
            let name = format!("never{i}");
            channels.open(&name, &name, "never");
        }
        let channel = channels.open("gone", "gone", "long ago");
        channel.set_last_live(now - 40 * 24 * 3600 * 1000);

        let first = channels.directory(0, 4, "");
        assert!(first.more);
        assert!(
            first
                .channels
                .iter()
                .all(|c| c.state != ChannelState::Offline)
        );
        let second = channels.directory(1, 4, "");
        let names: Vec<&str> = second.channels.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names[1..],
            ["lately0", "lately1", "lately2"],
            "most recent first"
        );
        assert!(second.more);
        let third = channels.directory(2, 4, "");
        let names: Vec<&str> = third.channels.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["lately3"]);
        assert!(!third.more);
        assert!(channels.directory(9, 4, "").channels.is_empty());

        // A search finds channels by name, title or broadcaster, whatever the case, however
        // long ago they were live; never those that never were.
        let names = |search: &str| -> Vec<String> {
            channels
                .directory(0, 50, search)
                .channels
                .into_iter()
                .map(|c| c.name)
                .collect()
        };
        assert_eq!(names("GONE"), ["gone"]);
        assert_eq!(names("long AGO"), ["gone"]);
        assert_eq!(names("lately3"), ["lately3"]);
        assert_eq!(names("on now").len(), 5);
        assert!(names("never").is_empty());
        assert!(names("nothing like it").is_empty());
    }
}
