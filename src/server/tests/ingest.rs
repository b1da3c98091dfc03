//! Streams from broadcasters' software over RTMP: a real ffmpeg publishes to the real RTMP
//! port as OBS would (`-f flv rtmp://…/live/KEY`), viewers read the channel's SSE stream, and
//! the studio's server functions show and control it.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};

use eventsource_stream::Eventsource;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

use super::support::assert_sound_alone;
use super::support::{SERIAL, TestServer, decoded_frames, next_event, start_server_with};
use super::support::{browser, call, sign_up, stop};
use super::support::{eventually, live_h264, media_count, read_events, starts_with_keyframe};
use crate::broadcasts::api::{EndReason, IncomingFigures, StudioStatus};
use crate::ingest::api::StreamDestination;
use crate::live::wire::{ChannelState, InitEvent, StatusEvent};

/// The server for these tests: no demo (one encoder less), a short grace period.
async fn start_server() -> TestServer {
    start_server_with(&[
        ("ONAIR_DEMO_ENABLED", "false"),
        ("ONAIR_RTMP_GRACE_SECS", "6"),
        ("ONAIR_RTMP_PUBLISH_TIMEOUT_SECS", "2"),
    ])
    .await
}

/// Signs `name` up and reads their stream key from the studio's server function.
pub(super) async fn broadcaster(base: &str, name: &str) -> (reqwest::Client, String) {
    let client = browser();
    sign_up(&client, base, name).await;
    let key = stream_key(&client, base, name).await;
    (client, key)
}

/// What the owner's server function `endpoint` answers about `channel`.
async fn owner_asks<T: serde::de::DeserializeOwned>(
    client: &reqwest::Client,
    base: &str,
    endpoint: &str,
    channel: &str,
) -> T {
    let body = serde_json::json!({ "channel": channel });
    call(client, base, endpoint, None, Some(body))
        .await
        .unwrap_or_else(|err| panic!("{endpoint} answers the owner: {err:?}"))
        .json()
        .await
        .unwrap()
}

async fn stream_key(client: &reqwest::Client, base: &str, channel: &str) -> String {
    owner_asks(client, base, "stream_key", channel).await
}

async fn studio(client: &reqwest::Client, base: &str, channel: &str) -> StudioStatus {
    owner_asks(client, base, "broadcast_state", channel).await
}

async fn destination(client: &reqwest::Client, base: &str, channel: &str) -> StreamDestination {
    owner_asks(client, base, "stream_settings", channel).await
}

/// ffmpeg publishing a test pattern with a tone, as OBS would: H.264 with a keyframe every
/// `keyframe_secs`, AAC, FLV over RTMP, in real time for `seconds`.
pub(super) fn publish(rtmp: SocketAddr, key: &str, keyframe_secs: u32, seconds: u32) -> Child {
    let every = (30 * keyframe_secs).to_string();
    let mut video = live_h264(30 * keyframe_secs);
    video.extend(
        [
            "-pix_fmt",
            "yuv420p",
            "-keyint_min",
            &every,
            "-sc_threshold",
            "0",
            "-b:v",
            "600k",
        ]
        .map(str::to_string),
    );
    publish_with(rtmp, key, seconds, &video)
}

fn publish_with(
    rtmp: SocketAddr,
    key: &str,
    seconds: u32,
    video: &[impl AsRef<std::ffi::OsStr>],
) -> Child {
    let mut ffmpeg = Command::new("ffmpeg");
    ffmpeg
        .args(crate::live::testing::live_test_pattern_input(seconds))
        .args(video)
        .args(["-c:a", "aac", "-b:a", "64k"]);
    publish_flv(ffmpeg, rtmp, key)
}

