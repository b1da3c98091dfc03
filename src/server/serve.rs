//! Accepts connections and serves the router on them, tuned for live streams, until shutdown.
//!
//! A viewer that reads slower than the stream must be noticed by the hub (which skips it
//! forward), not hidden in buffers. So each connection gets a small hyper write buffer (one
//! event in flight beyond the minimum), a bounded kernel send buffer, and no Nagle delay.
//! A connection must send a whole request head within `header_timeout` (and an idle keep-alive
//! connection send its next one within it), so half-open requests cannot pile up; a response
//! being written (an SSE stream) is never cut by it; but a client that stops reading it is
//! dropped by the kernel after `write_timeout` (and stops counting as a viewer). Connections are capped in total and per
//! client address (a connection over the caps is closed at once). On shutdown the listener
//! closes and open connections are drained gracefully for at most `drain`; SSE streams end on
//! the same signal.
//!
//! With a certificate (`tls`) connections are HTTPS, offering HTTP/2 (one connection carries
//! every tab's event stream) and HTTP/1.1; the TLS handshake must finish within
//! `header_timeout`. Over HTTP/2 a stream's unsent data is capped as small as HTTP/1.1's write
//! buffer, so a viewer who stops reading still backs up into the hub, which skips them; a
//! connection that stops answering pings is closed.
//!
//! Behind a reverse proxy every client shares the proxy's address: for a peer listed in
//! `trusted_proxies`, the client is the last address `X-Forwarded-For` names that is not a
//! trusted proxy (what the proxy itself saw), and that proxy's connections count against the
//! total cap only. Whatever is found is the request's `ConnectInfo`, which throttles read.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

use crate::open_connections::{Caps, OpenConnections};

/// hyper's per-connection write buffer: its minimum (8 KiB) instead of its default (~417 KiB).
const WRITE_BUFFER: usize = 8 * 1024;
/// HTTP/2: unsent bytes a stream may queue (hyper's default is 400 KiB).
const STREAM_SEND_BUFFER: usize = 16 * 1024;
/// HTTP/2: how often a quiet connection is pinged, and how long the answer may take.
const PING_EVERY: Duration = Duration::from_secs(20);

/// How connections are accepted and served.
#[derive(Clone)]
pub struct ServeConfig {
    /// Kernel send buffer per connection, bytes.
    pub send_buffer: usize,
    pub header_timeout: Duration,
    pub caps: Caps,
    pub trusted_proxies: Arc<[IpAddr]>,
    /// The longest shutdown waits for open connections to finish.
    pub drain: Duration,
    /// The longest sent data may wait unacknowledged, or a reader's window stay shut, before
    /// the kernel drops the connection (TCP_USER_TIMEOUT): a viewer who stopped reading is
    /// gone, and stops counting, after this.
    pub write_timeout: Duration,
    /// HTTPS (HTTP/2 and HTTP/1.1) with this certificate; plain HTTP/1.1 without.
    pub tls: Option<TlsAcceptor>,
}

