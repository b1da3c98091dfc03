//! Issue 25 on the ports publishers use: what one RTMP peer or one account's browser can send,
//! and what holds afterwards. Real ffmpeg publishes; attackers speak raw RTMP after a real
//! handshake.

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

use super::ingest::{broadcaster, handshaken, publish};
use super::support::{SERIAL, encoders, eventually, media_count, read_events, start_server_with};

/// One RTMP message of `kind` on message stream `stream`, in a single chunk (the peer set the
/// chunk size to its maximum first).
fn one_chunk(kind: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut out = vec![0x08, 0, 0, 0];
    out.extend(&len.to_be_bytes()[1..]);
    out.push(kind);
    out.extend(stream.to_le_bytes());
    out.extend(payload);
    out
}

/// Set Chunk Size to 0x7FFFFFFF: every later message is one chunk.
const HUGE_CHUNKS: [u8; 16] = [
    0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF,
];

/// Whether the server closed `socket` within `within` (reading and dropping what it sends).
async fn is_closed_within(mut socket: TcpStream, within: Duration) -> bool {
    let mut buf = vec![0u8; 65536];
    tokio::time::timeout(within, async {
        loop {
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

/// Writes `bytes`, ignoring a server that hangs up part way.
async fn send(socket: &mut TcpStream, bytes: &[u8]) {
    let _ = socket.write_all(bytes).await;
}

/// Items 1 and 2, before any key: a megabyte of nested strict arrays (which overflowed the
/// stack of the AMF0 decoder we used, aborting the whole process), the same with nested
/// objects, and a 16 MiB strict array of one-byte nulls (about 1 GB decoded). Each connection
/// is closed; the server stays up and a real publisher still goes live.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_rtmp_message_cannot_take_the_server_down_or_fill_it() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let rtmp = server.rtmp_addr;
    let base = format!("http://{}", server.addr);

    let mut arrays = [0x0A, 0, 0, 0, 1].repeat(200_000);
    arrays.push(0x05);
    let mut objects = Vec::new();
    for _ in 0..250_000 {
        objects.extend([0x03, 0, 1, b'a']);
    }
    let mut wide = vec![0x0A, 0x01, 0, 0, 0];
    wide.extend(std::iter::repeat_n(0x05, (16 << 20) - 16));
    for (name, payload) in [("arrays", &arrays), ("objects", &objects), ("wide", &wide)] {
        for kind in [20u8, 18] {
            let mut socket = handshaken(rtmp).await;
            send(&mut socket, &HUGE_CHUNKS).await;
            send(&mut socket, &one_chunk(kind, 0, payload)).await;
            assert!(
                is_closed_within(socket, Duration::from_secs(5)).await,
                "{name} as type {kind}: closed"
            );
            let health = reqwest::get(format!("{base}/health")).await.unwrap();
            assert_eq!(
                health.status(),
                200,
                "{name} as type {kind}: the server is up"
            );
        }
    }

    // After a valid publish: the same in a data message, where a publisher's metadata goes.
    let (_, key) = broadcaster(&base, "mel").await;
    for (name, payload) in [("arrays", &arrays), ("wide", &wide)] {
        let mut socket = published(rtmp, &key).await;
        let mut data = b"\x02\x00\x0a@setDataFrame\x02\x00\x0aonMetaData".to_vec();
        data.extend_from_slice(payload);
        send(&mut socket, &HUGE_CHUNKS).await;
        send(&mut socket, &one_chunk(18, 1, &data)).await;
        assert!(
            is_closed_within(socket, Duration::from_secs(5)).await,
            "{name} after publish: closed"
        );
    }
    let mut publisher = publish(rtmp, &key, 1, 30);
    read_events(&format!("{base}/live/mel/events"), None, |e| {
        media_count(e) >= 3
    })
    .await;
    publisher.kill().await.unwrap();
    server.shutdown().await.unwrap();
}

/// A connection that has published with `key` (connect, createStream, publish, as ffmpeg
/// sends them), its acceptance read.
async fn published(rtmp: SocketAddr, key: &str) -> TcpStream {
    use rml_rtmp::sessions::{
        ClientSession, ClientSessionConfig, ClientSessionEvent, ClientSessionResult,
        PublishRequestType,
    };
    let mut socket = handshaken(rtmp).await;
    let (mut client, initial) = ClientSession::new(ClientSessionConfig::new()).unwrap();
    let mut out: Vec<ClientSessionResult> = initial;
    out.push(client.request_connection("live".into()).unwrap());
    let mut buf = vec![0u8; 65536];
    let mut asked = false;
    loop {
        for result in out.drain(..) {
            match result {
                ClientSessionResult::OutboundResponse(packet) => {
                    socket.write_all(&packet.bytes).await.unwrap()
                }
                ClientSessionResult::RaisedEvent(ClientSessionEvent::ConnectionRequestAccepted)
                    if !asked =>
                {
                    asked = true;
                    let publish = client
                        .request_publishing(key.into(), PublishRequestType::Live)
                        .unwrap();
                    if let ClientSessionResult::OutboundResponse(p) = publish {
                        socket.write_all(&p.bytes).await.unwrap();
                    }
                }
                ClientSessionResult::RaisedEvent(ClientSessionEvent::PublishRequestAccepted) => {
                    return socket;
                }
                _ => {}
            }
        }
        let n = tokio::time::timeout(Duration::from_secs(5), socket.read(&mut buf))
            .await
            .expect("the server answers")
            .unwrap();
        assert!(n > 0, "the server accepts the publish");
        out = client.handle_input(&buf[..n]).unwrap();
    }
}

/// Item 3: 8 addresses x 4 connections that never send a byte hold every RTMP place, and
/// reconnect as soon as they are closed. A real publisher with a valid key still goes live
/// within 5 s: unauthenticated connections give way to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connections_holding_every_rtmp_place_cannot_keep_a_publisher_off_air() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let rtmp = server.rtmp_addr;
    let base = format!("http://{}", server.addr);
    let (_, key) = broadcaster(&base, "nia").await;
    let holders: Vec<_> = (0..32)
        .map(|i| {
            let source: SocketAddr = format!("127.0.0.{}:0", 2 + i / 4).parse().unwrap();
            tokio::spawn(async move {
                loop {
                    let socket = TcpSocket::new_v4().unwrap();
                    socket.bind(source).unwrap();
                    let Ok(held) = socket.connect(rtmp).await else {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    };
                    is_closed_within(held, Duration::from_secs(60)).await;
                }
            })
        })
        .collect();
    // Every place is taken.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let started = Instant::now();
    let mut publisher = publish(rtmp, &key, 1, 30);
    let url = format!("{base}/live/nia/events");
    let watch = read_events(&url, None, |e| media_count(e) >= 1);
    tokio::time::timeout(Duration::from_secs(10), watch)
        .await
        .expect("on air while every place was held");
    let took = started.elapsed();
    println!("live after {took:?} with 32 silent connections reconnecting");
    assert!(took < Duration::from_secs(5), "{took:?}");
    for holder in holders {
        holder.abort();
    }
    publisher.kill().await.unwrap();
    server.shutdown().await.unwrap();
}

/// Item 4: a publisher pushing as fast as it can while its broadcast's ffmpeg is stopped
/// (SIGSTOP). What the server takes from it is bounded in bytes (the queue, one message being
/// read, kernel buffers), not in messages: it is made to wait. A relay in front of the RTMP
/// port counts what the server accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publisher_whose_ffmpeg_stalls_waits_instead_of_filling_the_server() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let base = format!("http://{}", server.addr);
    let (_, key) = broadcaster(&base, "oto").await;
    let relay = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay_addr = relay.local_addr().unwrap();
    let accepted = Arc::new(AtomicU64::new(0));
    let counted = accepted.clone();
    let rtmp = server.rtmp_addr;
    let relaying = tokio::spawn(async move {
        let (from, _) = relay.accept().await.unwrap();
        let to = TcpStream::connect(rtmp).await.unwrap();
        let (mut from_read, mut from_write) = from.into_split();
        let (mut to_read, mut to_write) = to.into_split();
        let back = tokio::spawn(async move {
            let _ = tokio::io::copy(&mut to_read, &mut from_write).await;
        });
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = from_read.read(&mut buf).await {
            if n == 0 || to_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
            counted.fetch_add(n as u64, Ordering::Relaxed);
        }
        back.abort();
    });
    // A second of 720p noise, lossless (frames of ~1.4 MB), looped as fast as the server takes
    // it: far more than the stopped ffmpeg will ever take.
    let dir = tempfile::tempdir().unwrap();
    let noise = dir.path().join("noise.flv");
    let made = tokio::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i"])
        .arg("nullsrc=size=1280x720:rate=30,geq=random(1)*255:128:128")
        .args([
            "-t",
            "1",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-qp",
            "0",
        ])
        .args(["-g", "30", "-f", "flv"])
        .arg(&noise)
        .status()
        .await
        .unwrap();
    assert!(made.success());
    let mut publisher = tokio::process::Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-stream_loop",
            "-1",
            "-i",
        ])
        .arg(&noise)
        .args(["-t", "120", "-c", "copy"])
        .args(["-f", "flv", &format!("rtmp://{relay_addr}/live/{key}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let encoder = eventually(
        "the broadcast's ffmpeg starts",
        Duration::from_secs(20),
        || async { encoders("pipe:0").first().copied() },
    )
    .await;
    let encoder = encoder as i32;
    // SAFETY: signals a process this test's server started.
    unsafe { libc::kill(encoder, libc::SIGSTOP) };
    let at_stop = accepted.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(8)).await;
    let taken = accepted.load(Ordering::Relaxed) - at_stop;
    println!(
        "taken while its ffmpeg was stopped: {:.1} MiB",
        taken as f64 / 1048576.0
    );
    // The queue (12 MiB), a message in progress (at most 8 MiB) and socket buffers.
    assert!(
        taken < 48 << 20,
        "{taken} bytes taken from a stalled publisher"
    );
    unsafe { libc::kill(encoder, libc::SIGCONT) };
    publisher.kill().await.unwrap();
    relaying.abort();
    server.shutdown().await.unwrap();
}
