//! Runs a broadcast's ffmpeg and feeds its output, split into init segment and fragments, to the
//! channel's hub. A dead ffmpeg is restarted with backoff; after too many failures in a row the
//! channel goes offline with the reason. ffmpeg never outlives its broadcast: it is killed on
//! stop, on shutdown, and (`kill_on_drop`) whenever its handle is dropped.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, ChildStderr, Command};
use tokio_util::sync::CancellationToken;

use super::api::EncoderFigures;
use super::progress::ProgressReader;
use super::source::{Encoding, Source, ffmpeg_args};
use crate::live::hub::{Hub, now_ms};
use crate::live::splitter::{Piece, Splitter};

/// A run that lasted this long resets the failure count.
const STABLE_RUN: Duration = Duration::from_secs(30);
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How often the supervisor logs its fragment figures.
const REPORT_EVERY: Duration = Duration::from_secs(30);

/// A broadcast to run: which channel, from what, how.
#[derive(Clone, Debug)]
pub struct Broadcast {
    pub channel: String,
    pub source: Source,
    pub encoding: Encoding,
    pub ffmpeg: String,
    pub max_restarts: u32,
}

/// How a broadcast ended.
#[derive(Clone, Debug, PartialEq)]
pub enum EndReason {
    Stopped,
    Failed(String),
}

/// The encoder's latest figures, shared with whoever shows them; None while it is not running.
pub type LiveFigures = Arc<Mutex<Option<EncoderFigures>>>;

/// How one ffmpeg run ended.
enum RunEnd {
    Stopped,
    Failed(String),
}

/// Runs `broadcast` into `hub` until `stop` is cancelled or ffmpeg keeps failing, keeping
/// `figures` up to date from ffmpeg's progress output.
pub async fn supervise(
    broadcast: Broadcast,
    hub: Arc<Hub>,
    stop: CancellationToken,
    figures: LiveFigures,
) -> EndReason {
    let args = ffmpeg_args(&broadcast.source, &broadcast.encoding);
    let mut failures = 0u32;
    loop {
        let started = Instant::now();
        let ended = run_once(&broadcast, &args, &hub, &stop, &figures).await;
        *figures.lock().unwrap_or_else(|p| p.into_inner()) = None;
        let failure = match ended {
            RunEnd::Stopped => {
                hub.go_offline(None);
                return EndReason::Stopped;
            }
            RunEnd::Failed(failure) => failure,
        };
        if started.elapsed() >= STABLE_RUN {
            failures = 0;
        }
        failures += 1;
        if failures > broadcast.max_restarts {
            tracing::error!(channel = %broadcast.channel, %failure, "encoder gave up after {failures} failures");
            hub.go_offline(Some(format!(
                "the encoder failed {failures} times in a row: {failure}"
            )));
            return EndReason::Failed(failure);
        }
        let backoff = FIRST_BACKOFF
            .saturating_mul(1 << (failures - 1).min(8))
            .min(MAX_BACKOFF);
        tracing::warn!(channel = %broadcast.channel, %failure, ?backoff, "encoder died; restarting");
        hub.go_reconnecting(format!("the encoder stopped ({failure}); restarting"));
        tokio::select! {
            _ = stop.cancelled() => {
                hub.go_offline(None);
                return EndReason::Stopped;
            }
            _ = tokio::time::sleep(backoff) => {}
        }
    }
}

