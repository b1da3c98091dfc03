//! The state every handler and server function shares, and the studio's operations that need
//! several parts of it.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::SqlitePool;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::Settings;
use super::thumbnail::Thumbnails;
use crate::accounts::throttle::SignInThrottle;
use crate::broadcasts::api::{BroadcastStatus, SourceChoice};
use crate::broadcasts::media::MediaFolder;
use crate::broadcasts::records;
use crate::broadcasts::registry::Broadcasts;
use crate::broadcasts::source::{Encoding, Source};
use crate::broadcasts::supervisor::Broadcast;
use crate::channels::server::Channels;
use crate::channels::store;
use crate::chat::limit::ChatLimit;
use crate::error::AppError;
use crate::live::hub::now_ms;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub settings: Arc<Settings>,
    pub db: SqlitePool,
    pub channels: Channels,
    pub broadcasts: Broadcasts,
    pub media: MediaFolder,
    pub throttle: Arc<SignInThrottle>,
    pub chat_limit: Arc<ChatLimit>,
    /// Chat messages are stored and published one at a time, so ids and delivery agree.
    pub chat_order: Arc<tokio::sync::Mutex<()>>,
    /// Cancelled on shutdown: broadcasts stop and SSE streams end.
    pub shutdown: CancellationToken,
    pub thumbnails: Thumbnails,
}

impl AppState {
    /// The state over an open database: every user's channel is registered (offline).
    pub async fn new(
        settings: Settings,
        db: SqlitePool,
        tasks: TaskTracker,
    ) -> Result<Self, sqlx::Error> {
        let shutdown = CancellationToken::new();
        let channels = Channels::new(settings.hub());
        let interrupted = records::close_interrupted(&db).await?;
        if interrupted > 0 {
            tracing::warn!(interrupted, "closed broadcasts the last run left open");
        }
        for stored in store::all(&db).await? {
            channels.open(&stored.name, &stored.username, &stored.title);
        }
        for (name, ms) in records::last_live(&db).await? {
            if let Some(channel) = channels.get(&name) {
                channel.set_last_live(ms);
            }
        }
        Ok(Self {
            leptos_options: settings.leptos_options(),
            media: MediaFolder::new(&settings.media.dir),
            settings: Arc::new(settings),
            broadcasts: Broadcasts::new(db.clone(), tasks, shutdown.clone()),
            db,
            channels,
            throttle: Arc::default(),
            chat_limit: Arc::default(),
            chat_order: Arc::default(),
            shutdown,
            thumbnails: Thumbnails::default(),
        })
    }

    /// How every broadcast is encoded.
    pub fn encoding(&self) -> Encoding {
        let s = &self.settings;
        Encoding {
            fps: s.broadcast.fps,
            video_kbps: s.broadcast.video_kbps,
            audio_kbps: s.broadcast.audio_kbps,
            fragment_ms: s.ffmpeg.fragment_ms,
            keyframe_secs: s.ffmpeg.keyframe_secs,
        }
    }

    /// The source `choice` names, checked: a media file must lie in the media folder.
    pub fn source(&self, choice: &SourceChoice) -> Result<Source, AppError> {
        let s = &self.settings.broadcast;
        Ok(match choice {
            SourceChoice::TestPattern => Source::TestPattern {
                width: s.width,
                height: s.height,
                fps: s.fps,
            },
            SourceChoice::MediaFile(name) => Source::MediaFile {
                path: self
                    .media
                    .resolve(name)
                    .map_err(|err| AppError::Invalid(err.to_string()))?,
                max_height: s.height,
            },
        })
    }

    /// Puts `channel` on air (the caller has checked who may).
    pub async fn start_broadcast(
        &self,
        channel: &str,
        title: String,
        choice: SourceChoice,
    ) -> Result<(), AppError> {
        let channel = self
            .channels
            .get(channel)
            .ok_or_else(|| AppError::NotFound(format!("There is no channel {channel}.")))?;
        let broadcast = Broadcast {
            channel: channel.name.clone(),
            source: self.source(&choice)?,
            encoding: self.encoding(),
            ffmpeg: self.settings.ffmpeg.path.clone(),
            max_restarts: self.settings.ffmpeg.max_restarts,
        };
        let name = channel.name.clone();
        self.broadcasts
            .start(channel, title.clone(), broadcast)
            .await?;
        // The title outlives the broadcast: the directory shows it while offline too.
        store::set_title(&self.db, &name, &title).await?;
        Ok(())
    }

    /// What the studio shows about `channel`.
    pub async fn broadcast_status(&self, channel: &str) -> Result<BroadcastStatus, AppError> {
        let found = self
            .channels
            .get(channel)
            .ok_or_else(|| AppError::NotFound(format!("There is no channel {channel}.")))?;
        Ok(BroadcastStatus {
            channel: found.name.clone(),
            title: found.title(),
            on_air: self.broadcasts.on_air(channel),
            last: records::last(&self.db, channel).await?,
            now_ms: now_ms(),
        })
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
