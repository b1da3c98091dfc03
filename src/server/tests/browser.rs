//! Going live from the studio page, over its publish socket, with real ffmpeg on both ends: one
//! records WebM (H.264 + Opus, as Chromium's MediaRecorder does) and a WebSocket client sends
//! it in chunks; the server remuxes it into the channel's stream.

use std::process::Stdio;

use futures::{SinkExt, StreamExt};
use tokio::io::AsyncReadExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::support::{SERIAL, decoded_frames, media_count, read_events, start_server_with};
use super::support::{live_h264, signed_up_session};
use crate::broadcasts::api::EndReason;
use crate::live::wire::InitEvent;

/// The upgrade request for `channel`'s publish socket, as the studio page sends it.
fn upgrade(
    addr: std::net::SocketAddr,
    channel: &str,
    cookie: Option<&str>,
) -> reqwest::RequestBuilder {
    let mut request = reqwest::Client::new()
        .get(format!(
            "http://{addr}/live/{channel}/publish?video=h264&source=camera"
        ))
        .header("connection", "Upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==");
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request
}

async fn open_socket(
    addr: std::net::SocketAddr,
    channel: &str,
    cookie: &str,
    video: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let url = format!("ws://{addr}/live/{channel}/publish?video={video}&source=camera");
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("cookie", cookie.parse().unwrap());
    tokio_tungstenite::connect_async(request)
        .await
        .expect("the owner's socket opens")
        .0
}

/// What the studio page records where the browser offers H.264 (as Chromium does).
fn h264_as_chromium() -> Vec<String> {
    live_h264(30)
}

/// A recorder sending to a publish socket; both stop when it drops (the socket as if the
/// network went, without a close), or as the page's Stop does ([`PageRecording::stop`]).
struct PageRecording(
    tokio::process::Child,
    tokio::task::JoinHandle<()>,
    Option<tokio::sync::oneshot::Sender<()>>,
);

impl PageRecording {
    /// The studio page's Stop: the socket closes with the broadcaster's own code.
    async fn stop(mut self) {
        if let Some(stop) = self.2.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.1).await;
    }
}

impl Drop for PageRecording {
    fn drop(&mut self) {
        self.1.abort();
        let _ = self.0.start_kill();
    }
}