async fn run_once(
    broadcast: &Broadcast,
    args: &[String],
    hub: &Hub,
    stop: &CancellationToken,
    figures: &LiveFigures,
) -> RunEnd {
    let mut child = match Command::new(&broadcast.ffmpeg)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
    {
        Ok(child) => child,
        Err(err) => return RunEnd::Failed(format!("cannot start {}: {err}", broadcast.ffmpeg)),
    };
    tracing::info!(channel = %broadcast.channel, pid = child.id(), "encoder started");
    let stderr = child.stderr.take().map(|stderr| {
        tokio::spawn(read_stderr(
            stderr,
            broadcast.channel.clone(),
            figures.clone(),
        ))
    });
    let Some(mut stdout) = child.stdout.take() else {
        return RunEnd::Failed("ffmpeg has no stdout".into());
    };

    let mut splitter = Splitter::new();
    let mut report = FragmentReport::default();
    let mut buf = vec![0u8; 256 * 1024];
    let failure = loop {
        tokio::select! {
            biased;
            _ = stop.cancelled() => {
                end(&mut child).await;
                return RunEnd::Stopped;
            }
            read = stdout.read(&mut buf) => match read {
                Ok(0) => break match splitter.finish() {
                    Ok(()) => "ffmpeg closed its output".to_string(),
                    Err(err) => format!("ffmpeg's output ended early: {err}"),
                },
                Ok(n) => match splitter.push(&buf[..n]) {
                    Ok(pieces) => {
                        for piece in pieces {
                            match piece {
                                Piece::Init(init) => hub.publish_init(&init),
                                Piece::Fragment(fragment) => {
                                    report.add(fragment.data.len(), fragment.duration_secs, fragment.produced_ms);
                                    hub.publish(&fragment);
                                }
                            }
                        }
                        report.report_if_due(&broadcast.channel);
                    }
                    Err(err) => break format!("ffmpeg wrote malformed MP4: {err}"),
                },
                Err(err) => break format!("reading ffmpeg's output failed: {err}"),
            },
        }
    };
    end(&mut child).await;
    let last_words = match stderr {
        Some(task) => task.await.unwrap_or_default(),
        None => None,
    };
    RunEnd::Failed(match last_words {
        Some(line) => format!("{failure} ({line})"),
        None => failure,
    })
}

/// Kills ffmpeg (if it still runs) and reaps it, so no zombie is left.
async fn end(child: &mut Child) {
    let _ = child.start_kill();
    match child.wait().await {
        Ok(status) => tracing::info!(?status, "encoder ended"),
        Err(err) => tracing::warn!(%err, "could not reap the encoder"),
    }
}

/// Reads ffmpeg's stderr line by line: progress lines update `figures`, the rest is logged.
/// Returns the last log line, the likeliest reason it died.
async fn read_stderr(stderr: ChildStderr, channel: String, figures: LiveFigures) -> Option<String> {
    let mut lines = BufReader::new(stderr).lines();
    let mut progress = ProgressReader::default();
    let mut last = None;
    while let Ok(Some(line)) = lines.next_line().await {
        if ProgressReader::is_progress(&line) {
            if let Some(latest) = progress.line(&line) {
                *figures.lock().unwrap_or_else(|p| p.into_inner()) = Some(latest);
            }
            continue;
        }
        tracing::warn!(%channel, "ffmpeg: {line}");
        last = Some(line);
    }
    last
}

/// Running figures about the fragments, logged every [`REPORT_EVERY`].
#[derive(Default)]
struct FragmentReport {
    since: Option<Instant>,
    count: u64,
    bytes: u64,
    seconds: f64,
    delay_ms: f64,
}

impl FragmentReport {
    fn add(&mut self, bytes: usize, duration: Option<f64>, produced_ms: Option<f64>) {
        self.since.get_or_insert_with(Instant::now);
        self.count += 1;
        self.bytes += bytes as u64;
        self.seconds += duration.unwrap_or(0.0);
        self.delay_ms += produced_ms.map_or(0.0, |p| now_ms() as f64 - p);
    }

    fn report_if_due(&mut self, channel: &str) {
        if self
            .since
            .is_some_and(|since| since.elapsed() >= REPORT_EVERY)
            && self.count > 0
        {
            let n = self.count as f64;
            tracing::info!(
                %channel,
                fragments = self.count,
                avg_ms = format!("{:.0}", self.seconds * 1000.0 / n),
                avg_bytes = self.bytes / self.count,
                kbit_per_s = format!("{:.0}", self.bytes as f64 * 8.0 / 1000.0 / self.seconds.max(0.001)),
                prft_to_hub_ms = format!("{:.1}", self.delay_ms / n),
                "fragment figures"
            );
            *self = FragmentReport::default();
        }
    }
}
