//! Issue 25 over HTTP: what one client can do to the server (bodies that never finish,
//! connections that say nothing or half a preface, an HTTP/2 stream it never reads, a header
//! that lies about who it is, a host name that is not ours), and what holds afterwards.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use eventsource_stream::Eventsource;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::https::{start_https_with_pem, tls_to};
use super::support::{SERIAL, next_viewer_count, start_server_with};
use crate::error::AppError;

/// Reads until the server closes; how long that took. Fails past `within`.
async fn closed_within<S: AsyncRead + Unpin>(
    mut stream: S,
    within: Duration,
) -> (Duration, Vec<u8>) {
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let read = tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "still open after {within:?}");
    (started.elapsed(), answer)
}

/// A POST of a server function's form whose head says `length` bytes.
fn post_head(length: usize) -> String {
    format!(
        "POST /api/sign_in HTTP/1.1\r\nHost: localhost\r\nContent-Type: \
         application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n\r\n"
    )
}

/// The status and body of the HTTP/1.1 answer in `bytes`.
fn answer_of(bytes: &[u8]) -> (u16, String) {
    let text = String::from_utf8_lossy(bytes);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, body.to_string())
}

/// Item 6: a body that is too large is refused at once, before it is read; one that stops
/// coming is answered 408 at the deadline (it was never timed out); more than a few being read
/// at once from one client are refused. Each answer is the server functions' own error, with a
/// message the form shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_bodies_are_bounded_in_size_time_and_number() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[
        ("ONAIR_DEMO_ENABLED", "false"),
        ("ONAIR_SERVER_HEADER_TIMEOUT_SECS", "2"),
    ])
    .await;

    // 2,000,000 bytes declared: 413 before a byte of it is read.
    let mut large = TcpStream::connect(server.addr).await.unwrap();
    large
        .write_all(post_head(2_000_000).as_bytes())
        .await
        .unwrap();
    let started = Instant::now();
    let (status, body) = answer_of(&read_some(&mut large).await);
    let took = started.elapsed();
    assert_eq!(status, 413, "{body}");
    let err: AppError = serde_json::from_str(&body).unwrap();
    assert!(err.to_string().contains("64 KiB"), "{err}");
    assert!(took < Duration::from_secs(1), "{took:?}");

    // Declared 60,000, half sent, then silence: 408 at the deadline, not never.
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(post_head(60_000).as_bytes()).await.unwrap();
    slow.write_all(&[b'a'; 30_000]).await.unwrap();
    let started = Instant::now();
    let (status, body) = answer_of(&read_some(&mut slow).await);
    let took = started.elapsed();
    assert_eq!(status, 408, "{body}");
    assert!(body.contains("did not arrive within 2 s"), "{body}");
    assert!(took >= Duration::from_millis(1500), "{took:?}");

    // A chunked body without a length: 64 KiB, then one byte more, then nothing: 413. (The
    // client sends no more than the server reads, so the answer is not lost to a reset.)
    let mut chunked = TcpStream::connect(server.addr).await.unwrap();
    chunked
        .write_all(
            b"POST /api/sign_in HTTP/1.1\r\nHost: localhost\r\nContent-Type: \
              application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n",
        )
        .await
        .unwrap();
    for _ in 0..8 {
        chunked.write_all(b"2000\r\n").await.unwrap();
        chunked.write_all(&[b'a'; 8192]).await.unwrap();
        chunked.write_all(b"\r\n").await.unwrap();
    }
    chunked.write_all(b"1\r\na\r\n").await.unwrap();
    let (status, body) = answer_of(&read_some(&mut chunked).await);
    assert_eq!(status, 413, "{body}");

    // Eight bodies trickling in from one address: a ninth is refused at once (429), while
    // another address is still served.
    let mut trickling = Vec::new();
    for _ in 0..8 {
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        s.write_all(post_head(1000).as_bytes()).await.unwrap();
        s.write_all(b"username=").await.unwrap();
        trickling.push(s);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut ninth = TcpStream::connect(server.addr).await.unwrap();
    ninth.write_all(post_head(19).as_bytes()).await.unwrap();
    ninth.write_all(b"username=a&password").await.unwrap();
    let (status, body) = answer_of(&read_some(&mut ninth).await);
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("Too many requests at once"), "{body}");
    let mut other = other_address(server.addr).await;
    other.write_all(post_head(19).as_bytes()).await.unwrap();
    other.write_all(b"username=a&password").await.unwrap();
    let (status, _) = answer_of(&read_some(&mut other).await);
    assert_ne!(status, 429, "another address is not held up");
    drop(trickling);
    server.shutdown().await.unwrap();
}

