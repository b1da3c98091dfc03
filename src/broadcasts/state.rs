//! `Broadcasts`: the studio's operations (go live with a chosen source, stop, report) over the
//! on-air registry, the media folder and how every broadcast is encoded. Every way of going
//! live ends in [`Broadcasts::start_with`]: a source and the feed its bytes come from.

use std::path::PathBuf;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::BroadcastError;
use super::api::{OnAir, PastBroadcast, SourceChoice, StudioStatus};
use super::feed::Feed;
use super::media::{self, MediaFolder};
use super::origins::Origins;
use super::registry::{Downstream, MaxLive, Registry};
use super::source::{Encoding, Source};
use super::store;
use super::supervisor::RunSpec;
use crate::accounts::session::SignedIn;
use crate::channels::Channels;
use crate::channels::store as channel_store;
use crate::child_process::ChildLimits;
use crate::clock::now_ms;
use crate::db::{Backend, Db};
use crate::error::AppError;
use crate::live::hub::RungInfo;
use crate::live::outlet::Mirror;
use crate::live::wire::ChannelState;
use crate::renditions::ladder::{self, Rung, RungSetting};

/// How broadcasts are run, from the server's settings.
#[derive(Clone, Debug)]
pub struct BroadcastConfig {
    /// The ffmpeg executable.
    pub ffmpeg: String,
    /// What each of its runs may take.
    pub child_limits: ChildLimits,
    /// Restarts of a failing ffmpeg in a row before a broadcast gives up.
    pub max_restarts: u32,
    pub encoding: Encoding,
    /// The test pattern's size; a media file is scaled to at most this height.
    pub width: u32,
    pub height: u32,
    /// The quality ladder's setting (see `renditions`); `source` alone makes one rendition.
    pub ladder: Vec<RungSetting>,
    /// The folder media files come from.
    pub media_dir: PathBuf,
    /// Broadcasts on air at once, at most (the demo's included).
    pub max_live: MaxLive,
}

/// What broadcasts use of a cluster: where their media goes for the other instances, and
/// which instance runs each channel.
pub struct InCluster {
    pub mirror: Arc<dyn Mirror>,
    pub origins: Arc<dyn Origins>,
}

/// A record younger than this is never taken for an orphan's (see `resume_orphan`).
const RESUME_MIN_AGE_MS: u64 = 3_000;

/// The studio's choice a recorded source label names, for a source a server runs by itself.
fn resumable(label: &str) -> Option<SourceChoice> {
    if label == Source::test_pattern_label() {
        return Some(SourceChoice::TestPattern);
    }
    label
        .strip_prefix(Source::MEDIA_FILE_PREFIX)
        .map(|name| SourceChoice::MediaFile(name.to_string()))
}

/// A broadcast in a shared database not seen on air for this long was cut by its instance's
/// death (records are touched every 5 s while on air).
const INTERRUPTED_AFTER_MS: u64 = 30_000;

#[derive(Clone)]
pub struct Broadcasts {
    registry: Registry,
    channels: Channels,
    media: MediaFolder,
    config: Arc<BroadcastConfig>,
    db: Db,
}

