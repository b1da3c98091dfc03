//! What every HTTP test uses: a real server on port 0 (its own database and media folder),
//! SSE readers, what the received media decodes to, the server functions called as a browser
//! calls them, and one way to wait for something to become true.

use std::time::Duration;

use base64::Engine as _;
use eventsource_stream::Eventsource;
use futures::StreamExt;

use crate::error::AppError;
use crate::live::splitter::{Piece, Splitter};
use crate::server::{RunningServer, Settings};

/// Every test account's password.
pub(super) const PASSWORD: &str = "correct horse 1";

/// How often [`eventually`] looks again.
const POLL_EVERY: Duration = Duration::from_millis(50);

/// Asks `check` until it answers Some (every 50 ms, for at most `within`); fails the test
/// saying `what` did not happen otherwise.
pub(super) async fn eventually<T, F, Fut>(what: &str, within: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not within {within:?}"
        );
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// Servers run one at a time: each runs an ffmpeg, and one test looks for leftover ffmpegs.
pub(super) static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A running server and the folder holding its database and media folder.
pub(super) struct TestServer {
    pub(super) server: RunningServer,
    pub(super) dir: tempfile::TempDir,
}

impl std::ops::Deref for TestServer {
    type Target = RunningServer;
    fn deref(&self) -> &RunningServer {
        &self.server
    }
}

impl TestServer {
    pub(super) async fn shutdown(self) -> std::io::Result<()> {
        self.server.shutdown().await
    }
}

pub(super) async fn start_server() -> TestServer {
    start_server_with(&[]).await
}

/// The server with small, quick video, its own database, and `extra` settings.
pub(super) async fn start_server_with(extra: &[(&str, &str)]) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("onair.db").display().to_string();
    let media = dir.path().join("media").display().to_string();
    let recordings = dir.path().join("recordings").display().to_string();
    let mut vars = vec![
        ("ONAIR_SERVER_ADDR", "127.0.0.1:0"),
        ("ONAIR_RTMP_ADDR", "127.0.0.1:0"),
        ("ONAIR_BROADCAST_WIDTH", "320"),
        ("ONAIR_BROADCAST_HEIGHT", "180"),
        ("ONAIR_BROADCAST_VIDEO_KBPS", "300"),
        ("ONAIR_DATABASE_PATH", db.as_str()),
        ("ONAIR_MEDIA_DIR", media.as_str()),
        ("ONAIR_RECORDINGS_DIR", recordings.as_str()),
    ];
    vars.extend_from_slice(extra);
    let settings = Settings::with_overrides(vars).unwrap();
    let server = RunningServer::start(settings).await.expect("server starts");
    TestServer { server, dir }
}

#[derive(Debug)]
pub(super) struct Received {
    pub(super) name: String,
    pub(super) id: Option<u64>,
    pub(super) data: String,
}

