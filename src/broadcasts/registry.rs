//! The broadcasts on air, by channel: starts a broadcast's supervised ffmpeg, stops it (and
//! waits for ffmpeg to be gone), and records each broadcast from start to end.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::BroadcastError;
use super::api::EndReason;
use super::api::{EncoderFigures, OnAir};
use super::feed::{Feed, IncomingSlot};
use super::origins::{Ask, Origins};
use super::store;
use super::supervisor::{BroadcastEnd, LiveFigures, RunSpec, supervise};
use crate::channels::Channel;
use crate::clock::now_ms;
use crate::db::Db;
use crate::error::AppError;
use crate::live::outlet::{Mirror, Outlet};
use crate::recordings::Recordings;
use crate::recordings::recorder::Recording;
use crate::restream::{Restream, Restreaming};
use crate::webhooks::{HookEvent, Webhooks};

/// Broadcasts on air at once, at most: those whose ffmpeg encodes (about half a core each),
/// and those it only remuxes (streams from software, next to nothing each).
#[derive(Clone, Copy, Debug)]
pub struct MaxLive {
    pub encoded: usize,
    pub remuxed: usize,
}

#[derive(Clone)]
pub struct Registry {
    inner: Arc<Inner>,
}

struct Inner {
    on_air: Mutex<HashMap<String, Running>>,
    /// Starts and stops happen one at a time.
    control: tokio::sync::Mutex<()>,
    db: Db,
    tasks: TaskTracker,
    shutdown: CancellationToken,
    max_live: MaxLive,
    /// In cluster mode, where every broadcast here is also sent for the other instances.
    mirror: Option<Arc<dyn Mirror>>,
    /// In cluster mode, which instance runs each channel.
    origins: Option<Arc<dyn Origins>>,
    /// Where broadcasts go besides their viewers.
    downstream: Downstream,
}

/// Where a broadcast goes besides its viewers: its recording, its restreams, the webhooks
/// told when it goes live, ends, or reaches a new viewer peak, and the followers' browsers told
/// when it goes live.
#[derive(Clone, Default)]
pub struct Downstream {
    pub recordings: Option<Recordings>,
    pub restream: Option<Restream>,
    pub webhooks: Option<Webhooks>,
    /// Followers' browsers, told when a channel goes live.
    pub push: Option<crate::push::Push>,
}

struct Running {
    id: i64,
    source: String,
    encodes: bool,
    started_ms: u64,
    stop: CancellationToken,
    task: Option<JoinHandle<()>>,
    figures: LiveFigures,
    incoming: Option<IncomingSlot>,
    channel: Arc<Channel>,
}

