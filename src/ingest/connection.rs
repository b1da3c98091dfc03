//! One RTMP connection, from handshake to hang-up: the handshake (`rml_rtmp`'s), then our own
//! `rtmp::Session` on the bytes we read; we answer what it raises (accept the `live`
//! application, check the stream key at publish) and hand the published audio and video to
//! `forwarding`, on its way to the broadcast's ffmpeg.
//!
//! Every wait is bounded: the handshake must finish within [`HANDSHAKE_WITHIN`] and the
//! connection be publishing within `publish_within` of connecting, then send something at
//! least every `idle`; a write to it must finish within `idle` too; and an unauthenticated
//! connection may be evicted for a newcomer (`admission`). Memory is bounded by one read
//! buffer, the session's budgets (64 KiB before publishing; then one message in progress of
//! at most 8 MiB) and the bytes queued towards ffmpeg.

use std::time::Duration;

use rml_rtmp::handshake::{Handshake, HandshakeProcessResult, PeerType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::admission::Ticket;
use super::forwarding::Forwarder;
use super::rtmp::{Event, Session};
use super::{Ingest, Refusal};

/// The RTMP application OBS's server URL names: rtmp://host:port/live.
pub const APP: &str = "live";
/// From connecting to the end of the handshake (two round trips for a real publisher).
pub const HANDSHAKE_WITHIN: Duration = Duration::from_secs(3);
/// After a publisher's goodbye, how long it may take to finish saying it (OBS and GStreamer
/// send `FCUnpublish`, then `deleteStream`, then close) before we close.
const GOODBYE_WITHIN: Duration = Duration::from_secs(2);

#[derive(Clone, Copy, Debug)]
pub struct Deadlines {
    /// From connecting to publishing.
    pub publish_within: Duration,
    /// The longest silence from a publisher, and the longest a write to it may take.
    pub idle: Duration,
}

/// Why a connection ended, for the log.
#[derive(Debug, thiserror::Error)]
pub enum Hangup {
    #[error("the peer closed the connection")]
    Closed,
    #[error("the publisher ended its stream")]
    Unpublished,
    #[error("no handshake within the time allowed")]
    NoHandshake,
    #[error("no publish within the time allowed")]
    TooSlow,
    #[error("nothing arrived for {0:?}")]
    Idle(Duration),
    #[error("cut: {0}")]
    Cut(&'static str),
    #[error("refused: {0}")]
    Refused(#[from] Refusal),
    #[error("the stream ended: {0}")]
    StreamEnded(&'static str),
    #[error("protocol error: {0}")]
    Protocol(String),
    #[error("network error: {0}")]
    Io(#[from] std::io::Error),
}

/// Serves one connection until it hangs up, is refused, evicted while unauthenticated, or
/// `cut` is cancelled (shutdown).
pub async fn serve(
    mut socket: TcpStream,
    ingest: Ingest,
    deadlines: Deadlines,
    ticket: Ticket,
    cut: CancellationToken,
) -> Hangup {
    let connected = Instant::now();
    let mut connection = Connection {
        ingest,
        deadlines,
        handshake_by: connected + HANDSHAKE_WITHIN.min(deadlines.publish_within),
        publish_by: connected + deadlines.publish_within,
        cut,
        ticket,
        forwarder: None,
        said_goodbye: None,
    };
    match connection.run(&mut socket).await {
        // However it ends after a goodbye, the goodbye is what ended it.
        _ if connection.said_goodbye.is_some() => Hangup::Unpublished,
        Ok(()) => Hangup::Closed,
        Err(hangup) => hangup,
    }
}

struct Connection {
    ingest: Ingest,
    deadlines: Deadlines,
    handshake_by: Instant,
    publish_by: Instant,
    /// Shutdown, or (once publishing) a key reset.
    cut: CancellationToken,
    ticket: Ticket,
    forwarder: Option<Forwarder>,
    /// When the publisher said goodbye: its broadcast is over, the rest of what it says is
    /// read until it closes (within [`GOODBYE_WITHIN`]) and dropped.
    said_goodbye: Option<Instant>,
}

impl Connection {
    async fn run(&mut self, socket: &mut TcpStream) -> Result<(), Hangup> {
        let mut buf = vec![0u8; 64 * 1024];
        let mut handshake = Handshake::new(PeerType::Server);
        let leftover = loop {
            let n = self.read(socket, &mut buf, true).await?;
            match handshake.process_bytes(&buf[..n]) {
                Ok(HandshakeProcessResult::InProgress { response_bytes }) => {
                    self.write(socket, &response_bytes).await?;
                }
                Ok(HandshakeProcessResult::Completed {
                    response_bytes,
                    remaining_bytes,
                }) => {
                    self.write(socket, &response_bytes).await?;
                    break remaining_bytes;
                }
                Err(err) => return Err(Hangup::Protocol(format!("handshake: {err}"))),
            }
        };
        let mut session = Session::new();
        self.flush(socket, &mut session).await?;
        let mut input = leftover;
        loop {
            session.push(&input).map_err(protocol)?;
            while let Some(event) = session.poll().map_err(protocol)? {
                let acted = self.event(&mut session, event).await;
                // A refusal's reply goes out too, so the software can show why.
                self.flush(socket, &mut session).await?;
                acted?;
            }
            self.flush(socket, &mut session).await?;
            let n = self.read(socket, &mut buf, false).await?;
            input.clear();
            input.extend_from_slice(&buf[..n]);
        }
    }

    /// Acts on one thing the session raised.
    async fn event(&mut self, session: &mut Session, event: Event) -> Result<(), Hangup> {
        match event {
            Event::Connect { app, transaction } => {
                if app == APP {
                    session.accept_connect(transaction);
                    return Ok(());
                }
                tracing::info!(app = %app.escape_debug(), "RTMP connection refused: unknown application");
                session.reject_connect(
                    transaction,
                    "Unknown application: the server address ends in /live",
                );
                Err(Refusal::Unsuitable("unknown application".into()).into())
            }
            Event::Publish { key } => {
                let cut = self.cut.child_token();
                match self.ingest.authorize(&key, cut.clone()).await {
                    Ok(publisher) => {
                        self.ticket.authenticated();
                        self.cut = cut;
                        self.forwarder = Some(Forwarder::new(publisher));
                        session.accept_publish();
                        Ok(())
                    }
                    Err(refusal) => {
                        session.reject_publish(&refusal.to_string());
                        Err(refusal.into())
                    }
                }
            }
            Event::Play => {
                session.reject_play("This server takes streams; watch them in a browser");
                Err(Refusal::Unsuitable("a play request".into()).into())
            }
            Event::Metadata(metadata) => {
                if let Some(forwarder) = &mut self.forwarder {
                    forwarder.metadata(&metadata);
                }
                Ok(())
            }
            Event::Video { timestamp, data } => match &mut self.forwarder {
                Some(forwarder) => forwarder.video(data, timestamp).await,
                None => Ok(()),
            },
            Event::Audio { timestamp, data } => match &mut self.forwarder {
                Some(forwarder) => forwarder.audio(data, timestamp).await,
                None => Ok(()),
            },
            Event::Unpublished => {
                if let Some(mut forwarder) = self.forwarder.take() {
                    forwarder.finish();
                }
                self.said_goodbye.get_or_insert(Instant::now());
                Ok(())
            }
        }
    }

    /// Sends what the session has for the peer.
    async fn flush(&mut self, socket: &mut TcpStream, session: &mut Session) -> Result<(), Hangup> {
        let out = session.take_output();
        if out.is_empty() {
            return Ok(());
        }
        self.write(socket, &out).await
    }

    /// Reads some bytes, within the deadline that applies now.
    async fn read(
        &mut self,
        socket: &mut TcpStream,
        buf: &mut [u8],
        handshaking: bool,
    ) -> Result<usize, Hangup> {
        let (until, late) = match (&self.forwarder, handshaking) {
            _ if self.said_goodbye.is_some() => (
                self.said_goodbye.unwrap_or_else(Instant::now) + GOODBYE_WITHIN,
                Hangup::Unpublished,
            ),
            (None, true) => (self.handshake_by, Hangup::NoHandshake),
            (None, false) => (self.publish_by, Hangup::TooSlow),
            (Some(_), _) => (
                Instant::now() + self.deadlines.idle,
                Hangup::Idle(self.deadlines.idle),
            ),
        };
        let evicted = async {
            match (&self.forwarder, self.said_goodbye) {
                (None, None) => self.ticket.evicted.cancelled().await,
                _ => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = self.cut.cancelled() => Err(Hangup::Cut("key reset or shutdown")),
            _ = evicted => Err(Hangup::Cut("its place was given to a newcomer")),
            read = tokio::time::timeout_at(until, socket.read(buf)) => match read {
                Err(_) => Err(late),
                Ok(Ok(0)) => Err(Hangup::Closed),
                Ok(Ok(n)) => Ok(n),
                Ok(Err(err)) => Err(err.into()),
            },
        }
    }

    async fn write(&mut self, socket: &mut TcpStream, bytes: &[u8]) -> Result<(), Hangup> {
        match tokio::time::timeout(self.deadlines.idle, socket.write_all(bytes)).await {
            Ok(written) => Ok(written?),
            Err(_) => Err(Hangup::Idle(self.deadlines.idle)),
        }
    }
}

fn protocol(err: super::rtmp::SessionError) -> Hangup {
    Hangup::Protocol(err.to_string())
}
