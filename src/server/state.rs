//! What the server holds: each capability's own state, side by side. Server functions get the
//! piece they need from context (`provide`), plain handlers through `FromRef`; nothing asks for
//! the whole.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::accounts::Accounts;
use crate::avatars::Avatars;
use crate::broadcasts::{Broadcasts, Downstream, InCluster};
use crate::channels::Channels;
use crate::channels::thumbnail::Thumbnails;
use crate::chat::Chat;
use crate::cluster::Cluster;
use crate::cluster::chat::ClusterChat;
use crate::db;
use crate::emotes::Emotes;
use crate::follows::Follows;
use crate::ingest::Ingest;
use crate::open_connections::{Caps, OpenConnections};
use crate::pictures::Pictures;
use crate::push::Push;
use crate::recordings::Recordings;
use crate::restream::Restream;
use crate::schedule::Schedule;
use crate::tokens::Tokens;
use crate::webhooks::Webhooks;

use super::Settings;
use super::bodies::BodyLimits;
use super::site::Site;
use super::sse::EventStreams;

/// This instance in a cluster: the cluster, and what broadcasts use of it.
pub struct Joined {
    pub cluster: Arc<Cluster>,
    pub in_cluster: InCluster,
}

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub accounts: Accounts,
    pub channels: Channels,
    pub broadcasts: Broadcasts,
    pub recordings: Recordings,
    pub chat: Chat,
    /// Who follows which channel.
    pub follows: Follows,
    /// Channels' chat emotes.
    pub emotes: Emotes,
    /// Channels' avatars.
    pub avatars: Avatars,
    /// Web Push to followers' browsers; None when it is off.
    pub push: Option<Push>,
    /// The broadcasts channels announce.
    pub schedule: Schedule,
    /// API tokens, for the JSON API bots and tools use.
    pub tokens: Tokens,
    /// Webhooks, told of what happens on channels.
    pub webhooks: Webhooks,
    /// Where channels' broadcasts are also pushed.
    pub restream: Restream,
    pub thumbnails: Thumbnails,
    pub ingest: Ingest,
    /// Whether the database (and NATS) answer: `/health`.
    pub health: super::health::Health,
    /// Live-event streams open now, by client, and when their readers count as stalled.
    pub event_streams: EventStreams,
    /// The host names and scheme of this site (Host and Origin checks).
    pub site: Site,
    /// How request bodies are read.
    pub bodies: BodyLimits,
    /// HTTP connections open now, by client address (counted by `serve`).
    #[from_ref(skip)]
    pub connections: OpenConnections,
    /// Who may read `/metrics`; None when metrics are off.
    #[from_ref(skip)]
    pub metrics: Option<super::metrics::MetricsAccess>,
}

