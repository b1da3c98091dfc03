//! Runs a broadcast's ffmpeg and feeds its output, split into init segment and fragments, to the
//! channel's hub. Its input comes from the broadcast's `Feed`. A dead ffmpeg is restarted with
//! backoff; after too many failures in a row the channel goes offline with the reason. A pushed
//! source whose publisher leaves is waited for instead (see `feed`). ffmpeg never outlives its
//! broadcast: it is killed on stop, on shutdown, whenever its handle is dropped, and by the
//! kernel if the server dies (`child_process`).

use std::os::fd::OwnedFd;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use command_fds::{CommandFdExt, FdMapping};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::net::unix::pipe::Receiver;
use tokio::process::{Child, ChildStderr};
use tokio_util::sync::CancellationToken;
use tokio_util::task::AbortOnDropHandle;

use super::api::EncoderFigures;
use super::feed::{self, Feed, RunInput};
use super::progress::ProgressReader;
use super::source::{Encoding, Source, ffmpeg_args};
use crate::clock::now_ms;
use crate::live::hub::RungInfo;
use crate::live::outlet::Outlet;
use crate::live::splitter::{Piece, Splitter};
use crate::renditions::ladder::Rung;

/// A run that lasted this long resets the failure count: it was encoding (an encoder that
/// cannot start, or a file it cannot read, fails within a second), so its death is a fault
/// to recover from at once, not a loop to slow down.
const STABLE_RUN: Duration = Duration::from_secs(2);
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How often the supervisor logs its fragment figures.
const REPORT_EVERY: Duration = Duration::from_secs(30);

/// What to run for a broadcast: which channel, from what source, encoded how, by which ffmpeg.
#[derive(Clone, Debug)]
pub struct RunSpec {
    pub channel: String,
    pub source: Source,
    /// The rungs it is made in, from the top (the source first); see `renditions`.
    pub ladder: Vec<Rung>,
    /// The same rungs as viewers are told of them.
    pub rung_info: Arc<[RungInfo]>,
    pub encoding: Encoding,
    pub ffmpeg: String,
    pub child_limits: crate::child_process::ChildLimits,
    pub max_restarts: u32,
}

/// How a supervised broadcast ended (the registry records it as an `api::EndReason`).
#[derive(Clone, Debug, PartialEq)]
pub enum BroadcastEnd {
    Stopped,
    Failed(String),
    /// A pushed source's publisher did not come back within the grace period.
    PublisherLeft,
    /// A pushed source's publisher ended its stream on purpose (OBS's Stop Streaming, the
    /// studio page's Stop): over at once, no grace period.
    StoppedByBroadcaster,
}

/// The encoder's latest figures, shared with whoever shows them; None while it is not running.
pub type LiveFigures = Arc<Mutex<Option<EncoderFigures>>>;

/// How one ffmpeg run ended.
enum RunEnd {
    Stopped,
    Failed(String),
}

