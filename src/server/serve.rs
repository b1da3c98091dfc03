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
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

use crate::open_connections::{Caps, OpenConnections};

/// hyper's per-connection write buffer: its minimum (8 KiB) instead of its default (~417 KiB).
const WRITE_BUFFER: usize = 8 * 1024;

/// How connections are accepted and served.
#[derive(Clone, Debug)]
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
                request
            });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(tcp), TowerToHyperService::new(service))
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(%err, "connection ended with an error");
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
