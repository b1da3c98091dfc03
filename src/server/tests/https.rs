//! HTTPS with HTTP/2, served by OnAir itself with a certificate made for the test; and
//! HTTP/2's streams, one per tab, each kept to its own pace.

use std::time::Duration;

use eventsource_stream::Eventsource;
use futures::StreamExt;

use super::support::{
    SERIAL, TestServer, browser, continuous, events_in, start_server_with, timeline,
};
use super::support::{call, session_set_cookie};
use crate::server::Settings;

/// The test site's name; the client resolves it to the server's loopback address.
const HOST: &str = "onair.test";

/// A self-signed certificate for [`HOST`], written as PEM files in `dir`; returns the
/// certificate's PEM (for the client to trust) and the two paths.
fn certificate(dir: &std::path::Path) -> (String, String, String) {
    let made = rcgen::generate_simple_self_signed(vec![HOST.to_string()]).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    let shown = |p: &std::path::Path| p.display().to_string();
    (made.cert.pem(), shown(&cert), shown(&key))
}

async fn start_https(extra: &[(&str, &str)]) -> (TestServer, reqwest::Client, String) {
    let (server, client, base, _) = start_https_with_pem(extra).await;
    (server, client, base)
}

/// [`start_https`], with the certificate's PEM for clients of the test's own making.
pub(super) async fn start_https_with_pem(
    extra: &[(&str, &str)],
) -> (TestServer, reqwest::Client, String, String) {
    let certs = tempfile::tempdir().unwrap();
    let (pem, cert, key) = certificate(certs.path());
    let mut vars = vec![
        ("ONAIR_SERVER_TLS_CERT", cert.as_str()),
        ("ONAIR_SERVER_TLS_KEY", key.as_str()),
        ("ONAIR_SERVER_PUBLIC_HOSTS", HOST),
    ];
    vars.extend_from_slice(extra);
    let server = start_server_with(&vars).await;
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
        .resolve(HOST, server.addr)
        .cookie_store(true)
        .build()
        .unwrap();
    let base = format!("https://{HOST}:{}", server.addr.port());
    (server, client, base, pem)
}

/// A TLS connection to `addr` as [`HOST`], trusting `pem`, offering only `alpn`.
pub(super) async fn tls_to(
    addr: std::net::SocketAddr,
    pem: &str,
    alpn: &[u8],
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    use rustls_pki_types::pem::PemObject;
    use tokio_rustls::rustls;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls_pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).unwrap())
        .unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls_pki_types::ServerName::try_from(HOST).unwrap();
    connector.connect(name, tcp).await.unwrap()
}

/// Ten viewers in one browser (one client): over HTTPS they share one HTTP/2 connection, and
/// every one of them gets the demo's init segment and video. (Over HTTP/1.1 a browser would
/// open at most six connections, and the seventh tab would wait.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_ten_viewers_share_one_http2_connection_and_all_play() {
    let _serial = SERIAL.lock().await;
    let (server, client, base) = start_https(&[]).await;
    let page = client.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(
        page.version(),
        reqwest::Version::HTTP_2,
        "ALPN chose HTTP/2"
    );
    assert_eq!(page.status(), 200);
    assert_eq!(
        page.headers()["strict-transport-security"],
        "max-age=31536000"
    );

    let viewer = |_| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            let response = client
                .get(format!("{base}/live/demo/events"))
                .send()
                .await
                .unwrap();
            assert_eq!(response.version(), reqwest::Version::HTTP_2);
            assert_eq!(response.status(), 200);
            let mut events = response.bytes_stream().eventsource();
            let (mut init, mut media) = (false, 0);
            while !(init && media >= 3) {
                let event = events.next().await.expect("the stream stays open").unwrap();
                init |= event.event == "init";
                media += usize::from(event.event == "media" && init);
            }
            events
        }
    };
    let streams = tokio::time::timeout(
        Duration::from_secs(30),
        futures::future::join_all((0..10usize).map(viewer)),
    )
    .await
    .expect("all ten play within 30 s");
    assert_eq!(
        server.state.connections.total(),
        1,
        "one connection carries all ten streams"
    );
    drop(streams);

    // Sign-up and sign-in work over HTTP/2 (the same-site check sees the host in
    // `:authority`); a foreign page is still refused.
    let form = [("username", "tlsana"), ("password", "correct horse 1")];
    let signed_up = client
        .post(format!("{base}/api/sign_up"))
        .header("origin", &base)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(signed_up.status().is_success(), "{}", signed_up.status());
    let cookie = session_set_cookie(&signed_up);
    assert!(
        cookie.contains("Secure"),
        "HTTPS implies Secure cookies: {cookie}"
    );
    let foreign = client
        .post(format!("{base}/api/sign_in"))
        .header("origin", "https://evil.example")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    assert!(
        call(&client, &base, "sign_in", Some(&form), None)
            .await
            .is_ok()
    );
    server.shutdown().await.unwrap();
}

