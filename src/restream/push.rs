//! One broadcast's restreams: the top rung's init segment and fragments, as the broadcast's
//! outlet hands them over, copied to one push per destination. A push is its own `ffmpeg -c
//! copy` to FLV over RTMP(S), fed the latest init and then fragments from a keyframe; when it
//! fails it waits (1 s, doubling to 30 s) and starts again from the next keyframe, until the
//! broadcast ends or it has failed `GIVE_UP_AFTER` times in a row. The outlet never waits for
//! a push: one whose queue is full skips to the next keyframe.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::api::PushState;
use super::destination::Destination;
use super::state::{PushStates, RestreamConfig};
use crate::broadcasts::progress::ProgressReader;
use crate::live::splitter::{Fragment, InitSegment};

/// Pieces a push holds waiting for its ffmpeg (about 10 s of fragments).
const QUEUED_MAX: usize = 64;
/// Failures in a row after which a push gives up for this broadcast.
const GIVE_UP_AFTER: u32 = 10;
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// A write to ffmpeg blocked this long: the destination stopped taking what it is sent.
const WRITE_DEADLINE: Duration = Duration::from_secs(10);
/// Live this long, a push's failures are forgotten.
const HEALTHY_AFTER: Duration = Duration::from_secs(30);

enum Piece {
    Init(Bytes),
    Fragment { data: Bytes, keyframe: bool },
}

struct Push {
    queue: mpsc::Sender<Piece>,
    /// Pieces were dropped: the push waits for the next keyframe.
    skipping: Arc<AtomicBool>,
    stop: CancellationToken,
}

/// The restreams of one broadcast on air.
#[derive(Clone)]
pub struct Restreaming {
    shared: Arc<Shared>,
}

struct Shared {
    init: Mutex<Option<Bytes>>,
    pushes: Mutex<HashMap<i64, Push>>,
    config: Arc<RestreamConfig>,
    states: PushStates,
    tasks: TaskTracker,
    stop: CancellationToken,
}

impl Restreaming {
    pub(super) fn new(
        config: Arc<RestreamConfig>,
        states: PushStates,
        stop: CancellationToken,
    ) -> Self {
        Self {
            shared: Arc::new(Shared {
                init: Mutex::default(),
                pushes: Mutex::default(),
                config,
                states,
                tasks: TaskTracker::new(),
                stop,
            }),
        }
    }

