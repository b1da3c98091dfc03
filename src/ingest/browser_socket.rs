//! The studio page's publish socket, once opened: its recording's chunks go to
//! [`super::browser::receive`]; every half second the page is told how many chunks have arrived
//! (a text message with the count), which its own socket cannot see; the socket closes with
//! the reason it ended. The page's Stop closes with [`STOPPED_BY_BROADCASTER`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use super::Publisher;
use super::api::{Capture, STOPPED_BY_BROADCASTER};
use super::browser;
use crate::broadcasts::source::PushFormat;

/// The longest the page may go without sending a chunk (it sends one every ~250 ms).
const IDLE: std::time::Duration = std::time::Duration::from_secs(10);
/// How often the page is told how many chunks have arrived.
const ACK_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// The socket address's query: what the page records.
#[derive(Deserialize)]
pub struct Recording {
    /// "h264" when the page records H.264 (copied), anything else is encoded again.
    video: String,
    /// What the page sends from.
    source: Capture,
    /// The page's random tag for this recording: its later sockets take over from earlier ones.
    recording: Option<String>,
}

impl Recording {
    /// What the broadcast's ffmpeg is given.
    pub fn format(&self) -> PushFormat {
        PushFormat::WebM {
            h264: self.video == "h264",
            screen: self.source == Capture::Screen,
        }
    }

    /// The page's tag for this recording, if it is one (16 to 64 letters and digits).
    pub fn tag(&self) -> Option<&str> {
        self.recording.as_deref().filter(|t| {
            (16..=64).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric())
        })
    }
}

/// Runs `publisher`'s socket until the recording ends, the broadcast is stopped (`cut`) or
/// the page breaks a rule.
pub async fn serve(
    socket: WebSocket,
    publisher: Publisher,
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