/// A certificate without its key (or the reverse), or a file that is not one, stops the server
/// at start with a message naming the setting, instead of serving plain HTTP by surprise.
#[test]
fn a_half_or_wrong_certificate_setting_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let (_, cert, key) = certificate(dir.path());
    let serving = |vars: Vec<(&str, &str)>| {
        Settings::with_overrides(vars)
            .unwrap()
            .serving()
            .map(|_| ())
            .map_err(|err| err.to_string())
    };
    assert_eq!(serving(vec![]), Ok(()));
    assert_eq!(
        serving(vec![
            ("ONAIR_SERVER_TLS_CERT", cert.as_str()),
            ("ONAIR_SERVER_TLS_KEY", key.as_str())
        ]),
        Ok(())
    );
    let half = serving(vec![("ONAIR_SERVER_TLS_CERT", cert.as_str())]).unwrap_err();
    assert!(half.contains("tls_key"), "{half}");
    let swapped = serving(vec![
        ("ONAIR_SERVER_TLS_CERT", key.as_str()),
        ("ONAIR_SERVER_TLS_KEY", cert.as_str()),
    ])
    .unwrap_err();
    assert!(swapped.contains("tls_cert"), "{swapped}");
}

/// One HTTP/2 stream of `/live/demo/events` on `client`'s connection.
async fn open_events(
    client: &mut h2::client::SendRequest<bytes::Bytes>,
    addr: std::net::SocketAddr,
) -> h2::RecvStream {
    let request = http::Request::get(format!("https://{HOST}:{}/live/demo/events", addr.port()))
        .body(())
        .unwrap();
    let (response, _) = client.send_request(request, true).unwrap();
    let response = response.await.unwrap();
    assert_eq!(response.status(), 200);
    response.into_body()
}

/// Reads what has arrived on `stream` for `within`, releasing its window as a reader does;
/// returns the text.
async fn read_for(stream: &mut h2::RecvStream, within: Duration) -> String {
    let mut text = String::new();
    let _ = tokio::time::timeout(within, async {
        while let Some(chunk) = stream.data().await {
            let chunk = chunk.unwrap();
            let _ = stream.flow_control().release_capacity(chunk.len());
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await;
    text
}

/// The ids of the media events in SSE `text`.
fn media_ids(text: &str) -> Vec<u64> {
    text.split("\n\n")
        .filter(|event| event.contains("event: media"))
        .filter_map(|event| {
            event
                .lines()
                .find_map(|l| l.strip_prefix("id: ")?.parse().ok())
        })
        .collect()
}

/// Two tabs on one HTTP/2 connection: one stops reading (its stream's window stays shut).
/// The other is not held up, and gets every fragment in order; the stalled one, reading
/// again, is skipped forward to the live edge (told so, its ids jump) instead of being fed
/// the backlog. Slow-viewer detection works per stream, as over HTTP/1.1 per connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_http2_a_stalled_tab_is_skipped_forward_without_holding_up_the_others() {
    let _serial = SERIAL.lock().await;
    let (server, _, _, pem) = start_https_with_pem(&[]).await;
    let tcp = tls_to(server.addr, &pem, b"h2").await;
    // Small stream windows (64 KiB, about a second of the test's video), a large connection
    // window: only the stalled stream is held back by its reader.
    let (client, connection) = h2::client::Builder::new()
        .initial_window_size(65_535)
        .initial_connection_window_size(32 << 20)
        .handshake::<_, bytes::Bytes>(tcp)
        .await
        .unwrap();
    tokio::spawn(connection);
    let mut client = client.ready().await.unwrap();
    let mut reading = open_events(&mut client, server.addr).await;
    let mut stalled = open_events(&mut client, server.addr).await;

    let before = read_for(&mut stalled, Duration::from_millis(500)).await;
    // The stalled tab reads nothing for 6 s (past the 2.5 s a viewer may lag).
    let during = read_for(&mut reading, Duration::from_secs(6)).await;
    let ids = media_ids(&during);
    assert!(
        ids.len() >= 20,
        "the reading tab kept receiving: {} fragments",
        ids.len()
    );
    assert!(ids.windows(2).all(|w| w[1] > w[0]), "in order: {ids:?}");
    continuous(&events_in(&during)).expect("every fragment");
    let after = read_for(&mut stalled, Duration::from_secs(3)).await;
    assert!(
        after.contains(": skipped"),
        "the stalled tab is told it was skipped"
    );
    let stalled_ids = media_ids(&format!("{before}{after}"));
    let placed = timeline(&events_in(&format!("{before}{after}")));
    assert!(
        placed.windows(2).any(|w| w[1].1 - w[0].2 > 1.0),
        "the stalled tab's media jumps to the live edge: {placed:?}"
    );
    assert!(
        stalled_ids.last() >= ids.last(),
        "and it ends at the live edge with the others"
    );
    drop((reading, stalled, client));
    server.shutdown().await.unwrap();
}

/// Served over HTTPS (behind a TLS proxy, `secure_cookies`): the session cookie is Secure and
/// browsers are told to use HTTPS only for this site.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_the_cookie_is_secure_and_browsers_are_told_to_keep_to_https() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[
        ("ONAIR_DEMO_ENABLED", "false"),
        ("ONAIR_SERVER_SECURE_COOKIES", "true"),
    ])
    .await;
    let base = format!("http://{}", server.addr);
    let page = reqwest::get(format!("{base}/")).await.unwrap();
    assert_eq!(
        page.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    let signed_up = call(
        &browser(),
        &base,
        "sign_up",
        Some(&[("username", "secureana"), ("password", "correct horse 1")]),
        None,
    )
    .await
    .expect("sign-up works");
    let cookie = session_set_cookie(&signed_up);
    assert!(cookie.contains("Secure"), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    server.shutdown().await.unwrap();
}
