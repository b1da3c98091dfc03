//! The studio page's own recording, arriving over a WebSocket: WebM from `MediaRecorder` in
//! time slices, forwarded as it comes into the broadcast's ffmpeg (its first chunk puts the
//! channel on air, or back on air after a drop). Bounded: each chunk in size, the stream in
//! rate, and the silence between chunks in time.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};

use super::{Publisher, Refusal};
use crate::broadcasts::feed::ByteSender;

/// The largest chunk taken (a 250 ms slice is tens of KiB).
pub const MAX_CHUNK: usize = 4 << 20;
/// The most a recording may send, averaged over `RATE_WINDOW` (40 Mbit/s).
const MAX_BYTES_PER_SEC: u64 = 5_000_000;
const RATE_WINDOW: Duration = Duration::from_secs(5);
/// WebM (EBML) files start with these bytes.
const EBML_MAGIC: [u8; 4] = [0x1A, 0x45, 0xDF, 0xA3];

/// What arrives on the page's socket.
#[derive(Debug, PartialEq)]
pub enum Arrival {
    /// One slice of the recording.
    Chunk(Bytes),
    /// The broadcaster pressed Stop: the broadcast ends at once.
    Stopped,
    /// The socket closed otherwise (the page reconnects, or is gone): a drop.
    Closed,
}

/// How a recording's stream ended, for the page (as the socket's close reason) and the log.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum Ended {
    #[error("the page closed the recording")]
    Closed,
    #[error("the broadcaster stopped")]
    Stopped,
    #[error("nothing arrived for {0:?}")]
    Idle(Duration),
    #[error("the recording is not WebM")]
    NotWebM,
    #[error("a chunk of {0} bytes is larger than the {MAX_CHUNK}-byte limit")]
    TooLarge(usize),
    #[error("the recording sends more than {} Mbit/s", MAX_BYTES_PER_SEC * 8 / 1_000_000)]
    TooFast,
    #[error("the broadcast stopped")]
    BroadcastStopped,
    #[error("{0}")]
    Refused(#[from] Refusal),
}

/// Forwards what arrives (each chunk one WebSocket message's bytes) into the broadcast until
/// the page stops (on purpose: the broadcast ends at once), closes, the broadcast stops, or a
/// bound is broken.
pub async fn receive<S>(mut arrivals: S, publisher: Publisher, idle: Duration) -> Ended
where
    S: Stream<Item = Arrival> + Unpin,
{
    let mut into_ffmpeg: Option<ByteSender> = None;
    // The recording's first bytes, until there are enough to tell whether it is WebM: a
    // recorder may hand them over in pieces (Chromium's first chunk of a shared screen can be
    // one byte). At most the signature's length less one, plus one chunk.
    let mut head = BytesMut::new();
    let mut window = (Instant::now(), 0u64);
    loop {
        let chunk = match tokio::time::timeout(idle, arrivals.next()).await {
            Err(_) => return Ended::Idle(idle),
            Ok(None | Some(Arrival::Closed)) => return Ended::Closed,
            Ok(Some(Arrival::Stopped)) => {
                if let Some(sender) = into_ffmpeg.take() {
                    sender.finish();
                }
                return Ended::Stopped;
            }
            Ok(Some(Arrival::Chunk(chunk))) => chunk,
        };
        if chunk.len() > MAX_CHUNK {
            return Ended::TooLarge(chunk.len());
        }
        if window.0.elapsed() >= RATE_WINDOW {
            window = (Instant::now(), 0);
        }
        window.1 += chunk.len() as u64;
        if window.1 > MAX_BYTES_PER_SEC * RATE_WINDOW.as_secs() {
            return Ended::TooFast;
        }
        let (sender, chunk) = match &into_ffmpeg {
            Some(sender) => (sender, chunk),
            None => {
                head.extend_from_slice(&chunk);
                let known = head.len().min(EBML_MAGIC.len());
                if head[..known] != EBML_MAGIC[..known] {
                    let reason = "The recording is not WebM: this browser cannot go live from \
                                  the page. Use a recent Chrome, Edge or Firefox."
                        .to_string();
                    publisher.unsuitable(reason);
                    return Ended::NotWebM;
                }
                if known < EBML_MAGIC.len() {
                    continue;
                }
                let (sender, _figures) = match publisher.go_live().await {
                    Ok(live) => live,
                    Err(refusal) => return Ended::Refused(refusal),
                };
                (&*into_ffmpeg.insert(sender), head.split().freeze())
            }
        };
        if sender.send(chunk).await.is_err() {
            return Ended::BroadcastStopped;
        }
    }
}
