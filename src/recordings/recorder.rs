//! Writing one broadcast's recording as it goes out: the broadcast's [`Outlet`] hands the top
//! rung's init segments and fragments to a [`Tap`], which queues them for a writer task without
//! ever blocking the media path. The writer appends each fragment to the open segment's file
//! (on disk before the next), and once the next keyframe closes a segment, sends it home (an
//! upload, with an object store) and indexes it.
//!
//! A writer that cannot keep up loses fragments up to the next keyframe (the timeline closes
//! over the hole); one whose storage fails stops recording, says why on the recording, and the
//! broadcast goes on untouched.
//!
//! [`Outlet`]: crate::live::outlet::Outlet

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::api::{RecordingState, SegmentEntry};
use super::storage::{SegmentFile, Storage};
use super::store;
use crate::clock::now_ms;
use crate::db::Db;
use crate::live::splitter::{Fragment, InitSegment};

/// Pieces waiting for the writer: about a minute of 200 ms fragments.
const QUEUE: usize = 300;
/// A keyframe starts a new segment once the open one plays this long (an audio-only stream,
/// where every fragment is a keyframe, gets segments of about this length; a keyframe a second
/// gives a segment a second, whatever the rounding of its fragments' durations).
const MIN_SEGMENT_SECS: f64 = 0.5;

enum Take {
    Init { data: Bytes, mime: String },
    Fragment(Fragment),
    End,
}

/// Where the broadcast's top rung goes to be recorded. Never blocks.
pub struct Tap {
    queue: mpsc::Sender<Take>,
    /// Set when a fragment could not be queued: later ones are dropped until a keyframe.
    skipping: AtomicBool,
    /// Set when an init could not be queued: everything is dropped until the next init.
    lost_run: AtomicBool,
    lost: AtomicU64,
}

impl Tap {
    pub fn init(&self, init: &InitSegment) {
        let take = Take::Init {
            data: init.data.clone(),
            mime: init.mime.clone(),
        };
        let queued = self.queue.try_send(take).is_ok();
        self.lost_run.store(!queued, Ordering::Relaxed);
        self.skipping.store(!queued, Ordering::Relaxed);
    }

    pub fn fragment(&self, fragment: &Fragment) {
        if self.lost_run.load(Ordering::Relaxed)
            || (self.skipping.load(Ordering::Relaxed) && !fragment.keyframe)
        {
            self.lost.fetch_add(1, Ordering::Relaxed);
            return;
        }
        match self.queue.try_send(Take::Fragment(fragment.clone())) {
            Ok(()) => self.skipping.store(false, Ordering::Relaxed),
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.skipping.store(true, Ordering::Relaxed);
                self.lost.fetch_add(1, Ordering::Relaxed);
            }
            // The writer stopped (its storage failed): nothing more is recorded.
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }
}

/// One broadcast being recorded: its tap, and the writer to wait for at the end.
pub struct Recording {
    id: i64,
    tap: Arc<Tap>,
    writer: JoinHandle<()>,
}

impl Recording {
    /// Starts the writer of recording `id` (its row already made).
    pub fn start(db: Db, storage: Storage, id: i64, channel: String) -> Self {
        let (queue, taken) = mpsc::channel(QUEUE);
        let tap = Arc::new(Tap {
            queue,
            skipping: AtomicBool::new(false),
            lost_run: AtomicBool::new(false),
            lost: AtomicU64::new(0),
        });
        let writer = Writer {
            db,
            storage,
            id,
            channel,
            run: 0,
            seq: 0,
            at_ms: 0.0,
            open: None,
        };
        Self {
            id,
            tap,
            writer: tokio::spawn(writer.run(taken)),
        }
    }

    pub fn id(&self) -> i64 {
        self.id
    }

    pub fn tap(&self) -> Arc<Tap> {
        self.tap.clone()
    }

    /// The broadcast ended: writes what is queued, closes the last segment and the recording.
    pub async fn finish(self) {
        let lost = self.tap.lost.load(Ordering::Relaxed);
        if lost > 0 {
            tracing::warn!(
                recording = self.id,
                lost,
                "the recording lost fragments it could not write in time"
            );
        }
        // Waits for room: the end must not be lost to a full queue. A writer that stopped has
        // dropped its end, and the send fails at once.
        let _ = self.tap.queue.send(Take::End).await;
        if let Err(err) = self.writer.await {
            tracing::error!(recording = self.id, %err, "the recording's writer failed");
        }
    }
}

