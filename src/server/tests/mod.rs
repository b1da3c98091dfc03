//! HTTP tests: the real server on port 0 with the real demo ffmpeg and a real SQLite file,
//! read by an SSE client. `accounts` covers sign-in and owner-only broadcast control, `chat`
//! the chat riding the same stream, `ingest` streams published over RTMP by a real ffmpeg.

mod accounts;
mod browser;
mod chat;
mod cluster;
mod https;
mod ingest;
mod single_client;
mod single_publisher;

use std::time::Duration;

use base64::Engine as _;
use eventsource_stream::Eventsource;
use futures::StreamExt;

use super::{RunningServer, Settings};
use crate::live::splitter::{Piece, Splitter};

/// Servers run one at a time: each runs an ffmpeg, and one test looks for leftover ffmpegs.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A running server and the folder holding its database and media folder.
struct TestServer {
    server: RunningServer,
    dir: tempfile::TempDir,
}

impl std::ops::Deref for TestServer {
    type Target = RunningServer;
    fn deref(&self) -> &RunningServer {
        &self.server
    }
}

impl TestServer {
    async fn shutdown(self) -> std::io::Result<()> {
        self.server.shutdown().await
    }
}

async fn start_server() -> TestServer {
    start_server_with(&[]).await
}

/// The server with small, quick video, its own database, and `extra` settings.
async fn start_server_with(extra: &[(&str, &str)]) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("onair.db").display().to_string();
    let media = dir.path().join("media").display().to_string();
    let mut vars = vec![
        ("ONAIR_SERVER_ADDR", "127.0.0.1:0"),
        ("ONAIR_RTMP_ADDR", "127.0.0.1:0"),
        ("ONAIR_BROADCAST_WIDTH", "320"),
        ("ONAIR_BROADCAST_HEIGHT", "180"),
        ("ONAIR_BROADCAST_VIDEO_KBPS", "300"),
        ("ONAIR_DATABASE_PATH", db.as_str()),
        ("ONAIR_MEDIA_DIR", media.as_str()),
    ];
    vars.extend_from_slice(extra);
    let settings = Settings::with_overrides(vars).unwrap();
    let server = RunningServer::start(settings).await.expect("server starts");
    TestServer { server, dir }
}

#[derive(Debug)]
struct Received {
    name: String,
    id: Option<u64>,
    data: String,
}

