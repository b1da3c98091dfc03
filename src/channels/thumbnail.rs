//! A small picture of what a live channel shows now, for the directory
//! (`GET /live/{channel}/thumbnail.jpg`). Made from the hub's newest keyframe by one short
//! ffmpeg run (no shell, fixed arguments, input on stdin), at most once per channel every
//! `FRESH_FOR`; requests in between, or arriving while one is made, share the result. A run
//! that fails is not retried for `FAILED_FOR`: requests meanwhile are answered at once.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::Channels;
use crate::broadcasts::source::MAX_PIXELS;
use crate::child_process::ChildLimits;
use crate::live::wire::ChannelState;

/// Processor seconds one thumbnail's ffmpeg may use.
const THUMBNAIL_CPU_SECS: u64 = 10;

const FRESH_FOR: Duration = Duration::from_secs(10);
const FAILED_FOR: Duration = Duration::from_secs(5);
const WIDTH: u32 = 320;
const ENCODE_TIMEOUT: Duration = Duration::from_secs(5);

/// One channel's last picture (None: the last try failed) and when it was made. The async
/// mutex makes one request do the work while others wait for it.
type Slot = Arc<tokio::sync::Mutex<Option<(Instant, Option<Bytes>)>>>;

/// Why there is no picture.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum ThumbnailError {
    #[error("no such channel")]
    NoChannel,
    #[error("the channel is not live")]
    NotLive,
    #[error("no picture right now")]
    Failed,
    #[error("the channel broadcasts sound alone: it has no picture")]
    SoundAlone,
}

/// The pictures by channel.
#[derive(Clone)]
pub struct Thumbnails {
    channels: Channels,
    ffmpeg: String,
    limits: ChildLimits,
    by_channel: Arc<Mutex<HashMap<String, Slot>>>,
    /// ffmpeg runs started, successful or not.
    runs: Arc<AtomicU64>,
}

impl Thumbnails {
    /// Pictures of `channels`, made with the ffmpeg at `ffmpeg`, each run within `limits`.
    pub fn new(channels: Channels, ffmpeg: String, limits: ChildLimits) -> Self {
        Self {
            channels,
            ffmpeg,
            limits,
            by_channel: Arc::default(),
            runs: Arc::default(),
        }
    }

    /// How many times ffmpeg was run for a picture since start.
    pub fn runs(&self) -> u64 {
        self.runs.load(Ordering::Relaxed)
    }

    /// A JPEG of what `channel` shows now (at most `FRESH_FOR` old).
    pub async fn picture(&self, channel: &str) -> Result<Bytes, ThumbnailError> {
        let found = self
            .channels
            .get(channel)
            .ok_or(ThumbnailError::NoChannel)?;
        let slot = {
            let mut by_channel = self.by_channel.lock().unwrap_or_else(|p| p.into_inner());
            by_channel.entry(found.name.clone()).or_default().clone()
        };
        // Off air, no picture from the cache either: the channel is not showing it.
        let Some((init, keyframe)) = found.hub.snapshot() else {
            let live = found.hub.status().state == ChannelState::Live;
            return Err(if live && found.hub.sound_alone() {
                ThumbnailError::SoundAlone
            } else {
                ThumbnailError::NotLive
            });
        };
        let mut cached = slot.lock().await;
        match cached.as_ref() {
            Some((made, Some(jpeg))) if made.elapsed() < FRESH_FOR => return Ok(jpeg.clone()),
            Some((tried, None)) if tried.elapsed() < FAILED_FOR => {
                return Err(ThumbnailError::Failed);
            }
            _ => {}
        }
        self.runs.fetch_add(1, Ordering::Relaxed);
        // A picture takes a fraction of a second; a run that takes far more is killed.
        let limits = self.limits.with_cpu_secs(THUMBNAIL_CPU_SECS);
        match encode(&self.ffmpeg, limits, init, keyframe).await {
            Ok(jpeg) => {
                *cached = Some((Instant::now(), Some(jpeg.clone())));
                Ok(jpeg)
            }
            Err(err) => {
                tracing::warn!(%err, "thumbnail failed");
                *cached = Some((Instant::now(), None));
                Err(ThumbnailError::Failed)
            }
        }
    }
}

