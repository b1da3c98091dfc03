//! Running the server: shutdown ends every stream and leaves no ffmpeg, connections past the
//! per-address cap wait for one to end, `/health` and `/metrics`.

use std::time::Duration;

use eventsource_stream::Eventsource;
use futures::StreamExt;

use super::support::*;
use crate::broadcasts::api::EndReason;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_open_streams_and_leaves_no_ffmpeg() {
    let _serial = SERIAL.lock().await;
    let server = start_server().await;
    let url = format!("http://{}/live/demo/events", server.addr);
    let response = reqwest::get(&url).await.unwrap();
    let mut events = response.bytes_stream().eventsource();
    // Wait until media flows, so the encoder is surely running.
    loop {
        let event = tokio::time::timeout(Duration::from_secs(30), events.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if event.event == "media" {
            break;
        }
    }
    assert_eq!(demo_encoders().len(), 1, "one demo encoder runs");
    let db = server.db.clone();
    tokio::time::timeout(Duration::from_secs(10), server.shutdown())
        .await
        .expect("graceful shutdown is not blocked by open streams")
        .unwrap();
    let rest = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(_)) = events.next().await {}
    })
    .await;
    assert!(rest.is_ok(), "the open stream ended");
    assert!(demo_encoders().is_empty(), "no ffmpeg left behind");
    let last = crate::broadcasts::store::last(&db, "demo")
        .await
        .unwrap()
        .expect("the demo broadcast is on record");
    assert_eq!(last.end_reason, EndReason::ServerShutdown);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_per_address_cap_are_closed_until_one_ends() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[
        ("ONAIR_DEMO_ENABLED", "false"),
        ("ONAIR_SERVER_MAX_CONNECTIONS_PER_ADDRESS", "3"),
    ])
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(tokio::net::TcpStream::connect(server.addr).await.unwrap());
    }
    // Sent a whole request, the fourth gets no answer: the server closed it on accepting it.
    let mut fourth = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let _ = fourth
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), fourth.read_to_end(&mut answer))
        .await
        .expect("closed at once, not left waiting");
    assert!(read.is_err() || answer.is_empty(), "{answer:?}");

    // One of the three ends: a new connection is served.
    drop(held.pop());
    // The server may not have seen the close yet.
    let page = eventually(
        "served once a place is free",
        Duration::from_secs(5),
        || async { reqwest::get(format!("http://{}/", server.addr)).await.ok() },
    )
    .await;
    assert_eq!(page.status().as_u16(), 200);
    drop(held);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_says_the_database_is_up_on_either_back_end() {
    let _serial = SERIAL.lock().await;
    let postgres = crate::db::testing::fresh_postgres_schema().await;
    for database in ["", postgres.as_str()] {
        let server = start_server_with(&[
            ("ONAIR_DEMO_ENABLED", "false"),
            ("ONAIR_DATABASE_URL", database),
        ])
        .await;
        let response = reqwest::get(format!("http://{}/health", server.addr))
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let report: serde_json::Value = response.json().await.unwrap();
        assert_eq!(
            report,
            serde_json::json!({"database": "up", "nats": "not used"}),
            "{database:?}"
        );
        server.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_off_by_default_and_read_with_their_token() {
    let _serial = SERIAL.lock().await;
    let off = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let status = reqwest::get(format!("http://{}/metrics", off.addr))
        .await
        .unwrap()
        .status();
    assert_eq!(status, 404, "off unless enabled");
    off.shutdown().await.unwrap();

    let server = start_server_with(&[
        ("ONAIR_METRICS_ENABLED", "true"),
        ("ONAIR_METRICS_TOKEN", "s3cret-scraper-token"),
    ])
    .await;
    let base = format!("http://{}", server.addr);
    read_events(&format!("{base}/live/demo/events"), None, |e| {
        media_count(e) >= 3
    })
    .await;
    let client = reqwest::Client::new();
    let scrape = |token: Option<&'static str>| {
        let mut request = client.get(format!("{base}/metrics"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_eq!(scrape(None).await.unwrap().status(), 401);
    assert_eq!(scrape(Some("guess")).await.unwrap().status(), 401);
    let page = scrape(Some("s3cret-scraper-token")).await.unwrap();
    assert_eq!(page.status(), 200);
    let text = page.text().await.unwrap();
    for line in [
        "onair_live_broadcasts 1",
        "onair_viewers{channel=\"demo\"}",
        "onair_fragments_published_total",
        "onair_fragment_age_at_publish_seconds",
        "onair_viewer_bytes_sent_total",
        "onair_event_streams_open",
    ] {
        assert!(text.contains(line), "{line} in:\n{text}");
    }
    server.shutdown().await.unwrap();
}
