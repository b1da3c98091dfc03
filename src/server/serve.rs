//! Accepts connections and serves the router on them, tuned for live streams, until shutdown.
//!
//! A viewer that reads slower than the stream must be noticed by the hub (which skips it
//! forward), not hidden in buffers. So each connection gets a small hyper write buffer (one
//! event in flight beyond the minimum), a bounded kernel send buffer, and no Nagle delay.
//!
//! Every connection is on a clock from its first moment, whatever it speaks: plain HTTP is
//! HTTP/1.1 only (no protocol sniffing, which would wait for bytes with no deadline), whose
//! request head must arrive within `header_timeout` (and an idle keep-alive connection send
//! its next one within it); over TLS the handshake must finish within `header_timeout` and ALPN
//! picks HTTP/2 or HTTP/1.1. On either, a connection with no request in flight for
//! `header_timeout` (a silent socket, a partial HTTP/2 preface, an idle HTTP/2 connection) is
//! closed. A response being written (an SSE stream) is never cut by it, but a client that stops
//! reading it is dropped by the kernel after `write_timeout` (and, per stream over HTTP/2,
//! by the SSE handler). Connections are capped in total and per client (an IPv4 address or an
//! IPv6 /64; a connection over the caps is closed at once). On shutdown the listener closes and
//! open connections are drained gracefully for at most `drain`; SSE streams end on the same
//! signal.
//!
//! HTTP/2 is bounded like HTTP/1.1: [`MAX_STREAMS`] streams at once per connection, small
//! receive windows (request bodies are forms), header lists at hyper's 16 KiB; a stream's unsent
//! data is capped as small as HTTP/1.1's write buffer, so a viewer who stops reading backs up
//! into the hub, which skips them; a connection that stops answering pings is closed.
//!
//! Behind a reverse proxy every client shares the proxy's address: for a peer listed in
//! `trusted_proxies`, the client is found by walking `X-Forwarded-For` from the right past the
//! trusted proxies (see `forwarded`); that proxy's connections count against the total cap
//! only, and its requests are marked [`Proxied`] (never trusted as this machine's own).

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::ConnectInfo;
use bytes::Bytes;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::AbortOnDropHandle;
use tower::ServiceExt as _;

use super::forwarded;
use super::link::Link;
use crate::clock::{monotonic_epoch, monotonic_ms};
use crate::open_connections::{Caps, OpenConnections};

/// hyper's per-connection write buffer: its minimum (8 KiB) instead of its default (~417 KiB).
const WRITE_BUFFER: usize = 8 * 1024;
/// HTTP/2: unsent bytes a stream may queue (hyper's default is 400 KiB).
const STREAM_SEND_BUFFER: usize = 16 * 1024;
/// HTTP/2: how often a quiet connection is pinged, and how long the answer may take.
const PING_EVERY: Duration = Duration::from_secs(20);
/// How long an idle connection asked to close may take to say goodbye.
const GOODBYE: Duration = Duration::from_secs(1);
/// HTTP/2: streams one connection may have open at once (hyper's default is 200).
pub const MAX_STREAMS: u32 = 100;
/// HTTP/2: what a client may send before we read it, per stream and per connection: request
/// bodies are forms, so the protocol's own minimum (64 KiB) for both.
const RECEIVE_WINDOW: u32 = 65_535;

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

/// Marks a request that came through a trusted proxy: whatever address it names, it is not
/// this machine's own (`/metrics` without a token is for loopback only).
#[derive(Clone, Copy, Debug)]
pub struct Proxied;

