//! Restream over real RTMP: a broadcast pushed to two real receivers (`ffmpeg -listen 1`, as a
//! platform's ingest would take it), one of them killed and started again mid-broadcast, one
//! destination where nothing listens; the studio's states, and what each receiver got decoded.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::json;

use super::support::*;
use crate::restream::api::{DestinationSummary, PushState};

/// A port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An RTMP server taking one stream on `port` and writing it to `file` (ffmpeg's listen mode).
fn receiver(port: u16, file: &std::path::Path) -> tokio::process::Child {
    tokio::process::Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-listen",
            "1",
            "-f",
            "flv",
            "-i",
        ])
        .arg(format!("rtmp://127.0.0.1:{port}/live/key"))
        .args(["-c", "copy", "-f", "flv"])
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("ffmpeg is installed")
}

/// Waits until the receiver on `port` listens (read from the kernel's socket table: a
/// connection to find out would be the one connection it takes).
async fn listening(port: u16) {
    let wanted = format!(":{port:04X} ");
    eventually("the receiver listens", Duration::from_secs(10), || {
        let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
        let found = table
            .lines()
            .any(|line| line.contains(&wanted) && line.split_whitespace().nth(3) == Some("0A"));
        async move { found.then_some(()) }
    })
    .await;
}

async fn destinations(client: &reqwest::Client, base: &str) -> Vec<DestinationSummary> {
    call(
        client,
        base,
        "restream_destinations",
        None,
        Some(json!({"channel": "streamer"})),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap()
}

/// Waits until destination `name` is in a state `wanted` accepts; returns it.
async fn until_state(
    client: &reqwest::Client,
    base: &str,
    name: &str,
    wanted: impl Fn(&PushState) -> bool,
) -> PushState {
    eventually(&format!("{name}'s state"), Duration::from_secs(30), || {
        let wanted = &wanted;
        async move {
            destinations(client, base)
                .await
                .into_iter()
                .find(|d| d.name == name)
                .map(|d| d.state)
                .filter(|s| wanted(s))
        }
    })
    .await
}

/// A server (no demo, loopback destinations allowed) with the account "streamer" signed in:
/// the server, its address and the owner's client.
async fn streamer() -> (TestServer, String, reqwest::Client) {
    let server = start_server_with(&[
        ("ONAIR_DEMO_ENABLED", "false"),
        ("ONAIR_RESTREAM_ALLOW_PRIVATE", "true"),
    ])
    .await;
    let base = format!("http://{}", server.addr);
    let owner = browser();
    sign_up(&owner, &base, "streamer").await;
    (server, base, owner)
}

/// Waits for `receiver` to end with the stream (within 10 s); what it wrote to `file` decodes
/// as H.264, a second of it at least.
async fn took_the_stream(receiver: &mut tokio::process::Child, file: &std::path::Path) {
    tokio::time::timeout(Duration::from_secs(10), receiver.wait())
        .await
        .expect("the receiver ends with the stream")
        .unwrap();
    let (codec, frames) = decoded(file);
    assert_eq!(codec, "h264", "{}", file.display());
    assert!(frames >= 25, "{}: {frames} frames", file.display());
}

/// The codec and decoded frame count of the video in `file`.
fn decoded(file: &std::path::Path) -> (String, u64) {
    let probe = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-count_frames"])
        .args([
            "-show_entries",
            "stream=codec_name,nb_read_frames",
            "-of",
            "csv=p=0",
        ])
        .arg(file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&probe.stdout).trim().to_string();
    let (codec, frames) = text.split_once(',').unwrap_or((&text, "0"));
    (codec.to_string(), frames.parse().unwrap_or(0))
}

/// Processor time of this process's restream ffmpegs over `window`, in % of one core each.
async fn push_cpu(window: Duration) -> Vec<f64> {
    let ticks = |pid: u32| -> Option<u64> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
    };
    let pushes = encoders("-f flv -flvflags");
    let before: Vec<Option<u64>> = pushes.iter().map(|&pid| ticks(pid)).collect();
    tokio::time::sleep(window).await;
    pushes
        .iter()
        .zip(before)
        .filter_map(|(&pid, before)| {
            let spent = ticks(pid)?.checked_sub(before?)?;
            // The kernel counts in 1/100 s (USER_HZ).
            Some(spent as f64 / 100.0 / window.as_secs_f64() * 100.0)
        })
        .collect()
}

