//! `GET /live/{channel}/thumbnail.jpg`: a small picture of what a live channel shows now, for
//! the directory. Made from the hub's newest keyframe by one short ffmpeg run (no shell, fixed
//! arguments, input on stdin), at most once per channel every `FRESH_FOR`; requests in between,
//! or arriving while one is made, share the result.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

use super::AppState;

const FRESH_FOR: Duration = Duration::from_secs(10);
const WIDTH: u32 = 320;
const ENCODE_TIMEOUT: Duration = Duration::from_secs(5);

/// One channel's last picture and when it was made. The async mutex makes one request do the
/// work while others wait for it.
type Slot = Arc<tokio::sync::Mutex<Option<(Instant, Bytes)>>>;

/// The pictures by channel.
#[derive(Clone, Default)]
pub struct Thumbnails {
    by_channel: Arc<Mutex<HashMap<String, Slot>>>,
}

pub async fn thumbnail(State(state): State<AppState>, Path(channel): Path<String>) -> Response {
    let Some(found) = state.channels.get(&channel) else {
        return (StatusCode::NOT_FOUND, "no such channel").into_response();
    };
    let slot = {
        let mut by_channel = state
            .thumbnails
            .by_channel
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        by_channel.entry(channel).or_default().clone()
    };
    let mut cached = slot.lock().await;
    let fresh = cached
        .as_ref()
        .filter(|(made, _)| made.elapsed() < FRESH_FOR)
        .map(|(_, jpeg)| jpeg.clone());
    let jpeg = match fresh {
        Some(jpeg) => jpeg,
        None => {
            let Some((init, keyframe)) = found.hub.snapshot() else {
                return (StatusCode::NOT_FOUND, "the channel is not live").into_response();
            };
            match encode(&state.settings.ffmpeg.path, init, keyframe).await {
                Ok(jpeg) => {
                    *cached = Some((Instant::now(), jpeg.clone()));
                    jpeg
                }
                Err(err) => {
                    tracing::warn!(%err, "thumbnail failed");
                    return (StatusCode::SERVICE_UNAVAILABLE, "no picture right now")
                        .into_response();
                }
            }
        }
    };
    (
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "max-age=10"),
        ],
        jpeg,
    )
        .into_response()
}

/// Decodes the first frame of init + keyframe fragment into a JPEG `WIDTH` pixels wide.
async fn encode(ffmpeg: &str, init: Bytes, keyframe: Bytes) -> Result<Bytes, String> {
    let scale = format!("scale={WIDTH}:-2");
    let mut child = Command::new(ffmpeg)
        .args([
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-f",
            "mp4",
            "-i",
            "pipe:0",
        ])
        .args([
            "-frames:v",
            "1",
            "-vf",
            &scale,
            "-q:v",
            "5",
            "-f",
            "image2",
            "-c:v",
            "mjpeg",
            "pipe:1",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start {ffmpeg}: {e}"))?;
    let (Some(mut stdin), Some(mut stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return Err("ffmpeg has no pipes".into());
    };
    let run = async {
        let feed = async move {
            stdin.write_all(&init).await?;
            stdin.write_all(&keyframe).await
            // stdin drops here: ffmpeg sees the end of its input.
        };
        let mut jpeg = Vec::new();
        let (fed, read) = tokio::join!(feed, stdout.read_to_end(&mut jpeg));
        read.map_err(|e| format!("reading the picture: {e}"))?;
        let status = child.wait().await.map_err(|e| e.to_string())?;
        match (status.success(), jpeg.starts_with(&[0xff, 0xd8])) {
            (true, true) => Ok(Bytes::from(jpeg)),
            _ => Err(format!(
                "ffmpeg made no picture ({status}, input {})",
                if fed.is_ok() { "sent" } else { "cut" }
            )),
        }
    };
    tokio::time::timeout(ENCODE_TIMEOUT, run)
        .await
        .map_err(|_| "ffmpeg took too long".to_string())?
}