/// Decodes the first frame of init + keyframe fragment into a JPEG `WIDTH` pixels wide (also
/// a recording's pictures, `recordings::state`).
pub(crate) async fn encode(
    ffmpeg: &str,
    limits: ChildLimits,
    init: Bytes,
    keyframe: Bytes,
) -> Result<Bytes, String> {
    let scale = format!("scale={WIDTH}:-2");
    let max_pixels = MAX_PIXELS.to_string();
    let mut child = crate::child_process::command(ffmpeg, limits)
        .args([
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-max_pixels",
            &max_pixels,
            "-f",
            "mp4",
            "-i",
            "pipe:0",
        ])
        .args([
            "-frames:v",
            "1",
            "-vf",
            &scale,
            "-q:v",
            "5",
            "-f",
            "image2",
            "-c:v",
            "mjpeg",
            "pipe:1",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {ffmpeg}: {e}"))?;
    let (Some(mut stdin), Some(mut stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return Err("ffmpeg has no pipes".into());
    };
    let run = async {
        let feed = async move {
            stdin.write_all(&init).await?;
            stdin.write_all(&keyframe).await
            // stdin drops here: ffmpeg sees the end of its input.
        };
        let mut jpeg = Vec::new();
        let (fed, read) = tokio::join!(feed, stdout.read_to_end(&mut jpeg));
        read.map_err(|e| format!("reading the picture: {e}"))?;
        let status = child.wait().await.map_err(|e| e.to_string())?;
        match (status.success(), jpeg.starts_with(&[0xff, 0xd8])) {
            (true, true) => Ok(Bytes::from(jpeg)),
            _ => Err(format!(
                "ffmpeg made no picture ({status}, input {})",
                if fed.is_ok() { "sent" } else { "cut" }
            )),
        }
    };
    tokio::time::timeout(ENCODE_TIMEOUT, run)
        .await
        .map_err(|_| "ffmpeg took too long".to_string())?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::splitter::{Piece, Splitter};
    use crate::live::testing::encode_test_pattern;

    /// Channels with one live channel, `ana`, showing the real test pattern.
    async fn live_channel() -> (tempfile::TempDir, Channels) {
        let dir = tempfile::tempdir().unwrap();
        let channels = crate::channels::state::tests::channels_in(dir.path()).await;
        let hub = channels.open("ana", "Ana", "Ana live").hub.clone();
        for piece in Splitter::new().push(&encode_test_pattern(1)).unwrap() {
            match piece {
                Piece::Init(init) => {
                    hub.publish_init(&init);
                }
                Piece::Fragment(fragment) => {
                    hub.publish(&fragment);
                }
            }
        }
        (dir, channels)
    }

    #[tokio::test]
    async fn a_picture_is_made_once_and_shared_while_fresh() {
        let (_dir, channels) = live_channel().await;
        let thumbnails = Thumbnails::new(channels, "ffmpeg".into(), ChildLimits::default());
        let (a, b) = tokio::join!(thumbnails.picture("ana"), thumbnails.picture("ana"));
        let jpeg = a.expect("a picture of a live channel");
        assert!(jpeg.starts_with(&[0xff, 0xd8]), "a JPEG");
        assert_eq!(b, Ok(jpeg.clone()), "the request that waited shares it");
        assert_eq!(thumbnails.picture("ana").await, Ok(jpeg));
        assert_eq!(thumbnails.runs(), 1);
        assert_eq!(
            thumbnails.picture("nobody").await,
            Err(ThumbnailError::NoChannel)
        );
    }

    /// An ffmpeg that cannot run (here: not installed where the settings say) is tried once;
    /// every request for the next `FAILED_FOR` is answered at once, then it is tried again.
    #[tokio::test]
    async fn a_failure_is_remembered_briefly_instead_of_rerunning_ffmpeg() {
        let (dir, channels) = live_channel().await;
        let missing = dir.path().join("no-ffmpeg-here").display().to_string();
        let thumbnails = Thumbnails::new(channels, missing, ChildLimits::default());
        let at_once = futures::future::join_all((0..5).map(|_| thumbnails.picture("ana"))).await;
        assert!(
            at_once.iter().all(|r| *r == Err(ThumbnailError::Failed)),
            "{at_once:?}"
        );
        for _ in 0..5 {
            assert_eq!(thumbnails.picture("ana").await, Err(ThumbnailError::Failed));
        }
        assert_eq!(thumbnails.runs(), 1, "ten requests, one try");
        tokio::time::sleep(FAILED_FOR).await;
        assert_eq!(thumbnails.picture("ana").await, Err(ThumbnailError::Failed));
        assert_eq!(thumbnails.runs(), 2, "tried again once the failure is old");
    }
}
