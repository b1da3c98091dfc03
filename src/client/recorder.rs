//! The studio's own broadcast: the camera (or the screen) and the microphone, recorded as WebM
//! in 200 ms slices with a keyframe every second, sent over a WebSocket (gloo-net) to
//! `/live/{channel}/publish`. When the socket drops, it reconnects by itself (a new recorder,
//! so the server gets a new WebM header) until the server's grace period is over.

use std::time::Duration;

use futures::channel::{mpsc, oneshot};
use futures::future::{FutureExt, Shared};
use futures::{SinkExt, StreamExt};
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::{Message, WebSocketError};
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::ingest::api::{Capture, STOPPED_BY_BROADCASTER};
use web_sys::{
    Blob, BlobEvent, DisplayMediaStreamConstraints, MediaRecorder, MediaRecorderOptions,
    MediaStream, MediaStreamConstraints, MediaStreamTrack,
};

/// Recorder time slice: how often a chunk goes out.
const SLICE_MS: i32 = 200;
/// Give up reconnecting after this long (the server waits 10 s by default).
const RECONNECT_FOR: Duration = Duration::from_secs(10);
/// The recorder's video bitrate to start with, and the least it is lowered to.
const START_KBPS: u32 = 2500;
const MIN_KBPS: u32 = 300;
/// Seconds of recording sent but not yet arrived at the server (or waiting in the socket's
/// buffer) that mean the uplink cannot keep up.
const BACKLOG_SECS: u32 = 2;

/// What the recording is doing, for the studio to show.
#[derive(Clone, Debug, PartialEq)]
pub enum RecordingState {
    Connecting,
    Live,
    /// The socket dropped; trying again.
    Reconnecting(String),
    /// The uplink could not keep up: going on at this lower video bitrate (kbit/s).
    Lowered(u32),
    /// Over: stopped, or could not go on (the reason).
    Ended(Option<String>),
}

/// A camera or microphone the browser offers: its id and its label (empty until access is
/// granted once).
#[derive(Clone, Debug, PartialEq)]
pub struct Device {
    pub id: String,
    pub label: String,
}

/// The cameras and microphones this browser offers.
pub async fn devices() -> (Vec<Device>, Vec<Device>) {
    let mut cameras = Vec::new();
    let mut microphones = Vec::new();
    let Some(media) = web_sys::window().and_then(|w| w.navigator().media_devices().ok()) else {
        return (cameras, microphones);
    };
    let Ok(promise) = media.enumerate_devices() else {
        return (cameras, microphones);
    };
    let Ok(list) = JsFuture::from(promise).await else {
        return (cameras, microphones);
    };
    for info in js_sys::Array::from(&list).iter() {
        let info: web_sys::MediaDeviceInfo = info.unchecked_into();
        let device = Device {
            id: info.device_id(),
            label: info.label(),
        };
        match info.kind() {
            web_sys::MediaDeviceKind::Videoinput => cameras.push(device),
            web_sys::MediaDeviceKind::Audioinput => microphones.push(device),
            _ => {}
        }
    }
    (cameras, microphones)
}

/// `true`, or `{ deviceId: { exact: id } }` for a chosen device.
fn device_constraint(id: Option<&str>) -> JsValue {
    let Some(id) = id.filter(|id| !id.is_empty()) else {
        return JsValue::TRUE;
    };
    let exact = js_sys::Object::new();
    let _ = Reflect::set(&exact, &"exact".into(), &id.into());
    let constraint = js_sys::Object::new();
    let _ = Reflect::set(&constraint, &"deviceId".into(), &exact);
    constraint.into()
}

/// Asks for the camera and microphone (the chosen ones, or the browser's defaults), or the
/// screen (with the microphone if allowed). Refusals come back as a message saying what to do.
pub async fn capture(
    what: Capture,
    camera: Option<&str>,
    microphone: Option<&str>,
) -> Result<MediaStream, String> {
    let devices = web_sys::window()
        .and_then(|w| w.navigator().media_devices().ok())
        .ok_or("This page cannot use a camera here: open it over HTTPS (or on localhost) in a recent Chrome, Edge or Firefox.")?;
    let promise = match what {
        Capture::Camera => {
            let constraints = MediaStreamConstraints::new();
            constraints.set_video(&device_constraint(camera));
            constraints.set_audio(&device_constraint(microphone));
            devices.get_user_media_with_constraints(&constraints)
        }
        Capture::Screen => {
            let constraints = DisplayMediaStreamConstraints::new();
            constraints.set_video(&JsValue::TRUE);
            devices.get_display_media_with_constraints(&constraints)
        }
    }
    .map_err(|err| refusal(what, &err))?;
    let stream: MediaStream = JsFuture::from(promise)
        .await
        .map_err(|err| refusal(what, &err))?
        .unchecked_into();
    if what == Capture::Screen {
        // The microphone as well, if there is one and it is allowed; the screen alone if not.
        let constraints = MediaStreamConstraints::new();
        constraints.set_audio(&device_constraint(microphone));
        if let Ok(promise) = devices.get_user_media_with_constraints(&constraints)
            && let Ok(mic) = JsFuture::from(promise).await
        {
            let mic: MediaStream = mic.unchecked_into();
            for track in mic.get_audio_tracks().iter() {
                stream.add_track(&track.unchecked_into());
            }
        }
    }
    Ok(stream)
}