fn live(state: &PushState) -> bool {
    matches!(state, PushState::Live { .. })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_reaches_every_destination_and_one_dropped_reconnects_alone() {
    let _serial = SERIAL.lock().await;
    let (server, base, owner) = streamer().await;
    let dir = tempfile::tempdir().unwrap();
    let (port_a, port_b, nobody) = (free_port(), free_port(), free_port());
    let mut a = receiver(port_a, &dir.path().join("a1.flv"));
    let mut b = receiver(port_b, &dir.path().join("b.flv"));
    listening(port_a).await;
    listening(port_b).await;
    for (name, port, key) in [
        ("A", port_a, "key_a"),
        ("B", port_b, "key_b"),
        ("Nobody", nobody, "key_secret_c"),
    ] {
        let body = json!({"channel": "streamer", "name": name, "url": format!("rtmp://127.0.0.1:{port}/live"), "key": key});
        call(&owner, &base, "add_restream", None, Some(body))
            .await
            .unwrap();
    }
    let listed = destinations(&owner, &base).await;
    assert!(
        listed
            .iter()
            .all(|d| d.key_hint.starts_with('…') && d.key_hint.chars().count() == 5)
    );
    assert!(
        listed.iter().all(|d| d.state == PushState::Waiting),
        "{listed:?}"
    );

    let went_live = Instant::now();
    start(&owner, &base, "streamer").await.unwrap();
    until_state(&owner, &base, "A", live).await;
    until_state(&owner, &base, "B", live).await;
    println!(
        "both destinations live {:?} after going live",
        went_live.elapsed()
    );
    let refused = until_state(&owner, &base, "Nobody", |s| {
        matches!(s, PushState::Retrying { .. })
    })
    .await;
    let PushState::Retrying { reason, .. } = refused else {
        unreachable!()
    };
    assert!(reason.contains("refused"), "{reason}");
    assert!(
        !reason.contains("key_secret_c"),
        "the key is never shown: {reason}"
    );

    // A drops mid-stream: it retries, B goes on; A started again is pushed to again.
    a.kill().await.unwrap();
    until_state(&owner, &base, "A", |s| !live(s)).await;
    assert!(
        live(&until_state(&owner, &base, "B", |_| true).await),
        "B is untouched"
    );
    let mut a = receiver(port_a, &dir.path().join("a2.flv"));
    listening(port_a).await;
    let back = Instant::now();
    until_state(&owner, &base, "A", live).await;
    let reconnected = back.elapsed();
    println!("A back live {reconnected:?} after its receiver listened again");
    assert!(reconnected < Duration::from_secs(10), "{reconnected:?}");
    assert!(live(&until_state(&owner, &base, "B", |_| true).await));
    // What each push costs: its ffmpeg's processor time over a few seconds of the broadcast
    // (printed; the target is under 1 % of a core each, docs/benchmarks.md).
    // `ONAIR_TEST_RESTREAM_CPU_SECS` measures longer (docs/benchmarks.md: 20).
    let window = std::env::var("ONAIR_TEST_RESTREAM_CPU_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4);
    let cost = push_cpu(Duration::from_secs(window)).await;
    println!("restream push CPU, % of one core each: {cost:?}");
    assert!(
        cost.len() >= 2,
        "one ffmpeg per destination reached: {cost:?}"
    );
    stop(&owner, &base, "streamer").await.unwrap();
    took_the_stream(&mut a, &dir.path().join("a2.flv")).await;
    took_the_stream(&mut b, &dir.path().join("b.flv")).await;
    let after = destinations(&owner, &base).await;
    assert!(
        after.iter().all(|d| d.state == PushState::Waiting),
        "{after:?}"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destinations_are_checked_and_kept_by_their_owner() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let base = format!("http://{}", server.addr);
    let owner = browser();
    sign_up(&owner, &base, "streamer").await;
    let add = |url: &str, key: &str| {
        let body = json!({"channel": "streamer", "name": "X", "url": url, "key": key});
        call(&owner, &base, "add_restream", None, Some(body))
    };
    for (url, key, says) in [
        ("rtmp://127.0.0.1:1935/live", "k", "private network"),
        ("file:///etc/passwd", "k", "rtmp://"),
        ("rtmp://93.184.216.34/live", "a key", "letters, digits"),
    ] {
        let refused = add(url, key).await.unwrap_err();
        assert_eq!(refused.status(), 400);
        assert!(refused.to_string().contains(says), "{refused}");
    }
    let other = browser();
    sign_up(&other, &base, "intruder").await;
    let body = json!({"channel": "streamer"});
    let theirs = call(&other, &base, "restream_destinations", None, Some(body))
        .await
        .unwrap_err();
    assert_eq!(theirs.status(), 403);
    server.shutdown().await.unwrap();
}

/// An RTMPS ingest on loopback: TLS (a self-signed certificate) in front of a plain receiver
/// on `plain`, as a platform's RTMPS server would take the stream; returns its port.
async fn tls_front(plain: u16, dir: &std::path::Path) -> u16 {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let (cert, key) = (dir.join("rtmps-cert.pem"), dir.join("rtmps-key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    let acceptor = crate::server::tls::acceptor(&cert, &key).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut inner) = tokio::net::TcpStream::connect(("127.0.0.1", plain)).await
                else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut inner).await;
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_reaches_an_rtmps_destination() {
    let _serial = SERIAL.lock().await;
    let (server, base, owner) = streamer().await;
    let dir = tempfile::tempdir().unwrap();
    let plain = free_port();
    let mut platform = receiver(plain, &dir.path().join("tls.flv"));
    listening(plain).await;
    let port = tls_front(plain, dir.path()).await;
    let body = json!({"channel": "streamer", "name": "Secure", "url": format!("rtmps://127.0.0.1:{port}/live"), "key": "key_tls"});
    call(&owner, &base, "add_restream", None, Some(body))
        .await
        .unwrap();
    start(&owner, &base, "streamer").await.unwrap();
    until_state(&owner, &base, "Secure", live).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop(&owner, &base, "streamer").await.unwrap();
    took_the_stream(&mut platform, &dir.path().join("tls.flv")).await;
    server.shutdown().await.unwrap();
}
