//! `GET /live/{channel}/events`: one viewer's Server-Sent Events stream. It writes the hub's
//! pre-framed bytes as they are, keeps idle connections open, and ends on shutdown.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::Stream;
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use super::AppState;
use crate::live::frame;
use crate::live::hub::Viewer;

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
    State(state): State<AppState>,
    Path(channel): Path<String>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Response {
    let Some(channel) = state.channels.get(&channel) else {
        return (StatusCode::NOT_FOUND, "no such channel").into_response();
    };
    let last_event_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(params.last_event_id)
        .and_then(|id| id.trim().parse::<u64>().ok());
    let keep_alive = Duration::from_secs(state.settings.server.keep_alive_secs.max(1));
    let stream = viewer_stream(
        channel
            .hub
            .subscribe(last_event_id, params.viewer.as_deref(), params.chat_after),
        state.shutdown.clone(),
        keep_alive,
    );
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
    shutdown: CancellationToken,
    keep_alive: Duration,
}

/// The bytes one viewer is sent: `retry`, then whatever the hub owes it, as it comes.
fn viewer_stream(
    viewer: Viewer,
    shutdown: CancellationToken,
    keep_alive: Duration,
) -> impl Stream<Item = Result<Bytes, Infallible>> + Send {
    let pending = VecDeque::from([Bytes::from_static(frame::RETRY)]);
    let connection = Connection {
        viewer,
        pending,
        shutdown,
        keep_alive,
    };
    futures::stream::unfold(connection, |mut c| async move {
        loop {
            if c.shutdown.is_cancelled() {
                return None;
            }
            if let Some(bytes) = c.pending.pop_front() {
                return Some((Ok(bytes), c));
            }
            c.viewer.catch_up(&mut c.pending, 1);
            if !c.pending.is_empty() {
                continue;
            }
            tokio::select! {
                biased;
                _ = c.shutdown.cancelled() => return None,
                alive = c.viewer.changed() => if !alive { return None },
                _ = tokio::time::sleep(c.keep_alive) => {
                    return Some((Ok(Bytes::from_static(frame::KEEP_ALIVE)), c));
                }
            }
        }
    })
}
