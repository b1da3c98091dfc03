//! One RTMP publisher: handshake, connect to `live`, publish with a stream key, then the
//! file's tags in real time (looped, timestamps continuing) for the run's length.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rml_rtmp::handshake::{Handshake, HandshakeProcessResult, PeerType};
use rml_rtmp::sessions::{
    ClientSession, ClientSessionConfig, ClientSessionEvent, ClientSessionResult, PublishRequestType,
};
use rml_rtmp::time::RtmpTimestamp;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::SendTimes;
use crate::flv_file::Tag;

pub async fn publish(
    rtmp: SocketAddr,
    key: String,
    tags: Arc<Vec<Tag>>,
    run_for: Duration,
    send_times: Option<SendTimes>,
) -> Result<(), String> {
    let mut socket = TcpStream::connect(rtmp)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    socket.set_nodelay(true).ok();
    let mut buf = vec![0u8; 64 * 1024];

    let mut handshake = Handshake::new(PeerType::Client);
    let hello = handshake
        .generate_outbound_p0_and_p1()
        .map_err(|e| e.to_string())?;
    socket.write_all(&hello).await.map_err(|e| e.to_string())?;
    let leftover = loop {
        let n = read(&mut socket, &mut buf).await?;
        match handshake
            .process_bytes(&buf[..n])
            .map_err(|e| e.to_string())?
        {
            HandshakeProcessResult::InProgress { response_bytes } => {
                socket
                    .write_all(&response_bytes)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            HandshakeProcessResult::Completed {
                response_bytes,
                remaining_bytes,
            } => {
                socket
                    .write_all(&response_bytes)
                    .await
                    .map_err(|e| e.to_string())?;
                break remaining_bytes;
            }
        }
    };

    let (mut session, initial) =
        ClientSession::new(ClientSessionConfig::new()).map_err(|e| e.to_string())?;
    send(&mut socket, initial).await?;
    let connect = session
        .request_connection("live".into())
        .map_err(|e| e.to_string())?;
    send(&mut socket, vec![connect]).await?;
    let mut input = leftover;
    let mut asked_to_publish = false;
    loop {
        let results = session.handle_input(&input).map_err(|e| e.to_string())?;
        for result in results {
            match result {
                ClientSessionResult::OutboundResponse(packet) => {
                    socket
                        .write_all(&packet.bytes)
                        .await
                        .map_err(|e| e.to_string())?;
                }
                ClientSessionResult::RaisedEvent(ClientSessionEvent::ConnectionRequestAccepted)
                    if !asked_to_publish =>
                {
                    asked_to_publish = true;
                    let publish = session
                        .request_publishing(key.clone(), PublishRequestType::Live)
                        .map_err(|e| e.to_string())?;
                    send(&mut socket, vec![publish]).await?;
                }
                ClientSessionResult::RaisedEvent(ClientSessionEvent::PublishRequestAccepted) => {
                    return stream(&mut socket, &mut session, &tags, run_for, send_times).await;
                }
                ClientSessionResult::RaisedEvent(
                    ClientSessionEvent::ConnectionRequestRejected { description },
                ) => return Err(format!("refused: {description}")),
                _ => {}
            }
        }
        let n = read(&mut socket, &mut buf).await?;
        input = buf[..n].to_vec();
    }
}

/// Sends the tags at their times until `run_for` has passed.
async fn stream(
    socket: &mut TcpStream,
    session: &mut ClientSession,
    tags: &[Tag],
    run_for: Duration,
    send_times: Option<SendTimes>,
) -> Result<(), String> {
    let started = Instant::now();
    let loop_ms = tags.last().map_or(0, |t| t.timestamp_ms) + 33;
    // Drain what the server sends (acks, pings) so its writes never block.
    let (mut reader, mut writer) = socket.split();
    let drain = async {
        let mut buf = vec![0u8; 16 * 1024];
        while let Ok(n) = reader.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    };
    let send_all = async {
        for round in 0u32.. {
            for tag in tags {
                let ts = tag.timestamp_ms + round * loop_ms;
                let due = started + Duration::from_millis(u64::from(ts));
                if due.duration_since(started) >= run_for {
                    return Ok(());
                }
                tokio::time::sleep_until(due.into()).await;
                let stamp = RtmpTimestamp::new(ts);
                let packet = if tag.video {
                    session.publish_video_data(tag.body.clone(), stamp, false)
                } else {
                    session.publish_audio_data(tag.body.clone(), stamp, false)
                }
                .map_err(|e| e.to_string())?;
                let ClientSessionResult::OutboundResponse(packet) = packet else {
                    continue;
                };
                writer
                    .write_all(&packet.bytes)
                    .await
                    .map_err(|e| format!("send: {e}"))?;
                if tag.video
                    && let Some(times) = &send_times
                {
                    let keyframe = tag.body.first().is_some_and(|b| b >> 4 == 1);
                    times.lock().unwrap().insert(ts, (Instant::now(), keyframe));
                }
            }
        }
        Ok(())
    };
    tokio::select! {
        sent = send_all => sent,
        _ = drain => Err("the server closed the connection".into()),
    }
}

async fn send(socket: &mut TcpStream, results: Vec<ClientSessionResult>) -> Result<(), String> {
    for result in results {
        if let ClientSessionResult::OutboundResponse(packet) = result {
            socket
                .write_all(&packet.bytes)
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

async fn read(socket: &mut TcpStream, buf: &mut [u8]) -> Result<usize, String> {
    match tokio::time::timeout(Duration::from_secs(10), socket.read(buf)).await {
        Ok(Ok(0)) => Err("the server closed the connection".into()),
        Ok(Ok(n)) => Ok(n),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("no answer within 10 s".into()),
    }
}