/// Reads `url` as SSE until `enough` says so (or 30 s pass, which fails the test).
pub(super) async fn read_events(
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
pub(super) async fn recorded_end(
    db: &crate::db::Db,
    channel: &str,
) -> crate::broadcasts::api::PastBroadcast {
    eventually("the end is recorded", Duration::from_secs(5), || async {
        crate::broadcasts::store::last(db, channel).await.unwrap()
    })
    .await
}

pub(super) fn media_count(events: &[Received]) -> usize {
    events.iter().filter(|e| e.name == "media").count()
}

pub(super) fn decode(data: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .expect("base64")
}

pub(super) fn init_bytes(event: &Received) -> Vec<u8> {
    let init: crate::live::wire::InitEvent = serde_json::from_str(&event.data).expect("init JSON");
    decode(&init.data)
}

/// Whether `media` (an event decoding with `init`) starts with a keyframe, per the splitter.
pub(super) fn starts_with_keyframe(init: &Received, media: &Received) -> bool {
    let mut splitter = Splitter::new();
    let mut pieces = splitter.push(&init_bytes(init)).unwrap();
    pieces.extend(splitter.push(&decode(&media.data)).unwrap());
    matches!(&pieces[1], Piece::Fragment(f) if f.keyframe)
}

/// Where each media event sits on its run's timeline, read with the init event before it: its
/// rung, and where it starts and ends (seconds).
pub(super) fn timeline(events: &[Received]) -> Vec<(String, f64, f64)> {
    let mut rung = String::new();
    let mut splitter = None;
    let mut placed = Vec::new();
    for event in events {
        match event.name.as_str() {
            "init" => {
                let init: crate::live::wire::InitEvent =
                    serde_json::from_str(&event.data).expect("init JSON");
                let mut fresh = Splitter::new();
                fresh.push(&decode(&init.data)).expect("an init segment");
                splitter = Some(fresh);
                rung = init.rung;
            }
            "media" => {
                let splitter = splitter.as_mut().expect("init before media");
                for piece in splitter.push(&decode(&event.data)).expect("a fragment") {
                    if let Piece::Fragment(f) = piece {
                        let start = f.start_secs.expect("a decode time");
                        placed.push((rung.clone(), start, start + f.duration_secs.unwrap_or(0.0)));
                    }
                }
            }
            _ => {}
        }
    }
    placed
}

/// Whether every media event starts where the one before it ended: no gap, no repeat. On a
/// switch of rung the boundary may move by less than a fragment (sound alone is cut on its own
/// boundaries).
pub(super) fn continuous(events: &[Received]) -> Result<(), String> {
    let placed = timeline(events);
    for pair in placed.windows(2) {
        let ((rung, _, end), (next_rung, start, _)) = (&pair[0], &pair[1]);
        let allowed = if rung == next_rung { 0.002 } else { 0.25 };
        if (start - end).abs() > allowed {
            return Err(format!(
                "{rung} ends at {end}, then {next_rung} starts at {start}"
            ));
        }
    }
    Ok(())
}

/// The whole events in raw SSE text (a last one cut off is left out).
pub(super) fn events_in(text: &str) -> Vec<Received> {
    let mut blocks: Vec<&str> = text.split("\n\n").collect();
    blocks.pop();
    blocks
        .into_iter()
        .filter_map(|block| {
            let field = |name: &str| {
                block
                    .lines()
                    .find_map(|l| l.strip_prefix(name).map(str::to_string))
            };
            Some(Received {
                name: field("event: ")?,
                id: field("id: ").and_then(|id| id.parse().ok()),
                data: field("data: ").unwrap_or_default(),
            })
        })
        .collect()
}

/// Writes the first init event and every media event to a file; how many H.264 frames ffprobe
/// decodes from it.
pub(super) fn decoded_frames(events: &[Received]) -> u32 {
    let (codec, frames) = decoded_stream(events, "v:0");
    assert_eq!(codec, "h264");
    frames
}

/// The codec of `stream` (ffprobe's specifier: "v:0", "a:0") in the init and media `events`,
/// and how many of its frames ffprobe decodes.
pub(super) fn decoded_stream(events: &[Received], stream: &str) -> (String, u32) {
    let init = events.iter().find(|e| e.name == "init").expect("an init");
    let mut file = init_bytes(init);
    for event in events.iter().filter(|e| e.name == "media") {
        file.extend(decode(&event.data));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("received.mp4");
    std::fs::write(&path, &file).unwrap();
    let probe = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", stream])
        .args(["-show_entries", "stream=codec_name,nb_read_frames"])
        .args(["-of", "csv=p=0"])
        .arg(&path)
        .output()
        .expect("ffprobe is installed");
    let out = String::from_utf8_lossy(&probe.stdout).trim().to_string();
    let (codec, frames) = out
        .split_once(',')
        .unwrap_or_else(|| panic!("no {stream} stream: {out:?}"));
    (codec.to_string(), frames.parse().expect("a frame count"))
}

/// Asserts that `events` are of a broadcast of sound alone: one rung, `audio`, with AAC and no
/// picture, of which ffprobe decodes at least `frames` frames.
pub(super) fn assert_sound_alone(events: &[Received], frames: u32) {
    let init = events.iter().find(|e| e.name == "init").expect("an init");
    let parsed: crate::live::wire::InitEvent = serde_json::from_str(&init.data).unwrap();
    assert_eq!(parsed.rungs, ["audio"], "one rung, of sound alone");
    assert_eq!(parsed.rung, "audio");
    assert!(
        parsed.mime.contains("mp4a") && !parsed.mime.contains("avc1"),
        "sound alone: {}",
        parsed.mime
    );
    let (codec, decoded) = decoded_stream(events, "a:0");
    assert_eq!(codec, "aac");
    assert!(decoded >= frames, "decoded {decoded} frames of sound");
}

/// What an SSE client stream yields.
pub(super) type SseItem =
    Result<eventsource_stream::Event, eventsource_stream::EventStreamError<reqwest::Error>>;

/// The next event named `name` on `events` (within 30 s).
pub(super) async fn next_event<S>(events: &mut S, name: &str) -> eventsource_stream::Event
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
pub(super) async fn next_viewer_count<S>(events: &mut S) -> usize
where
    S: futures::Stream<Item = SseItem> + Unpin,
{
    let event = tokio::time::timeout(Duration::from_secs(10), next_event(events, "viewers"))
        .await
        .expect("a viewers event within 10 s");
    let count: crate::live::wire::ViewersEvent = serde_json::from_str(&event.data).unwrap();
    count.count
}

/// Process ids of this process' children running a real-time encoder (a broadcast's).
pub(super) fn demo_encoders() -> Vec<u32> {
    encoders("-re ")
}

/// The pids of this process's live ffmpeg children whose command line holds `marking`.
pub(super) fn encoders(marking: &str) -> Vec<u32> {
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

/// A browser-like client with its own cookie jar, that does not follow redirects.
pub(super) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Calls a server function; Ok on success, the server's [`AppError`] otherwise.
pub(super) async fn call(
    client: &reqwest::Client,
    base: &str,
    endpoint: &str,
    form: Option<&[(&str, &str)]>,
    json: Option<serde_json::Value>,
) -> Result<reqwest::Response, AppError> {
    let mut request = client.post(format!("{base}/api/{endpoint}"));
    if let Some(form) = form {
        request = request.form(form);
    }
    if let Some(json) = json {
        request = request.json(&json);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status();
    if status.is_success() || status.is_redirection() {
        Ok(response)
    } else {
        let body = response.text().await.unwrap();
        let err: AppError =
            serde_json::from_str(&body).unwrap_or_else(|_| panic!("an AppError: {body}"));
        // A refusal says what kind it is in the status too: 4xx for the caller's mistakes.
        assert_eq!(status.as_u16(), err.status(), "{endpoint}: {err:?}");
        Err(err)
    }
}

/// What a server function answers to `form`; the call must succeed.
pub(super) async fn answer<T: serde::de::DeserializeOwned>(
    client: &reqwest::Client,
    base: &str,
    endpoint: &str,
    form: &[(&str, &str)],
) -> T {
    call(client, base, endpoint, Some(form), None)
        .await
        .unwrap_or_else(|err| panic!("{endpoint}: {err:?}"))
        .json()
        .await
        .unwrap()
}

/// The `Set-Cookie` value that sets the session cookie (with its attributes).
pub(super) fn session_set_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("onair_session="))
        .expect("a session cookie")
        .to_string()
}

pub(super) async fn sign_up(client: &reqwest::Client, base: &str, name: &str) {
    call(
        client,
        base,
        "sign_up",
        Some(&[("username", name), ("password", PASSWORD)]),
        None,
    )
    .await
    .expect("sign-up works");
}

pub(super) async fn start(
    client: &reqwest::Client,
    base: &str,
    channel: &str,
) -> Result<(), AppError> {
    let body =
        serde_json::json!({"channel": channel, "title": "Test run", "source": "TestPattern"});
    call(client, base, "start_broadcast", None, Some(body))
        .await
        .map(drop)
}

pub(super) async fn stop(
    client: &reqwest::Client,
    base: &str,
    channel: &str,
) -> Result<(), AppError> {
    call(
        client,
        base,
        "stop_broadcast",
        None,
        Some(serde_json::json!({ "channel": channel })),
    )
    .await
    .map(drop)
}

/// What `channel`'s studio shows.
pub(super) async fn studio_status(
    client: &reqwest::Client,
    base: &str,
    channel: &str,
) -> Result<crate::broadcasts::api::StudioStatus, AppError> {
    let response = call(
        client,
        base,
        "broadcast_state",
        None,
        Some(serde_json::json!({ "channel": channel })),
    )
    .await?;
    Ok(response.json().await.unwrap())
}

/// Whether `channel` has a broadcast on air, as its studio reports it.
pub(super) async fn on_air(
    client: &reqwest::Client,
    base: &str,
    channel: &str,
) -> Result<bool, AppError> {
    Ok(studio_status(client, base, channel).await?.on_air.is_some())
}

/// Signs `name` up; its session cookie (`onair_session=…`).
pub(super) async fn signed_up_session(base: &str, name: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = call(
        &client,
        base,
        "sign_up",
        Some(&[("username", name), ("password", PASSWORD)]),
        None,
    )
    .await
    .expect("sign-up works");
    let session = session_set_cookie(&response);
    session.split(';').next().unwrap().to_string()
}

/// ffmpeg's arguments for live H.264 as broadcasters' encoders make it (no B-frames, no
/// look-ahead), with a keyframe every `keyframe_every` frames.
pub(super) fn live_h264(keyframe_every: u32) -> Vec<String> {
    let keyframe_every = keyframe_every.to_string();
    [
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-tune",
        "zerolatency",
    ]
    .into_iter()
    .chain(["-g", &keyframe_every])
    .map(str::to_string)
    .collect()
}

/// A `width`×`height` PNG, as a picture someone uploads.
pub(super) fn png(width: u32, height: u32) -> Vec<u8> {
    let picture = image::RgbaImage::from_fn(width, height, |x, y| {
        image::Rgba([x as u8, y as u8, 200, 255])
    });
    let mut bytes = Vec::new();
    picture
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .unwrap();
    bytes
}
