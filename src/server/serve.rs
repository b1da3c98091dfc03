//! Accepts connections and serves the router on them, tuned for live streams, until shutdown.
//!
//! A viewer that reads slower than the stream must be noticed by the hub (which skips it
//! forward), not hidden in buffers. So each connection gets a small hyper write buffer (one
//! event in flight beyond the minimum), a bounded kernel send buffer, and no Nagle delay.
//! A connection must send a whole request head within `header_timeout` (and an idle keep-alive
//! connection send its next one within it), so half-open requests cannot pile up; a response
//! being written (an SSE stream) is never cut by it. On shutdown the listener closes and open
//! connections are drained gracefully; SSE streams end on the same signal.

use std::io;
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

/// hyper's per-connection write buffer: its minimum (8 KiB) instead of its default (~417 KiB).
const WRITE_BUFFER: usize = 8 * 1024;

pub async fn serve(
    listener: TcpListener,
    app: Router,
    send_buffer: usize,
    header_timeout: Duration,
    stop: CancellationToken,
) -> io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .max_buf_size(WRITE_BUFFER)
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
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
        tune_connection(&tcp, send_buffer);
        let service = app
            .clone()
            .map_request(move |request: hyper::Request<Incoming>| {
                let mut request = request.map(Body::new);
                // Who is asking, for throttling by address.
                request.extensions_mut().insert(ConnectInfo(peer));
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
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// No Nagle delay on small events, and a bounded kernel send buffer.
fn tune_connection(tcp: &TcpStream, send_buffer: usize) {
    if let Err(err) = tcp.set_nodelay(true) {
        tracing::debug!(%err, "TCP_NODELAY not set");
    }
    if let Err(err) = socket2::SockRef::from(tcp).set_send_buffer_size(send_buffer) {
        tracing::debug!(%err, "send buffer size not set");
    }
}