/// Runs `spec` into `hub` (and its mirror), reading from `feed`, until `stop` is cancelled, ffmpeg keeps
/// failing, or a pushed source's publisher is gone; keeps `figures` up to date from ffmpeg's
/// progress output.
pub async fn supervise(
    spec: RunSpec,
    mut feed: Feed,
    hub: Outlet,
    stop: CancellationToken,
    figures: LiveFigures,
) -> BroadcastEnd {
    let args = ffmpeg_args(&spec.source, &spec.encoding, &spec.ladder);
    let mut failures = 0u32;
    loop {
        let input = tokio::select! {
            biased;
            _ = stop.cancelled() => None,
            input = feed.next() => Some(input),
        };
        let input = match input {
            None => {
                hub.go_offline(None);
                return BroadcastEnd::Stopped;
            }
            Some(None) => {
                tracing::info!(channel = %spec.channel, "the publisher did not come back");
                hub.go_offline(Some("the broadcaster's stream ended".into()));
                return BroadcastEnd::PublisherLeft;
            }
            Some(Some(input)) => input,
        };
        let started = Instant::now();
        let finished = match &input {
            RunInput::Pushed(stream) => Some(stream.finished_on_purpose()),
            RunInput::Own => None,
        };
        let ended = run_once(&spec, &args, input, &hub, &stop, &figures).await;
        *figures.lock().unwrap_or_else(|p| p.into_inner()) = None;
        let failure = match ended {
            RunEnd::Stopped => {
                hub.go_offline(None);
                return BroadcastEnd::Stopped;
            }
            RunEnd::Failed(failure) => failure,
        };
        if finished.is_some_and(|f| f.is_set()) {
            // ffmpeg has written what the publisher sent before it said goodbye.
            tracing::info!(channel = %spec.channel, "the broadcaster ended the stream");
            hub.go_offline(Some("the broadcaster ended the stream".into()));
            return BroadcastEnd::StoppedByBroadcaster;
        }
        if feed.is_pushed() {
            // The publisher's stream ended: not our failure. Wait for it to come back.
            tracing::info!(channel = %spec.channel, %failure, "the publisher's stream ended");
            hub.go_reconnecting("waiting for the broadcaster's stream to resume".into());
            continue;
        }
        if started.elapsed() >= STABLE_RUN {
            failures = 0;
        }
        failures += 1;
        if failures > spec.max_restarts {
            tracing::error!(channel = %spec.channel, %failure, "encoder gave up after {failures} failures");
            // Viewers hear that it failed; the owner's studio shows why (without server paths).
            hub.go_offline(Some(
                "the broadcast stopped after a technical problem".into(),
            ));
            return BroadcastEnd::Failed(format!(
                "the encoder failed {failures} times in a row: {}",
                without_paths(&failure)
            ));
        }
        let backoff = FIRST_BACKOFF
            .saturating_mul(1 << (failures - 1).min(8))
            .min(MAX_BACKOFF);
        tracing::warn!(channel = %spec.channel, %failure, ?backoff, "encoder died; restarting");
        metrics::counter!("onair_encoder_restarts_total").increment(1);
        hub.go_reconnecting("the encoder stopped; restarting".into());
        tokio::select! {
            _ = stop.cancelled() => {
                hub.go_offline(None);
                return BroadcastEnd::Stopped;
            }
            _ = tokio::time::sleep(backoff) => {}
        }
    }
}

async fn run_once(
    spec: &RunSpec,
    args: &[String],
    input: RunInput,
    hub: &Outlet,
    stop: &CancellationToken,
    figures: &LiveFigures,
) -> RunEnd {
    let stdin = match input {
        RunInput::Own => Stdio::null(),
        RunInput::Pushed(_) => Stdio::piped(),
    };
    let mut command = crate::child_process::command(&spec.ffmpeg, spec.child_limits);
    command
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // The rungs below the source: one pipe each, on descriptors 3 and up.
    let lower_rungs = match rung_pipes(&mut command, spec.ladder.len().saturating_sub(1)) {
        Ok(pipes) => pipes,
        Err(err) => return RunEnd::Failed(format!("cannot make the rungs' pipes: {err}")),
    };
    let spawned = command.spawn();
    // Our copies of the pipes' writing ends close with the command: each rung's reader sees
    // its end when ffmpeg's does.
    drop(command);
    let mut child = match spawned {
        Ok(child) => child,
        Err(err) => return RunEnd::Failed(format!("cannot start {}: {err}", spec.ffmpeg)),
    };
    tracing::info!(channel = %spec.channel, pid = child.id(), rungs = spec.ladder.len(), "encoder started");
    let epoch = hub.begin_run(spec.rung_info.clone());
    // Each lower rung is read and published on its own, and ends with the run.
    let _rung_readers: Vec<AbortOnDropHandle<()>> = lower_rungs
        .into_iter()
        .enumerate()
        .map(|(n, pipe)| {
            AbortOnDropHandle::new(tokio::spawn(read_rung(
                pipe,
                n + 1,
                epoch,
                hub.clone(),
                spec.channel.clone(),
            )))
        })
        .collect();
    // Ends with the run: a publisher's bytes never go to a later ffmpeg.
    let _pump = match (input, child.stdin.take()) {
        (RunInput::Pushed(stream), Some(stdin)) => Some(AbortOnDropHandle::new(tokio::spawn(
            feed::pump(stream, stdin),
        ))),
        _ => None,
    };
    let stderr = child
        .stderr
        .take()
        .map(|stderr| tokio::spawn(read_stderr(stderr, spec.channel.clone(), figures.clone())));
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
                                Piece::Init(init) => hub.publish_init(epoch, 0, &init),
                                Piece::Fragment(fragment) => {
                                    report.add(fragment.data.len(), fragment.duration_secs, fragment.produced_ms);
                                    hub.publish(0, &fragment);
                                }
                            }
                        }
                        report.report_if_due(&spec.channel);
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

