//! Request bodies, bounded before anything reads them: a body (a server function's form) is
//! at most [`MAX_BODY`], must arrive whole within the deadline, and only a few are read at
//! once per client and in all. It is read here, whole, and handed on as bytes, so nothing
//! further in can be held up by a client that stops sending, or made to hold more.
//!
//! What a client is told (as the server functions' own error, so forms show it): 413 for a
//! body too large, 408 for one that stopped coming, 429 for too many being read at once from
//! one client, 503 for too many at once in all.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::{Body, HttpBody};
use axum::extract::{ConnectInfo, State};
use axum::http::{Request, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::error::AppError;
use crate::open_connections::{Caps, OpenConnections};

/// The largest request body: forms (a chat message is 4,000 bytes at most).
pub const MAX_BODY: usize = 64 << 10;
/// The largest body `request` may have: a picture's upload (`POST /emotes/…`, `/avatars/…`)
/// may be larger than a form.
fn max_body(request: &Request<Body>) -> usize {
    if request.method() != axum::http::Method::POST {
        return MAX_BODY;
    }
    let path = request.uri().path();
    if path.starts_with("/emotes/") {
        crate::emotes::rules::UPLOAD_MAX_BYTES
    } else if path.starts_with("/avatars/") {
        crate::avatars::api::UPLOAD_MAX_BYTES
    } else {
        MAX_BODY
    }
}
/// Bodies being read at once, per client and in all.
const AT_ONCE: Caps = Caps {
    total: 512,
    per_address: 8,
};

/// How request bodies are read.
#[derive(Clone)]
pub struct BodyLimits {
    /// The longest a body may take to arrive, from the request's head.
    deadline: Duration,
    reading: OpenConnections,
}

impl BodyLimits {
    pub fn new(deadline: Duration) -> Self {
        Self {
            deadline,
            reading: OpenConnections::new(AT_ONCE),
        }
    }
}

pub async fn read_whole(
    State(limits): State<BodyLimits>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    request: Request<Body>,
    next: Next,
) -> Response {
    if request.body().is_end_stream() {
        return next.run(request).await;
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let max = max_body(&request);
    if declared.is_some_and(|n| n > max as u64) {
        return too_large(max);
    }
    let Some(reading) = limits.reading.take(client.ip()) else {
        return AppError::into_response(if limits.reading.total() >= AT_ONCE.total {
            AppError::Busy(
                "The server is busy reading other requests; try again in a moment.".into(),
            )
        } else {
            AppError::TooManyAttempts(
                "Too many requests at once from your address; wait for the others to finish."
                    .into(),
            )
        });
    };
    let (parts, body) = request.into_parts();
    let read = tokio::time::timeout(limits.deadline, Limited::new(body, max).collect()).await;
    // Counted while being read only: what runs next is bounded by its own limits.
    drop(reading);
    match read {
        Ok(Ok(collected)) => {
            let request = Request::from_parts(parts, Body::from(collected.to_bytes()));
            next.run(request).await
        }
        Ok(Err(err)) if err.downcast_ref::<LengthLimitError>().is_some() => too_large(max),
        Ok(Err(_)) => AppError::into_response(AppError::Invalid(
            "The request's body was cut short; send it again.".into(),
        )),
        Err(_) => AppError::into_response(AppError::TimedOut(format!(
            "The request's body did not arrive within {} s; send it again.",
            limits.deadline.as_secs()
        ))),
    }
}

fn too_large(max: usize) -> Response {
    AppError::into_response(AppError::TooLarge(format!(
        "The request is larger than the {} KiB this server takes.",
        max >> 10
    )))
}
