//! Watches the published channel's SSE stream and times each video frame: the arrival of the
//! fragment that holds it minus the moment its RTMP message was sent.

use std::time::{Duration, Instant};

use base64::Engine as _;
use mp4_atom::{Decode, FourCC, Moof, Moov};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::SendTimes;
use crate::chunked::Dechunker;

pub async fn watch(
    url: String,
    send_times: SendTimes,
    settle: Duration,
    run_for: Duration,
) -> Result<String, String> {
    let rest = url.strip_prefix("http://").ok_or("http:// URLs only")?;
    let (host, path) = rest.split_once('/').ok_or("no path")?;
    let mut socket = TcpStream::connect(host).await.map_err(|e| e.to_string())?;
    let request =
        format!("GET /{path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n");
    socket
        .write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;

    let started = Instant::now();
    let mut head = Vec::new();
    let mut body = Vec::new();
    let mut dechunker = Dechunker::new();
    let mut track: Option<(u32, u32)> = None;
    let mut frames_ms: Vec<f64> = Vec::new();
    let mut firsts_ms: Vec<f64> = Vec::new();
    let mut unmatched = 0usize;
    let mut fragments = 0usize;
    let mut offset: Option<i64> = None;
    let mut buf = vec![0u8; 256 * 1024];
    while started.elapsed() < run_for && !dechunker.done() {
        let n = match tokio::time::timeout(Duration::from_secs(5), socket.read(&mut buf)).await {
            Ok(Ok(0)) | Err(_) => break,
            Ok(Ok(n)) => n,
            Ok(Err(e)) => return Err(e.to_string()),
        };
        let arrived = Instant::now();
        let mut input = &buf[..n];
        if head.is_empty() || !head.ends_with(b"\r\n\r\n") {
            let at = input.windows(4).position(|w| w == b"\r\n\r\n");
            match at {
                Some(at) => {
                    head.extend_from_slice(&input[..at + 4]);
                    input = &input[at + 4..];
                }
                None => {
                    head.extend_from_slice(input);
                    continue;
                }
            }
        }
        dechunker
            .feed(input, |bytes| body.extend_from_slice(bytes))
            .map_err(|_| "bad chunked body")?;
        while let Some(end) = body.windows(2).position(|w| w == b"\n\n") {
            let event: Vec<u8> = body.drain(..end + 2).collect();
            let text = String::from_utf8_lossy(&event);
            let name = text
                .lines()
                .find_map(|l| l.strip_prefix("event: "))
                .unwrap_or("");
            let Some(data) = text.lines().find_map(|l| l.strip_prefix("data: ")) else {
                continue;
            };
            match name {
                "init" => track = video_track(data),
                "media" if started.elapsed() >= settle => {
                    let Some((id, timescale)) = track else {
                        continue;
                    };
                    let Some(times) = frame_times_ms(data, id, timescale) else {
                        continue;
                    };
                    fragments += 1;
                    let sent = send_times.lock().unwrap();
                    // ffmpeg may start its output timeline off the input's: find the shift once,
                    // on a fragment with a keyframe, as the smallest one that lines up every
                    // frame with a send and the keyframe with a keyframe.
                    if offset.is_none() && times.iter().any(|(_, sync)| *sync) {
                        offset = (0i64..=500).flat_map(|o| [o, -o]).find(|o| {
                            times.iter().all(|(ms, sync)| {
                                sent.get(&((i64::from(*ms) + o) as u32))
                                    .is_some_and(|(_, key)| key == sync)
                            })
                        });
                    }
                    let Some(shift) = offset else { continue };
                    for (i, (ms, _)) in times.iter().enumerate() {
                        match sent.get(&((i64::from(*ms) + shift) as u32)) {
                            Some((at, _)) => {
                                let delay = arrived.duration_since(*at).as_secs_f64() * 1000.0;
                                frames_ms.push(delay);
                                if i == 0 {
                                    firsts_ms.push(delay);
                                }
                            }
                            None => unmatched += 1,
                        }
                    }
                }
                _ => {}
            }
        }
    }
    Ok(format!(
        "send → fragment on SSE, over {fragments} fragments: every frame {}; the first frame \
         of each fragment (its longest wait) {}; {unmatched} frames not matched to a send \
         (output timeline shifted {} ms from the input's)",
        summary(&mut frames_ms),
        summary(&mut firsts_ms),
        offset.unwrap_or(0)
    ))
}

fn summary(values: &mut [f64]) -> String {
    if values.is_empty() {
        return "no samples".into();
    }
    values.sort_by(f64::total_cmp);
    let at = |p: f64| values[((values.len() - 1) as f64 * p).round() as usize];
    format!(
        "n {} p50 {:.0} p90 {:.0} p99 {:.0} max {:.0} ms",
        values.len(),
        at(0.5),
        at(0.9),
        at(0.99),
        values[values.len() - 1]
    )
}

/// The init event's video track: its id and timescale.
fn video_track(data: &str) -> Option<(u32, u32)> {
    let init: serde_json::Value = serde_json::from_str(data).ok()?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(init["data"].as_str()?)
        .ok()?;
    let moov = boxes(&bytes).find(|(kind, _)| kind == b"moov")?.1;
    let moov = Moov::decode(&mut &moov[..]).ok()?;
    let trak = moov
        .trak
        .iter()
        .find(|t| t.mdia.hdlr.handler == FourCC::new(b"vide"))?;
    Some((trak.tkhd.track_id, trak.mdia.mdhd.timescale))
}

/// The media times (ms) of the video frames in a media event's fragment, each with whether it
/// is a sync sample (keyframe).
fn frame_times_ms(data: &str, track: u32, timescale: u32) -> Option<Vec<(u32, bool)>> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .ok()?;
    let moof = boxes(&bytes).find(|(kind, _)| kind == b"moof")?.1;
    let moof = Moof::decode(&mut &moof[..]).ok()?;
    let traf = moof.traf.iter().find(|t| t.tfhd.track_id == track)?;
    let mut t = traf.tfdt.as_ref()?.base_media_decode_time;
    let mut times = Vec::new();
    for trun in &traf.trun {
        for entry in &trun.entries {
            let flags = entry.flags.or(traf.tfhd.default_sample_flags).unwrap_or(0);
            let sync = flags & 0x0001_0000 == 0;
            times.push(((t * 1000 / u64::from(timescale)) as u32, sync));
            t += u64::from(entry.duration.or(traf.tfhd.default_sample_duration)?);
        }
    }
    Some(times)
}

/// Top-level boxes: (kind, whole box bytes).
fn boxes(bytes: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let header = bytes.get(at..at + 8)?;
        let size = u32::from_be_bytes(header[..4].try_into().ok()?) as usize;
        let kind: [u8; 4] = header[4..8].try_into().ok()?;
        let whole = bytes.get(at..at + size.max(8))?;
        at += size.max(8);
        Some((kind, whole))
    })
}