/// Reads `url` as SSE until `enough` says so (or 30 s pass, which fails the test).
async fn read_events(
    url: &str,
    last_event_id: Option<u64>,
    enough: impl Fn(&[Received]) -> bool,
) -> (reqwest::header::HeaderMap, Vec<Received>) {
    let mut request = reqwest::Client::new().get(url);
    if let Some(id) = last_event_id {
        request = request.header("Last-Event-ID", id.to_string());
    }
    let response = request.send().await.expect("connects");
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    let mut events = response.bytes_stream().eventsource();
    let mut received = Vec::new();
    let read = async {
        while !enough(&received) {
            let event = events
                .next()
                .await
                .expect("stream stays open")
                .expect("well-formed SSE");
            received.push(Received {
                name: event.event,
                id: event.id.parse().ok(),
                data: event.data,
            });
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .expect("enough events within 30 s");
    (headers, received)
}

/// The record of `channel`'s last broadcast, once its end is written (within 5 s: viewers
/// hear first, the record is written as the broadcast's task ends).
async fn recorded_end(db: &crate::db::Db, channel: &str) -> crate::broadcasts::api::PastBroadcast {
    let recorded = async {
        loop {
            match crate::broadcasts::store::last(db, channel).await.unwrap() {
                Some(last) => return last,
                None => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), recorded)
        .await
        .expect("the end is recorded within 5 s")
}

fn media_count(events: &[Received]) -> usize {
    events.iter().filter(|e| e.name == "media").count()
}

fn decode(data: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .expect("base64")
}

fn init_bytes(event: &Received) -> Vec<u8> {
    let init: crate::live::wire::InitEvent = serde_json::from_str(&event.data).expect("init JSON");
    decode(&init.data)
}

/// Whether `media` (an event decoding with `init`) starts with a keyframe, per the splitter.
fn starts_with_keyframe(init: &Received, media: &Received) -> bool {
    let mut splitter = Splitter::new();
    let mut pieces = splitter.push(&init_bytes(init)).unwrap();
    pieces.extend(splitter.push(&decode(&media.data)).unwrap());
    matches!(&pieces[1], Piece::Fragment(f) if f.keyframe)
}

/// Writes the first init event and every media event to a file; how many H.264 frames ffprobe
/// decodes from it.
fn decoded_frames(events: &[Received]) -> u32 {
    let init = events.iter().find(|e| e.name == "init").expect("an init");
    let mut file = init_bytes(init);
    for event in events.iter().filter(|e| e.name == "media") {
        file.extend(decode(&event.data));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("received.mp4");
    std::fs::write(&path, &file).unwrap();
    let probe = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=codec_name,nb_read_frames"])
        .args(["-of", "csv=p=0"])
        .arg(&path)
        .output()
        .expect("ffprobe is installed");
    let out = String::from_utf8_lossy(&probe.stdout).trim().to_string();
    let (codec, frames) = out.split_once(',').expect("codec,frames");
    assert_eq!(codec, "h264");
    frames.parse().expect("a frame count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_stream_decodes_with_ffprobe() {
    let _serial = SERIAL.lock().await;
    let server = start_server().await;
    let url = format!("http://{}/live/demo/events", server.addr);
    let (headers, events) = read_events(&url, None, |e| media_count(e) >= 25).await;

    assert_eq!(headers["content-type"], "text/event-stream");
    assert_eq!(headers["cache-control"], "no-cache");
    assert_eq!(headers["x-accel-buffering"], "no");
    assert_eq!(events[0].name, "status", "status comes first");
    let init_at = events
        .iter()
        .position(|e| e.name == "init")
        .expect("an init event");
    let first_media = events.iter().position(|e| e.name == "media").unwrap();
    assert!(init_at < first_media, "init before any media");
    let ids: Vec<u64> = events
        .iter()
        .filter(|e| e.name == "media")
        .map(|e| e.id.expect("media has an id"))
        .collect();
    assert!(
        ids.windows(2).all(|w| w[1] == w[0] + 1),
        "consecutive ids: {ids:?}"
    );

    // The first media event starts with a keyframe; the whole thing is playable video.
    assert!(starts_with_keyframe(&events[init_at], &events[first_media]));
    let frames = decoded_frames(&events);
    assert!(frames > 30, "decoded {frames} video frames");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_event_id_resumes_with_no_gap_and_no_duplicate() {
    let _serial = SERIAL.lock().await;
    let server = start_server().await;
    let url = format!("http://{}/live/demo/events", server.addr);
    let (_, first) = read_events(&url, None, |e| media_count(e) >= 5).await;
    let last = first.iter().rev().find_map(|e| e.id).unwrap();
    let (_, resumed) = read_events(&url, Some(last), |e| media_count(e) >= 3).await;
    let init_at = resumed
        .iter()
        .position(|e| e.name == "init")
        .expect("init again on a new connection");
    let media: Vec<u64> = resumed
        .iter()
        .filter(|e| e.name == "media")
        .filter_map(|e| e.id)
        .collect();
    assert_eq!(
        media[0],
        last + 1,
        "continues right after the last id it had"
    );
    assert!(init_at < resumed.iter().position(|e| e.name == "media").unwrap());
    // An id the server never held: init and the newest keyframe instead.
    let (_, fresh) = read_events(&url, Some(1), |e| media_count(e) >= 1).await;
    let media = fresh.iter().find(|e| e.name == "media").unwrap();
    let init = fresh.iter().find(|e| e.name == "init").unwrap();
    assert!(starts_with_keyframe(init, media));
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_on_the_server_and_unknown_channels_are_404() {
    let _serial = SERIAL.lock().await;
    let server = start_server().await;
    let base = format!("http://{}", server.addr);
    // Once media flows the channel is live.
    read_events(&format!("{base}/live/demo/events"), None, |e| {
        media_count(e) >= 1
    })
    .await;
    let client = reqwest::Client::new();
    let watch = client
        .get(format!("{base}/watch/demo"))
        .send()
        .await
        .unwrap();
    assert_eq!(watch.status(), 200);
    // Pages cannot be framed by other sites, sniffed as another type, or leak the address.
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
    ] {
        assert_eq!(
            watch.headers().get(name).and_then(|v| v.to_str().ok()),
            Some(value),
            "{name}"
        );
    }
    assert!(
        watch.headers().get("strict-transport-security").is_none(),
        "plain HTTP (the default) asks for no HTTPS"
    );
    // Scripts run only with this page's nonce, which its hydration scripts carry.
    let policy = watch.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a script nonce")
        .to_string();
    assert!(nonce.len() >= 16, "{nonce}");
    let html = watch.text().await.unwrap();
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the scripts carry it"
    );
    let scripts = html.matches("<script").count();
    let with_nonce = html.matches(&format!("<script nonce=\"{nonce}\"")).count()
        + html
            .matches(&format!("<script type=\"module\" nonce=\"{nonce}\""))
            .count();
    assert_eq!(
        scripts, with_nonce,
        "every inline script has the nonce: {html}"
    );
    // The page asks for its stream from the head, where the stylesheet cannot hold it up.
    let stream = html.find("\"/live/demo/events\"").expect("the head start");
    let style = html.find("rel=\"stylesheet\"").expect("the stylesheet");
    assert!(stream < style, "{html}");
    assert!(
        html.contains("OnAir demo: test pattern"),
        "the title is server-rendered"
    );
    assert!(
        html.contains("data-state=\"live\""),
        "the channel's state is server-rendered"
    );
    let home = client
        .get(&base)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains("href=\"/watch/demo\""),
        "the directory lists the demo channel"
    );
    assert!(
        !home.contains("onairEarlyEvents"),
        "only a watch page starts a stream early"
    );
    for path in [
        "/live/nobody/events",
        "/live/nobody/thumbnail.jpg",
        "/watch/nobody",
    ] {
        let status = client
            .get(format!("{base}{path}"))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 404, "{path}");
    }
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_channel_has_a_thumbnail_of_its_picture() {
    let _serial = SERIAL.lock().await;
    let server = start_server().await;
    let base = format!("http://{}", server.addr);
    read_events(&format!("{base}/live/demo/events"), None, |e| {
        media_count(e) >= 1
    })
    .await;
    let response = reqwest::get(format!("{base}/live/demo/thumbnail.jpg"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    let jpeg = response.bytes().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("thumbnail.jpg");
    std::fs::write(&path, &jpeg).unwrap();
    let probe = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name,width",
            "-of",
            "csv=p=0",
        ])
        .arg(&path)
        .output()
        .expect("ffprobe is installed");
    assert_eq!(String::from_utf8_lossy(&probe.stdout).trim(), "mjpeg,320");
    server.shutdown().await.unwrap();
}

/// What an SSE client stream yields.
type SseItem =
    Result<eventsource_stream::Event, eventsource_stream::EventStreamError<reqwest::Error>>;

/// The next event named `name` on `events` (within 30 s).
async fn next_event<S>(events: &mut S, name: &str) -> eventsource_stream::Event
where
    S: futures::Stream<Item = SseItem> + Unpin,
{
    let wait = async {
        loop {
            let event = events.next().await.expect("open").expect("well-formed");
            if event.event == name {
                return event;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), wait)
        .await
        .unwrap_or_else(|_| panic!("a {name} event within 30 s"))
}

/// Reads `events` until a `viewers` event (within 10 s), and returns its count.
async fn next_viewer_count<S>(events: &mut S) -> usize
where
    S: futures::Stream<Item = SseItem> + Unpin,
{
    let event = tokio::time::timeout(Duration::from_secs(10), next_event(events, "viewers"))
        .await
        .expect("a viewers event within 10 s");
    let count: crate::live::wire::ViewersEvent = serde_json::from_str(&event.data).unwrap();
    count.count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_request_is_closed_but_a_live_stream_outlives_the_header_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_SERVER_HEADER_TIMEOUT_SECS", "1")]).await;
    let url = format!("http://{}/live/demo/events", server.addr);
    let watching = reqwest::get(&url).await.expect("connects");
    let mut events = watching.bytes_stream().eventsource();
    next_event(&mut events, "media").await;

    // A client that sends part of a request head, then nothing: the server hangs up on it.
    let mut stalled = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    stalled
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), stalled.read_to_end(&mut answer))
        .await
        .expect("the server closes a half-sent request instead of waiting for ever");
    assert!(
        closed.is_err() || !String::from_utf8_lossy(&answer).contains("200 OK"),
        "no page for a request that never finished: {answer:?}"
    );

    // The stream opened before is older than the timeout and still delivers media.
    let media = next_event(&mut events, "media").await;
    assert!(!media.data.is_empty());
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_viewers_see_the_count_go_one_two_one() {
    let _serial = SERIAL.lock().await;
    let server = start_server().await;
    let url = |tab: &str| format!("http://{}/live/demo/events?viewer={tab}", server.addr);
    let mut a = reqwest::get(url("tab-a"))
        .await
        .unwrap()
        .bytes_stream()
        .eventsource();
    assert_eq!(next_viewer_count(&mut a).await, 1);
    let mut b = reqwest::get(url("tab-b"))
        .await
        .unwrap()
        .bytes_stream()
        .eventsource();
    assert_eq!(
        next_viewer_count(&mut b).await,
        2,
        "a newcomer gets the count at once"
    );
    assert_eq!(next_viewer_count(&mut a).await, 2);
    // A second connection of tab a (a reconnect) does not count.
    let mut again = reqwest::get(url("tab-a"))
        .await
        .unwrap()
        .bytes_stream()
        .eventsource();
    assert_eq!(next_viewer_count(&mut again).await, 2);
    drop(again);
    drop(b);
    assert_eq!(
        next_viewer_count(&mut a).await,
        1,
        "a closed connection stops counting"
    );
    server.shutdown().await.unwrap();
}

/// Process ids of this process' children running a real-time encoder (a broadcast's).
fn demo_encoders() -> Vec<u32> {
    encoders("-re ")
}

/// The pids of this process's live ffmpeg children whose command line holds `marking`.
fn encoders(marking: &str) -> Vec<u32> {
    let me = std::process::id().to_string();
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        // stat: pid (comm) state ppid ...
        let after_comm = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
        let mut fields = after_comm.split_whitespace();
        let (state, ppid) = (fields.next().unwrap_or(""), fields.next().unwrap_or(""));
        if ppid == me && state != "Z" && cmdline.contains("ffmpeg") && cmdline.contains(marking) {
            pids.push(pid);
        }
    }
    pids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_open_streams_and_leaves_no_ffmpeg() {
    let _serial = SERIAL.lock().await;
    let server = start_server().await;
    let url = format!("http://{}/live/demo/events", server.addr);
    let response = reqwest::get(&url).await.unwrap();
    let mut events = response.bytes_stream().eventsource();
    // Wait until media flows, so the encoder is surely running.
    loop {
        let event = tokio::time::timeout(Duration::from_secs(30), events.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if event.event == "media" {
            break;
        }
    }
    assert_eq!(demo_encoders().len(), 1, "one demo encoder runs");
    let db = server.db.clone();
    tokio::time::timeout(Duration::from_secs(10), server.shutdown())
        .await
        .expect("graceful shutdown is not blocked by open streams")
        .unwrap();
    let rest = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(_)) = events.next().await {}
    })
    .await;
    assert!(rest.is_ok(), "the open stream ended");
    assert!(demo_encoders().is_empty(), "no ffmpeg left behind");
    let last = crate::broadcasts::store::last(&db, "demo")
        .await
        .unwrap()
        .expect("the demo broadcast is on record");
    assert_eq!(last.end_reason, "server shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_per_address_cap_are_closed_until_one_ends() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[
        ("ONAIR_DEMO_ENABLED", "false"),
        ("ONAIR_SERVER_MAX_CONNECTIONS_PER_ADDRESS", "3"),
    ])
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(tokio::net::TcpStream::connect(server.addr).await.unwrap());
    }
    // Sent a whole request, the fourth gets no answer: the server closed it on accepting it.
    let mut fourth = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let _ = fourth
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), fourth.read_to_end(&mut answer))
        .await
        .expect("closed at once, not left waiting");
    assert!(read.is_err() || answer.is_empty(), "{answer:?}");

    // One of the three ends: a new connection is served.
    drop(held.pop());
    let page = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match reqwest::get(format!("http://{}/", server.addr)).await {
                Ok(page) => break page,
                // The server may not have seen the close yet.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    })
    .await
    .expect("served once a place is free");
    assert_eq!(page.status().as_u16(), 200);
    drop(held);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_who_stops_reading_is_dropped_and_stops_counting() {
    use tokio::io::AsyncWriteExt;

    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_SERVER_WRITE_TIMEOUT_SECS", "2")]).await;
    let url = format!("http://{}/live/demo/events?viewer=reading", server.addr);
    let mut reading = reqwest::get(url)
        .await
        .unwrap()
        .bytes_stream()
        .eventsource();
    assert_eq!(next_viewer_count(&mut reading).await, 1);
    // A client that asks for the stream and never reads a byte of it.
    let mut stalled = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    socket2::SockRef::from(&stalled)
        .set_recv_buffer_size(16 * 1024)
        .unwrap();
    stalled
        .write_all(b"GET /live/demo/events?viewer=stalled HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(next_viewer_count(&mut reading).await, 2);
    // Once its window has been shut for the write timeout, it is gone, and the count says so.
    let count = tokio::time::timeout(Duration::from_secs(60), next_viewer_count(&mut reading))
        .await
        .expect("the stalled viewer is dropped within a minute");
    assert_eq!(count, 1);
    drop(stalled);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_holds_a_bounded_number_of_live_streams() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_LIVE_MAX_STREAMS_PER_ADDRESS", "2")]).await;
    let url = |tab: &str| format!("http://{}/live/demo/events?viewer={tab}", server.addr);
    let first = reqwest::get(url("a")).await.unwrap();
    let second = reqwest::get(url("b")).await.unwrap();
    assert_eq!(
        (first.status().as_u16(), second.status().as_u16()),
        (200, 200)
    );
    let third = reqwest::get(url("c")).await.unwrap();
    assert_eq!(third.status().as_u16(), 429);
    assert!(third.text().await.unwrap().contains("close some tabs"));
    // A closed stream gives its place back.
    drop(first);
    let again = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let response = reqwest::get(url("c")).await.unwrap();
            if response.status().as_u16() == 200 {
                break response;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("a place is free once a stream closes");
    let mut events = again.bytes_stream().eventsource();
    next_event(&mut events, "init").await;
    drop(second);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_says_the_database_is_up_on_either_back_end() {
    let _serial = SERIAL.lock().await;
    let postgres = crate::db::testing::fresh_postgres_schema().await;
    for database in ["", postgres.as_str()] {
        let server = start_server_with(&[
            ("ONAIR_DEMO_ENABLED", "false"),
            ("ONAIR_DATABASE_URL", database),
        ])
        .await;
        let response = reqwest::get(format!("http://{}/health", server.addr))
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let report: serde_json::Value = response.json().await.unwrap();
        assert_eq!(
            report,
            serde_json::json!({"database": "up", "nats": "not used"}),
            "{database:?}"
        );
        server.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_off_by_default_and_read_with_their_token() {
    let _serial = SERIAL.lock().await;
    let off = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let status = reqwest::get(format!("http://{}/metrics", off.addr))
        .await
        .unwrap()
        .status();
    assert_eq!(status, 404, "off unless enabled");
    off.shutdown().await.unwrap();

    let server = start_server_with(&[
        ("ONAIR_METRICS_ENABLED", "true"),
        ("ONAIR_METRICS_TOKEN", "s3cret-scraper-token"),
    ])
    .await;
    let base = format!("http://{}", server.addr);
    read_events(&format!("{base}/live/demo/events"), None, |e| {
        media_count(e) >= 3
    })
    .await;
    let client = reqwest::Client::new();
    let scrape = |token: Option<&'static str>| {
        let mut request = client.get(format!("{base}/metrics"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_eq!(scrape(None).await.unwrap().status(), 401);
    assert_eq!(scrape(Some("guess")).await.unwrap().status(), 401);
    let page = scrape(Some("s3cret-scraper-token")).await.unwrap();
    assert_eq!(page.status(), 200);
    let text = page.text().await.unwrap();
    for line in [
        "onair_live_broadcasts 1",
        "onair_viewers{channel=\"demo\"}",
        "onair_fragments_published_total",
        "onair_fragment_age_at_publish_seconds",
        "onair_viewer_bytes_sent_total",
        "onair_event_streams_open",
    ] {
        assert!(text.contains(line), "{line} in:\n{text}");
    }
    server.shutdown().await.unwrap();
}
