//! Where each ffmpeg run of a broadcast gets its input: the one place a new kind of source
//! plugs in.
//!
//! A source ffmpeg makes or reads itself (the test pattern, a media file) needs nothing from
//! us: ffmpeg's stdin stays closed, and a run that dies is restarted with backoff. A pushed
//! source (OBS over RTMP, the browser's recorder) hands the broadcast one byte stream per
//! publisher connection; each feeds one ffmpeg run's stdin, and when it ends the broadcast
//! waits up to a grace period for the publisher to come back before it goes offline.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::AsyncWriteExt;
use tokio::process::ChildStdin;
use tokio::sync::mpsc;

use super::api::IncomingFigures;

/// The bytes of one publisher connection, in order; it ends when the sender is dropped.
pub type ByteStream = mpsc::Receiver<Bytes>;

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
/// ffmpeg finishes what it has) or ffmpeg stops reading.
pub async fn pump(mut stream: ByteStream, mut stdin: ChildStdin) {
    while let Some(bytes) = stream.recv().await {
        if stdin.write_all(&bytes).await.is_err() {
            return;
        }
    }
}
