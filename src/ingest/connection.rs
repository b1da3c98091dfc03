//! One RTMP connection, from handshake to hang-up. `rml_rtmp` does the protocol (handshake,
//! chunk stream, commands) on bytes we read and write; we answer its requests (accept the
//! `live` application, check the stream key at publish) and turn the published audio and
//! video into FLV tags for the broadcast's ffmpeg.
//!
//! Every wait is bounded: a connection must be publishing within `publish_within` of
//! connecting, and then send something at least every `idle`; a write to it must finish
//! within `idle` too. Memory is bounded by one read buffer, `rml_rtmp`'s one message being
//! assembled (at most 16 MiB, RTMP's largest) and the tags queued towards ffmpeg.

use std::collections::VecDeque;
use std::time::Duration;

use rml_rtmp::handshake::{Handshake, HandshakeProcessResult, PeerType};
use rml_rtmp::sessions::{
    ServerSession, ServerSessionConfig, ServerSessionError, ServerSessionEvent, ServerSessionResult,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::publishing::Publishing;
use super::state::{Ingest, Refusal};

/// The RTMP application OBS's server URL names: rtmp://host:port/live.
pub const APP: &str = "live";

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

/// Serves one connection until it hangs up, is refused, or `cut` is cancelled (shutdown).
pub async fn serve(
    mut socket: TcpStream,
    ingest: Ingest,
    deadlines: Deadlines,
    cut: CancellationToken,
) -> Hangup {
    let mut connection = Connection {
        ingest,
        deadlines,
        publish_by: Instant::now() + deadlines.publish_within,
        cut,
        publishing: None,
    };
    match connection.run(&mut socket).await {
        Ok(()) => Hangup::Closed,
        Err(hangup) => hangup,
    }
}

struct Connection {
    ingest: Ingest,
    deadlines: Deadlines,
    publish_by: Instant,
    /// Shutdown, or (once publishing) a key reset.
    cut: CancellationToken,
    publishing: Option<Publishing>,
}

impl Connection {
    async fn run(&mut self, socket: &mut TcpStream) -> Result<(), Hangup> {
        let mut buf = vec![0u8; 64 * 1024];
        let mut handshake = Handshake::new(PeerType::Server);
        let leftover = loop {
            let n = self.read(socket, &mut buf).await?;
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
        let (mut session, initial) = ServerSession::new(ServerSessionConfig::new())
            .map_err(|err| Hangup::Protocol(err.to_string()))?;
        self.answer(socket, &mut session, initial).await?;
        let mut input = leftover;
        loop {
            if !input.is_empty() {
                let results = feed(&mut session, &input)?;
                self.answer(socket, &mut session, results).await?;
            }
            let n = self.read(socket, &mut buf).await?;
            input.clear();
            input.extend_from_slice(&buf[..n]);
        }
    }

    /// Sends what the session wants sent and acts on what it raised (which may add more).
    async fn answer(
        &mut self,
        socket: &mut TcpStream,
        session: &mut ServerSession,
        results: Vec<ServerSessionResult>,
    ) -> Result<(), Hangup> {
        let mut pending = VecDeque::from(results);
        while let Some(result) = pending.pop_front() {
            match result {
                ServerSessionResult::OutboundResponse(packet) => {
                    self.write(socket, &packet.bytes).await?;
                }
                ServerSessionResult::RaisedEvent(event) => {
                    pending.extend(self.event(socket, session, event).await?);
                }
                ServerSessionResult::UnhandleableMessageReceived(_) => {}
            }
        }
        Ok(())
    }

    /// Acts on one thing the session raised; returns what it wants sent in reply.
    async fn event(
        &mut self,
        socket: &mut TcpStream,
        session: &mut ServerSession,
        event: ServerSessionEvent,
    ) -> Result<Vec<ServerSessionResult>, Hangup> {
        match event {
            ServerSessionEvent::ConnectionRequested {
                request_id,
                app_name,
            } => {
                if app_name == APP {
                    return session.accept_request(request_id).map_err(protocol);
                }
                tracing::info!(%app_name, "RTMP connection refused: unknown application");
                let reply = session
                    .reject_request(
                        request_id,
                        "NetConnection.Connect.Rejected",
                        "Unknown application: the server address ends in /live",
                    )
                    .map_err(protocol)?;
                self.refuse(
                    socket,
                    reply,
                    Refusal::Unsuitable("unknown application".into()),
                )
                .await
            }
            ServerSessionEvent::PublishStreamRequested {
                request_id,
                stream_key,
                ..
            } => {
                if self.publishing.is_some() {
                    return Err(Hangup::Protocol(
                        "a second publish on one connection".into(),
                    ));
                }
                let cut = self.cut.child_token();
                match self.ingest.authorize(&stream_key, cut.clone()).await {
                    Ok(publisher) => {
                        self.cut = cut;
                        self.publishing = Some(Publishing::new(publisher));
                        session.accept_request(request_id).map_err(protocol)
                    }
                    Err(refusal) => {
                        let reply = session
                            .reject_request(
                                request_id,
                                "NetStream.Publish.BadName",
                                &refusal.to_string(),
                            )
                            .map_err(protocol)?;
                        self.refuse(socket, reply, refusal).await
                    }
                }
            }
            ServerSessionEvent::PlayStreamRequested { request_id, .. } => {
                let reply = session
                    .reject_request(
                        request_id,
                        "NetStream.Play.Failed",
                        "This server takes streams; watch them in a browser",
                    )
                    .map_err(protocol)?;
                self.refuse(socket, reply, Refusal::Unsuitable("a play request".into()))
                    .await
            }
            ServerSessionEvent::StreamMetadataChanged { metadata, .. } => {
                if let Some(publishing) = &mut self.publishing {
                    publishing.metadata(&metadata);
                }
                Ok(Vec::new())
            }
            ServerSessionEvent::VideoDataReceived {
                data, timestamp, ..
            } => {
                if let Some(publishing) = &mut self.publishing {
                    publishing.video(data, timestamp.value).await?;
                }
                Ok(Vec::new())
            }
            ServerSessionEvent::AudioDataReceived {
                data, timestamp, ..
            } => {
                if let Some(publishing) = &mut self.publishing {
                    publishing.audio(data, timestamp.value).await?;
                }
                Ok(Vec::new())
            }
            ServerSessionEvent::PublishStreamFinished { .. } => Err(Hangup::Closed),
            _ => Ok(Vec::new()),
        }
    }

    /// Sends a refusal's reply (so the software can show why), then hangs up.
    async fn refuse(
        &mut self,
        socket: &mut TcpStream,
        reply: Vec<ServerSessionResult>,
        refusal: Refusal,
    ) -> Result<Vec<ServerSessionResult>, Hangup> {
        for result in reply {
            if let ServerSessionResult::OutboundResponse(packet) = result {
                self.write(socket, &packet.bytes).await?;
            }
        }
        Err(Hangup::Refused(refusal))
    }

    /// Reads some bytes, within the deadline that applies now.
    async fn read(&mut self, socket: &mut TcpStream, buf: &mut [u8]) -> Result<usize, Hangup> {
        let (until, late) = match self.publishing {
            None => (self.publish_by, Hangup::TooSlow),
            Some(_) => (
                Instant::now() + self.deadlines.idle,
                Hangup::Idle(self.deadlines.idle),
            ),
        };
        tokio::select! {
            _ = self.cut.cancelled() => Err(Hangup::Cut("key reset or shutdown")),
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

fn protocol(err: ServerSessionError) -> Hangup {
    Hangup::Protocol(err.to_string())
}

/// Hands bytes from the wire to the session. `rml_rtmp` panics on some malformed messages (a
/// command with fewer than three values indexes past its end; a chunk header that shrinks a
/// message's length mid-message overflows its buffer reservation, found by `scripts/fuzz`);
/// that panic is caught here and
/// ends this connection like any protocol error. The session is dropped with it. Public for
/// the fuzzer (`fuzz/fuzz_targets/rtmp.rs`).
pub fn feed(session: &mut ServerSession, bytes: &[u8]) -> Result<Vec<ServerSessionResult>, Hangup> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| session.handle_input(bytes))) {
        Ok(handled) => handled.map_err(protocol),
        Err(_) => Err(Hangup::Protocol(
            "a malformed message the RTMP library could not parse".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rml_rtmp::sessions::ServerSession;

    use super::feed;

    fn session() -> ServerSession {
        crate::fuzzing::rtmp_session().expect("a session past the handshake")
    }

    /// One RTMP message of `kind` carrying `payload`, chunked at the initial 128 bytes.
    fn message(kind: u8, payload: &[u8]) -> Vec<u8> {
        let len = payload.len() as u32;
        let mut out = vec![0x03, 0, 0, 0];
        out.extend(&len.to_be_bytes()[1..]);
        out.push(kind);
        out.extend([1, 0, 0, 0]);
        for (i, chunk) in payload.chunks(128).enumerate() {
            if i > 0 {
                out.push(0xC3);
            }
            out.extend(chunk);
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(crate::ingest::flv::fuzz_cases(3000)))]

        /// Bytes from the wire after the handshake, random or shaped as messages of every type
        /// a publisher may send (control, AMF0 commands and data, audio, video): feeding them
        /// answers or errs, it never panics (the library's own panics are caught).
        #[test]
        fn any_bytes_after_the_handshake_are_handled_without_panic(
            noise in proptest::collection::vec(any::<u8>(), 0..2048),
            kinds in proptest::collection::vec(prop::sample::select(vec![1u8, 2, 3, 4, 5, 6, 8, 9, 15, 17, 18, 20]), 1..6),
            payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..600), 6),
        ) {
            let mut s = session();
            let _ = feed(&mut s, &noise);
            let mut s = session();
            for (kind, payload) in kinds.iter().zip(&payloads) {
                if feed(&mut s, &message(*kind, payload)).is_err() {
                    break;
                }
            }
        }
    }
}
