//! `Ingest`: who may publish to which channel, and the publishers connected now. A publisher
//! presents a stream key; a valid one for a channel nobody else is publishing to gets a
//! [`Publisher`]. Its first video puts the channel on air (or, within the grace period after
//! a drop, carries the same broadcast on); the studio can reset the key, which cuts it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::key::StreamKey;
use super::store;
use crate::broadcasts::Broadcasts;
use crate::broadcasts::api::RTMP_LABEL;
use crate::broadcasts::feed::{self, ByteSender, Feed, IncomingSlot, PushHandle};
use crate::broadcasts::source::{PushFormat, Source};
use crate::channels::Channels;
use crate::clock::now_ms;
use crate::db::Db;
use crate::error::AppError;

/// After "Stop" in the studio, the channel's key is refused this long, so the software's
/// automatic reconnect does not put the channel straight back on air.
pub const STOPPED_COOLDOWN: Duration = Duration::from_secs(30);
/// Taking a pushed broadcast over from another instance: tries, and the pause between them
/// (the other instance lets go once its ffmpeg has stopped).
const TAKE_OVER_TRIES: u32 = 20;
const TAKE_OVER_PAUSE: Duration = Duration::from_millis(250);

/// How RTMP ingest runs, from the server's settings.
#[derive(Clone, Debug)]
pub struct IngestConfig {
    /// How long a broadcast waits for its dropped publisher to reconnect.
    pub grace: Duration,
    /// Encode pushed streams again instead of remuxing them.
    pub transcode: bool,
    /// The RTMP address shown to broadcasters; empty: the studio's host and the bound port.
    pub public_url: String,
}

/// Why a publisher is turned away, in words shown to it (and, where it is the owner's
/// business, in the studio).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Refusal {
    #[error("wrong stream key")]
    WrongKey,
    #[error("another publisher is already streaming to this channel")]
    AlreadyPublishing,
    #[error("{0}")]
    Unsuitable(String),
    #[error("{0}")]
    CannotGoLive(String),
}

#[derive(Clone)]
pub struct Ingest {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    channels: Channels,
    broadcasts: Broadcasts,
    config: IngestConfig,
    /// Per channel: its connected publisher, its pushed broadcast, its last refusal.
    live: Mutex<HashMap<String, ChannelIngest>>,
    next_id: AtomicU64,
    /// Where the RTMP listener is bound, once it is.
    bound: OnceLock<SocketAddr>,
}

#[derive(Default)]
struct ChannelIngest {
    /// The connection publishing now.
    publisher: Option<Publishing>,
    /// The pushed broadcast on air, while it lasts, and what its ffmpeg reads.
    broadcast: Option<(PushHandle, PushFormat)>,
    /// The last time a publisher with the right key was turned away, and why.
    problem: Option<(u64, String)>,
}

/// The connection publishing to a channel now.
#[derive(Clone)]
struct Publishing {
    id: u64,
    /// What it pushes.
    format: PushFormat,
    /// Cancelled to cut it.
    cut: CancellationToken,
    /// The studio page's recording it carries (the page's own random tag), if it is one.
    recording: Option<String>,
}