/// A segment being written.
struct Open {
    seq: i64,
    run: i64,
    at_ms: f64,
    media_us: i64,
    wall_ms: i64,
    secs: f64,
    file: SegmentFile,
}

struct Writer {
    db: Db,
    storage: Storage,
    id: i64,
    channel: String,
    /// The current encoder run (0 before the first init).
    run: i64,
    /// The last segment's number.
    seq: i64,
    /// Where the next segment starts on the recording's timeline.
    at_ms: f64,
    open: Option<Open>,
}

/// Why recording stopped early, in words for the studio.
fn problem(err: &WriteError) -> String {
    match err {
        WriteError::Disk(err) if err.raw_os_error() == Some(libc::ENOSPC) => {
            "the recordings' disk is full".to_string()
        }
        WriteError::Disk(err) => format!("the recordings' storage failed: {err}"),
        WriteError::Index(err) => format!("the recordings' index could not be written: {err}"),
    }
}

#[derive(Debug, thiserror::Error)]
enum WriteError {
    #[error("{0}")]
    Disk(#[from] std::io::Error),
    #[error("{0}")]
    Index(#[from] sqlx::Error),
}

impl Writer {
    async fn run(mut self, mut taken: mpsc::Receiver<Take>) {
        let outcome = loop {
            let Some(take) = taken.recv().await else {
                break self.close().await;
            };
            let step = match take {
                Take::Init { data, mime } => self.init(&data, &mime).await,
                Take::Fragment(fragment) => self.fragment(&fragment).await,
                Take::End => break self.close().await,
            };
            if let Err(err) = step {
                break Err(err);
            }
        };
        // Nothing more is taken: the tap's sends fail from here on.
        drop(taken);
        let (state, why) = match &outcome {
            Ok(()) => (RecordingState::Complete, None),
            Err(err) => {
                let why = problem(err);
                tracing::error!(channel = %self.channel, recording = self.id, %why, "recording stopped; the broadcast goes on");
                (RecordingState::Stopped, Some(why))
            }
        };
        if let Err(err) = store::finish(&self.db, self.id, state, why.as_deref()).await {
            tracing::error!(channel = %self.channel, recording = self.id, %err, "could not record how the recording ended");
        }
    }

    async fn init(&mut self, data: &Bytes, mime: &str) -> Result<(), WriteError> {
        self.close_segment().await?;
        self.run += 1;
        self.storage
            .put_init(self.id, self.run, data.clone())
            .await?;
        store::add_init(&self.db, self.id, self.run, mime).await?;
        Ok(())
    }

    async fn fragment(&mut self, fragment: &Fragment) -> Result<(), WriteError> {
        if self.run == 0 {
            return Ok(());
        }
        let starts_segment = match &self.open {
            None => fragment.keyframe,
            Some(open) => fragment.keyframe && open.secs >= MIN_SEGMENT_SECS,
        };
        if starts_segment {
            self.close_segment().await?;
            self.seq += 1;
            let file = self.storage.create_segment(self.id, self.seq).await?;
            self.open = Some(Open {
                seq: self.seq,
                run: self.run,
                at_ms: self.at_ms,
                media_us: fragment
                    .start_secs
                    .map(|secs| (secs * 1e6).round() as i64)
                    .unwrap_or(0),
                wall_ms: fragment
                    .produced_ms
                    .map(|ms| ms as i64)
                    .unwrap_or_else(|| now_ms() as i64),
                secs: 0.0,
                file,
            });
        }
        // Before the run's first keyframe: nothing could be played from here.
        let Some(open) = &mut self.open else {
            return Ok(());
        };
        open.file.append(&fragment.data).await?;
        open.secs += fragment.duration_secs.unwrap_or(0.0);
        Ok(())
    }

    /// Indexes the open segment, if it holds anything.
    async fn close_segment(&mut self) -> Result<(), WriteError> {
        let Some(open) = self.open.take() else {
            return Ok(());
        };
        let end_ms = open.at_ms + open.secs * 1000.0;
        let entry = SegmentEntry(
            open.seq,
            open.run,
            open.at_ms.round() as i64,
            (end_ms.round() - open.at_ms.round()) as i64,
            open.media_us,
            open.wall_ms,
        );
        self.storage.seal_segment(self.id, open.seq).await?;
        store::add_segment(&self.db, self.id, entry, open.file.written() as i64).await?;
        self.storage.release_segment(self.id, open.seq).await?;
        self.at_ms = end_ms;
        Ok(())
    }

    async fn close(&mut self) -> Result<(), WriteError> {
        self.close_segment().await
    }
}
