//! Where each ffmpeg run of a broadcast gets its input: the one place a new kind of source
//! plugs in.
//!
//! A source ffmpeg makes or reads itself (the test pattern, a media file) needs nothing from
//! us: ffmpeg's stdin stays closed, and a run that dies is restarted with backoff. A pushed
//! source (OBS over RTMP, the browser's recorder) hands the broadcast one byte stream per
//! publisher connection; each feeds one ffmpeg run's stdin, and when it ends the broadcast
//! waits up to a grace period for the publisher to come back before it goes offline (unless
//! the publisher ended it on purpose: then the broadcast ends at once).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::AsyncWriteExt;
use tokio::process::ChildStdin;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use super::api::IncomingFigures;

/// Bytes one publisher connection may have queued towards ffmpeg (counted until ffmpeg has
/// taken them): a publisher whose ffmpeg stalls waits (TCP pushes back on it) instead of
/// parking its stream in the server.
pub const QUEUED_BYTES: usize = 12 << 20;

/// The bytes of one publisher connection, in order, at most [`QUEUED_BYTES`] of them queued;
/// it ends when its [`ByteSender`] is dropped, on purpose if [`ByteSender::finish`] said so.
pub struct ByteStream {
    receiver: mpsc::UnboundedReceiver<Queued>,
    finished: FinishedOnPurpose,
}

/// Whether a publisher ended its stream on purpose (OBS's Stop Streaming, the studio page's
/// Stop), as opposed to its connection dropping.
#[derive(Clone, Debug, Default)]
pub struct FinishedOnPurpose(Arc<AtomicBool>);

impl FinishedOnPurpose {
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    fn set(&self) {
        self.0.store(true, Ordering::Release);
    }
}

/// The publisher connection's end of a [`ByteStream`] (one only: its drop ends the stream).
pub struct ByteSender {
    sender: mpsc::UnboundedSender<Queued>,
    room: Arc<Semaphore>,
    max: usize,
    finished: FinishedOnPurpose,
}

/// Bytes in the queue, holding their share of its room until written.
struct Queued {
    bytes: Bytes,
    _room: OwnedSemaphorePermit,
}

/// A new stream holding at most `max` bytes at a time (a single larger piece takes it all).
pub fn byte_stream(max: usize) -> (ByteSender, ByteStream) {
    let (sender, receiver) = mpsc::unbounded_channel();
    let max = max.clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize));
    let finished = FinishedOnPurpose::default();
    let sender = ByteSender {
        sender,
        room: Arc::new(Semaphore::new(max)),
        max,
        finished: finished.clone(),
    };
    (sender, ByteStream { receiver, finished })
}

/// The broadcast stopped reading this publisher's stream.
#[derive(Debug)]
pub struct StreamClosed;

impl ByteSender {
    /// Queues `bytes`, waiting while the queue is full. Fails once the stream is gone.
    pub async fn send(&self, bytes: Bytes) -> Result<(), StreamClosed> {
        let share = bytes.len().clamp(1, self.max) as u32;
        let room = tokio::select! {
            room = self.room.clone().acquire_many_owned(share) => room.map_err(|_| StreamClosed)?,
            _ = self.sender.closed() => return Err(StreamClosed),
        };
        self.sender
            .send(Queued { bytes, _room: room })
            .map_err(|_| StreamClosed)
    }

    /// Bytes queued now.
    #[cfg(test)]
    fn queued(&self) -> usize {
        self.max - self.room.available_permits()
    }

    /// The publisher ended its stream on purpose: what is queued still goes to ffmpeg, then the
    /// broadcast ends at once instead of waiting for it to come back.
    pub fn finish(self) {
        self.finished.set();
    }
}

impl ByteStream {
    /// Whether its publisher ended it on purpose (read once it has ended).
    pub fn finished_on_purpose(&self) -> FinishedOnPurpose {
        self.finished.clone()
    }

    /// The next bytes (their place in the queue is given back at once).
    pub async fn recv(&mut self) -> Option<Bytes> {
        self.receiver.recv().await.map(|queued| queued.bytes)
    }
}

/// What the connected publisher sends, as its ingest measures it; None while none is connected.
pub type IncomingSlot = Arc<Mutex<Option<IncomingFigures>>>;

