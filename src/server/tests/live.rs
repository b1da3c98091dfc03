//! Watching over real HTTP: the demo's event stream decodes (in gzip too, for a browser that
//! takes it), resumes without gap or repeat,
//! counts its viewers (never the owner's studio preview), drops a viewer who stops reading,
//! and holds a bounded number of streams per address; a live stream outlives the header
//! timeout.

use std::io::{Read, Write};
use std::time::Duration;

use eventsource_stream::Eventsource;
use futures::StreamExt;

use super::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_stream_decodes_with_ffprobe() {
    let _serial = SERIAL.lock().await;
    let server = start_server().await;
    let url = format!("http://{}/live/demo/events", server.addr);
    let (headers, events) = read_events(&url, None, |e| media_count(e) >= 25).await;

    assert_eq!(headers["content-type"], "text/event-stream");
    assert_eq!(headers["cache-control"], "no-cache");
    assert_eq!(headers["x-accel-buffering"], "no");
    assert_eq!(events[0].name, "status", "status comes first");
    let init_at = events
        .iter()
        .position(|e| e.name == "init")
        .expect("an init event");
    let first_media = events.iter().position(|e| e.name == "media").unwrap();
    assert!(init_at < first_media, "init before any media");
    let ids: Vec<u64> = events
        .iter()
        .filter(|e| e.name == "media")
        .map(|e| e.id.expect("media has an id"))
        .collect();
    // One sequence numbers every rung's fragments: a viewer's ids only grow.
    assert!(ids.windows(2).all(|w| w[1] > w[0]), "growing ids: {ids:?}");

    // The first media event starts with a keyframe; the whole thing is playable video.
    assert!(starts_with_keyframe(&events[init_at], &events[first_media]));
    let frames = decoded_frames(&events);
    assert!(frames > 30, "decoded {frames} video frames");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_that_takes_gzip_gets_the_same_stream_in_a_quarter_fewer_bytes() {
    let _serial = SERIAL.lock().await;
    let server = start_server().await;
    let url = format!("http://{}/live/demo/events", server.addr);
    let response = reqwest::Client::new()
        .get(&url)
        .header("accept-encoding", "gzip, deflate, br, zstd")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-encoding"], "gzip");
    assert_eq!(response.headers()["vary"], "accept-encoding");
    let mut body = response.bytes_stream();
    let mut wire = Vec::new();
    let mut decoder = flate2::write::GzDecoder::new(Vec::new());
    let plain = |decoder: &flate2::write::GzDecoder<Vec<u8>>| {
        events_in(&String::from_utf8_lossy(decoder.get_ref()))
    };
    let read = async {
        while media_count(&plain(&decoder)) < 25 {
            let chunk = body.next().await.expect("stays open").expect("reads");
            wire.extend_from_slice(&chunk);
            decoder.write_all(&chunk).unwrap();
            decoder.flush().unwrap();
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .expect("25 fragments within 30 s");
    // What arrived decodes as it arrived: whole events, playable video.
    let events = plain(&decoder);
    assert_eq!(events[0].name, "status");
    let frames = decoded_frames(&events);
    assert!(frames > 30, "decoded {frames} video frames");
    // Base64's third is taken back on the wire.
    let (on_wire, decoded) = (wire.len(), decoder.get_ref().len());
    println!("gzip: {on_wire} bytes on the wire for {decoded} bytes of events");
    assert!(
        on_wire * 100 < decoded * 85,
        "{on_wire} bytes on the wire for {decoded} of events"
    );

    // The server shutting down ends the stream with gzip's own end, whose check of everything
    // the stream carried holds.
    let rest = async {
        let mut rest = Vec::new();
        while let Some(chunk) = body.next().await {
            rest.extend_from_slice(&chunk.expect("ends cleanly"));
        }
        rest
    };
    let (shut, rest) = tokio::join!(server.shutdown(), async {
        tokio::time::timeout(Duration::from_secs(10), rest)
            .await
            .expect("the stream ends")
    });
    shut.unwrap();
    wire.extend_from_slice(&rest);
    let mut whole = Vec::new();
    flate2::read::GzDecoder::new(wire.as_slice())
        .read_to_end(&mut whole)
        .expect("a whole gzip stream whose check holds");
    assert!(whole.starts_with(decoder.get_ref()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_event_id_resumes_with_no_gap_and_no_duplicate() {
    let _serial = SERIAL.lock().await;
    let server = start_server().await;
    let url = format!("http://{}/live/demo/events", server.addr);
    let (_, first) = read_events(&url, None, |e| media_count(e) >= 8).await;
    let ids: Vec<u64> = first.iter().filter_map(|e| e.id).collect();
    // As if the first connection had dropped after its fifth fragment.
    let (last, next) = (ids[4], ids[5]);
    let (_, resumed) = read_events(&url, Some(last), |e| media_count(e) >= 3).await;
    let init_at = resumed
        .iter()
        .position(|e| e.name == "init")
        .expect("init again on a new connection");
    let media: Vec<u64> = resumed
        .iter()
        .filter(|e| e.name == "media")
        .filter_map(|e| e.id)
        .collect();
    assert_eq!(
        media[0], next,
        "continues with the fragment that followed the last one it had"
    );
    assert!(init_at < resumed.iter().position(|e| e.name == "media").unwrap());
    // An id the server never held: init and the newest keyframe instead.
    let (_, fresh) = read_events(&url, Some(1), |e| media_count(e) >= 1).await;
    let media = fresh.iter().find(|e| e.name == "media").unwrap();
    let init = fresh.iter().find(|e| e.name == "init").unwrap();
    assert!(starts_with_keyframe(init, media));
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_request_is_closed_but_a_live_stream_outlives_the_header_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_SERVER_HEADER_TIMEOUT_SECS", "1")]).await;
    let url = format!("http://{}/live/demo/events", server.addr);
    let watching = reqwest::get(&url).await.expect("connects");
    let mut events = watching.bytes_stream().eventsource();
    next_event(&mut events, "media").await;

    // A client that sends part of a request head, then nothing: the server hangs up on it.
    let mut stalled = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    stalled
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), stalled.read_to_end(&mut answer))
        .await
        .expect("the server closes a half-sent request instead of waiting for ever");
    assert!(
        closed.is_err() || !String::from_utf8_lossy(&answer).contains("200 OK"),
        "no page for a request that never finished: {answer:?}"
    );

    // The stream opened before is older than the timeout and still delivers media.
    let media = next_event(&mut events, "media").await;
    assert!(!media.data.is_empty());
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_viewers_see_the_count_go_one_two_one() {
    let _serial = SERIAL.lock().await;
    let server = start_server().await;
    let url = |tab: &str| format!("http://{}/live/demo/events?viewer={tab}", server.addr);
    let mut a = reqwest::get(url("tab-a"))
        .await
        .unwrap()
        .bytes_stream()
        .eventsource();
    assert_eq!(next_viewer_count(&mut a).await, 1);
    let mut b = reqwest::get(url("tab-b"))
        .await
        .unwrap()
        .bytes_stream()
        .eventsource();
    assert_eq!(
        next_viewer_count(&mut b).await,
        2,
        "a newcomer gets the count at once"
    );
    assert_eq!(next_viewer_count(&mut a).await, 2);
    // A second connection of tab a (a reconnect) does not count.
    let mut again = reqwest::get(url("tab-a"))
        .await
        .unwrap()
        .bytes_stream()
        .eventsource();
    assert_eq!(next_viewer_count(&mut again).await, 2);
    drop(again);
    drop(b);
    assert_eq!(
        next_viewer_count(&mut a).await,
        1,
        "a closed connection stops counting"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owners_studio_preview_plays_but_is_not_counted_as_a_viewer() {
    let _serial = SERIAL.lock().await;
    let server = start_server().await;
    let url = |query: &str| format!("http://{}/live/demo/events?{query}", server.addr);
    let mut preview = reqwest::get(url("preview=1"))
        .await
        .unwrap()
        .bytes_stream()
        .eventsource();
    assert_eq!(next_viewer_count(&mut preview).await, 0);
    let media = next_event(&mut preview, "media").await;
    assert!(!media.data.is_empty(), "the preview plays");
    let mut viewer = reqwest::get(url("viewer=tab-a"))
        .await
        .unwrap()
        .bytes_stream()
        .eventsource();
    assert_eq!(next_viewer_count(&mut viewer).await, 1);
    assert_eq!(next_viewer_count(&mut preview).await, 1);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_who_stops_reading_is_dropped_and_stops_counting() {
    use tokio::io::AsyncWriteExt;

    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_SERVER_WRITE_TIMEOUT_SECS", "2")]).await;
    let url = format!("http://{}/live/demo/events?viewer=reading", server.addr);
    let mut reading = reqwest::get(url)
        .await
        .unwrap()
        .bytes_stream()
        .eventsource();
    assert_eq!(next_viewer_count(&mut reading).await, 1);
    // A client that asks for the stream and never reads a byte of it.
    let mut stalled = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    socket2::SockRef::from(&stalled)
        .set_recv_buffer_size(16 * 1024)
        .unwrap();
    stalled
        .write_all(b"GET /live/demo/events?viewer=stalled HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(next_viewer_count(&mut reading).await, 2);
    // Once its window has been shut for the write timeout, it is gone, and the count says so.
    let count = tokio::time::timeout(Duration::from_secs(60), next_viewer_count(&mut reading))
        .await
        .expect("the stalled viewer is dropped within a minute");
    assert_eq!(count, 1);
    drop(stalled);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_holds_a_bounded_number_of_live_streams() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_LIVE_MAX_STREAMS_PER_ADDRESS", "2")]).await;
    let url = |tab: &str| format!("http://{}/live/demo/events?viewer={tab}", server.addr);
    let first = reqwest::get(url("a")).await.unwrap();
    let second = reqwest::get(url("b")).await.unwrap();
    assert_eq!(
        (first.status().as_u16(), second.status().as_u16()),
        (200, 200)
    );
    let third = reqwest::get(url("c")).await.unwrap();
    assert_eq!(third.status().as_u16(), 429);
    assert!(third.text().await.unwrap().contains("close some tabs"));
    // A closed stream gives its place back.
    drop(first);
    let again = eventually(
        "a place is free once a stream closes",
        Duration::from_secs(10),
        || async {
            let response = reqwest::get(url("c")).await.unwrap();
            (response.status().as_u16() == 200).then_some(response)
        },
    )
    .await;
    let mut events = again.bytes_stream().eventsource();
    next_event(&mut events, "init").await;
    drop(second);
    server.shutdown().await.unwrap();
}
