//! `GET /live/{channel}/events`: one viewer's Server-Sent Events stream. It writes the hub's
//! pre-framed bytes as they are (keep-alive comments included) and ends when the hub closes
//! (server shutdown). One client address holds at most `[live] max_streams_per_address` open.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::Stream;
use serde::Deserialize;

use crate::channels::Channels;
use crate::live::frame;
use crate::live::hub::Viewer;
use crate::open_connections::{OpenConnections, Slot};

#[derive(Deserialize)]
pub struct Params {
    /// For clients that cannot set the `Last-Event-ID` header (a fresh `EventSource`).
    last_event_id: Option<String>,
    /// The watching tab, so its reconnects count once.
    viewer: Option<String>,
    /// The last chat message the client already has: held chat after it is sent first.
    chat_after: Option<u64>,
}

pub async fn live_events(
    State(channels): State<Channels>,
    State(streams): State<OpenConnections>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(channel): Path<String>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Response {
    let channel = match channels.find(&channel).await {
        Ok(Some(channel)) => channel,
        Ok(None) => return (StatusCode::NOT_FOUND, "no such channel").into_response(),
        Err(err) => {
            tracing::error!(%err, "looking up a channel");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot look up the channel",
            )
                .into_response();
        }
    };
    let Some(slot) = streams.take(client.ip()) else {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many live streams open from your address: close some tabs and try again.",
        )
            .into_response();
    };
    let last_event_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(params.last_event_id)
        .and_then(|id| id.trim().parse::<u64>().ok());
    let viewer = channel
        .hub
        .subscribe(last_event_id, params.viewer.as_deref(), params.chat_after);
    let stream = viewer_stream(viewer, slot);
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

struct Connection {
    viewer: Viewer,
    pending: VecDeque<Bytes>,
    sent: Sent,
    /// This stream's place among its address's; given back when the stream ends.
    _slot: Slot,
}

/// The bytes one viewer is sent: `retry`, then whatever the hub owes it (keep-alive comments
/// included), as it comes, until the hub closes (server shutdown). The stream waits on one
/// thing only, the hub's wake-up, and holds no timer.
fn viewer_stream(
    viewer: Viewer,
    slot: Slot,
) -> impl Stream<Item = Result<Bytes, Infallible>> + Send {
    let pending = VecDeque::from([Bytes::from_static(frame::RETRY)]);
    let connection = Connection {
        viewer,
        pending,
        sent: Sent::new(),
        _slot: slot,
    };
    futures::stream::unfold(connection, |mut c| async move {
        loop {
            if c.viewer.hub().is_closed() {
                return None;
            }
            if let Some(bytes) = c.pending.pop_front() {
                c.sent.bytes.increment(bytes.len() as u64);
                c.sent.events.increment(1);
                return Some((Ok(bytes), c));
            }
            let skipped = c.viewer.catch_up(&mut c.pending, 1);
            if skipped > 0 {
                c.sent.skips.increment(1);
            }
            if c.pending.is_empty() && !c.viewer.changed().await {
                return None;
            }
        }
    })
}

/// What viewers' streams send, for `/metrics` (handles made once per stream).
struct Sent {
    bytes: metrics::Counter,
    events: metrics::Counter,
    /// Times a viewer skipped forward to keep up.
    skips: metrics::Counter,
}

impl Sent {
    fn new() -> Self {
        Self {
            bytes: metrics::counter!("onair_viewer_bytes_sent_total"),
            events: metrics::counter!("onair_viewer_events_sent_total"),
            skips: metrics::counter!("onair_viewer_skips_total"),
        }
    }
}