/// The ingest's end of a pushed feed: where publisher connections go, and where their figures
/// are shown. The broadcast is over once `connections` is closed.
#[derive(Clone)]
pub struct PushHandle {
    pub connections: mpsc::Sender<ByteStream>,
    pub incoming: IncomingSlot,
}

pub enum Feed {
    /// ffmpeg reads or generates its own input.
    Own,
    /// Publisher connections arrive on `connections`, one byte stream each.
    Pushed {
        connections: mpsc::Receiver<ByteStream>,
        /// How long a broadcast waits for its publisher to come back.
        grace: Duration,
        incoming: IncomingSlot,
    },
}

/// What one ffmpeg run reads.
pub enum RunInput {
    /// Nothing on stdin.
    Own,
    /// This publisher connection, written to stdin.
    Pushed(ByteStream),
}

impl Feed {
    /// A pushed feed and the handle its publisher connections go to.
    pub fn pushed(grace: Duration) -> (PushHandle, Self) {
        let (sender, connections) = mpsc::channel(1);
        let incoming = IncomingSlot::default();
        let handle = PushHandle {
            connections: sender,
            incoming: incoming.clone(),
        };
        let feed = Feed::Pushed {
            connections,
            grace,
            incoming,
        };
        (handle, feed)
    }

    /// Where a pushed feed's publisher figures are kept.
    pub fn incoming(&self) -> Option<IncomingSlot> {
        match self {
            Feed::Own => None,
            Feed::Pushed { incoming, .. } => Some(incoming.clone()),
        }
    }

    /// Whether the input comes from a publisher (whose leaving is no failure of ours).
    pub fn is_pushed(&self) -> bool {
        matches!(self, Feed::Pushed { .. })
    }

    /// The next run's input: at once for [`Feed::Own`]; for [`Feed::Pushed`] the next publisher
    /// connection, or None when none arrives within the grace period.
    pub async fn next(&mut self) -> Option<RunInput> {
        match self {
            Feed::Own => Some(RunInput::Own),
            Feed::Pushed {
                connections, grace, ..
            } => match tokio::time::timeout(*grace, connections.recv()).await {
                Ok(Some(stream)) => Some(RunInput::Pushed(stream)),
                _ => None,
            },
        }
    }
}

/// Writes a pushed stream to ffmpeg's stdin until the stream ends (stdin then closes, so
/// ffmpeg finishes what it has) or ffmpeg stops reading. Bytes count as queued until ffmpeg
/// has taken them.
pub async fn pump(mut stream: ByteStream, mut stdin: ChildStdin) {
    while let Some(queued) = stream.receiver.recv().await {
        if stdin.write_all(&queued.bytes).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 25, item 4: a publisher whose ffmpeg stalls fills its queue to the byte budget,
    /// then waits; it never parks more, whatever the size of its pieces.
    #[tokio::test]
    async fn a_stalled_reader_holds_the_writer_at_the_byte_budget() {
        let (sender, mut stream) = byte_stream(32 << 20);
        let piece = Bytes::from(vec![0u8; 16 << 20]);
        sender.send(piece.clone()).await.unwrap();
        sender.send(piece.clone()).await.unwrap();
        assert_eq!(sender.queued(), 32 << 20);
        let third = tokio::time::timeout(Duration::from_millis(200), sender.send(piece.clone()));
        assert!(third.await.is_err(), "the third piece waits for room");
        // Many small pieces: the same bound.
        let (small_sender, _small) = byte_stream(1 << 20);
        let mut sent = 0usize;
        while tokio::time::timeout(
            Duration::from_millis(20),
            small_sender.send(Bytes::from(vec![0u8; 4096])),
        )
        .await
        .is_ok()
        {
            sent += 4096;
        }
        assert_eq!(sent, 1 << 20);
        // Taking one frees its room; a piece larger than the whole budget takes all of it.
        assert!(stream.recv().await.is_some());
        let (big_sender, _big) = byte_stream(1 << 20);
        big_sender
            .send(Bytes::from(vec![0u8; 4 << 20]))
            .await
            .unwrap();
        assert_eq!(big_sender.queued(), 1 << 20);
        // Once the reader is gone, a waiting writer learns it.
        drop(stream);
        assert!(sender.send(piece).await.is_err());
    }
}