/// What arrives on `stream` within 5 s (at least something).
async fn read_some(stream: &mut TcpStream) -> Vec<u8> {
    let mut buf = vec![0u8; 8192];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
        .await
        .expect("an answer within 5 s")
        .unwrap();
    buf.truncate(n);
    buf
}

/// A connection to `addr` from another loopback address (127.0.0.2).
async fn other_address(addr: SocketAddr) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
    socket.connect(addr).await.unwrap()
}

/// Item 7 on plain HTTP: a connection that says nothing, and one that sends part of the HTTP/2
/// preface (plain HTTP speaks HTTP/1.1 only, so it is not waited for as HTTP/2), are closed
/// within the header deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_half_prefaced_plain_connections_close_at_the_deadline() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[
        ("ONAIR_DEMO_ENABLED", "false"),
        ("ONAIR_SERVER_HEADER_TIMEOUT_SECS", "2"),
    ])
    .await;
    let silent = TcpStream::connect(server.addr).await.unwrap();
    let (took, _) = closed_within(silent, Duration::from_secs(6)).await;
    assert!(
        took >= Duration::from_millis(1500),
        "not before the deadline: {took:?}"
    );

    let mut half = TcpStream::connect(server.addr).await.unwrap();
    half.write_all(b"PRI * HTTP/2.0\r\n\r\n").await.unwrap();
    let (_, answer) = closed_within(half, Duration::from_secs(6)).await;
    assert!(
        !answer.starts_with(&[0, 0]),
        "no HTTP/2 frames on plain HTTP: {answer:?}"
    );

    // The whole preface and an HTTP/2 request get no HTTP/2 answer either.
    let mut h2c = TcpStream::connect(server.addr).await.unwrap();
    h2c.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
        .await
        .unwrap();
    let (_, answer) = closed_within(h2c, Duration::from_secs(6)).await;
    assert!(
        answer.is_empty() || answer.starts_with(b"HTTP/1.1 4"),
        "{answer:?}"
    );
    server.shutdown().await.unwrap();
}

/// Item 7 over TLS: a connection silent before its handshake, one that negotiates HTTP/2 and
/// then sends nothing or half the preface, and an HTTP/2 connection left idle after a request,
/// are all closed within the header deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_half_prefaced_and_idle_http2_connections_close_at_the_deadline() {
    let _serial = SERIAL.lock().await;
    let (server, _, _, pem) = start_https_with_pem(&[
        ("ONAIR_DEMO_ENABLED", "false"),
        ("ONAIR_SERVER_HEADER_TIMEOUT_SECS", "2"),
    ])
    .await;
    let limit = Duration::from_secs(6);
    let silent = TcpStream::connect(server.addr).await.unwrap();
    closed_within(silent, limit).await;

    let quiet = tls_to(server.addr, &pem, b"h2").await;
    assert_eq!(quiet.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (took, _) = closed_within(quiet, limit).await;
    assert!(took >= Duration::from_millis(1500), "{took:?}");

    let mut half = tls_to(server.addr, &pem, b"h2").await;
    half.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap();
    half.flush().await.unwrap();
    closed_within(half, limit).await;

    // A real HTTP/2 client: one request, then nothing. The connection is closed once it has
    // been idle for the deadline.
    let tls = tls_to(server.addr, &pem, b"h2").await;
    let (client, connection) = h2::client::handshake(tls).await.unwrap();
    let closed = tokio::spawn(async move {
        let _ = connection.await;
        Instant::now()
    });
    let mut client = client.ready().await.unwrap();
    let request = http::Request::get(format!("https://onair.test:{}/health", server.addr.port()))
        .body(())
        .unwrap();
    let (response, _) = client.send_request(request, true).unwrap();
    let mut body = response.await.unwrap().into_body();
    while body.data().await.is_some() {}
    let answered = Instant::now();
    let closed_at = tokio::time::timeout(limit, closed)
        .await
        .expect("the idle HTTP/2 connection is closed")
        .unwrap();
    assert!(closed_at - answered >= Duration::from_millis(1500));
    server.shutdown().await.unwrap();
}