impl AppState {
    /// Each capability's state, opened from `settings` on `db`. In a cluster, broadcasts run
    /// under its leases and mirror their media (`joined`), and with a shared database chat
    /// goes through the cluster's bus; their tasks run on `tasks` until `shutdown`.
    pub async fn open(
        settings: &Settings,
        db: &db::Db,
        backend: db::Backend,
        joined: Option<Joined>,
        connection_caps: Caps,
        tasks: &TaskTracker,
        shutdown: &CancellationToken,
    ) -> std::io::Result<Self> {
        let (cluster, in_cluster) = match joined {
            Some(Joined {
                cluster,
                in_cluster,
            }) => (Some(cluster), Some(in_cluster)),
            None => (None, None),
        };
        let shared_db = backend == db::Backend::Postgres;
        if cluster.is_some() && !shared_db {
            tracing::warn!(
                "cluster mode with SQLite: video is shared, but accounts, chat and records stay \
                 on each instance; set [database] url to a PostgreSQL database to share them"
            );
        }
        let channels = Channels::load(db.clone(), settings.hub())
            .await
            .map_err(std::io::Error::other)?;
        let webhooks = Webhooks::start(
            db.clone(),
            settings.webhooks(),
            tasks.clone(),
            shutdown.clone(),
        )
        .map_err(std::io::Error::other)?;
        let follows = Follows::new(db.clone(), channels.clone());
        // Uploaded pictures (emotes, avatars) are decoded a few at a time for the whole server.
        let pictures = Pictures::default();
        let mut chat = Chat::new(db.clone(), channels.clone())
            .with_webhooks(webhooks.clone())
            .with_follows(follows.clone());
        if let Some(cluster) = cluster.clone().filter(|_| shared_db) {
            let bus = ClusterChat::start(cluster, channels.clone(), tasks, shutdown.clone())
                .await
                .map_err(std::io::Error::other)?;
            chat = chat.with_bus(bus);
        }
        let recordings =
            Recordings::new(db.clone(), settings.recordings()).map_err(std::io::Error::other)?;
        recordings.tell(webhooks.clone());
        let restream = Restream::new(db.clone(), settings.restream());
        let push = Push::open(db.clone(), settings.push())
            .await
            .map_err(std::io::Error::other)?;
        let broadcasts = Broadcasts::open(
            db.clone(),
            channels.clone(),
            settings.broadcasts(),
            tasks.clone(),
            shutdown.clone(),
            in_cluster,
            backend,
            Downstream {
                recordings: Some(recordings.clone()),
                restream: Some(restream.clone()),
                webhooks: Some(webhooks.clone()),
                push: push.clone(),
            },
        )
        .await
        .map_err(std::io::Error::other)?;
        // After broadcasts closed the records a stop left open: their recordings close too.
        recordings
            .close_left_open()
            .await
            .map_err(std::io::Error::other)?;
        let ingest = Ingest::new(
            db.clone(),
            channels.clone(),
            broadcasts.clone(),
            settings.ingest(),
        );
        Ok(AppState {
            leptos_options: settings.leptos_options(),
            ingest,
            accounts: Accounts::new(
                db.clone(),
                settings.accounts.signups_per_address_per_hour,
                settings.server.https(),
            )
            .with_session_lifetime(Duration::from_secs(settings.accounts.session_lifetime_secs)),
            chat,
            follows,
            schedule: Schedule::new(db.clone(), channels.clone()),
            emotes: Emotes::new(db.clone(), channels.clone(), pictures.clone()),
            avatars: Avatars::new(db.clone(), channels.clone(), pictures),
            push,
            tokens: Tokens::new(db.clone()),
            webhooks,
            restream,
            thumbnails: Thumbnails::new(
                channels.clone(),
                settings.ffmpeg.path.clone(),
                settings.child_limits(),
            ),
            channels,
            broadcasts,
            recordings,
            event_streams: settings.event_streams(),
            site: settings.site(),
            bodies: BodyLimits::new(Duration::from_secs(
                settings.server.header_timeout_secs.max(1),
            )),
            health: super::health::Health::new(db.clone(), cluster.as_ref().map(|c| c.nats())),
            connections: OpenConnections::new(connection_caps),
            metrics: settings
                .metrics
                .enabled
                .then(|| super::metrics::MetricsAccess::new(&settings.metrics.token))
                .flatten(),
        })
    }

    /// Puts each capability's state in the context of a request (server functions, pages).
    pub fn provide(&self) {
        provide_context(self.accounts.clone());
        provide_context(self.channels.clone());
        provide_context(self.broadcasts.clone());
        provide_context(self.recordings.clone());
        provide_context(self.chat.clone());
        provide_context(self.follows.clone());
        provide_context(self.emotes.clone());
        provide_context(self.avatars.clone());
        if let Some(push) = &self.push {
            provide_context(push.clone());
        }
        provide_context(self.schedule.clone());
        provide_context(self.ingest.clone());
        provide_context(self.site.clone());
        provide_context(self.tokens.clone());
        provide_context(self.webhooks.clone());
        provide_context(self.restream.clone());
    }
}