/// Serves `app` on `listener`, counting connections in `open` (within `config.caps`).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    config: ServeConfig,
    open: OpenConnections,
    stop: CancellationToken,
) -> io::Result<()> {
    let protocols = Protocols::new(&config);
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
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
        // What the kernel measures of the link, for choosing viewers' rungs: of the client's
        // own connection only, not a proxy's.
        let link = if proxy { None } else { Link::of(&tcp) };
        let service = {
            let trusted = config.trusted_proxies.clone();
            app.clone()
                .map_request(move |request: hyper::Request<Incoming>| {
                    let mut request = request.map(Body::new);
                    // Who is asking, for limits by client.
                    let client = if proxy {
                        request.extensions_mut().insert(Proxied);
                        forwarded::client(request.headers(), &trusted)
                    } else {
                        peer.ip()
                    };
                    request
                        .extensions_mut()
                        .insert(ConnectInfo(SocketAddr::new(client, peer.port())));
                    if let Some(link) = &link {
                        request.extensions_mut().insert(link.clone());
                    }
                    with_host(&mut request);
                    request
                })
        };
        let (protocols, tls) = (protocols.clone(), config.tls.clone());
        let (stop, quiet) = (stop.clone(), config.header_timeout);
        connections.spawn(async move {
            match tls {
                None => protocols.serve_http1(tcp, service, quiet, stop).await,
                Some(tls) => match tokio::time::timeout(quiet, tls.accept(tcp)).await {
                    Ok(Ok(stream)) => {
                        if stream.get_ref().1.alpn_protocol() == Some(b"h2") {
                            let io = TokioIo::new(stream);
                            let activity = Arc::new(Activity::default());
                            let service = TowerToHyperService::new(InFlightService {
                                inner: service,
                                activity: activity.clone(),
                            });
                            let connection = protocols.http2.serve_connection(io, service);
                            let activity = Some(activity);
                            drive(connection, |c| c.graceful_shutdown(), activity, quiet, stop)
                                .await;
                        } else {
                            protocols.serve_http1(stream, service, quiet, stop).await;
                        }
                    }
                    Ok(Err(err)) => tracing::debug!(%err, %peer, "TLS handshake failed"),
                    Err(_) => tracing::debug!(%peer, "TLS handshake too slow"),
                },
            }
            drop(slot);
        });
    }
    drop(listener);
    let drained = tokio::time::timeout(config.drain, async {
        while connections.join_next().await.is_some() {}
    });
    if drained.await.is_err() {
        tracing::warn!(
            open = open.total(),
            "connections still open after {:?}; stopping anyway",
            config.drain
        );
        connections.abort_all();
    }
    Ok(())
}

/// The protocol builders every connection is served with.
#[derive(Clone)]
struct Protocols {
    http1: http1::Builder,
    http2: http2::Builder<TokioExecutor>,
}

impl Protocols {
    fn new(config: &ServeConfig) -> Self {
        let mut http1 = http1::Builder::new();
        http1
            .max_buf_size(WRITE_BUFFER)
            .timer(TokioTimer::new())
            .header_read_timeout(config.header_timeout);
        let mut http2 = http2::Builder::new(TokioExecutor::new());
        http2
            .timer(TokioTimer::new())
            .max_send_buf_size(STREAM_SEND_BUFFER)
            .max_concurrent_streams(MAX_STREAMS)
            .initial_stream_window_size(RECEIVE_WINDOW)
            .initial_connection_window_size(RECEIVE_WINDOW)
            .keep_alive_interval(PING_EVERY)
            .keep_alive_timeout(PING_EVERY);
        Self { http1, http2 }
    }

    /// Serves HTTP/1.1 (with upgrades, for the publish socket) on `io` until it ends or is
    /// asked to finish (see [`drive`]).
    async fn serve_http1<I, S>(&self, io: I, service: S, quiet: Duration, stop: CancellationToken)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
        S: tower::Service<
                hyper::Request<Incoming>,
                Response = axum::response::Response,
                Error = std::convert::Infallible,
            > + Clone
            + Send
            + 'static,
        S::Future: Send + 'static,
    {
        let service = TowerToHyperService::new(service);
        let connection = self
            .http1
            .serve_connection(TokioIo::new(io), service)
            .with_upgrades();
        drive(connection, |c| c.graceful_shutdown(), None, quiet, stop).await;
    }
}