/// Item 8: an HTTP/2 stream whose reader keeps its window shut while the connection answers
/// pings (the client library answers them) stops counting as a viewer after the write
/// timeout, and is reset when it is next read; the connection's other streams play on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_http2_stream_stops_counting_and_is_reset() {
    let _serial = SERIAL.lock().await;
    let (server, client, base, pem) = start_https_with_pem(&[
        ("ONAIR_SERVER_WRITE_TIMEOUT_SECS", "2"),
        ("ONAIR_SERVER_KEEP_ALIVE_SECS", "1"),
    ])
    .await;
    let watching = client
        .get(format!("{base}/live/demo/events?viewer=watching"))
        .send()
        .await
        .unwrap();
    let mut counts = watching.bytes_stream().eventsource();
    assert_eq!(next_viewer_count(&mut counts).await, 1);

    let tls = tls_to(server.addr, &pem, b"h2").await;
    let (h2, connection) = h2::client::Builder::new()
        .initial_window_size(1024)
        .handshake::<_, bytes::Bytes>(tls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let mut h2 = h2.ready().await.unwrap();
    let request = http::Request::get(format!(
        "https://onair.test:{}/live/demo/events?viewer=stalled",
        server.addr.port()
    ))
    .body(())
    .unwrap();
    let (response, _) = h2.send_request(request, true).unwrap();
    let mut stalled = response.await.unwrap().into_body();
    assert_eq!(next_viewer_count(&mut counts).await, 2);
    // Its window stays shut (1 KiB, never released): within the stall limit it stops counting.
    let count = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            if next_viewer_count(&mut counts).await == 1 {
                return 1;
            }
        }
    })
    .await
    .expect("the stalled stream stops counting");
    assert_eq!(count, 1);
    // Reading it again: it ends with an error (reset), not with the backlog.
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stalled.data().await {
                Some(Ok(chunk)) => {
                    let _ = stalled.flow_control().release_capacity(chunk.len());
                }
                Some(Err(err)) => return Err(err),
                None => return Ok(()),
            }
        }
    })
    .await
    .expect("the stalled stream ends once read");
    assert!(ended.is_err(), "reset, not finished: {ended:?}");
    server.shutdown().await.unwrap();
}

/// Item 9: behind a trusted proxy on this machine, a request whose `X-Forwarded-For` cannot be
/// read, is missing, or names only the proxy is an unknown client, never the proxy itself: it
/// does not get this machine's access to `/metrics`, which a request straight from loopback
/// still has.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forwarded_request_never_gets_the_proxys_own_standing() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[
        ("ONAIR_DEMO_ENABLED", "false"),
        ("ONAIR_METRICS_ENABLED", "true"),
        ("ONAIR_SERVER_TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    let client = reqwest::Client::new();
    let metrics = |forwarded: Option<&'static str>| {
        let mut request = client.get(format!("http://{}/metrics", server.addr));
        if let Some(forwarded) = forwarded {
            request = request.header("x-forwarded-for", forwarded);
        }
        request.send()
    };
    for forwarded in [Some("x"), Some("203.0.113.9, x"), None, Some("127.0.0.1")] {
        let status = metrics(forwarded).await.unwrap().status();
        assert_eq!(status, 403, "{forwarded:?}");
    }
    // Straight from loopback (not through the proxy): still readable.
    let direct = start_server_with(&[
        ("ONAIR_DEMO_ENABLED", "false"),
        ("ONAIR_METRICS_ENABLED", "true"),
    ])
    .await;
    let status = reqwest::get(format!("http://{}/metrics", direct.addr))
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    direct.shutdown().await.unwrap();
    server.shutdown().await.unwrap();
}

/// Item 10: DNS rebinding. A page on the attacker's own name, resolved to this server, sends
/// requests whose Origin equals their Host; the Host is not one of ours, so they answer 421
/// with what to do, and nothing runs. Our names, IP addresses and localhost are served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_for_a_host_name_that_is_not_ours_are_misdirected() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[
        ("ONAIR_DEMO_ENABLED", "false"),
        ("ONAIR_SERVER_PUBLIC_HOSTS", "live.example.org"),
    ])
    .await;
    let client = reqwest::Client::new();
    let url = |path: &str| format!("http://{}{path}", server.addr);
    let as_host = |host: &'static str, path: &str| client.get(url(path)).header("host", host);
    let rebound = as_host("rebind.attacker.example", "/")
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 421);
    assert!(rebound.text().await.unwrap().contains("public_hosts"));
    let sign_up = client
        .post(url("/api/sign_up"))
        .header("host", "rebind.attacker.example")
        .header("origin", "http://rebind.attacker.example")
        .form(&[("username", "rebound"), ("password", "correct horse 1")])
        .send()
        .await
        .unwrap();
    assert_eq!(sign_up.status(), 421);
    for ours in ["live.example.org", "localhost", "127.0.0.1"] {
        let page = as_host(ours, "/").send().await.unwrap();
        assert_eq!(page.status(), 200, "{ours}");
    }
    // The Origin check compares the scheme too: an https page is not this http site.
    let mixed = client
        .post(url("/api/sign_up"))
        .header("host", "live.example.org")
        .header("origin", "https://live.example.org")
        .form(&[("username", "mixed"), ("password", "correct horse 1")])
        .send()
        .await
        .unwrap();
    assert_eq!(mixed.status(), 403);
    server.shutdown().await.unwrap();
}
