//! `GET /live/{channel}/publish`: the studio page's recording, over a WebSocket. Only the
//! channel's owner, signed in, from a page of this site, may open it; one at a time per
//! channel. The bytes go to `ingest::browser`; every half second the page is told how many
//! chunks have arrived (a text message with the count); the socket closes with the reason it
//! ended.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio_util::sync::CancellationToken;
use tower_sessions::Session;

use crate::accounts::Accounts;
use crate::broadcasts::source::PushFormat;
use crate::error::AppError;
use crate::ingest::Ingest;
use crate::ingest::api::{Capture, STOPPED_BY_BROADCASTER};
use crate::ingest::browser::{self, MAX_CHUNK};

/// The longest the page may go without sending a chunk (it sends one every ~250 ms).
const IDLE: std::time::Duration = std::time::Duration::from_secs(10);
/// How often the page is told how many chunks have arrived.
const ACK_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

#[derive(Deserialize)]
pub struct Recording {
    /// "h264" when the page records H.264 (copied), anything else is encoded again.
    video: String,
    /// What the page sends from.
    source: Capture,
    /// The page's random tag for this recording: its later sockets take over from earlier ones.
    recording: Option<String>,
}

pub async fn publish(
    upgrade: WebSocketUpgrade,
    Path(channel): Path<String>,
    Query(recording): Query<Recording>,
    _from_this_site: super::site::FromThisSite,
    session: Session,
    State(ingest): State<Ingest>,
    State(accounts): State<Accounts>,
) -> Response {
    let user = match crate::accounts::session::signed_in(&session, &accounts).await {
        Ok(Some(user)) => user,
        Ok(None) => return AppError::SignInRequired.into_response(),
        Err(err) => return err.into_response(),
    };
    if let Err(err) = user.ensure_owns(&channel) {
        return err.into_response();
    }
    let format = PushFormat::WebM {
        h264: recording.video == "h264",
        screen: recording.source == Capture::Screen,
    };
    let cut = CancellationToken::new();
    let tag = recording
        .recording
        .as_deref()
        .filter(|t| (16..=64).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric()));
    let publisher = match ingest.admit(&channel, format, cut.clone(), tag) {
        Ok(publisher) => publisher,
        Err(refusal) => {
            let status = StatusCode::CONFLICT;
            return (status, axum::Json(AppError::Invalid(refusal.to_string()))).into_response();
        }
    };
    upgrade
        .max_message_size(MAX_CHUNK)
        .on_upgrade(move |socket| record(socket, publisher, cut, channel))
}

async fn record(
    socket: WebSocket,
    publisher: crate::ingest::Publisher,
    cut: CancellationToken,
    channel: String,
) {
    let (mut to_page, from_page) = socket.split();
    // Chunks taken so far, told to the page every `ACK_EVERY`: how far behind its recording
    // the upload is, kernel buffers included, which the page's own socket cannot see.
    let received = Arc::new(AtomicU64::new(0));
    let counted = received.clone();
    // An error ends the stream as a drop does; the page's Stop closes with its own code.
    let chunks = from_page
        .take_while(|message| std::future::ready(message.is_ok()))
        .filter_map(move |message| {
            std::future::ready(match message {
                Ok(Message::Binary(bytes)) => {
                    counted.fetch_add(1, Ordering::Relaxed);
                    Some(browser::Arrival::Chunk(bytes))
                }
                Ok(Message::Close(Some(frame))) if frame.code == STOPPED_BY_BROADCASTER => {
                    Some(browser::Arrival::Stopped)
                }
                Ok(Message::Close(_)) => Some(browser::Arrival::Closed),
                _ => None,
            })
        });
    let acks = async {
        let mut every = tokio::time::interval(ACK_EVERY);
        let mut told = 0;
        loop {
            every.tick().await;
            let now = received.load(Ordering::Relaxed);
            if now != told {
                if to_page
                    .send(Message::Text(now.to_string().into()))
                    .await
                    .is_err()
                {
                    // The page is gone; the receiving side will notice.
                    std::future::pending::<()>().await;
                }
                told = now;
            }
        }
    };
    let ended = tokio::select! {
        ended = browser::receive(Box::pin(chunks), publisher, IDLE) => ended,
        _ = cut.cancelled() => browser::Ended::BroadcastStopped,
        _ = acks => unreachable!("acknowledging never ends on its own"),
    };
    tracing::info!(%channel, "browser recording ended: {ended}");
    // 1000: normal closure; 1008: the page sent something we refuse.
    let code = match ended {
        browser::Ended::Closed | browser::Ended::Stopped | browser::Ended::BroadcastStopped => 1000,
        _ => 1008,
    };
    let reason: String = ended.to_string().chars().take(120).collect();
    let _ = to_page
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
}