impl Ingest {
    pub fn new(db: Db, channels: Channels, broadcasts: Broadcasts, config: IngestConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                db,
                channels,
                broadcasts,
                config,
                live: Mutex::default(),
                next_id: AtomicU64::new(1),
                bound: OnceLock::new(),
            }),
        }
    }

    /// Remembers where the listener is bound (for the address shown in the studio).
    pub fn bound_to(&self, addr: SocketAddr) {
        let _ = self.inner.bound.set(addr);
    }

    /// The RTMP server address to paste into OBS, for a studio opened on `host`.
    pub fn server_url(&self, host: &str) -> String {
        let public = self.inner.config.public_url.trim();
        if !public.is_empty() {
            return public.to_string();
        }
        let port = self.inner.bound.get().map_or(1935, SocketAddr::port);
        format!("rtmp://{host}:{port}/live")
    }

    /// The channel's stream key, made on first use.
    pub async fn key(&self, channel: &str) -> Result<StreamKey, AppError> {
        if let Some(key) = store::key(&self.inner.db, channel).await? {
            return Ok(key);
        }
        let fresh =
            StreamKey::generate(channel).map_err(|err| AppError::Server(err.to_string()))?;
        Ok(store::key_or_insert(&self.inner.db, channel, &fresh).await?)
    }

    /// A new key for the channel; the old one stops working and its publisher is cut.
    pub async fn reset_key(&self, channel: &str) -> Result<StreamKey, AppError> {
        let fresh =
            StreamKey::generate(channel).map_err(|err| AppError::Server(err.to_string()))?;
        store::replace(&self.inner.db, channel, &fresh).await?;
        // Only a stream that came in with the key is cut (not the studio page's own).
        let publishing = self.lock().get(channel).and_then(|c| c.publisher.clone());
        if let Some(publishing) = publishing.filter(|p| p.format == PushFormat::Flv) {
            tracing::info!(%channel, "stream key reset: cutting its publisher");
            publishing.cut.cancel();
        }
        Ok(fresh)
    }

    /// Why the channel's last publisher was turned away, if that was the latest news.
    pub fn problem(&self, channel: &str) -> Option<(u64, String)> {
        self.lock().get(channel).and_then(|c| c.problem.clone())
    }

    /// Checks a presented stream key: the channel it opens, with the publisher's place in it.
    /// `cut` is cancelled when the publisher must go (key reset).
    pub async fn authorize(
        &self,
        presented: &str,
        cut: CancellationToken,
    ) -> Result<Publisher, Refusal> {
        let channel = StreamKey::claimed_channel(presented).ok_or(Refusal::WrongKey)?;
        let known = match store::key(&self.inner.db, channel).await {
            Ok(known) => known,
            Err(err) => {
                tracing::error!(%err, "cannot read stream keys");
                return Err(Refusal::CannotGoLive(
                    "the server cannot check keys now".into(),
                ));
            }
        };
        if !known.is_some_and(|key| key.matches(presented)) {
            // What an unauthenticated peer sent is logged escaped: no line of its making.
            tracing::warn!(claimed = %channel.escape_debug(), "publisher refused: wrong stream key");
            return Err(Refusal::WrongKey);
        }
        let channel = channel.to_string();
        if let Some(reason) = self.stopped_in_studio(&channel).await {
            return Err(self.refuse(&channel, reason));
        }
        self.admit(&channel, PushFormat::Flv, cut, None)
    }

    /// A publisher for `channel` pushing `format` (its owner's browser, or software whose key
    /// was checked): refused while another publishes there, or while the channel is live with
    /// another source. A new socket of the studio page's same `recording` takes over from the
    /// old one at once (the page lowering its bitrate, or back from a network drop the server
    /// has not noticed yet); the old one is cut.
    pub fn admit(
        &self,
        channel: &str,
        format: PushFormat,
        cut: CancellationToken,
        recording: Option<&str>,
    ) -> Result<Publisher, Refusal> {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let mut live = self.lock();
        let entry = live.entry(channel.to_string()).or_default();
        if let Some(current) = &entry.publisher {
            let same = recording.is_some() && current.recording.as_deref() == recording;
            if !same || current.format != format {
                drop(live);
                tracing::warn!(%channel, "second publisher refused");
                return Err(Refusal::AlreadyPublishing);
            }
            tracing::info!(%channel, "the recording's new socket takes over from its old one");
            current.cut.cancel();
            entry.publisher = None;
        }
        // A pushed broadcast waiting for its publisher takes it back only in the same format
        // (its ffmpeg reads that).
        let ours = entry
            .broadcast
            .as_ref()
            .is_some_and(|(b, f)| !b.connections.is_closed() && *f == format);
        if !ours && self.inner.broadcasts.is_on_air(channel) {
            drop(live);
            return Err(self.refuse(
                channel,
                "the channel is live with another source; stop it in the studio first".into(),
            ));
        }
        entry.publisher = Some(Publishing {
            id,
            format,
            cut,
            recording: recording.map(str::to_string),
        });
        tracing::info!(%channel, "publisher accepted");
        Ok(Publisher {
            ingest: self.clone(),
            channel: channel.to_string(),
            format,
            id,
        })
    }

    /// The publisher's first video arrived: its bytes' way to ffmpeg, on air.
    async fn go_live(&self, publisher: &Publisher) -> Result<(ByteSender, IncomingSlot), Refusal> {
        let channel = &publisher.channel;
        let (sender, stream) = feed::byte_stream(feed::QUEUED_BYTES);
        let waiting = self
            .lock()
            .get(channel)
            .and_then(|c| c.broadcast.clone())
            .filter(|(b, f)| !b.connections.is_closed() && *f == publisher.format)
            .map(|(b, _)| b);
        let handle = match waiting {
            // The broadcast waits for its publisher to come back: carry it on.
            Some(handle) => handle,
            None => match self.start_pushed(publisher).await {
                Ok(handle) => handle,
                Err(err) => return Err(self.refuse(channel, err.to_string())),
            },
        };
        if handle.connections.send(stream).await.is_err() {
            return Err(self.refuse(channel, "the broadcast ended as the stream arrived".into()));
        }
        let mut live = self.lock();
        let entry = live.entry(channel.clone()).or_default();
        entry.problem = None;
        let slot = handle.incoming.clone();
        entry.broadcast = Some((handle, publisher.format));
        Ok((sender, slot))
    }

    /// Puts the publisher's channel on air from its stream. In a cluster, a broadcast of the
    /// channel another instance holds while it waits for its publisher to come back (this
    /// publisher, reconnected elsewhere) is stopped there, and this instance takes over.
    async fn start_pushed(&self, publisher: &Publisher) -> Result<PushHandle, AppError> {
        let channel = &publisher.channel;
        let title = self
            .inner
            .channels
            .find(channel)
            .await?
            .map(|c| c.title())
            .unwrap_or_default();
        let mut tries = TAKE_OVER_TRIES;
        loop {
            let (handle, feed) = Feed::pushed(self.inner.config.grace);
            let source = Source::Pushed {
                format: publisher.format,
                transcode: self.inner.config.transcode,
            };
            match self
                .inner
                .broadcasts
                .start_with(channel, title.clone(), source, feed)
                .await
            {
                Ok(()) => return Ok(handle),
                Err(AppError::Invalid(why)) if tries > 1 => {
                    if tries == TAKE_OVER_TRIES {
                        // Live elsewhere: taken over only if it waits for this publisher.
                        if self
                            .inner
                            .broadcasts
                            .take_over_waiting(channel)
                            .await
                            .is_err()
                        {
                            return Err(AppError::Invalid(why));
                        }
                        tracing::info!(%channel, "the publisher is back here: taking the broadcast over");
                    }
                    tracing::debug!(%channel, %why, "waiting for the other instance to let go");
                    tries -= 1;
                    tokio::time::sleep(TAKE_OVER_PAUSE).await;
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// Turns a publisher with the right key away for `reason`, which its studio shows.
    fn refuse(&self, channel: &str, reason: String) -> Refusal {
        tracing::warn!(%channel, %reason, "publisher refused");
        self.lock().entry(channel.to_string()).or_default().problem =
            Some((now_ms(), reason.clone()));
        Refusal::CannotGoLive(reason)
    }

    /// Records that a stream was unsuitable (codec), for the studio to show.
    fn unsuitable(&self, channel: &str, reason: String) -> Refusal {
        self.refuse(channel, reason.clone());
        Refusal::Unsuitable(reason)
    }

    /// Whether the owner stopped the channel's pushed broadcast in the studio just now.
    async fn stopped_in_studio(&self, channel: &str) -> Option<String> {
        let last = self.inner.broadcasts.last(channel).await.ok()??;
        let recent = now_ms().saturating_sub(last.ended_ms) < STOPPED_COOLDOWN.as_millis() as u64;
        (recent && last.end_reason == "stopped" && last.source == RTMP_LABEL).then(|| {
            format!(
                "the broadcast was stopped in the studio; stop streaming in your software, or \
                 wait {} s to go live again",
                STOPPED_COOLDOWN.as_secs()
            )
        })
    }

    fn release(&self, channel: &str, id: u64) {
        let mut live = self.lock();
        if let Some(entry) = live.get_mut(channel) {
            if entry.publisher.as_ref().is_some_and(|p| p.id == id) {
                entry.publisher = None;
            }
            if entry
                .broadcast
                .as_ref()
                .is_some_and(|(b, _)| b.connections.is_closed())
            {
                entry.broadcast = None;
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, ChannelIngest>> {
        self.inner.live.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A connection allowed to publish to `channel`; gives its place up when dropped.
pub struct Publisher {
    ingest: Ingest,
    pub channel: String,
    format: PushFormat,
    id: u64,
}

impl Publisher {
    /// Puts the channel on air (or back on air) with this publisher's bytes.
    pub async fn go_live(&self) -> Result<(ByteSender, IncomingSlot), Refusal> {
        self.ingest.go_live(self).await
    }

    /// Turns this publisher away for an unsuitable stream; the studio shows why.
    pub fn unsuitable(&self, reason: String) -> Refusal {
        self.ingest.unsuitable(&self.channel, reason)
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        self.ingest.release(&self.channel, self.id);
    }
}