impl Registry {
    /// At most `max_live` broadcasts of each kind at once; they run on `tasks` and all stop when `shutdown`
    /// is cancelled. Their media also goes to `mirror`, if any.
    pub fn new(
        db: Db,
        tasks: TaskTracker,
        shutdown: CancellationToken,
        max_live: MaxLive,
        mirror: Option<Arc<dyn Mirror>>,
        origins: Option<Arc<dyn Origins>>,
        downstream: Downstream,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                on_air: Mutex::default(),
                control: tokio::sync::Mutex::new(()),
                db,
                tasks,
                shutdown,
                max_live,
                mirror,
                origins,
                downstream,
            }),
        }
    }

    /// Puts `channel` on air with `spec`, reading `feed`, under `title`.
    pub async fn start(
        &self,
        channel: Arc<Channel>,
        title: String,
        spec: RunSpec,
        feed: Feed,
    ) -> Result<(), BroadcastError> {
        let _control = self.inner.control.lock().await;
        if self.inner.shutdown.is_cancelled() {
            return Err(AppError::Server("the server is shutting down".into()).into());
        }
        if self.is_on_air(&channel.name) {
            return Err(BroadcastError::LiveHere(channel.name.clone()));
        }
        // A ladder's picture rungs are encoded even from a stream that is only remuxed itself
        // (its sound alone is copied then, for next to nothing).
        let encodes =
            spec.source.encodes() || spec.ladder.iter().skip(1).any(|rung| rung.size.is_some());
        let remuxed = !spec.source.encodes();
        let (max, kind) = if encodes {
            (self.inner.max_live.encoded, "")
        } else {
            (self.inner.max_live.remuxed, " from streaming software")
        };
        let running = self
            .lock()
            .values()
            .filter(|r| r.encodes == encodes)
            .count();
        if running >= max {
            tracing::warn!(channel = %channel.name, max, encodes, "broadcast refused: at the limit");
            return Err(AppError::Busy(format!(
                "This server runs at most {max} broadcasts{kind} at once, and they are all on \
                 air. Try again later."
            ))
            .into());
        }
        let source = spec.source.label();
        let stop = self.inner.shutdown.child_token();
        let claim = match &self.inner.origins {
            Some(origins) => {
                let hub = channel.hub.clone();
                let waiting = Arc::new(move || {
                    remuxed && hub.status().state == crate::live::wire::ChannelState::Reconnecting
                });
                let claim = origins.claim(&channel.name, stop.clone(), waiting).await?;
                // Fragment ids continue above those any earlier origin gave.
                channel.hub.take_over_ids();
                Some(claim)
            }
            None => None,
        };
        channel.set_title(&title);
        let id = match store::begin(&self.inner.db, &channel.name, &title, &source).await {
            Ok(id) => id,
            Err(err) => {
                if let (Some(origins), Some(claim)) = (&self.inner.origins, claim) {
                    origins.release(&channel.name, claim).await;
                }
                return Err(err.into());
            }
        };
        let recording = match &self.inner.downstream.recordings {
            Some(recordings) => recordings.start(id, &channel.name, &title, now_ms()).await,
            None => None,
        };
        let restreaming = match &self.inner.downstream.restream {
            Some(restream) => Some(restream.begin(&channel.name, stop.child_token()).await),
            None => None,
        };
        let figures = LiveFigures::default();
        let incoming = feed.incoming();
        tracing::info!(channel = %channel.name, %title, %source, "going live");
        if let Some(webhooks) = &self.inner.downstream.webhooks {
            webhooks.emit(
                &channel.name,
                HookEvent::WentLive,
                serde_json::json!({ "broadcast": id, "title": title, "source": source }),
            );
        }
        if let Some(push) = &self.inner.downstream.push {
            push.went_live(&channel.name, &channel.broadcaster, &title);
        }
        // Hold the map while spawning, so a broadcast that fails at once finds itself there.
        let mut on_air = self.lock();
        let task = self.inner.tasks.spawn(run(
            self.inner.clone(),
            channel.clone(),
            spec,
            feed,
            RunIds {
                id,
                claim,
                recording,
                restreaming,
            },
            stop.clone(),
            figures.clone(),
        ));
        on_air.insert(
            channel.name.clone(),
            Running {
                id,
                source,
                encodes,
                started_ms: now_ms(),
                stop,
                task: Some(task),
                figures,
                incoming,
                channel,
            },
        );
        Ok(())
    }

    /// Takes `channel` off air and waits until its ffmpeg has exited and the end is recorded.
    pub async fn stop(&self, channel: &str) -> Result<(), BroadcastError> {
        let _control = self.inner.control.lock().await;
        let Some(mut running) = self.lock().remove(channel) else {
            return match &self.inner.origins {
                Some(origins) => origins.stop_elsewhere(channel, Ask::Stop).await,
                None => Err(BroadcastError::NotLive(channel.to_string())),
            };
        };
        running.stop.cancel();
        if let Some(task) = running.task.take()
            && let Err(err) = task.await
        {
            tracing::error!(%channel, %err, "broadcast task failed");
        }
        Ok(())
    }

    /// In a cluster: the instance running `channel`'s pushed broadcast, waiting for its
    /// publisher, lets it go (the publisher is back, here). Err: nobody runs it, or its
    /// publisher is still there.
    pub async fn take_over_waiting(&self, channel: &str) -> Result<(), BroadcastError> {
        match &self.inner.origins {
            Some(origins) if !self.is_on_air(channel) => {
                origins.stop_elsewhere(channel, Ask::YieldIfWaiting).await
            }
            _ => Err(BroadcastError::LiveHere(channel.to_string())),
        }
    }

    /// How many broadcasts are on air here.
    pub fn live_count(&self) -> usize {
        self.lock().len()
    }

    pub fn is_on_air(&self, channel: &str) -> bool {
        self.lock().contains_key(channel)
    }

    /// What is on air on `channel` now.
    pub fn on_air(&self, channel: &str) -> Option<OnAir> {
        let on_air = self.lock();
        let running = on_air.get(channel)?;
        let status = running.channel.hub.status();
        let figures: Option<EncoderFigures> = running
            .figures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let incoming = running
            .incoming
            .as_ref()
            .and_then(|slot| slot.lock().unwrap_or_else(|p| p.into_inner()).clone());
        Some(OnAir {
            source: running.source.clone(),
            started_ms: running.started_ms,
            state: status.state,
            reason: status.reason,
            figures,
            incoming,
            viewers: running.channel.hub.viewer_count(),
            rungs: rung_shares(&running.channel.hub),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Running>> {
        self.inner.on_air.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What names one broadcast: its record's id, in a cluster its origin lease's claim, its
/// recording when it is recorded, and its restreams.
struct RunIds {
    id: i64,
    claim: Option<u64>,
    recording: Option<Recording>,
    restreaming: Option<Restreaming>,
}

/// How often a live broadcast's record is brought up to date (its time on air and peak).
const TOUCH_EVERY_SECS: u64 = 5;

/// One broadcast from start to end: supervises ffmpeg, tracks the peak audience, records how
/// it ended, and leaves the registry.
async fn run(
    inner: Arc<Inner>,
    channel: Arc<Channel>,
    spec: RunSpec,
    feed: Feed,
    RunIds {
        id,
        claim,
        recording,
        restreaming,
    }: RunIds,
    stop: CancellationToken,
    figures: LiveFigures,
) {
    let hub = channel.hub.clone();
    let outlet = Outlet::new(&channel.name, hub.clone(), inner.mirror.clone())
        .recorded_by(recording.as_ref().map(Recording::tap))
        .restreamed_by(restreaming.clone());
    let supervised = supervise(spec, feed, outlet, stop, figures);
    tokio::pin!(supervised);
    let mut every_second = tokio::time::interval(Duration::from_secs(1));
    let mut ticks = 0u64;
    let mut peak = 0;
    let started = std::time::Instant::now();
    let mut peak_told = PeakTold::default();
    let ended = loop {
        tokio::select! {
            ended = &mut supervised => break ended,
            _ = every_second.tick() => {
                peak = peak.max(hub.viewer_count());
                if let Some(webhooks) = &inner.downstream.webhooks
                    && peak_told.tell(peak)
                {
                    webhooks.emit(
                        &channel.name,
                        HookEvent::ViewerPeak,
                        serde_json::json!({ "broadcast": id, "viewers": peak }),
                    );
                }
                ticks += 1;
                // Kept current on record, so a crash does not erase how long and to whom.
                if ticks.is_multiple_of(TOUCH_EVERY_SECS)
                    && let Err(err) = store::touch(&inner.db, id, peak).await
                {
                    tracing::warn!(channel = %channel.name, %err, "could not update the broadcast's record");
                }
            }
        }
    };
    // The audience at the very end counts too (a broadcast may last less than a tick).
    peak = peak.max(hub.viewer_count());
    let (reason, failure) = match ended {
        BroadcastEnd::Stopped if inner.shutdown.is_cancelled() => (EndReason::ServerShutdown, None),
        BroadcastEnd::Stopped => (EndReason::Stopped, None),
        BroadcastEnd::Failed(why) => (EndReason::Failed, Some(why)),
        BroadcastEnd::PublisherLeft => (EndReason::PublisherLeft, None),
        BroadcastEnd::StoppedByBroadcaster => (EndReason::StoppedByBroadcaster, None),
    };
    tracing::info!(channel = %channel.name, ?reason, ?failure, peak, "broadcast ended");
    if let Some(webhooks) = &inner.downstream.webhooks {
        webhooks.emit(
            &channel.name,
            HookEvent::Ended,
            serde_json::json!({
                "broadcast": id,
                "reason": reason,
                "failure": failure,
                "peak_viewers": peak,
                "duration_ms": started.elapsed().as_millis() as u64,
            }),
        );
    }
    if let Err(err) = store::end(&inner.db, id, reason, failure.as_deref(), peak).await {
        tracing::error!(channel = %channel.name, %err, "could not record the broadcast's end");
    }
    // Everything the broadcast sent is written and indexed before it counts as ended; its
    // restreams end theirs.
    if let Some(recording) = recording {
        recording.finish().await;
    }
    if let (Some(restream), Some(restreaming)) = (&inner.downstream.restream, restreaming) {
        restream.end(&channel.name, restreaming).await;
    }
    channel.set_last_live(now_ms());
    {
        let mut on_air = inner.on_air.lock().unwrap_or_else(|p| p.into_inner());
        if on_air.get(&channel.name).is_some_and(|r| r.id == id) {
            on_air.remove(&channel.name);
        }
    }
    if let (Some(origins), Some(claim)) = (&inner.origins, claim) {
        origins.release(&channel.name, claim).await;
    }
}

/// When a broadcast's webhooks were last told of a new viewer peak: at most once a minute,
/// and only of a peak higher than the last one told.
#[derive(Default)]
struct PeakTold {
    peak: usize,
    at: Option<std::time::Instant>,
}

impl PeakTold {
    const EVERY: Duration = Duration::from_secs(60);

    /// Whether `peak` is to be told now (and notes that it is).
    fn tell(&mut self, peak: usize) -> bool {
        let due = self.at.is_none_or(|at| at.elapsed() >= Self::EVERY);
        if peak > self.peak && due {
            self.peak = peak;
            self.at = Some(std::time::Instant::now());
            return true;
        }
        false
    }
}

/// The rungs `hub`'s broadcast is made in, with the viewers on each here.
pub(super) fn rung_shares(hub: &crate::live::hub::Hub) -> Vec<super::api::RungShare> {
    hub.rung_figures()
        .into_iter()
        .map(|rung| super::api::RungShare {
            name: rung.name,
            viewers: rung.viewers,
        })
        .collect()
}