    fn pushes(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Push>> {
        self.shared.pushes.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts pushing to `destination` (from the next keyframe).
    pub(super) fn add(&self, destination: Destination) {
        let (queue, pieces) = mpsc::channel(QUEUED_MAX);
        let stop = self.shared.stop.child_token();
        let skipping = Arc::new(AtomicBool::new(false));
        let id = destination.id;
        let init = self
            .shared
            .init
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        self.shared.tasks.spawn(push(
            destination,
            pieces,
            init,
            self.shared.config.clone(),
            self.shared.states.clone(),
            stop.clone(),
        ));
        if let Some(before) = self.pushes().insert(
            id,
            Push {
                queue,
                skipping,
                stop,
            },
        ) {
            before.stop.cancel();
        }
    }

    /// Stops pushing to destination `id`.
    pub(super) fn remove(&self, id: i64) {
        if let Some(push) = self.pushes().remove(&id) {
            push.stop.cancel();
        }
    }

    pub fn init(&self, init: &InitSegment) {
        *self.shared.init.lock().unwrap_or_else(|p| p.into_inner()) = Some(init.data.clone());
        for push in self.pushes().values() {
            let sent = push.queue.try_send(Piece::Init(init.data.clone())).is_ok();
            push.skipping.store(!sent, Ordering::Relaxed);
        }
    }

    pub fn fragment(&self, fragment: &Fragment) {
        for push in self.pushes().values() {
            if push.skipping.load(Ordering::Relaxed) && !fragment.keyframe {
                continue;
            }
            let piece = Piece::Fragment {
                data: fragment.data.clone(),
                keyframe: fragment.keyframe,
            };
            let sent = push.queue.try_send(piece).is_ok();
            push.skipping.store(!sent, Ordering::Relaxed);
        }
    }

    /// The broadcast ended: each push ends its stream cleanly (within a few seconds).
    pub async fn finish(self) {
        self.shared.stop.cancel();
        self.shared.tasks.close();
        let _ = tokio::time::timeout(Duration::from_secs(8), self.shared.tasks.wait()).await;
    }
}

/// How one ffmpeg run ended.
enum Ended {
    /// The broadcast ended, or the push was switched off.
    Stopped,
    /// A new encoder run: start again with its init.
    NewInit(Bytes),
    Failed(String),
}

async fn push(
    destination: Destination,
    mut pieces: mpsc::Receiver<Piece>,
    mut init: Option<Bytes>,
    config: Arc<RestreamConfig>,
    states: PushStates,
    stop: CancellationToken,
) {
    let mut failures = 0u32;
    loop {
        // Nothing to send before the broadcast's first init.
        while init.is_none() {
            tokio::select! {
                _ = stop.cancelled() => return states.forget(destination.id),
                piece = pieces.recv() => match piece {
                    Some(Piece::Init(data)) => init = Some(data),
                    Some(_) => {}
                    None => return states.forget(destination.id),
                },
            }
        }
        let Some(current) = init.clone() else {
            continue;
        };
        states.set(destination.id, PushState::Connecting);
        let started = Instant::now();
        match run_once(&destination, &current, &mut pieces, &config, &states, &stop).await {
            Ended::Stopped => return states.forget(destination.id),
            Ended::NewInit(data) => {
                init = Some(data);
                continue;
            }
            Ended::Failed(reason) => {
                if started.elapsed() >= HEALTHY_AFTER {
                    failures = 0;
                }
                failures += 1;
                tracing::warn!(destination = destination.id, name = %destination.name, %reason, failures, "restream failed");
                if failures >= GIVE_UP_AFTER {
                    states.set(destination.id, PushState::Failed { reason });
                    return;
                }
                let wait = Duration::from_secs(1 << (failures - 1).min(5)).min(BACKOFF_MAX);
                states.set(
                    destination.id,
                    PushState::Retrying {
                        reason,
                        in_secs: wait.as_secs(),
                    },
                );
                tokio::select! {
                    _ = stop.cancelled() => return states.forget(destination.id),
                    _ = tokio::time::sleep(wait) => {}
                }
                // What queued meanwhile is old: start again from the newest keyframe.
                while let Ok(piece) = pieces.try_recv() {
                    if let Piece::Init(data) = piece {
                        init = Some(data);
                    }
                }
            }
        }
    }
}

/// Writes `data` to ffmpeg, within the deadline.
async fn write(
    stdin: &mut tokio::process::ChildStdin,
    data: &[u8],
) -> Result<std::io::Result<()>, tokio::time::error::Elapsed> {
    tokio::time::timeout(WRITE_DEADLINE, stdin.write_all(data)).await
}

/// One ffmpeg run: `init`, then fragments from a keyframe, until it ends.
async fn run_once(
    destination: &Destination,
    init: &Bytes,
    pieces: &mut mpsc::Receiver<Piece>,
    config: &RestreamConfig,
    states: &PushStates,
    stop: &CancellationToken,
) -> Ended {
    if !config.allow_private
        && let Err(why) = super::destination::check_url(&destination.url, false).await
    {
        return Ended::Failed(why);
    }
    let mut command = crate::child_process::command(&config.ffmpeg, config.limits);
    command
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-nostats",
            "-progress",
            "pipe:2",
        ])
        .args(["-f", "mp4", "-i", "pipe:0", "-map", "0", "-c", "copy"])
        .args([
            "-rw_timeout",
            "10000000",
            "-f",
            "flv",
            "-flvflags",
            "no_duration_filesize",
        ])
        .arg(destination.target())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(err) => return Ended::Failed(format!("ffmpeg did not start: {err}")),
    };
    let (Some(mut stdin), Some(stderr)) = (child.stdin.take(), child.stderr.take()) else {
        return Ended::Failed("ffmpeg's pipes are missing".into());
    };
    let mut lines = BufReader::new(stderr).lines();
    let mut progress = ProgressReader::default();
    let mut said = None::<String>;
    let mut keyframe_seen = false;
    let ended = match write(&mut stdin, init).await {
        Ok(Ok(())) => loop {
            tokio::select! {
                _ = stop.cancelled() => break Ended::Stopped,
                piece = pieces.recv() => match piece {
                    None => break Ended::Stopped,
                    Some(Piece::Init(data)) => break Ended::NewInit(data),
                    Some(Piece::Fragment { data, keyframe }) => {
                        keyframe_seen |= keyframe;
                        if !keyframe_seen {
                            continue;
                        }
                        match write(&mut stdin, &data).await {
                            Ok(Ok(())) => {}
                            Ok(Err(_)) => break Ended::Failed(String::new()),
                            Err(_) => break Ended::Failed("the destination stopped taking the stream".into()),
                        }
                    }
                },
                line = lines.next_line() => match line {
                    Ok(Some(line)) if ProgressReader::is_progress(&line) => {
                        if let Some(figures) = progress.line(&line)
                            && figures.frames > 0
                        {
                            states.set(destination.id, PushState::Live { kbps: figures.kbps });
                        }
                    }
                    Ok(Some(line)) => said = Some(destination.hide_key(line.trim())),
                    _ => break Ended::Failed(String::new()),
                },
            }
        },
        _ => Ended::Failed(String::new()),
    };
    // A deliberate end closes ffmpeg's input, so it ends the stream as a publisher should.
    drop(stdin);
    if matches!(ended, Ended::Stopped | Ended::NewInit(_)) {
        if tokio::time::timeout(Duration::from_secs(5), child.wait())
            .await
            .is_err()
        {
            let _ = child.kill().await;
        }
        return ended;
    }
    let _ = child.kill().await;
    // Its last words say why, when it said any.
    while let Ok(Ok(Some(line))) =
        tokio::time::timeout(Duration::from_millis(200), lines.next_line()).await
    {
        if !ProgressReader::is_progress(&line) {
            said = Some(destination.hide_key(line.trim()));
        }
    }
    match ended {
        Ended::Failed(why) if !why.is_empty() => Ended::Failed(why),
        _ => Ended::Failed(said.unwrap_or_else(|| "the destination closed the connection".into())),
    }
}