impl Broadcasts {
    /// Closes the records a crash left open and tells each channel when it was last live.
    /// Broadcasts run on `tasks` and all stop when `shutdown` is cancelled; in cluster mode
    /// their media also goes to `mirror`; each also goes `downstream` (recorded, restreamed,
    /// told to webhooks).
    #[expect(
        clippy::too_many_arguments,
        reason = "each is another capability's handle or a setting; a struct would only rename the list"
    )]
    pub async fn open(
        db: Db,
        channels: Channels,
        config: BroadcastConfig,
        tasks: TaskTracker,
        shutdown: CancellationToken,
        cluster: Option<InCluster>,
        backend: Backend,
        downstream: Downstream,
    ) -> Result<Self, sqlx::Error> {
        // In a shared database, other instances' broadcasts are open too: only those not seen
        // on air for a while were cut.
        let seen_before = match backend {
            Backend::Sqlite => u64::MAX,
            Backend::Postgres => now_ms().saturating_sub(INTERRUPTED_AFTER_MS),
        };
        let interrupted = store::close_interrupted(&db, seen_before).await?;
        if interrupted > 0 {
            tracing::warn!(interrupted, "closed broadcasts the last run left open");
        }
        for (name, ms) in store::last_live(&db).await? {
            if let Some(channel) = channels.get(&name) {
                channel.set_last_live(ms);
            }
        }
        Ok(Self {
            registry: Registry::new(
                db.clone(),
                tasks,
                shutdown,
                config.max_live,
                cluster.as_ref().map(|c| c.mirror.clone()),
                cluster.map(|c| c.origins),
                downstream,
            ),
            media: MediaFolder::new(&config.media_dir),
            channels,
            config: Arc::new(config),
            db,
        })
    }

    /// The source `choice` names, checked: a media file must lie in the media folder.
    pub fn source(&self, choice: &SourceChoice) -> Result<Source, AppError> {
        let c = &self.config;
        Ok(match choice {
            SourceChoice::TestPattern => Source::TestPattern {
                width: c.width,
                height: c.height,
                fps: c.encoding.fps,
            },
            SourceChoice::MediaFile(name) => Source::MediaFile {
                path: self
                    .media
                    .resolve(name)
                    .map_err(|err| AppError::Invalid(err.to_string()))?,
                max_height: c.height,
                sound_alone: media::is_sound_alone(name),
            },
        })
    }

    /// Puts `channel` on air with the source the studio picked (the caller checked who may).
    pub async fn start(
        &self,
        channel: &str,
        title: String,
        choice: SourceChoice,
    ) -> Result<(), BroadcastError> {
        let source = self.source(&choice)?;
        self.start_with(channel, title, source, Feed::Own).await
    }

    /// Puts `channel` on air with `source`, whose input comes from `feed`.
    pub async fn start_with(
        &self,
        channel: &str,
        title: String,
        source: Source,
        feed: Feed,
    ) -> Result<(), BroadcastError> {
        let channel = self.channels.require(channel).await?;
        let made_in_ladder = channel_store::ladder(&self.db, &channel.name)
            .await?
            .unwrap_or(true);
        let (ladder, rung_info) = if made_in_ladder {
            self.ladder_for(&source)
        } else {
            self.source_alone(&source)
        };
        let spec = RunSpec {
            channel: channel.name.clone(),
            ladder,
            rung_info,
            source,
            encoding: self.config.encoding.clone(),
            ffmpeg: self.config.ffmpeg.clone(),
            child_limits: self.config.child_limits,
            max_restarts: self.config.max_restarts,
        };
        // The registry sets the title as the broadcast starts; it is saved once that succeeded.
        self.registry
            .start(channel.clone(), title, spec, feed)
            .await?;
        self.channels.save_title(&channel).await?;
        Ok(())
    }

    /// The rungs `source` is made in: the setting's rungs shorter than its picture and, when
    /// it is encoded here, cheaper than it (a rung near the source's bitrate saves nobody
    /// anything); sound alone only from a source that surely has sound. A source of sound
    /// alone is made in one rung of sound alone, whatever the setting.
    fn ladder_for(&self, source: &Source) -> (Vec<Rung>, Arc<[RungInfo]>) {
        let enc = &self.config.encoding;
        let shape = source.shape(enc);
        let rungs = if source.sound_alone() {
            vec![Rung::sound_alone()]
        } else {
            let mut rungs = ladder::for_source(&self.config.ladder, shape.width, shape.height);
            rungs.retain(|rung| match (rung.size, rung.kbps) {
                (None, _) => shape.sound,
                (Some(_), Some(kbps)) if source.encodes() => kbps * 5 < enc.video_kbps * 4,
                _ => true,
            });
            rungs
        };
        let info = rungs
            .iter()
            .enumerate()
            .map(|(n, rung)| RungInfo {
                name: rung.name.clone(),
                // A source's height is told only when it is its own.
                height: rung
                    .size
                    .map(|(_, height)| height)
                    .filter(|_| n > 0 || shape.known),
            })
            .collect();
        (rungs, info)
    }

    /// The source alone, for a channel whose owner turned the ladder off.
    fn source_alone(&self, source: &Source) -> (Vec<Rung>, Arc<[RungInfo]>) {
        let (mut rungs, info) = self.ladder_for(source);
        rungs.truncate(1);
        (rungs, Arc::from(&info[..info.len().min(1)]))
    }

    /// Makes `channel`'s next broadcasts in the quality ladder, or in the source alone.
    pub async fn set_ladder(&self, channel: &str, on: bool) -> Result<(), AppError> {
        let channel = self.channels.require(channel).await?;
        channel_store::set_ladder(&self.db, &channel.name, on).await?;
        Ok(())
    }

    /// Saves `channel`'s title: the one it goes live with next, and shows now if live.
    pub async fn save_title(&self, channel: &str, title: &str) -> Result<(), AppError> {
        let channel = self.channels.require(channel).await?;
        channel.set_title(title);
        self.channels.save_title(&channel).await?;
        Ok(())
    }

    /// Whether `channel` is on air (live, or waiting for its source to come back).
    /// How many broadcasts are on air on this instance.
    pub fn live_count(&self) -> usize {
        self.registry.live_count()
    }

    pub fn is_on_air(&self, channel: &str) -> bool {
        self.registry.is_on_air(channel)
    }

    /// How `channel`'s last finished broadcast ended.
    pub async fn last(&self, channel: &str) -> Result<Option<PastBroadcast>, AppError> {
        Ok(store::last(&self.db, channel).await?)
    }

    /// Takes `channel` off air; returns once its ffmpeg has exited. The stop runs to its end
    /// even when whoever asked goes away (a studio tab closed right after its Stop click).
    pub async fn stop(&self, channel: &str) -> Result<(), BroadcastError> {
        let registry = self.registry.clone();
        let channel = channel.to_string();
        match tokio::spawn(async move { registry.stop(&channel).await }).await {
            Ok(stopped) => stopped,
            Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
            Err(err) => Err(AppError::Server(format!("the stop was cut short: {err}")).into()),
        }
    }

    /// `user` puts `channel` on air (the studio, or an API token): its owner only, with a
    /// title that passes the rules.
    pub async fn start_by(
        &self,
        user: &SignedIn,
        channel: &str,
        title: &str,
        choice: SourceChoice,
    ) -> Result<(), AppError> {
        user.ensure_owns(channel)?;
        let title = super::rules::check_title(title).map_err(AppError::Invalid)?;
        Ok(self.start(channel, title, choice).await?)
    }

    /// `user` takes `channel` off air: its owner, or an operator (which the log notes).
    pub async fn stop_by(&self, user: &SignedIn, channel: &str) -> Result<(), AppError> {
        user.ensure_in_charge(channel)?;
        if user.channel != channel {
            tracing::info!(%channel, operator = %user.username, "an operator ends the broadcast");
        }
        Ok(self.stop(channel).await?)
    }

    /// In a cluster, `channel`'s origin died and no instance took over: a server-side
    /// broadcast (test pattern, media file) still open on record starts here under its title
    /// (the lease lets one instance win; the others get [`BroadcastError::LiveElsewhere`]),
    /// and its old record is closed as interrupted. Ok(false): nothing to resume here — a pushed broadcast comes
    /// back when its publisher reconnects, to any instance.
    pub async fn resume_orphan(&self, channel: &str) -> Result<bool, BroadcastError> {
        // A record this young may be the one another instance just began in a takeover.
        let before = now_ms().saturating_sub(RESUME_MIN_AGE_MS);
        let Some((id, title, label)) = store::open_before(&self.db, channel, before).await? else {
            return Ok(false);
        };
        let resumed = match resumable(&label) {
            Some(choice) => {
                self.start(channel, title, choice).await?;
                true
            }
            None => false,
        };
        store::close_interrupted_one(&self.db, id).await?;
        Ok(resumed)
    }

    /// See [`Registry::take_over_waiting`].
    pub async fn take_over_waiting(&self, channel: &str) -> Result<(), BroadcastError> {
        self.registry.take_over_waiting(channel).await
    }

    /// What the studio shows about `channel`.
    pub async fn studio_status(&self, channel: &str) -> Result<StudioStatus, AppError> {
        let found = self.channels.require(channel).await?;
        let on_air = self
            .registry
            .on_air(channel)
            .or_else(|| on_air_elsewhere(&found));
        Ok(StudioStatus {
            channel: found.name.clone(),
            title: found.title(),
            ladder: channel_store::ladder(&self.db, channel)
                .await?
                .unwrap_or(true),
            on_air,
            last: store::last(&self.db, channel).await?,
            now_ms: now_ms(),
        })
    }

    /// The files in the media folder a broadcaster can pick.
    pub fn media_files(&self) -> Vec<String> {
        self.media.list()
    }
}

/// A channel live but not from this instance (in a cluster, another instance runs it): what
/// its hub knows, so the studio shows it live, and its stop reaches that instance.
fn on_air_elsewhere(channel: &crate::channels::Channel) -> Option<OnAir> {
    let status = channel.hub.status();
    (status.state != ChannelState::Offline).then(|| OnAir {
        source: "another server of this site".into(),
        started_ms: status.since_ms,
        state: status.state,
        reason: status.reason,
        figures: None,
        incoming: None,
        viewers: channel.hub.viewer_count(),
        rungs: super::registry::rung_shares(&channel.hub),
    })
}