/// Records the live test pattern to WebM with `video_codec` (and Opus) and sends it over the
/// channel's publish socket in chunks as they are made, as the studio page does; the recorder
/// and the sending stop when the returned guard drops. The first byte goes alone, as
/// Chromium's recorder of a shared screen was seen to send it: the server must not need the
/// WebM signature in one piece.
async fn publish_webm(
    addr: std::net::SocketAddr,
    channel: &str,
    cookie: &str,
    video: &str,
    video_codec: &[impl AsRef<std::ffi::OsStr>],
) -> PageRecording {
    let mut recorder = tokio::process::Command::new("ffmpeg")
        .args(crate::live::testing::live_test_pattern_input(30))
        .args(video_codec)
        .args([
            "-pix_fmt", "yuv420p", "-c:a", "libopus", "-f", "matroska", "-live", "1", "pipe:1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("ffmpeg is installed");
    let mut webm = recorder.stdout.take().unwrap();
    let mut socket = open_socket(addr, channel, cookie, video).await;
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let send = tokio::spawn(async move {
        let mut buf = vec![0u8; 32 * 1024];
        let mut first = true;
        loop {
            let n = tokio::select! {
                _ = &mut stopped => {
                    let frame = tokio_tungstenite::tungstenite::protocol::CloseFrame {
                        code: crate::ingest::api::STOPPED_BY_BROADCASTER.into(),
                        reason: "stopped".into(),
                    };
                    let _ = socket.send(Message::Close(Some(frame))).await;
                    return;
                }
                read = webm.read(&mut buf) => match read {
                    Ok(n) if n > 0 => n,
                    _ => return,
                },
            };
            if std::mem::take(&mut first) && n > 1 {
                if socket
                    .send(Message::binary(buf[..1].to_vec()))
                    .await
                    .is_err()
                {
                    return;
                }
                buf.copy_within(1..n, 0);
                if socket
                    .send(Message::binary(buf[..n - 1].to_vec()))
                    .await
                    .is_err()
                {
                    return;
                }
                continue;
            }
            if socket
                .send(Message::binary(buf[..n].to_vec()))
                .await
                .is_err()
            {
                return;
            }
        }
    });
    PageRecording(recorder, send, Some(stop))
}

/// Watches `channel` until 15 media events have come; its stream is H.264 and AAC, what every
/// viewer's browser plays.
async fn watch_h264_aac(base: &str, channel: &str) -> Vec<super::support::Received> {
    let (_, events) = read_events(&format!("{base}/live/{channel}/events"), None, |e| {
        media_count(e) >= 15
    })
    .await;
    let init = events.iter().find(|e| e.name == "init").expect("an init");
    let init: InitEvent = serde_json::from_str(&init.data).unwrap();
    assert!(
        init.mime.contains("avc1") && init.mime.contains("mp4a"),
        "{}",
        init.mime
    );
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_owner_opens_the_publish_socket_from_this_site_and_only_one_at_a_time() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let base = format!("http://{}", server.addr);
    let gus = signed_up_session(&base, "gus").await;
    let hal = signed_up_session(&base, "hal").await;

    let status = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(
        status(upgrade(server.addr, "gus", None).send().await.unwrap()),
        401
    );
    assert_eq!(
        status(
            upgrade(server.addr, "gus", Some(&hal))
                .send()
                .await
                .unwrap()
        ),
        403
    );
    let foreign = upgrade(server.addr, "gus", Some(&gus)).header("origin", "https://evil.example");
    assert_eq!(status(foreign.send().await.unwrap()), 403);

    let first = open_socket(server.addr, "gus", &gus, "h264").await;
    let second = upgrade(server.addr, "gus", Some(&gus))
        .send()
        .await
        .unwrap();
    assert_eq!(second.status().as_u16(), 409);
    assert!(second.text().await.unwrap().contains("already streaming"));
    drop(first);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webm_recording_goes_live_and_bytes_that_are_not_webm_are_refused() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let base = format!("http://{}", server.addr);
    let ivy = signed_up_session(&base, "ivy").await;

    // Not WebM: closed with 1008 and the reason, which the studio page shows.
    let mut socket = open_socket(server.addr, "ivy", &ivy, "h264").await;
    socket.send(Message::binary(vec![0u8; 1000])).await.unwrap();
    let close = loop {
        match socket.next().await {
            Some(Ok(Message::Close(frame))) => break frame.expect("a close frame"),
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(u16::from(close.code), 1008);
    assert!(close.reason.contains("not WebM"), "{}", close.reason);

    // WebM as Chromium records it, sent in chunks as they are made.
    let publishing = publish_webm(server.addr, "ivy", &ivy, "h264", &h264_as_chromium()).await;
    watch_h264_aac(&base, "ivy").await;
    let body = serde_json::json!({ "channel": "ivy" });
    let client = reqwest::Client::new();
    let status: crate::broadcasts::api::StudioStatus = client
        .post(format!("{base}/api/broadcast_state"))
        .header("cookie", &ivy)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status.on_air.unwrap().source, "camera (browser)");
    drop(publishing);
    server.shutdown().await.unwrap();
}

/// Issue 31: the studio page's Stop closes its socket with the broadcaster's own code: viewers
/// are told the broadcast ended at once, with no grace period, and the record says who ended
/// it. (A socket that drops instead is waited for: `a_webm_recording_goes_live…`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_studio_pages_stop_ends_the_broadcast_at_once() {
    use eventsource_stream::Eventsource;

    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let base = format!("http://{}", server.addr);
    let lia = signed_up_session(&base, "lia").await;
    let mut events = reqwest::get(format!("{base}/live/lia/events"))
        .await
        .unwrap()
        .bytes_stream()
        .eventsource();
    let publishing = publish_webm(server.addr, "lia", &lia, "h264", &h264_as_chromium()).await;
    super::support::next_event(&mut events, "media").await;
    let stopped_at = std::time::Instant::now();
    publishing.stop().await;
    let status = loop {
        let event = super::support::next_event(&mut events, "status").await;
        let status: crate::live::wire::StatusEvent = serde_json::from_str(&event.data).unwrap();
        if status.state != crate::live::wire::ChannelState::Live {
            break status;
        }
    };
    let took = stopped_at.elapsed();
    assert_eq!(
        status.state,
        crate::live::wire::ChannelState::Offline,
        "ended, not reconnecting"
    );
    assert!(took < std::time::Duration::from_secs(1), "{took:?}");
    let last = super::support::recorded_end(&server.db, "lia").await;
    assert_eq!(last.end_reason, EndReason::StoppedByBroadcaster);
    server.shutdown().await.unwrap();
}

/// The size of the video in `events` (init and media), as ffprobe reads it.
fn video_size(events: &[super::support::Received]) -> (u32, u32) {
    let init = events.iter().find(|e| e.name == "init").expect("an init");
    let mut file = super::support::init_bytes(init);
    for event in events.iter().filter(|e| e.name == "media") {
        file.extend(super::support::decode(&event.data));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("received.mp4");
    std::fs::write(&path, &file).unwrap();
    let probe = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=width,height", "-of", "csv=p=0"])
        .arg(&path)
        .output()
        .expect("ffprobe is installed");
    let out = String::from_utf8_lossy(&probe.stdout).trim().to_string();
    let (w, h) = out.split_once(',').expect("width,height");
    (w.parse().unwrap(), h.parse().unwrap())
}

/// Issue 25, item 5: any account can share a 5K screen (or push a WebM declaring an absurd
/// size). The server encodes it at most at the broadcast's size (320x180 in the tests),
/// keeping its shape, instead of at the size pushed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5k_screen_is_encoded_at_most_at_the_broadcast_size() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let base = format!("http://{}", server.addr);
    let kim = signed_up_session(&base, "kim").await;
    let publishing = publish_webm(
        server.addr,
        "kim",
        &kim,
        "other",
        &[
            "-vf",
            "scale=5120:2880",
            "-r",
            "2",
            "-c:v",
            "libvpx",
            "-deadline",
            "realtime",
            "-cpu-used",
            "16",
            "-g",
            "2",
            "-b:v",
            "1M",
        ],
    )
    .await;
    let (_, events) = read_events(&format!("{base}/live/kim/events"), None, |e| {
        media_count(e) >= 3
    })
    .await;
    let (width, height) = video_size(&events);
    assert!(width <= 320 && height <= 180, "{width}x{height}");
    assert_eq!((width, height), (320, 180), "16:9 kept");
    drop(publishing);
    server.shutdown().await.unwrap();
}

/// A browser that records only VP8 (Firefox, Chromium without H.264): the studio says
/// `video=other` and the server re-encodes to H.264, which every viewer's browser plays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vp8_recording_is_reencoded_to_h264_that_viewers_decode() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let base = format!("http://{}", server.addr);
    let joy = signed_up_session(&base, "joy").await;
    let publishing = publish_webm(
        server.addr,
        "joy",
        &joy,
        "other",
        &[
            "-c:v",
            "libvpx",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            "-g",
            "30",
            "-b:v",
            "500k",
        ],
    )
    .await;
    let events = watch_h264_aac(&base, "joy").await;
    let frames = decoded_frames(&events);
    assert!(frames >= 15, "only {frames} frames decode");
    drop(publishing);
    server.shutdown().await.unwrap();
}