/// Serves `app` on `listener`, counting connections in `open` (within `config.caps`).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    config: ServeConfig,
    open: OpenConnections,
    stop: CancellationToken,
) -> io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .max_buf_size(WRITE_BUFFER)
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_send_buf_size(STREAM_SEND_BUFFER)
        .keep_alive_interval(PING_EVERY)
        .keep_alive_timeout(PING_EVERY);
    let graceful = GracefulShutdown::new();
    loop {
        let (tcp, peer) = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Usually out of file descriptors: wait a moment instead of spinning.
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let proxy = config.trusted_proxies.contains(&peer.ip());
        let slot = if proxy {
            open.take_shared(peer.ip())
        } else {
            open.take(peer.ip())
        };
        let Some(slot) = slot else {
            tracing::debug!(%peer, "connection refused: too many connections");
            continue;
        };
        tune_connection(&tcp, &config);
        let trusted = config.trusted_proxies.clone();
        let service = app
            .clone()
            .map_request(move |request: hyper::Request<Incoming>| {
                let mut request = request.map(Body::new);
                // Who is asking, for throttling by address.
                let client = if proxy {
                    forwarded_client(request.headers(), &trusted).unwrap_or(peer.ip())
                } else {
                    peer.ip()
                };
                request
                    .extensions_mut()
                    .insert(ConnectInfo(SocketAddr::new(client, peer.port())));
                with_host(&mut request);
                request
            });
        let (builder, watcher) = (builder.clone(), graceful.watcher());
        let (tls, handshake_within) = (config.tls.clone(), config.header_timeout);
        tokio::spawn(async move {
            match tls {
                None => serve_connection(&builder, tcp, service, watcher).await,
                Some(tls) => match tokio::time::timeout(handshake_within, tls.accept(tcp)).await {
                    Ok(Ok(stream)) => serve_connection(&builder, stream, service, watcher).await,
                    Ok(Err(err)) => tracing::debug!(%err, %peer, "TLS handshake failed"),
                    Err(_) => tracing::debug!(%peer, "TLS handshake too slow"),
                },
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(config.drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            open = open.total(),
            "connections still open after {:?}; stopping anyway",
            config.drain
        );
    }
    Ok(())
}

/// Serves requests on one connection (plain or TLS) until it ends or shutdown drains it.
async fn serve_connection<S, IO>(
    builder: &Builder<TokioExecutor>,
    io: IO,
    service: S,
    watcher: hyper_util::server::graceful::Watcher,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: tower::Service<
            hyper::Request<Incoming>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let connection =
        builder.serve_connection_with_upgrades(TokioIo::new(io), TowerToHyperService::new(service));
    if let Err(err) = watcher.watch(connection.into_owned()).await {
        tracing::debug!(%err, "connection ended with an error");
    }
}

/// An HTTP/2 request names its host in the URI (`:authority`), not in a `Host` header: it is
/// copied there, so the same-site checks and the pages see one host however the request came.
fn with_host<B>(request: &mut hyper::Request<B>) {
    if request.headers().contains_key(hyper::header::HOST) {
        return;
    }
    let authority = request.uri().authority().map(|a| a.as_str().to_owned());
    if let Some(value) = authority.and_then(|a| hyper::header::HeaderValue::from_str(&a).ok()) {
        request.headers_mut().insert(hyper::header::HOST, value);
    }
}

/// The client a trusted proxy forwards for: the last `X-Forwarded-For` address that is not
/// itself a trusted proxy. (Earlier entries are whatever the client claimed.)
fn forwarded_client(headers: &hyper::HeaderMap, trusted: &[IpAddr]) -> Option<IpAddr> {
    let mut chain: Vec<IpAddr> = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        for entry in value.to_str().ok()?.split(',') {
            chain.push(entry.trim().parse().ok()?);
        }
    }
    chain.into_iter().rev().find(|ip| !trusted.contains(ip))
}

/// No Nagle delay on small events, a bounded kernel send buffer, and a write deadline.
fn tune_connection(tcp: &TcpStream, config: &ServeConfig) {
    if let Err(err) = tcp.set_nodelay(true) {
        tracing::debug!(%err, "TCP_NODELAY not set");
    }
    let socket = socket2::SockRef::from(tcp);
    if let Err(err) = socket.set_send_buffer_size(config.send_buffer) {
        tracing::debug!(%err, "send buffer size not set");
    }
    if let Err(err) = socket.set_tcp_user_timeout(Some(config.write_timeout)) {
        tracing::debug!(%err, "TCP_USER_TIMEOUT not set");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> hyper::HeaderMap {
        let mut headers = hyper::HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn the_client_is_the_last_forwarded_address_that_is_not_a_trusted_proxy() {
        let trusted: Vec<IpAddr> = vec!["10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap()];
        let client = |values: &[&str]| forwarded_client(&headers(values), &trusted);
        // What the client claims comes first; the proxies append what they saw.
        assert_eq!(
            client(&["6.6.6.6, 203.0.113.7, 10.0.0.2"]),
            Some("203.0.113.7".parse().unwrap())
        );
        assert_eq!(
            client(&["6.6.6.6", "203.0.113.7"]),
            Some("203.0.113.7".parse().unwrap())
        );
        assert_eq!(client(&[]), None, "then the proxy's own address is used");
        assert_eq!(client(&["not an address"]), None);
        assert_eq!(client(&["10.0.0.1"]), None);
    }
}