/// `ffmpeg` (its input and codecs given) sending FLV to `key` over RTMP.
fn publish_flv(mut ffmpeg: Command, rtmp: SocketAddr, key: &str) -> Child {
    ffmpeg
        .args(["-f", "flv"])
        .arg(format!("rtmp://{rtmp}/live/{key}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("ffmpeg is installed")
}

/// Waits for the publishing ffmpeg to exit (within `within`); whether it succeeded.
async fn exits_within(publisher: &mut Child, within: Duration) -> bool {
    match tokio::time::timeout(within, publisher.wait()).await {
        Ok(status) => status.unwrap().success(),
        Err(_) => panic!("the publisher still runs after {within:?}"),
    }
}

/// Polls the studio until `ready` holds (within 20 s).
async fn studio_until(
    client: &reqwest::Client,
    base: &str,
    channel: &str,
    ready: impl Fn(&StudioStatus) -> bool,
) -> StudioStatus {
    eventually("the studio shows it", Duration::from_secs(20), || async {
        let status = studio(client, base, channel).await;
        ready(&status).then_some(status)
    })
    .await
}

fn incoming(status: &StudioStatus) -> Option<&IncomingFigures> {
    status.on_air.as_ref()?.incoming.as_ref()
}

/// Publishing with a keyframe every `keyframe_secs`: the channel goes live, viewers get an
/// init segment and media that decode, the studio shows what arrives.
async fn goes_live_and_decodes(keyframe_secs: u32) -> IncomingFigures {
    let _serial = SERIAL.lock().await;
    let server = start_server().await;
    let base = format!("http://{}", server.addr);
    let (ada, key) = broadcaster(&base, "ada").await;
    assert!(
        key.starts_with("ada_") && key.len() >= 40,
        "a long random key"
    );
    let server_url = destination(&ada, &base, "ada").await.server;
    assert_eq!(
        server_url,
        format!("rtmp://127.0.0.1:{}/live", server.rtmp_addr.port())
    );

    let mut publisher = publish(server.rtmp_addr, &key, keyframe_secs, 60);
    // 2.5 keyframe intervals of 200 ms fragments.
    let wanted = 25 * keyframe_secs as usize / 2;
    let url = format!("{base}/live/ada/events");
    let (_, events) = read_events(&url, None, |e| media_count(e) >= wanted).await;
    let init = events.iter().find(|e| e.name == "init").unwrap();
    let first_media = events.iter().find(|e| e.name == "media").unwrap();
    assert!(
        starts_with_keyframe(init, first_media),
        "viewers start at a keyframe"
    );
    let frames = decoded_frames(&events);
    assert!(frames >= 30 * keyframe_secs, "decoded {frames} frames");
    let init: InitEvent = serde_json::from_str(&init.data).unwrap();
    assert!(
        init.mime.contains("avc1") && init.mime.contains("mp4a"),
        "{}",
        init.mime
    );
    // Its onMetaData announced sound: its ladder has sound alone (copied, no encoder), and no
    // picture rung as tall as its 180 lines.
    assert_eq!(init.rungs, ["source", "audio"]);

    let status = studio_until(&ada, &base, "ada", |s| {
        incoming(s).is_some_and(|i| i.keyframe_secs.is_some() && i.fps.is_some())
    })
    .await;
    let on_air = status.on_air.as_ref().unwrap();
    assert_eq!(on_air.source, "streaming software (RTMP)");
    assert_eq!(on_air.state, ChannelState::Live);
    let figures = incoming(&status).unwrap().clone();
    assert_eq!((figures.width, figures.height), (Some(320), Some(180)));
    assert_eq!(figures.video, "H.264");
    assert_eq!(figures.audio.as_deref(), Some("AAC"));
    let fps = figures.fps.unwrap();
    assert!((20.0..40.0).contains(&fps), "about 30 fps: {fps}");

    // Stop in the studio ends the broadcast and closes the publisher's connection.
    stop(&ada, &base, "ada").await.unwrap();
    exits_within(&mut publisher, Duration::from_secs(10)).await;
    let last = crate::broadcasts::store::last(&server.db, "ada")
        .await
        .unwrap()
        .expect("a record");
    assert_eq!(last.end_reason, EndReason::Stopped);
    // The software's automatic reconnect does not put it straight back on air.
    let mut again = publish(server.rtmp_addr, &key, 1, 30);
    assert!(!exits_within(&mut again, Duration::from_secs(10)).await);
    let problem = destination(&ada, &base, "ada").await.problem;
    assert!(
        problem.is_some_and(|(_, why)| why.contains("stopped in the studio")),
        "the studio says why"
    );
    assert!(studio(&ada, &base, "ada").await.on_air.is_none());
    server.shutdown().await.unwrap();
    figures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn obs_with_one_second_keyframes_goes_live_and_plays() {
    let figures = goes_live_and_decodes(1).await;
    let secs = figures.keyframe_secs.unwrap();
    assert!((0.9..1.1).contains(&secs), "1 s keyframes: {secs}");
    assert_eq!(figures.keyframe_warning(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn obs_with_four_second_keyframes_plays_and_the_studio_warns() {
    let figures = goes_live_and_decodes(4).await;
    let secs = figures.keyframe_secs.unwrap();
    assert!((3.9..4.1).contains(&secs), "4 s keyframes: {secs}");
    let warning = figures.keyframe_warning().expect("a warning");
    assert!(warning.contains("Keyframe Interval"), "{warning}");
}

/// ffmpeg publishing a 640x360 test pattern with no sound, as OBS does with no audio source
/// (a screen and nothing else): H.264 only, a keyframe every second, for `seconds`.
fn publish_without_sound(rtmp: SocketAddr, key: &str, seconds: u32) -> Child {
    let mut codecs = live_h264(30);
    codecs.extend(["-pix_fmt", "yuv420p", "-b:v", "600k"].map(str::to_string));
    publish_one_input(rtmp, key, seconds, "testsrc2=size=640x360:rate=30", &codecs)
}

/// ffmpeg publishing one lavfi `input` in real time for `seconds`, encoded with `codecs`.
fn publish_one_input(
    rtmp: SocketAddr,
    key: &str,
    seconds: u32,
    input: &str,
    codecs: &[impl AsRef<std::ffi::OsStr>],
) -> Child {
    let mut ffmpeg = Command::new("ffmpeg");
    ffmpeg
        .args(["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi"])
        .args(["-i", input, "-t", &seconds.to_string()])
        .args(codecs);
    publish_flv(ffmpeg, rtmp, key)
}

/// A stream without sound goes live in pictures alone: its ladder has no rung of sound alone
/// (ffmpeg would have none to make it from), and the source and the rung below both play.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_without_sound_goes_live_in_pictures_alone_and_every_rung_plays() {
    let _serial = SERIAL.lock().await;
    let server = start_server().await;
    let base = format!("http://{}", server.addr);
    let (bea, key) = broadcaster(&base, "bea").await;
    let _publisher = publish_without_sound(server.rtmp_addr, &key, 60);
    for rung in ["source", "240p"] {
        // Two keyframe intervals of 200 ms fragments, on the rung picked in the quality menu.
        let url = format!("{base}/live/bea/events?rung={rung}");
        let (_, events) = read_events(&url, None, |e| media_count(e) >= 10).await;
        let init = events.iter().find(|e| e.name == "init").unwrap();
        let parsed: InitEvent = serde_json::from_str(&init.data).unwrap();
        assert_eq!(parsed.rungs, ["source", "240p"], "no rung of sound alone");
        assert_eq!(parsed.rung, rung);
        assert!(
            parsed.mime.contains("avc1") && !parsed.mime.contains("mp4a"),
            "pictures alone: {}",
            parsed.mime
        );
        let frames = decoded_frames(&events);
        assert!(frames >= 30, "{rung}: decoded {frames} frames");
    }
    let status = studio(&bea, &base, "bea").await;
    assert_eq!(
        status.on_air.map(|on_air| on_air.state),
        Some(ChannelState::Live)
    );
    stop(&bea, &base, "bea").await.unwrap();
    server.shutdown().await.unwrap();
}

/// ffmpeg publishing a tone and no picture (`-vn`), as a radio show or a podcast's software
/// does: its metadata names an audio codec and no video.
fn publish_sound_alone(rtmp: SocketAddr, key: &str, seconds: u32) -> Child {
    let tone = "sine=frequency=440:beep_factor=4:sample_rate=48000";
    publish_one_input(
        rtmp,
        key,
        seconds,
        tone,
        &["-vn", "-c:a", "aac", "-b:a", "96k"],
    )
}

/// A stream of sound alone goes live at its first audio, in one rung of sound alone whatever
/// the ladder setting; its sound plays, the studio shows AAC with no video, and the directory's
/// thumbnail says there is no picture rather than that the channel is off air.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_of_sound_alone_goes_live_in_one_rung_of_sound_and_plays() {
    let _serial = SERIAL.lock().await;
    let server = start_server().await;
    let base = format!("http://{}", server.addr);
    let (cyd, key) = broadcaster(&base, "cyd").await;
    let _publisher = publish_sound_alone(server.rtmp_addr, &key, 60);
    let url = format!("{base}/live/cyd/events");
    let (_, events) = read_events(&url, None, |e| media_count(e) >= 10).await;
    // Ten fragments of at least 100 ms: AAC frames of 1024 samples at 48 kHz last 21 ms.
    assert_sound_alone(&events, 40);

    let status = studio_until(&cyd, &base, "cyd", |s| {
        incoming(s).is_some_and(|f| f.kbps.is_some())
    })
    .await;
    assert_eq!(
        status.on_air.as_ref().map(|on_air| on_air.state),
        Some(ChannelState::Live)
    );
    let figures = incoming(&status).unwrap();
    assert_eq!(figures.audio.as_deref(), Some("AAC"));
    assert_eq!(figures.video, "", "no video arrives: {figures:?}");
    assert_eq!(figures.fps, None, "no frame rate of pictures: {figures:?}");

    let thumbnail = reqwest::get(format!("{base}/live/cyd/thumbnail.jpg"))
        .await
        .unwrap();
    assert_eq!(thumbnail.status(), reqwest::StatusCode::NOT_FOUND);
    let said = thumbnail.text().await.unwrap();
    assert!(said.contains("sound alone"), "{said}");
    stop(&cyd, &base, "cyd").await.unwrap();

    // Its recording has sound and no poster: asked for one, it says why there is none.
    let recorded = super::recordings::past(&cyd, &base, "cyd").await;
    let recording = recorded.first().expect("the broadcast was recorded");
    assert!(recording.duration_ms > 0, "{recording:?}");
    let poster = reqwest::get(format!("{base}/recordings/{}/poster.jpg", recording.id))
        .await
        .unwrap();
    assert_eq!(poster.status(), reqwest::StatusCode::NOT_FOUND);
    let said = poster.text().await.unwrap();
    assert!(said.contains("sound alone"), "{said}");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_publisher_reconnects_within_grace_and_a_second_one_is_refused() {
    let _serial = SERIAL.lock().await;
    // One rung: every id is the next fragment this viewer gets, so a gap would show.
    let server = start_server_with(&[("ONAIR_RENDITIONS_LADDER", "source")]).await;
    let base = format!("http://{}", server.addr);
    let (bea, key) = broadcaster(&base, "bea").await;

    // A wrong key is refused before any media is taken.
    let wrong = format!("bea_{}", "0".repeat(40));
    let mut refused = publish(server.rtmp_addr, &wrong, 1, 30);
    assert!(!exits_within(&mut refused, Duration::from_secs(10)).await);
    assert!(studio(&bea, &base, "bea").await.on_air.is_none());

    let mut events = reqwest::get(format!("{base}/live/bea/events"))
        .await
        .unwrap()
        .bytes_stream()
        .eventsource();
    // The software streams, then its connection drops (killed: it says no goodbye).
    let mut first = publish(server.rtmp_addr, &key, 1, 60);
    let first_init: InitEvent =
        serde_json::from_str(&next_event(&mut events, "init").await.data).unwrap();
    let mut last_id: u64 = next_event(&mut events, "media").await.id.parse().unwrap();
    first.kill().await.unwrap();
    let told = follow_until(&mut events, &mut last_id, "status").await;
    let status: StatusEvent = serde_json::from_str(&told.last().unwrap().data).unwrap();
    assert_eq!(status.state, ChannelState::Reconnecting, "viewers are told");

    // It comes back within the grace period: same broadcast, a new init, ids keep counting.
    // Until the new init, a fragment the first run's ffmpeg flushed as it ended may still
    // come: with the next id.
    let mut second = publish(server.rtmp_addr, &key, 1, 60);
    let told = follow_until(&mut events, &mut last_id, "init").await;
    let live_again = told
        .iter()
        .filter(|e| e.event == "status")
        .any(|e| serde_json::from_str::<StatusEvent>(&e.data).unwrap().state == ChannelState::Live);
    assert!(
        live_again,
        "viewers are told it is live again before the new init"
    );
    let second_init: InitEvent = serde_json::from_str(&told.last().unwrap().data).unwrap();
    assert!(second_init.epoch > first_init.epoch);
    let next: u64 = next_event(&mut events, "media").await.id.parse().unwrap();
    assert_eq!(next, last_id + 1, "ids keep counting");

    // A second publisher with the same key is refused; the first keeps the channel.
    let mut intruder = publish(server.rtmp_addr, &key, 1, 30);
    assert!(!exits_within(&mut intruder, Duration::from_secs(10)).await);
    assert!(
        second.try_wait().unwrap().is_none(),
        "the first still streams"
    );
    let more: u64 = next_event(&mut events, "media").await.id.parse().unwrap();
    assert!(more > next);

    // Resetting the key cuts the publisher, and the old key is refused from then on.
    let fresh: String = owner_asks(&bea, &base, "reset_stream_key", "bea").await;
    assert_ne!(fresh, key);
    assert!(!exits_within(&mut second, Duration::from_secs(10)).await);
    let status: StatusEvent =
        serde_json::from_str(&next_event(&mut events, "status").await.data).unwrap();
    assert_eq!(status.state, ChannelState::Reconnecting);
    let mut old = publish(server.rtmp_addr, &key, 1, 30);
    assert!(!exits_within(&mut old, Duration::from_secs(10)).await);

    // Nobody comes back: after the grace period the channel goes offline, on record as such.
    let status: StatusEvent =
        serde_json::from_str(&next_event(&mut events, "status").await.data).unwrap();
    assert_eq!(status.state, ChannelState::Offline);
    let last = super::support::recorded_end(&server.db, "bea").await;
    assert_eq!(last.end_reason, EndReason::PublisherLeft);
    server.shutdown().await.unwrap();
}

/// Issue 31: OBS's Stop Streaming. The software says goodbye (ffmpeg at the end of its input
/// sends `FCUnpublish` and `deleteStream`, as OBS does): viewers are told the broadcast ended
/// within a second of it, with no grace period, and the record says the broadcaster stopped
/// it. The software can go live again at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publisher_that_stops_on_purpose_ends_the_broadcast_at_once() {
    let _serial = SERIAL.lock().await;
    let server = start_server().await;
    let base = format!("http://{}", server.addr);
    let (cyd, key) = broadcaster(&base, "cyd").await;
    let mut events = reqwest::get(format!("{base}/live/cyd/events"))
        .await
        .unwrap()
        .bytes_stream()
        .eventsource();
    let mut publisher = publish(server.rtmp_addr, &key, 1, 4);
    next_event(&mut events, "media").await;
    assert!(exits_within(&mut publisher, Duration::from_secs(15)).await);
    let said_goodbye = Instant::now();
    let status = loop {
        let event = events_next(&mut events).await;
        if event.event == "status" {
            break serde_json::from_str::<StatusEvent>(&event.data).unwrap();
        }
    };
    let took = said_goodbye.elapsed();
    println!("stop streaming to offline for viewers: {took:?}");
    assert_eq!(
        status.state,
        ChannelState::Offline,
        "ended, not reconnecting"
    );
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert_eq!(
        status.reason.as_deref(),
        Some("the broadcaster ended the stream")
    );
    let last = super::support::recorded_end(&server.db, "cyd").await;
    assert_eq!(last.end_reason, EndReason::StoppedByBroadcaster);
    assert!(
        studio(&cyd, &base, "cyd").await.on_air.is_none(),
        "the studio shows Offline"
    );
    // Going live again is not held up.
    let mut again = publish(server.rtmp_addr, &key, 1, 30);
    let status: StatusEvent =
        serde_json::from_str(&next_event(&mut events, "status").await.data).unwrap();
    assert_eq!(status.state, ChannelState::Live);
    again.kill().await.unwrap();
    server.shutdown().await.unwrap();
}

/// The events other than media up to the first named `until` (the last of them), asserting
/// that each media event on the way has the id after `last_id`, which it moves on.
async fn follow_until<S>(
    events: &mut S,
    last_id: &mut u64,
    until: &str,
) -> Vec<eventsource_stream::Event>
where
    S: futures::Stream<Item = super::support::SseItem> + Unpin,
{
    let mut told = Vec::new();
    loop {
        let event = events_next(events).await;
        if event.event == "media" {
            let id: u64 = event.id.parse().unwrap();
            assert_eq!(id, *last_id + 1, "no gap");
            *last_id = id;
            continue;
        }
        let done = event.event == until;
        told.push(event);
        if done {
            return told;
        }
    }
}

async fn events_next<S>(events: &mut S) -> eventsource_stream::Event
where
    S: futures::Stream<Item = super::support::SseItem> + Unpin,
{
    use futures::StreamExt;
    tokio::time::timeout(Duration::from_secs(30), events.next())
        .await
        .expect("an event within 30 s")
        .expect("open")
        .expect("well-formed")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_codec_we_cannot_carry_is_refused_with_the_reason_in_the_studio() {
    let _serial = SERIAL.lock().await;
    let server = start_server().await;
    let base = format!("http://{}", server.addr);
    let (cy, key) = broadcaster(&base, "cyd").await;
    // Sorenson H.263, FLV's oldest video codec.
    let mut publisher = publish_with(server.rtmp_addr, &key, 30, &["-c:v", "flv1"]);
    assert!(!exits_within(&mut publisher, Duration::from_secs(10)).await);
    let problem = destination(&cy, &base, "cyd").await.problem;
    let (_, why) = problem.expect("the studio says why");
    assert!(why.contains("OnAir takes H.264"), "{why}");
    assert!(studio(&cy, &base, "cyd").await.on_air.is_none());
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_from_software_have_their_own_cap_beside_the_encoders() {
    let _serial = SERIAL.lock().await;
    // The demo's encoder fills max_live; one remuxed stream fits beside it, a second does not.
    let server = start_server_with(&[
        ("ONAIR_BROADCAST_MAX_LIVE", "1"),
        ("ONAIR_BROADCAST_MAX_REMUXED", "1"),
    ])
    .await;
    let base = format!("http://{}", server.addr);
    let (_, first_key) = broadcaster(&base, "eve").await;
    let (fay, second_key) = broadcaster(&base, "fay").await;
    let mut first = publish(server.rtmp_addr, &first_key, 1, 60);
    read_events(&format!("{base}/live/eve/events"), None, |e| {
        media_count(e) >= 1
    })
    .await;
    let mut second = publish(server.rtmp_addr, &second_key, 1, 30);
    assert!(!exits_within(&mut second, Duration::from_secs(10)).await);
    let (_, why) = destination(&fay, &base, "fay")
        .await
        .problem
        .expect("the studio says why");
    assert!(
        why.contains("at most 1 broadcasts from streaming software"),
        "{why}"
    );
    assert!(
        first.try_wait().unwrap().is_none(),
        "the first still streams"
    );
    first.kill().await.unwrap();
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_stalls_and_floods_on_the_rtmp_port_are_cut_and_publishing_still_works() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[
        ("ONAIR_DEMO_ENABLED", "false"),
        ("ONAIR_RTMP_PUBLISH_TIMEOUT_SECS", "2"),
        ("ONAIR_RTMP_MAX_PER_ADDRESS", "3"),
    ])
    .await;
    let rtmp = server.rtmp_addr;
    let closed_within = |mut socket: TcpStream, within: Duration| async move {
        let started = Instant::now();
        let mut buf = [0u8; 4096];
        loop {
            match tokio::time::timeout(within, socket.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return started.elapsed(),
                Ok(Ok(_)) => continue,
                Err(_) => panic!("the server kept the connection open past {within:?}"),
            }
        }
    };

    // Garbage instead of a handshake.
    let mut garbage = TcpStream::connect(rtmp).await.unwrap();
    let noise: Vec<u8> = (0..8192u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let _ = garbage.write_all(&noise).await;
    closed_within(garbage, Duration::from_secs(5)).await;

    // A valid handshake, then chunks claiming an absurd size and a huge message.
    let mut absurd = handshaken(rtmp).await;
    // Set Chunk Size 0x7FFFFFFF, then a 16 MiB message whose bytes never come.
    let mut chunks = vec![
        0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF,
    ];
    chunks.extend([0x03, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0x14, 0, 0, 0, 0]);
    chunks.extend(std::iter::repeat_n(0x42, 4096));
    let _ = absurd.write_all(&chunks).await;
    let took = closed_within(absurd, Duration::from_secs(5)).await;
    println!("absurd chunks: closed after {took:?}");

    // A command with one value where three belong (the RTMP library panics on it; the
    // connection is closed, nothing else notices).
    let mut short = handshaken(rtmp).await;
    let command = [
        0x03, 0, 0, 0, 0, 0, 9, 0x14, 0, 0, 0, 0, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    short.write_all(&command).await.unwrap();
    let took = closed_within(short, Duration::from_secs(5)).await;
    assert!(took < Duration::from_secs(1), "closed at once: {took:?}");

    // Silence: a stalled handshake is closed after the publish deadline.
    let stalled = TcpStream::connect(rtmp).await.unwrap();
    let took = closed_within(stalled, Duration::from_secs(5)).await;
    assert!(
        took >= Duration::from_millis(1500),
        "not before the deadline: {took:?}"
    );

    // A flood from one address: past the cap, connections are closed at once.
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(rtmp).await.unwrap());
    }
    let extra = TcpStream::connect(rtmp).await.unwrap();
    let took = closed_within(extra, Duration::from_secs(1)).await;
    println!("connection past the cap closed after {took:?}");
    drop(held);

    // The server is none the worse: a real publisher goes live.
    let base = format!("http://{}", server.addr);
    let (_, key) = broadcaster(&base, "dee").await;
    let mut publisher = publish(rtmp, &key, 1, 30);
    read_events(&format!("{base}/live/dee/events"), None, |e| {
        media_count(e) >= 3
    })
    .await;
    publisher.kill().await.unwrap();
    server.shutdown().await.unwrap();
}

/// A connection to `rtmp` past the RTMP handshake (C0+C1 of zeros, C2 echoing S1).
pub(super) async fn handshaken(rtmp: SocketAddr) -> TcpStream {
    let mut socket = TcpStream::connect(rtmp).await.unwrap();
    let mut c0c1 = vec![3u8];
    c0c1.extend(std::iter::repeat_n(0u8, 1536));
    socket.write_all(&c0c1).await.unwrap();
    let mut s0s1s2 = vec![0u8; 1 + 1536 * 2];
    socket.read_exact(&mut s0s1s2).await.unwrap();
    socket.write_all(&s0s1s2[1..1537]).await.unwrap();
    socket
}