/// What a refused capture means for the user.
fn refusal(what: Capture, err: &JsValue) -> String {
    let name = Reflect::get(err, &"name".into())
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    match (what, name.as_str()) {
        (Capture::Camera, "NotAllowedError") => "Camera and microphone access was denied. Allow them for this site (the icon in the address bar), then press Go live again.".into(),
        (Capture::Screen, "NotAllowedError") => "Screen sharing was cancelled or denied. Press Go live and pick a screen, window or tab to share.".into(),
        (_, "NotFoundError") => "No camera or microphone was found. Connect one, or pick Screen.".into(),
        (_, "NotReadableError") => "The camera or microphone is in use by another program. Close it, then try again.".into(),
        _ => format!("The browser refused to capture ({name}). Try a recent Chrome, Edge or Firefox."),
    }
}

/// Mutes or unmutes the stream's microphone.
pub fn set_microphone(stream: &MediaStream, on: bool) {
    for track in stream.get_audio_tracks().iter() {
        track.unchecked_into::<MediaStreamTrack>().set_enabled(on);
    }
}

/// Stops every track (the camera light goes off).
pub fn release(stream: &MediaStream) {
    for track in stream.get_tracks().iter() {
        track.unchecked_into::<MediaStreamTrack>().stop();
    }
}

/// The WebM type this browser records: H.264 + Opus where offered, VP8 + Opus otherwise.
fn recording_type() -> Option<(&'static str, bool)> {
    [
        ("video/webm;codecs=h264,opus", true),
        ("video/webm;codecs=avc1,opus", true),
        ("video/webm;codecs=vp8,opus", false),
        ("video/webm;codecs=vp9,opus", false),
    ]
    .into_iter()
    .find(|(mime, _)| MediaRecorder::is_type_supported(mime))
}

/// A recording in progress; dropping it does not stop it, [`Recording::stop`] does.
pub struct Recording {
    stop: Option<oneshot::Sender<()>>,
}