/// Runs `connection` until it ends, or until it is asked to finish: at shutdown, or (HTTP/2,
/// whose `activity` is counted) once it has had no request in flight for `quiet`. An idle one
/// has nothing to finish: it gets a moment to say goodbye (GOAWAY) and is closed (a peer that
/// never finished its HTTP/2 preface cannot be asked anything at all). At shutdown what is in
/// flight completes, within `quiet` (and the server's drain). HTTP/1.1 needs no count: hyper's
/// header timeout runs from the connection's start and after every response.
///
/// The watch runs as a task of its own, which hands its verdict over on a oneshot channel: the
/// connection's own task, woken for every event written to it, checks only that (an atomic
/// load), not timers or locks.
async fn drive<C>(
    connection: C,
    graceful_shutdown: impl FnOnce(Pin<&mut C>),
    activity: Option<Arc<Activity>>,
    quiet: Duration,
    stop: CancellationToken,
) where
    C: std::future::Future<Output = Result<(), hyper::Error>>,
{
    let (close, closing) = oneshot::channel();
    let watch = AbortOnDropHandle::new(tokio::spawn(async move {
        let finish_within = match activity {
            Some(activity) => tokio::select! {
                _ = activity.quiet_for(quiet) => GOODBYE,
                _ = stop.cancelled() => quiet,
            },
            None => {
                stop.cancelled().await;
                quiet
            }
        };
        let _ = close.send(finish_within);
    }));
    let mut connection = std::pin::pin!(connection);
    let finish_within = tokio::select! {
        biased;
        ended = connection.as_mut() => {
            if let Err(err) = ended {
                tracing::debug!(%err, "connection ended with an error");
            }
            return;
        }
        Ok(finish_within) = closing => finish_within,
    };
    drop(watch);
    graceful_shutdown(connection.as_mut());
    let Ok(ended) = tokio::time::timeout(finish_within, connection).await else {
        return;
    };
    if let Err(err) = ended {
        tracing::debug!(%err, "connection ended with an error");
    }
}

/// Requests in flight on one connection, and since when it has had none.
#[derive(Default)]
struct Activity {
    in_flight: AtomicUsize,
    /// When the last request finished ([`monotonic_ms`]); 0 before any.
    quiet_since_ms: AtomicU64,
    changed: Notify,
}

/// A request in flight: counted until dropped (with its response's body).
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let activity = &self.0;
        activity
            .quiet_since_ms
            .store(monotonic_ms(), Ordering::Relaxed);
        if activity.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            activity.changed.notify_one();
        }
    }
}

impl Activity {
    fn begin(self: &Arc<Self>) -> InFlight {
        if self.in_flight.fetch_add(1, Ordering::AcqRel) == 0 {
            self.changed.notify_one();
        }
        InFlight(self.clone())
    }

    /// Resolves once no request has been in flight for `quiet` (from the connection's start,
    /// or from the last request's end).
    async fn quiet_for(&self, quiet: Duration) {
        let started = Instant::now();
        loop {
            if self.in_flight.load(Ordering::Acquire) > 0 {
                self.changed.notified().await;
                continue;
            }
            let since = self.quiet_since_ms.load(Ordering::Relaxed);
            let from = if since == 0 {
                started
            } else {
                Instant::from_std(monotonic_epoch()) + Duration::from_millis(since)
            };
            tokio::select! {
                _ = tokio::time::sleep_until(from + quiet) => {
                    if self.in_flight.load(Ordering::Acquire) == 0
                        && self.quiet_since_ms.load(Ordering::Relaxed) == since
                    {
                        return;
                    }
                }
                _ = self.changed.notified() => {}
            }
        }
    }
}

/// Marks each request [`InFlight`] from its arrival until its response body has been sent.
#[derive(Clone)]
struct InFlightService<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S> tower::Service<hyper::Request<Incoming>> for InFlightService<S>
where
    S: tower::Service<hyper::Request<Incoming>, Response = axum::response::Response>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = axum::response::Response;
    type Error = S::Error;
    type Future =
        Pin<Box<dyn std::future::Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: hyper::Request<Incoming>) -> Self::Future {
        let in_flight = self.activity.begin();
        let future = self.inner.call(request);
        Box::pin(async move {
            let response = future.await?;
            Ok(response.map(|body| {
                Body::new(Tracked {
                    body,
                    _in_flight: in_flight,
                })
            }))
        })
    }
}

/// A response body that holds its request's [`InFlight`] mark until it is done.
struct Tracked {
    body: Body,
    _in_flight: InFlight,
}

impl HttpBody for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// An HTTP/2 request names its host in the URI (`:authority`), not in a `Host` header: it is
/// copied there, so the host and same-site checks and the pages see one host however the
/// request came.
fn with_host<B>(request: &mut hyper::Request<B>) {
    if request.headers().contains_key(hyper::header::HOST) {
        return;
    }
    let authority = request.uri().authority().map(|a| a.as_str().to_owned());
    if let Some(value) = authority.and_then(|a| hyper::header::HeaderValue::from_str(&a).ok()) {
        request.headers_mut().insert(hyper::header::HOST, value);
    }
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