/// `count` pipes whose writing ends `command` passes to its child as descriptors 3, 4, …;
/// returns their reading ends.
fn rung_pipes(
    command: &mut tokio::process::Command,
    count: usize,
) -> std::io::Result<Vec<Receiver>> {
    if count == 0 {
        return Ok(Vec::new());
    }
    let mut mappings = Vec::with_capacity(count);
    let mut readers = Vec::with_capacity(count);
    for n in 0..count {
        let (reader, writer) = std::io::pipe()?;
        mappings.push(FdMapping {
            parent_fd: OwnedFd::from(writer),
            child_fd: 3 + n as i32,
        });
        readers.push(Receiver::from_owned_fd(OwnedFd::from(reader))?);
    }
    command
        .fd_mappings(mappings)
        .map_err(std::io::Error::other)?;
    Ok(readers)
}

/// Reads rung `rung` of the run begun as `epoch` from its pipe into `hub` until ffmpeg closes
/// it. A rung that fails is logged and stops; the broadcast and the other rungs go on.
async fn read_rung(mut pipe: Receiver, rung: usize, epoch: u64, hub: Outlet, channel: String) {
    let mut splitter = Splitter::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match pipe.read(&mut buf).await {
            Ok(0) => return,
            Ok(n) => match splitter.push(&buf[..n]) {
                Ok(pieces) => {
                    for piece in pieces {
                        match piece {
                            Piece::Init(init) => hub.publish_init(epoch, rung, &init),
                            Piece::Fragment(fragment) => hub.publish(rung, &fragment),
                        }
                    }
                }
                Err(err) => {
                    tracing::warn!(%channel, rung, %err, "a rung's output is malformed; it stops");
                    return;
                }
            },
            Err(err) => {
                tracing::warn!(%channel, rung, %err, "reading a rung's output failed");
                return;
            }
        }
    }
}

