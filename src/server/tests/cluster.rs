//! Two instances in one cluster over the real NATS (`ONAIR_TEST_NATS_URL`, by default the
//! local nats-server that `scripts/test` starts): with their own databases, the demo runs on
//! one of them and plays on both under the same ids, and viewers count on every instance;
//! sharing a real PostgreSQL, accounts, sessions, chat and broadcast control span both.

use std::time::{Duration, Instant};

use eventsource_stream::Eventsource;
use futures::StreamExt;

use super::support::{
    SERIAL, TestServer, continuous, decoded_frames, demo_encoders, eventually, media_count,
    next_viewer_count, read_events, start_server_with, timeline,
};

fn nats_url() -> String {
    std::env::var("ONAIR_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

/// An instance of cluster `name` (a name of its own per test run, so runs never meet).
async fn instance(name: &str) -> TestServer {
    let url = nats_url();
    start_server_with(&[
        ("ONAIR_CLUSTER_NATS_URL", &url),
        ("ONAIR_CLUSTER_NAME", name),
    ])
    .await
}

/// An instance of cluster `name` on the shared PostgreSQL database `database`, demo off.
async fn shared_instance(name: &str, database: &str) -> TestServer {
    let url = nats_url();
    start_server_with(&[
        ("ONAIR_CLUSTER_NATS_URL", &url),
        ("ONAIR_CLUSTER_NAME", name),
        ("ONAIR_DATABASE_URL", database),
        ("ONAIR_DEMO_ENABLED", "false"),
        ("ONAIR_RTMP_GRACE_SECS", "10"),
    ])
    .await
}

fn media_ids(events: &[super::support::Received]) -> Vec<u64> {
    events
        .iter()
        .filter(|e| e.name == "media")
        .map(|e| e.id.expect("media has an id"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runs_once_per_cluster_plays_everywhere_and_moves_when_its_instance_goes() {
    let _serial = SERIAL.lock().await;
    let name = format!("test{}", crate::clock::now_ms());
    let a = instance(&name).await;
    let on = |server: &TestServer| format!("http://{}/live/demo/events", server.addr);
    // The first instance runs the demo.
    read_events(&on(&a), None, |e| media_count(e) >= 2).await;
    let b = instance(&name).await;

    // A viewer of the second instance gets playable video, relayed, in order and whole.
    let (_, on_b) = read_events(&on(&b), None, |e| media_count(e) >= 15).await;
    let frames = decoded_frames(&on_b);
    assert!(
        frames > 20,
        "decoded {frames} frames relayed by the second instance"
    );
    let ids = media_ids(&on_b);
    assert!(ids.windows(2).all(|w| w[1] > w[0]), "growing ids: {ids:?}");
    continuous(&on_b).unwrap();
    assert_eq!(demo_encoders().len(), 1, "one encoder in the cluster");

    // The viewer moves to the first instance with the last id it had: no gap, no repeat.
    let last = *ids.last().unwrap();
    let (_, on_a) = read_events(&on(&a), Some(last), |e| media_count(e) >= 2).await;
    assert!(media_ids(&on_a)[0] > last, "continues after {last}");
    let last_on_b = timeline(&on_b).last().cloned().unwrap();
    let first_on_a = timeline(&on_a)[0].clone();
    assert_eq!(first_on_a.0, last_on_b.0, "on the same rung");
    assert!(
        (first_on_a.1 - last_on_b.2).abs() < 0.002,
        "right where it left off: {last_on_b:?} then {first_on_a:?}"
    );
    let last = *media_ids(&on_a).last().unwrap();

    // The first instance goes away: the second takes the demo over, ids above the old ones.
    a.shutdown().await.unwrap();
    let gone = Instant::now();
    let (_, after) = read_events(&on(&b), Some(last), |e| media_count(e) >= 2).await;
    let waited = gone.elapsed();
    assert!(waited < Duration::from_secs(10), "back after {waited:?}");
    let moved_on = media_ids(&after);
    assert!(
        moved_on.iter().all(|&id| id > last),
        "ids after {last}: {moved_on:?}"
    );
    assert_eq!(demo_encoders().len(), 1, "the second instance encodes now");
    b.shutdown().await.unwrap();
    forget(&name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_on_every_instance_count_once_and_leaving_counts_too() {
    let _serial = SERIAL.lock().await;
    let name = format!("test{}", crate::clock::now_ms());
    let a = instance(&name).await;
    let b = instance(&name).await;
    let watch = |server: &TestServer| {
        let url = format!("http://{}/live/demo/events", server.addr);
        async move {
            let response = reqwest::get(url).await.unwrap();
            response.bytes_stream().eventsource()
        }
    };
    /// Reads counts until `want` (bounded: 15 counts, each within 10 s).
    async fn until_count<S>(events: &mut S, want: usize)
    where
        S: futures::Stream<Item = super::support::SseItem> + Unpin,
    {
        let mut seen = Vec::new();
        for _ in 0..15 {
            let count = next_viewer_count(events).await;
            if count == want {
                return;
            }
            seen.push(count);
        }
        panic!("never {want}: {seen:?}");
    }
    let mut on_a = watch(&a).await;
    let mut on_b = watch(&b).await;
    until_count(&mut on_a, 2).await;
    until_count(&mut on_b, 2).await;
    drop(on_b);
    until_count(&mut on_a, 1).await;
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
    forget(&name).await;
}

/// What `server` took in of each of the demo's rungs so far (made there, or relayed), by rung.
async fn rung_bytes_received(server: &TestServer) -> std::collections::HashMap<String, u64> {
    let text = reqwest::get(format!("http://{}/metrics", server.addr))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let prefix = "onair_rung_bytes_received_total{channel=\"demo\",rung=\"";
    text.lines()
        .filter_map(|line| line.strip_prefix(prefix))
        .filter_map(|rest| {
            let (rung, value) = rest.split_once("\"} ")?;
            Some((rung.to_string(), value.trim().parse().ok()?))
        })
        .collect()
}

/// A relaying instance takes from NATS only the rungs its viewers are on (and the lowest
/// picture, for a viewer falling behind), not the whole ladder: after its first seconds it lets
/// go of the others (here sound alone); a viewer there who picks one gets it within seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_takes_only_the_rungs_its_viewers_are_on() {
    let _serial = SERIAL.lock().await;
    let name = format!("test{}", crate::clock::now_ms());
    let url = nats_url();
    // The tests' small demo (180 lines) made in three rungs.
    let a = start_server_with(&[
        ("ONAIR_CLUSTER_NATS_URL", &url),
        ("ONAIR_CLUSTER_NAME", &name),
        ("ONAIR_RENDITIONS_LADDER", "source, 90p:100, audio"),
    ])
    .await;
    let on = |server: &TestServer, rung: &str| {
        format!("http://{}/live/demo/events?rung={rung}", server.addr)
    };
    read_events(&on(&a, "source"), None, |e| media_count(e) >= 2).await;
    let b = start_server_with(&[
        ("ONAIR_CLUSTER_NATS_URL", &url),
        ("ONAIR_CLUSTER_NAME", &name),
        ("ONAIR_METRICS_ENABLED", "true"),
    ])
    .await;
    let ladder = ["source", "90p", "audio"];
    // One viewer of the second instance watches the source all along.
    let watching = on(&b, "source");
    let began = Instant::now();
    let viewer = tokio::spawn(async move {
        let response = reqwest::get(&watching).await.expect("connects");
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            chunk.expect("the stream stays whole");
        }
    });
    let growing = |before: &std::collections::HashMap<String, u64>,
                   after: &std::collections::HashMap<String, u64>| {
        ladder
            .iter()
            .filter(|rung| after.get(**rung) > before.get(**rung))
            .map(|rung| rung.to_string())
            .collect::<Vec<_>>()
    };
    let first = rung_bytes_received(&b).await;
    let taken = eventually(
        "the relay takes every rung at first",
        Duration::from_secs(10),
        || async {
            let now = rung_bytes_received(&b).await;
            let taken = growing(&first, &now);
            (taken.len() == ladder.len()).then_some(taken)
        },
    )
    .await;
    assert_eq!(taken, ladder);
    let kept = eventually(
        "the relay lets go of the rungs nobody watches",
        Duration::from_secs(25),
        || async {
            let before = rung_bytes_received(&b).await;
            tokio::time::sleep(Duration::from_millis(1500)).await;
            let kept = growing(&before, &rung_bytes_received(&b).await);
            (kept == ["source", "90p"]).then_some(kept)
        },
    )
    .await;
    let after = began.elapsed();
    assert!(
        after >= Duration::from_secs(8),
        "every rung kept a while, not {after:?}"
    );
    assert_eq!(
        kept,
        ["source", "90p"],
        "the viewer's rung and the lowest picture"
    );
    // The viewer there plays on, whole.
    assert!(!viewer.is_finished());

    // A viewer there who picks sound alone gets it within seconds, relayed again.
    let asked = Instant::now();
    let (_, picked) = read_events(&on(&b, "audio"), None, |e| {
        timeline(e)
            .iter()
            .filter(|(rung, _, _)| rung == "audio")
            .count()
            >= 5
    })
    .await;
    let waited = asked.elapsed();
    assert!(
        waited < Duration::from_secs(5),
        "sound alone after {waited:?}"
    );
    continuous(&picked).unwrap();
    let before = rung_bytes_received(&b).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(growing(&before, &rung_bytes_received(&b).await).contains(&"audio".to_string()));
    viewer.abort();
    b.shutdown().await.unwrap();
    a.shutdown().await.unwrap();
    forget(&name).await;
}

/// Deletes cluster `name`'s buckets (kept in the NATS server's memory otherwise).
async fn forget(name: &str) {
    let client = async_nats::connect(nats_url()).await.unwrap();
    let jetstream = async_nats::jetstream::new(client);
    for bucket in ["origins", "live", "viewers"] {
        jetstream
            .delete_stream(format!("KV_{name}-{bucket}"))
            .await
            .unwrap();
    }
    // Made only where the database is shared.
    let _ = jetstream.delete_stream(format!("{name}-chat")).await;
}

/// A nats-server of this test's own (a free port, JetStream on disk in a temporary folder),
/// so the test can take it away and bring it back.
struct OwnNats {
    child: std::process::Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl OwnNats {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = tempfile::tempdir().unwrap();
        let child = Self::spawn(port, &dir);
        Self { child, port, dir }
    }

    fn spawn(port: u16, dir: &tempfile::TempDir) -> std::process::Child {
        let binary = ["/usr/sbin/nats-server", "/usr/bin/nats-server"]
            .into_iter()
            .find(|path| std::path::Path::new(path).exists())
            .unwrap_or("nats-server");
        let mut child = std::process::Command::new(binary)
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("nats-server is installed (scripts/setup)");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return child;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("nats-server did not start on {port}");
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn restart(&mut self) {
        self.child = Self::spawn(self.port, &self.dir);
    }
}

impl Drop for OwnNats {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_keep_watching_through_a_nats_outage_and_the_cluster_heals_after_it() {
    let _serial = SERIAL.lock().await;
    let mut nats = OwnNats::start();
    let url = nats.url();
    let with_nats = [
        ("ONAIR_CLUSTER_NATS_URL", url.as_str()),
        ("ONAIR_CLUSTER_NAME", "outage"),
    ];
    let a = start_server_with(&with_nats).await;
    let events = |server: &TestServer| format!("http://{}/live/demo/events", server.addr);
    let viewer = reqwest::get(events(&a)).await.unwrap();
    let mut on_a = viewer.bytes_stream().eventsource();
    super::support::next_event(&mut on_a, "media").await;

    let health = |server: &TestServer| {
        let url = format!("http://{}/health", server.addr);
        async move {
            let response = reqwest::get(url).await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (status, report) = health(&a).await;
    assert_eq!(
        (status, &report["nats"], &report["database"]),
        (200, &"up".into(), &"up".into())
    );

    // NATS goes away for longer than a lease: the viewer of the origin watches on; the
    // instance says NATS is down.
    nats.stop();
    let down = Instant::now();
    let mut during = 0;
    while down.elapsed() < Duration::from_secs(6) {
        super::support::next_event(&mut on_a, "media").await;
        during += 1;
    }
    assert!(during >= 20, "{during} fragments in 6 s without NATS");
    let (status, report) = health(&a).await;
    assert_eq!((status, &report["nats"]), (503, &"down".into()), "{report}");

    // NATS is back: a new instance joins and relays the demo; one encoder in the end.
    nats.restart();
    let b = start_server_with(&with_nats).await;
    read_events(&events(&b), None, |e| media_count(e) >= 5).await;
    // A reconnects on its own (the client's backoff may take a few seconds): then it is healthy.
    let report = eventually("healthy again", Duration::from_secs(20), || async {
        let (status, report) = health(&a).await;
        (status == 200).then_some(report)
    })
    .await;
    assert_eq!(report["nats"], "up");
    eventually(
        "one encoder in the cluster",
        Duration::from_secs(15),
        || async { (demo_encoders().len() == 1).then_some(()) },
    )
    .await;
    drop(on_a);
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
}

/// Reads `count` chat messages from `events`.
async fn chat_messages<S>(events: &mut S, count: usize) -> Vec<crate::live::wire::ChatEvent>
where
    S: futures::Stream<Item = super::support::SseItem> + Unpin,
{
    let mut messages = Vec::new();
    for _ in 0..count {
        let event = super::support::next_event(events, "chat").await;
        messages.push(serde_json::from_str(&event.data).unwrap());
    }
    messages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_shared_postgres_accounts_chat_and_broadcasts_span_the_instances() {
    use super::support::{browser, call, sign_up, start, stop};
    use crate::error::AppError;
    let _serial = SERIAL.lock().await;
    let name = format!("test{}", crate::clock::now_ms());
    let database = crate::db::testing::fresh_postgres_schema().await;
    let a = shared_instance(&name, &database).await;
    let b = shared_instance(&name, &database).await;
    let (on_a, on_b) = (format!("http://{}", a.addr), format!("http://{}", b.addr));

    // An account made on A signs in on B; its session (the same cookie) works on both.
    let (host, guest) = (browser(), browser());
    sign_up(&host, &on_a, "host").await;
    let taken = call(
        &guest,
        &on_b,
        "sign_up",
        Some(&[("username", "HOST"), ("password", "correct horse 1")]),
        None,
    )
    .await;
    assert!(matches!(taken, Err(AppError::Invalid(_))), "{taken:?}");
    sign_up(&guest, &on_b, "guest").await;

    // The channel made on A is watched on B at once.
    let watch = |base: &str, tab: &str| {
        let url = format!("{base}/live/host/events?viewer={tab}");
        async move {
            let response = reqwest::get(url).await.unwrap();
            assert_eq!(response.status(), 200);
            response.bytes_stream().eventsource()
        }
    };
    let mut viewer_a = watch(&on_a, "a").await;
    let mut viewer_b = watch(&on_b, "b").await;
    super::support::next_event(&mut viewer_a, "viewers").await;
    super::support::next_event(&mut viewer_b, "viewers").await;

    // Chat from both instances, at once: every viewer gets every message once, in one order.
    let say = |client: reqwest::Client, base: String, text: String| async move {
        call(
            &client,
            &base,
            "post_chat",
            Some(&[("channel", "host"), ("text", &text)]),
            None,
        )
        .await
    };
    let mut posts = Vec::new();
    for i in 0..4 {
        posts.push(tokio::spawn(say(
            host.clone(),
            on_a.clone(),
            format!("a{i}"),
        )));
        posts.push(tokio::spawn(say(
            guest.clone(),
            on_b.clone(),
            format!("b{i}"),
        )));
    }
    for post in posts {
        post.await.unwrap().expect("posted");
    }
    let seen_a = chat_messages(&mut viewer_a, 8).await;
    let seen_b = chat_messages(&mut viewer_b, 8).await;
    assert_eq!(seen_a, seen_b, "one order on both instances");
    assert!(
        seen_a.windows(2).all(|w| w[1].id > w[0].id),
        "ids grow in that order: {seen_a:?}"
    );
    // The rate limit counts posts on every instance: 4 on B, a 5th on A, then no more.
    say(guest.clone(), on_a.clone(), "b4".into()).await.unwrap();
    let refused = say(guest.clone(), on_a.clone(), "b5".into()).await;
    assert!(
        matches!(refused, Err(AppError::TooManyAttempts(_))),
        "{refused:?}"
    );
    // A ban made on A holds on B.
    call(
        &host,
        &on_a,
        "ban_from_chat",
        Some(&[("channel", "host"), ("username", "guest")]),
        None,
    )
    .await
    .unwrap();
    let banned = say(guest.clone(), on_b.clone(), "hi".into()).await;
    assert!(matches!(banned, Err(AppError::Forbidden(_))), "{banned:?}");

    // Started through B (signed in on A), the broadcast runs on B and plays on A too.
    start(&host, &on_b, "host").await.unwrap();
    let again = start(&host, &on_a, "host").await;
    assert!(
        matches!(&again, Err(AppError::Invalid(why)) if why.contains("already live")),
        "one origin per channel: {again:?}"
    );
    super::support::next_event(&mut viewer_a, "init").await;
    super::support::next_event(&mut viewer_a, "media").await;
    super::support::next_event(&mut viewer_b, "media").await;
    // Stopped through A, which does not run it: the origin stops, both viewers are told.
    stop(&host, &on_a, "host").await.unwrap();
    for viewer in [&mut viewer_a, &mut viewer_b] {
        let offline = async {
            loop {
                let event = super::support::next_event(viewer, "status").await;
                let status: crate::live::wire::StatusEvent =
                    serde_json::from_str(&event.data).unwrap();
                if status.state == crate::live::wire::ChannelState::Offline {
                    return;
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(10), offline)
            .await
            .expect("offline within 10 s");
    }
    let again = stop(&host, &on_a, "host").await;
    assert!(matches!(again, Err(AppError::Invalid(_))), "{again:?}");
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
    forget(&name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn obs_reconnecting_to_another_instance_takes_its_broadcast_over_there() {
    use super::ingest::{broadcaster, publish};
    use crate::live::wire::{ChannelState, StatusEvent};
    let _serial = SERIAL.lock().await;
    let name = format!("test{}", crate::clock::now_ms());
    let database = crate::db::testing::fresh_postgres_schema().await;
    let a = shared_instance(&name, &database).await;
    let b = shared_instance(&name, &database).await;
    let (_bea, key) = broadcaster(&format!("http://{}", a.addr), "bea").await;
    let mut viewer = reqwest::get(format!("http://{}/live/bea/events", a.addr))
        .await
        .unwrap()
        .bytes_stream()
        .eventsource();
    let status = |event: eventsource_stream::Event| {
        serde_json::from_str::<StatusEvent>(&event.data)
            .unwrap()
            .state
    };

    // OBS streams to A, then its connection drops (killed: no goodbye): A waits for it (grace
    // 10 s).
    let mut first = publish(a.rtmp_addr, &key, 1, 60);
    super::support::next_event(&mut viewer, "media").await;
    first.kill().await.unwrap();
    while status(super::support::next_event(&mut viewer, "status").await)
        != ChannelState::Reconnecting
    {}

    // It reconnects through the balancer to B: B takes the broadcast over, A lets it go, and
    // A's viewer gets it again, relayed from B.
    let mut second = publish(b.rtmp_addr, &key, 1, 60);
    let init = super::support::next_event(&mut viewer, "init").await;
    assert!(!init.data.is_empty());
    super::support::next_event(&mut viewer, "media").await;
    assert!(b.state.broadcasts.is_on_air("bea"), "B is the origin now");
    assert!(!a.state.broadcasts.is_on_air("bea"), "A let it go");
    assert!(
        second.try_wait().unwrap().is_none(),
        "B keeps the publisher"
    );
    drop(viewer);
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
    forget(&name).await;
}

/// Recordings in a shared S3-compatible object store (the server `scripts/services` starts):
/// what one instance records, any other replays, clips and deletes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_made_on_one_instance_replays_and_is_clipped_from_another() {
    use super::support::{browser, call, sign_up, start, stop};
    use crate::live::splitter::{Piece, Splitter};
    use crate::recordings::api::{RecordingState, RecordingSummary, ReplayIndex};
    use crate::recordings::storage::testing::fresh_objects;
    let _serial = SERIAL.lock().await;
    let name = format!("test{}", crate::clock::now_ms());
    let database = crate::db::testing::fresh_postgres_schema().await;
    let objects = fresh_objects();
    let in_store = || {
        let url = nats_url();
        let (name, database, objects) = (name.clone(), database.clone(), objects.clone());
        async move {
            start_server_with(&[
                ("ONAIR_CLUSTER_NATS_URL", &url),
                ("ONAIR_CLUSTER_NAME", &name),
                ("ONAIR_DATABASE_URL", &database),
                ("ONAIR_DEMO_ENABLED", "false"),
                ("ONAIR_RECORDINGS_STORE", &objects.url),
                ("ONAIR_RECORDINGS_STORE_ENDPOINT", &objects.endpoint),
                ("ONAIR_RECORDINGS_STORE_ACCESS_KEY", &objects.access_key),
                ("ONAIR_RECORDINGS_STORE_SECRET_KEY", &objects.secret_key),
            ])
            .await
        }
    };
    let a = in_store().await;
    let b = in_store().await;
    let (on_a, on_b) = (format!("http://{}", a.addr), format!("http://{}", b.addr));
    let (ana, bob) = (browser(), browser());
    sign_up(&ana, &on_a, "ana").await;
    sign_up(&bob, &on_b, "bob").await;
    start(&ana, &on_a, "ana").await.expect("ana goes live on A");
    let past = |base: String| async move {
        call(
            &browser(),
            &base,
            "past_broadcasts",
            None,
            Some(serde_json::json!({ "channel": "ana" })),
        )
        .await
        .expect("past broadcasts")
        .json::<Vec<RecordingSummary>>()
        .await
        .unwrap()
    };
    // B sees the recording grow while A writes it (each segment is in the store before it is
    // indexed): rewind works on every instance.
    eventually(
        "B lists six recorded seconds",
        Duration::from_secs(40),
        || {
            let base = on_b.clone();
            async move {
                past(base)
                    .await
                    .into_iter()
                    .find(|r| r.duration_ms >= 6000 && r.state == RecordingState::Recording)
            }
        },
    )
    .await;
    stop(&ana, &on_a, "ana").await.expect("ana stops");
    let recording = past(on_b.clone()).await.remove(0);
    assert_eq!(recording.state, RecordingState::Complete);
    let id = recording.id;

    // B serves every init and segment, the same bytes as A, each whole fragments from a
    // keyframe.
    let index: ReplayIndex = reqwest::get(format!("{on_b}/recordings/{id}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(index.duration_ms, recording.duration_ms);
    assert!(index.segments.len() >= 3, "{:?}", index.segments);
    let fetch = |url: String| async move {
        let response = reqwest::get(&url).await.unwrap();
        assert_eq!(response.status(), 200, "{url}");
        response.bytes().await.unwrap()
    };
    for segment in &index.segments {
        let init = fetch(format!("{on_b}/recordings/{id}/init/{}", segment.run())).await;
        let path = format!("recordings/{id}/segments/{}", segment.seq());
        let from_b = fetch(format!("{on_b}/{path}")).await;
        assert_eq!(from_b, fetch(format!("{on_a}/{path}")).await, "{path}");
        let mut splitter = Splitter::new();
        splitter.push(&init).unwrap();
        let pieces = splitter.push(&from_b).unwrap();
        let Some(Piece::Fragment(first)) = pieces.first() else {
            panic!("{path} holds fragments");
        };
        assert!(first.keyframe, "{path} starts at a keyframe");
        let whole: usize = pieces
            .iter()
            .map(|p| match p {
                Piece::Fragment(f) => f.data.len(),
                Piece::Init(_) => 0,
            })
            .sum();
        assert_eq!(whole, from_b.len(), "{path}: whole fragments");
    }
    // A picture B makes from the store, and keeps there for A.
    let poster = fetch(format!("{on_b}/recordings/{id}/pictures/2")).await;
    assert!(poster.starts_with(&[0xff, 0xd8]));
    assert_eq!(
        fetch(format!("{on_a}/recordings/{id}/pictures/2")).await,
        poster
    );

    // Bob clips it on B; A serves the clip, with ranges.
    let clip: i64 = call(
        &bob,
        &on_b,
        "clip_replay",
        None,
        Some(serde_json::json!({ "id": id, "from_ms": 0, "to_ms": 5000 })),
    )
    .await
    .expect("bob clips on B")
    .json()
    .await
    .unwrap();
    let mp4 = fetch(format!("{on_a}/clips/{clip}.mp4")).await;
    let at = |kind: &[u8]| mp4.windows(4).position(|w| w == kind).expect("the box");
    assert!(at(b"moov") < at(b"mdat"));
    let tail = reqwest::Client::new()
        .get(format!("{on_a}/clips/{clip}.mp4"))
        .header("range", "bytes=-1000")
        .send()
        .await
        .unwrap();
    assert_eq!(tail.status(), 206);
    assert_eq!(
        tail.headers()["content-range"],
        format!("bytes {}-{}/{}", mp4.len() - 1000, mp4.len() - 1, mp4.len()).as_str()
    );
    assert_eq!(tail.bytes().await.unwrap(), mp4.slice(mp4.len() - 1000..));

    // Ana deletes it on A: gone from B too, and from the store.
    call(
        &ana,
        &on_a,
        "delete_recording",
        None,
        Some(serde_json::json!({ "id": id })),
    )
    .await
    .expect("ana deletes it");
    let gone = reqwest::get(format!("{on_b}/recordings/{id}/segments/1"))
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
    let store = crate::recordings::storage::objects::open(&objects).unwrap();
    let left: Vec<_> = futures::TryStreamExt::try_collect(
        store.list(Some(&object_store::path::Path::from(id.to_string()))),
    )
    .await
    .unwrap();
    assert!(left.is_empty(), "the store holds nothing of it: {left:?}");
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
    forget(&name).await;
}
