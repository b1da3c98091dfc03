//! Two instances in one cluster over the real NATS (`ONAIR_TEST_NATS_URL`, by default the
//! local nats-server that `scripts/test` starts), each with its own database: the demo runs on
//! one of them and plays on both under the same ids, and viewers count on every instance.

use std::time::{Duration, Instant};

use eventsource_stream::Eventsource;

use super::{
    SERIAL, TestServer, decoded_frames, demo_encoders, media_count, next_viewer_count, read_events,
    start_server_with,
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

fn media_ids(events: &[super::Received]) -> Vec<u64> {
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

    // A viewer of the second instance gets playable video, relayed, with consecutive ids.
    let (_, on_b) = read_events(&on(&b), None, |e| media_count(e) >= 15).await;
    let frames = decoded_frames(&on_b);
    assert!(
        frames > 20,
        "decoded {frames} frames relayed by the second instance"
    );
    let ids = media_ids(&on_b);
    assert!(
        ids.windows(2).all(|w| w[1] == w[0] + 1),
        "consecutive ids: {ids:?}"
    );
    assert_eq!(demo_encoders().len(), 1, "one encoder in the cluster");

    // The viewer moves to the first instance with the last id it had: no gap, no repeat.
    let last = *ids.last().unwrap();
    let (_, on_a) = read_events(&on(&a), Some(last), |e| media_count(e) >= 2).await;
    assert_eq!(
        media_ids(&on_a)[0],
        last + 1,
        "continues right after {last}"
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
        S: futures::Stream<Item = super::SseItem> + Unpin,
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
}