/// `text` with every absolute path shortened to its file name: what ffmpeg says about a
/// file, for an owner who does not run the server.
fn without_paths(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            let bare = word.trim_start_matches(['\'', '"', '(']);
            match bare.strip_prefix('/').and_then(|p| p.rsplit('/').next()) {
                Some(name) if bare.len() > 1 => {
                    format!("{}{name}", &word[..word.len() - bare.len()])
                }
                _ => word.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
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

#[cfg(test)]
mod tests {
    use crate::live::outbox::Outbox;

    use bytes::Bytes;
    use tokio::sync::mpsc;

    use super::*;
    use crate::broadcasts::feed::ByteStream;
    use crate::broadcasts::source::PushFormat;
    use crate::live::hub::{HubConfig, Viewer};
    use crate::live::wire::{ChannelState, StatusEvent};

    #[test]
    fn the_owner_sees_file_names_not_server_paths() {
        assert_eq!(
            without_paths("cannot start /opt/tools/ffmpeg: No such file or directory (os error 2)"),
            "cannot start ffmpeg: No such file or directory (os error 2)"
        );
        assert_eq!(
            without_paths("'/srv/onair/media/talk.mp4': Invalid data found (/tmp/x)"),
            "'talk.mp4': Invalid data found (x)"
        );
        assert_eq!(without_paths("exit status 1 / 2"), "exit status 1 / 2");
    }

    /// One publisher connection: `bytes` in small pieces, then it hangs up.
    async fn connect_and_push(connections: &mpsc::Sender<ByteStream>, bytes: &[u8]) {
        let (sender, stream) = crate::broadcasts::feed::byte_stream(1 << 20);
        connections.send(stream).await.expect("the broadcast waits");
        for piece in bytes.chunks(4096) {
            sender
                .send(Bytes::copy_from_slice(piece))
                .await
                .expect("ffmpeg reads");
        }
    }

    /// What a viewer was sent until the channel reaches `state`: event names, media ids, and
    /// the statuses it was told.
    #[derive(Default)]
    struct Seen {
        names: Vec<String>,
        media_ids: Vec<u64>,
        statuses: Vec<StatusEvent>,
    }

    async fn watch_until(viewer: &mut Viewer, seen: &mut Seen, state: ChannelState) {
        let wait = async {
            loop {
                let mut out = Outbox::plain();
                viewer.catch_up(&mut out, usize::MAX);
                for frame in out.iter() {
                    let text = std::str::from_utf8(frame).unwrap();
                    let Some(name) = text.lines().find_map(|l| l.strip_prefix("event: ")) else {
                        continue;
                    };
                    let data = text.lines().find_map(|l| l.strip_prefix("data: "));
                    if let Some(id) = text.lines().find_map(|l| l.strip_prefix("id: ")) {
                        seen.media_ids.push(id.parse().unwrap());
                    }
                    if name == "status" {
                        seen.statuses
                            .push(serde_json::from_str(data.unwrap()).unwrap());
                    }
                    seen.names.push(name.to_string());
                }
                if seen.statuses.last().is_some_and(|s| s.state == state) {
                    return;
                }
                assert!(viewer.changed().await, "the hub lives");
            }
        };
        tokio::time::timeout(Duration::from_secs(30), wait)
            .await
            .unwrap_or_else(|_| panic!("the channel reaches {state:?} within 30 s"));
    }

    #[tokio::test]
    async fn a_pushed_stream_goes_live_waits_for_its_publisher_then_ends_when_it_stays_away() {
        let hub = crate::live::hub::Hub::new(
            HubConfig {
                hold: Duration::from_secs(30),
                max_held_bytes: 32 << 20,
                max_lag: Duration::from_secs(30),
            },
            1,
        );
        let mut viewer = hub.subscribe(None, None, None);
        let spec = RunSpec {
            channel: "pushed".into(),
            ladder: Vec::new(),
            rung_info: RungInfo::source_only(),
            source: Source::Pushed {
                format: PushFormat::Flv,
                transcode: true,
                announced: Default::default(),
            },
            encoding: crate::live::testing::small_test_pattern().1,
            ffmpeg: "ffmpeg".into(),
            child_limits: Default::default(),
            max_restarts: 0,
        };
        let grace = Duration::from_secs(2);
        let (handle, feed) = Feed::pushed(grace);
        let connections = handle.connections;
        let run = tokio::spawn(supervise(
            spec,
            feed,
            Outlet::new("pushed", hub.clone(), None),
            CancellationToken::new(),
            LiveFigures::default(),
        ));
        let stream = crate::live::testing::encode_test_pattern_flv(2);
        let mut seen = Seen::default();

        connect_and_push(&connections, &stream).await;
        watch_until(&mut viewer, &mut seen, ChannelState::Reconnecting).await;
        let first_run = seen.media_ids.len();
        assert!(
            first_run >= 10,
            "2 s of media in 100 ms fragments: {first_run}"
        );
        // The publisher is back within the grace period: the same broadcast carries on.
        connect_and_push(&connections, &stream).await;
        watch_until(&mut viewer, &mut seen, ChannelState::Offline).await;

        let states: Vec<ChannelState> = seen.statuses.iter().map(|s| s.state).collect();
        use ChannelState::*;
        assert_eq!(
            states,
            [Offline, Live, Reconnecting, Live, Reconnecting, Offline]
        );
        let offline = seen.statuses.last().unwrap();
        assert_eq!(
            offline.reason.as_deref(),
            Some("the broadcaster's stream ended")
        );
        assert_eq!(
            seen.names.iter().filter(|n| *n == "init").count(),
            2,
            "a new init segment for the second connection"
        );
        assert!(
            seen.media_ids.len() > first_run + 10,
            "the second run's media"
        );
        let expected: Vec<u64> = (1..=seen.media_ids.len() as u64).collect();
        assert_eq!(
            seen.media_ids, expected,
            "ids keep counting, no gap, no repeat"
        );
        let ended = tokio::time::timeout(Duration::from_secs(30), run)
            .await
            .expect("the broadcast ends after the grace period")
            .unwrap();
        assert_eq!(ended, BroadcastEnd::PublisherLeft);
    }
}