impl Recording {
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts sending `stream` to `channel`'s publish socket; `on_state` hears how it goes.
pub fn start(
    channel: &str,
    what: Capture,
    stream: MediaStream,
    on_state: impl Fn(RecordingState) + 'static,
) -> Result<Recording, String> {
    let (mime, h264) = recording_type()
        .ok_or("This browser cannot record WebM video: use a recent Chrome, Edge or Firefox.")?;
    let location = web_sys::window().ok_or("no window")?.location();
    let scheme = if location.protocol().ok().as_deref() == Some("https:") {
        "wss"
    } else {
        "ws"
    };
    let host = location.host().map_err(|_| "no host")?;
    // This recording's tag: its later sockets (after a drop, or at a lower bitrate) take over
    // from its earlier ones at once, even before the server notices an old one is gone.
    let tag: String = (0..4)
        .map(|_| format!("{:08x}", (js_sys::Math::random() * 4_294_967_296.0) as u32))
        .collect();
    let url = format!(
        "{scheme}://{host}/live/{channel}/publish?video={}&source={}&recording={tag}",
        if h264 { "h264" } else { "other" },
        what.key(),
    );
    let (stop, stopped) = oneshot::channel();
    let stopped = stopped.shared();
    wasm_bindgen_futures::spawn_local(async move {
        let mut dropped_at: Option<f64> = None;
        let mut kbps = START_KBPS;
        // Whether the last socket got the recording through (then a drop starts a new wait).
        let delivered = std::cell::Cell::new(false);
        loop {
            on_state(if dropped_at.is_some() {
                RecordingState::Reconnecting("connection lost".into())
            } else {
                RecordingState::Connecting
            });
            let sent = send(
                &url,
                &stream,
                mime,
                kbps,
                stopped.clone(),
                &on_state,
                &delivered,
            );
            match sent.await {
                Ok(()) => {
                    on_state(RecordingState::Ended(None));
                    break;
                }
                Err(Failure::Refused(why)) => {
                    on_state(RecordingState::Ended(Some(why)));
                    break;
                }
                Err(Failure::Backlog) => {
                    // A new recorder at a lower rate, on a new socket: what was stuck in the
                    // old one's buffer is dropped instead of delaying everything after it.
                    kbps = (kbps * 3 / 5).max(MIN_KBPS);
                    on_state(RecordingState::Lowered(kbps));
                    dropped_at = None;
                }
                Err(Failure::Dropped(why)) => {
                    let now = js_sys::Date::now();
                    if delivered.replace(false) {
                        dropped_at = None;
                    }
                    let since = *dropped_at.get_or_insert(now);
                    if now - since > RECONNECT_FOR.as_millis() as f64 {
                        on_state(RecordingState::Ended(Some(format!(
                            "The connection to the server was lost ({why})."
                        ))));
                        break;
                    }
                    on_state(RecordingState::Reconnecting(why));
                    let wait = futures::future::select(Box::pin(sleep(1000)), stopped.clone());
                    if matches!(wait.await, futures::future::Either::Right(_)) {
                        on_state(RecordingState::Ended(None));
                        break;
                    }
                }
            }
        }
        release(&stream);
    });
    Ok(Recording { stop: Some(stop) })
}

enum Failure {
    /// The server refused or ended the recording: do not retry.
    Refused(String),
    /// More than [`BACKLOG_SECS`] of recording waited in the socket's buffer.
    Backlog,
    /// The connection dropped: try again.
    Dropped(String),
}

/// One socket's life: a fresh recorder, its chunks sent as they come, until the user stops
/// (Ok), the server closes (Ok for a normal close, Refused otherwise) or the socket drops.
async fn send(
    url: &str,
    stream: &MediaStream,
    mime: &str,
    kbps: u32,
    stopped: Shared<oneshot::Receiver<()>>,
    on_state: &impl Fn(RecordingState),
    delivered: &std::cell::Cell<bool>,
) -> Result<(), Failure> {
    // gloo-net's socket over our own handle, whose buffered amount tells when the uplink lags.
    let raw =
        web_sys::WebSocket::new(url).map_err(|_| Failure::Dropped("cannot connect".into()))?;
    let socket = WebSocket::try_from(raw.clone()).map_err(|e| Failure::Dropped(e.to_string()))?;
    let (mut to_server, from_server) = socket.split();
    let options = MediaRecorderOptions::new();
    options.set_mime_type(mime);
    options.set_video_bits_per_second(kbps * 1000);
    options.set_audio_bits_per_second(128_000);
    // Chromium's option for a keyframe every second (not in web-sys yet).
    let _ = Reflect::set(
        options.as_ref(),
        &"videoKeyFrameIntervalDuration".into(),
        &1000.into(),
    );
    let recorder =
        MediaRecorder::new_with_media_stream_and_media_recorder_options(stream, &options)
            .map_err(|_| Failure::Refused("This browser cannot record this stream.".into()))?;
    let (chunks_in, mut chunks) = mpsc::unbounded::<Blob>();
    let on_data = Closure::<dyn FnMut(BlobEvent)>::new(move |event: BlobEvent| {
        if let Some(blob) = event.data() {
            let _ = chunks_in.unbounded_send(blob);
        }
    });
    recorder.set_ondataavailable(Some(on_data.as_ref().unchecked_ref()));
    // Chunks wait in the channel until the socket is open (the first send waits for it).
    recorder
        .start_with_time_slice(SLICE_MS)
        .map_err(|_| Failure::Refused("The browser could not start recording.".into()))?;
    let mut first = true;
    // Chunks sent, and how many the server says have arrived: their difference is how far
    // behind the recording the upload is, wherever the bytes wait (our socket's buffer, the
    // kernel's, the network's).
    let (mut sent, mut arrived) = (0u64, 0u64);
    let mut stopped = stopped.fuse();
    let mut from_server = from_server.fuse();
    let outcome = loop {
        futures::select! {
            _ = stopped => {
                // The broadcaster's Stop: the server ends the broadcast at once (any other
                // close is a drop it waits for).
                let _ = raw.close_with_code_and_reason(STOPPED_BY_BROADCASTER, "stopped");
                break Ok(());
            }
            message = from_server.next() => break match message {
                None => Err(Failure::Dropped("the connection closed".into())),
                Some(Err(WebSocketError::ConnectionClose(close))) if close.code == 1000 => Ok(()),
                Some(Err(WebSocketError::ConnectionClose(close))) if close.code == 1008 || !close.reason.is_empty() => {
                    Err(Failure::Refused(close.reason))
                }
                Some(Err(err)) => Err(Failure::Dropped(err.to_string())),
                Some(Ok(Message::Text(count))) => {
                    arrived = count.trim().parse().unwrap_or(arrived);
                    continue;
                }
                Some(Ok(_)) => continue,
            },
            blob = chunks.next() => {
                let Some(blob) = blob else { break Err(Failure::Dropped("the recorder stopped".into())) };
                let Ok(buffer) = JsFuture::from(blob.array_buffer()).await else { continue };
                let bytes = Uint8Array::new(&buffer).to_vec();
                if let Err(err) = to_server.send(Message::Bytes(bytes)).await {
                    break Err(Failure::Dropped(err.to_string()));
                }
                sent += 1;
                let waiting_ms = sent.saturating_sub(arrived) * SLICE_MS as u64;
                if waiting_ms > u64::from(BACKLOG_SECS) * 1000
                    || raw.buffered_amount() > (kbps + 128) * 125 * BACKLOG_SECS
                {
                    break Err(Failure::Backlog);
                }
                if first {
                    first = false;
                    delivered.set(true);
                    on_state(RecordingState::Live);
                }
            }
            complete => break Ok(()),
        }
    };
    if recorder.state() != web_sys::RecordingState::Inactive {
        let _ = recorder.stop();
    }
    recorder.set_ondataavailable(None);
    drop(on_data);
    outcome
}

/// Resolves after `ms` milliseconds.
async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}
