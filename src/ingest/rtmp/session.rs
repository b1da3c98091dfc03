//! The server's side of one RTMP connection after the handshake, as OBS, ffmpeg and GStreamer
//! speak it to publish: `connect` to the application, `createStream`, `publish` with the
//! stream key, then metadata, audio and video until `FCUnpublish` / `deleteStream`.
//!
//! Bytes go in with [`Session::push`]; [`Session::poll`] hands out what happened one event at
//! a time, so the caller can decide (the key is checked by `ingest`, which takes a database
//! read) before anything after it is read, with the budgets that then apply. Control messages
//! (chunk size, acknowledgements, pings) and replies that need no decision are answered here;
//! everything to send waits in [`Session::take_output`].
//!
//! Budgets, all checked before bytes are held: until a publish is accepted the peer may send
//! [`BEFORE_PUBLISH`] bytes in all (OBS sends under 2 KB), no message larger than that; after,
//! commands and data stay at [`MAX_OTHER`] while audio and video may reach [`MAX_MEDIA`]; AMF0
//! is decoded within `amf0`'s depth and value budgets.

use bytes::{Bytes, BytesMut};

use super::amf0::{self, Amf0Error, Value};
use super::chunks::{self, ChunkError, ChunkReader, Limits, Message, kind};

/// Bytes a connection may send before its publish is accepted.
pub const BEFORE_PUBLISH: usize = 64 << 10;
/// The largest command, data or control message (an `onMetaData` is a few hundred bytes).
pub const MAX_OTHER: usize = 64 << 10;
/// The largest audio or video message: a keyframe of 4K at 50 Mbit/s is a few MB.
pub const MAX_MEDIA: usize = 8 << 20;
/// Streams one connection may create (publishers create one).
const MAX_STREAMS: u32 = 8;
/// Our acknowledgement window and the peer bandwidth we announce.
const WINDOW: u32 = 2_500_000;

/// Chunk streams we send on.
const CONTROL_CHUNKS: u8 = 2;
const COMMAND_CHUNKS: u8 = 3;

/// Something the peer did that needs a decision or carries media.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// `connect` to application `app`: answer with [`Session::accept_connect`] or
    /// [`Session::reject_connect`].
    Connect {
        app: String,
        transaction: f64,
    },
    /// `publish` with `key`: answer with [`Session::accept_publish`] or
    /// [`Session::reject_publish`].
    Publish {
        key: String,
    },
    /// `play`: this server takes streams only; answer with [`Session::reject_play`].
    Play,
    /// What the publisher says about its stream (`@setDataFrame onMetaData`).
    Metadata(Metadata),
    Audio {
        timestamp: u32,
        data: Bytes,
    },
    Video {
        timestamp: u32,
        data: Bytes,
    },
    /// The publisher ended its stream on purpose (`FCUnpublish`, `deleteStream` or
    /// `closeStream`), as OBS does when the streamer presses Stop.
    Unpublished,
}

/// The parts of `onMetaData` we read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metadata {
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Whether it announces audio (an audio codec id).
    pub has_audio: bool,
    /// Whether it announces video (a video codec id or a picture size).
    pub has_video: bool,
}

impl Metadata {
    /// It says it sends sound and no picture (as `ffmpeg -vn … -f flv` does).
    pub fn sound_alone(&self) -> bool {
        self.has_audio && !self.has_video
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("{0}")]
    Chunks(#[from] ChunkError),
    #[error("{0}")]
    Amf0(#[from] Amf0Error),
    #[error("{0} bytes without publishing (at most {BEFORE_PUBLISH})")]
    TooMuchBeforePublish(usize),
    #[error("{0}")]
    Protocol(&'static str),
}

enum State {
    /// Handshaken, not yet connected.
    Started,
    /// Connected to the application.
    Connected,
    /// A publish was asked for on `stream` and awaits our decision.
    PublishAsked {
        stream: u32,
    },
    Publishing {
        stream: u32,
    },
}

pub struct Session {
    reader: ChunkReader,
    out: BytesMut,
    state: State,
    /// Streams created so far; the next is `created + 1`.
    created: u32,
    /// Bytes received in all, and when we last acknowledged them.
    received: u64,
    acknowledged: u64,
    /// The peer's acknowledgement window, once it names one.
    peer_window: Option<u32>,
    /// Whether a connect was answered (a second connect is refused).
    connect_asked: bool,
    /// The stream a play was asked on (to refuse it there).
    play_stream: u32,
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

impl Session {
    /// A session just past the handshake, with our opening messages waiting to be sent.
    pub fn new() -> Self {
        let before = Limits {
            media: BEFORE_PUBLISH,
            other: BEFORE_PUBLISH,
            in_progress: BEFORE_PUBLISH,
        };
        let mut session = Self {
            reader: ChunkReader::new(before),
            out: BytesMut::new(),
            state: State::Started,
            created: 0,
            received: 0,
            acknowledged: 0,
            peer_window: None,
            connect_asked: false,
            play_stream: 0,
        };
        session.control(kind::WINDOW_ACK_SIZE, &WINDOW.to_be_bytes());
        let mut bandwidth = WINDOW.to_be_bytes().to_vec();
        bandwidth.push(2); // dynamic
        session.control(kind::SET_PEER_BANDWIDTH, &bandwidth);
        session.control(
            kind::SET_CHUNK_SIZE,
            &(chunks::OUR_CHUNK_SIZE as u32).to_be_bytes(),
        );
        session
    }

    /// Bytes read from the connection. Call [`Session::poll`] until it gives None first.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), SessionError> {
        self.received += bytes.len() as u64;
        if !self.publishing() && self.received > BEFORE_PUBLISH as u64 {
            return Err(SessionError::TooMuchBeforePublish(self.received as usize));
        }
        if let Some(window) = self.peer_window
            && self.received - self.acknowledged >= u64::from(window)
        {
            self.acknowledged = self.received;
            self.control(kind::ACKNOWLEDGEMENT, &(self.received as u32).to_be_bytes());
        }
        self.reader.push(bytes);
        Ok(())
    }

    /// The next event from what was pushed, if any.
    pub fn poll(&mut self) -> Result<Option<Event>, SessionError> {
        if matches!(self.state, State::PublishAsked { .. }) {
            // Nothing more is read until the publish is decided.
            return Ok(None);
        }
        while let Some(message) = self.reader.next_message()? {
            if let Some(event) = self.message(message)? {
                return Ok(Some(event));
            }
        }
        Ok(None)
    }

    /// Bytes to send now.
    pub fn take_output(&mut self) -> Bytes {
        self.out.split().freeze()
    }

    pub fn publishing(&self) -> bool {
        matches!(self.state, State::Publishing { .. })
    }

    pub fn accept_connect(&mut self, transaction: f64) {
        self.state = State::Connected;
        let properties = Value::Object(vec![
            ("fmsVer".into(), Value::String("FMS/3,0,1,123".into())),
            ("capabilities".into(), Value::Number(31.0)),
        ]);
        let mut information = status("status", "NetConnection.Connect.Success", "Connected.");
        if let Value::Object(fields) = &mut information {
            fields.push(("objectEncoding".into(), Value::Number(0.0)));
        }
        self.command(0, "_result", transaction, properties, Some(information));
    }

    pub fn reject_connect(&mut self, transaction: f64, description: &str) {
        let information = status("error", "NetConnection.Connect.Rejected", description);
        self.command(0, "_error", transaction, Value::Null, Some(information));
    }

    /// The publish asked for is accepted: media may flow, within the publishing budgets.
    pub fn accept_publish(&mut self) {
        let State::PublishAsked { stream } = self.state else {
            return;
        };
        self.state = State::Publishing { stream };
        self.reader.set_limits(Limits {
            media: MAX_MEDIA,
            other: MAX_OTHER,
            in_progress: MAX_MEDIA + MAX_OTHER,
        });
        let mut begin = vec![0, 0]; // Stream Begin
        begin.extend(stream.to_be_bytes());
        self.control(kind::USER_CONTROL, &begin);
        let information = status("status", "NetStream.Publish.Start", "Publishing.");
        self.command(stream, "onStatus", 0.0, Value::Null, Some(information));
    }

    pub fn reject_publish(&mut self, description: &str) {
        let stream = match self.state {
            State::PublishAsked { stream } => stream,
            _ => 0,
        };
        let information = status("error", "NetStream.Publish.BadName", description);
        self.command(stream, "onStatus", 0.0, Value::Null, Some(information));
    }

    pub fn reject_play(&mut self, description: &str) {
        let information = status("error", "NetStream.Play.Failed", description);
        self.command(
            self.play_stream,
            "onStatus",
            0.0,
            Value::Null,
            Some(information),
        );
    }

    /// Acts on one message; an event when it is one the caller must see.
    fn message(&mut self, message: Message) -> Result<Option<Event>, SessionError> {
        let payload = &message.payload;
        let word = |at: usize| -> Option<u32> {
            let b = payload.get(at..at + 4)?;
            Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        };
        match message.kind {
            kind::SET_CHUNK_SIZE => {
                let size = word(0).ok_or(SessionError::Protocol("a short Set Chunk Size"))?;
                self.reader.set_chunk_size(size & 0x7FFF_FFFF)?;
            }
            kind::ABORT => {
                if let Some(chunk_stream) = word(0) {
                    self.reader.abort(chunk_stream);
                }
            }
            kind::WINDOW_ACK_SIZE => self.peer_window = word(0).filter(|w| *w > 0),
            kind::USER_CONTROL => {
                // A ping request (event 6) is answered with a ping response (7).
                if payload.get(..2) == Some(&[0, 6])
                    && let Some(time) = word(2)
                {
                    let mut pong = vec![0, 7];
                    pong.extend(time.to_be_bytes());
                    self.control(kind::USER_CONTROL, &pong);
                }
            }
            kind::AUDIO | kind::VIDEO => {
                let State::Publishing { stream } = self.state else {
                    return Ok(None);
                };
                if message.stream_id != stream {
                    return Ok(None);
                }
                let (timestamp, data) = (message.timestamp, message.payload);
                return Ok(Some(if message.kind == kind::AUDIO {
                    Event::Audio { timestamp, data }
                } else {
                    Event::Video { timestamp, data }
                }));
            }
            kind::AMF0_DATA if self.publishing() => {
                return Ok(metadata(&amf0::decode_all(payload)?).map(Event::Metadata));
            }
            kind::AMF0_COMMAND => {
                return self.command_from_peer(message.stream_id, &amf0::decode_all(payload)?);
            }
            // AMF3's command message: a format byte, then AMF0 as usual.
            kind::AMF3_COMMAND if !payload.is_empty() => {
                return self
                    .command_from_peer(message.stream_id, &amf0::decode_all(&payload[1..])?);
            }
            // Acknowledgements, peer bandwidth, AMF3 data, aggregates: nothing to do.
            _ => {}
        }
        Ok(None)
    }

    fn command_from_peer(
        &mut self,
        stream_id: u32,
        values: &[Value],
    ) -> Result<Option<Event>, SessionError> {
        let name = values.first().and_then(Value::as_str).unwrap_or_default();
        let transaction = values.get(1).and_then(Value::as_number).unwrap_or(0.0);
        let argument = |i: usize| values.get(3 + i);
        match (name, &self.state) {
            ("connect", State::Started) if !self.connect_asked => {
                self.connect_asked = true;
                let app = values
                    .get(2)
                    .and_then(|object| object.get("app"))
                    .and_then(Value::as_str)
                    .ok_or(SessionError::Protocol("a connect without an application"))?;
                // OBS may add a query to the application ("live?x=y"); it names the same one.
                let app = app
                    .split('?')
                    .next()
                    .unwrap_or_default()
                    .trim_end_matches('/');
                Ok(Some(Event::Connect {
                    app: app.to_string(),
                    transaction,
                }))
            }
            ("connect", _) => Err(SessionError::Protocol("a second connect")),
            (_, State::Started) => Err(SessionError::Protocol("a command before connect")),
            ("createStream", _) => {
                if self.created >= MAX_STREAMS {
                    return Err(SessionError::Protocol("too many streams created"));
                }
                self.created += 1;
                let id = Value::Number(f64::from(self.created));
                self.command(0, "_result", transaction, Value::Null, Some(id));
                Ok(None)
            }
            ("publish", State::Connected) => {
                if stream_id == 0 || stream_id > self.created {
                    return Err(SessionError::Protocol(
                        "a publish on a stream never created",
                    ));
                }
                let key = argument(0)
                    .and_then(Value::as_str)
                    .ok_or(SessionError::Protocol("a publish without a stream key"))?;
                // Like the application, the key may carry a query; it is not part of it.
                let key = key.split('?').next().unwrap_or_default().to_string();
                self.state = State::PublishAsked { stream: stream_id };
                Ok(Some(Event::Publish { key }))
            }
            ("publish", _) => Err(SessionError::Protocol("a second publish")),
            ("play", _) => {
                self.play_stream = stream_id;
                Ok(Some(Event::Play))
            }
            ("FCUnpublish", State::Publishing { .. }) => Ok(Some(Event::Unpublished)),
            ("deleteStream" | "closeStream", State::Publishing { stream }) => {
                // deleteStream names the stream; closeStream is sent on it.
                let named = argument(0).and_then(Value::as_number).map(|n| n as u32);
                let ends = match name {
                    "deleteStream" => named == Some(*stream),
                    _ => stream_id == *stream,
                };
                Ok(ends.then_some(Event::Unpublished))
            }
            // releaseStream, FCPublish, _checkbw, getStreamLength…: nothing to answer.
            _ => Ok(None),
        }
    }

    /// A protocol control message (chunk stream 2, message stream 0).
    fn control(&mut self, message_kind: u8, payload: &[u8]) {
        chunks::write(&mut self.out, CONTROL_CHUNKS, message_kind, 0, payload);
    }

    /// A command to the peer on message stream `stream`.
    fn command(
        &mut self,
        stream: u32,
        name: &str,
        transaction: f64,
        object: Value,
        argument: Option<Value>,
    ) {
        let mut payload = BytesMut::new();
        amf0::encode(&Value::String(name.into()), &mut payload);
        amf0::encode(&Value::Number(transaction), &mut payload);
        amf0::encode(&object, &mut payload);
        if let Some(argument) = argument {
            amf0::encode(&argument, &mut payload);
        }
        chunks::write(
            &mut self.out,
            COMMAND_CHUNKS,
            kind::AMF0_COMMAND,
            stream,
            &payload,
        );
    }
}

fn status(level: &str, code: &str, description: &str) -> Value {
    Value::Object(vec![
        ("level".into(), Value::String(level.into())),
        ("code".into(), Value::String(code.into())),
        ("description".into(), Value::String(description.into())),
    ])
}

/// `[@setDataFrame,] onMetaData, {…}` read into what we use; None for other data.
fn metadata(values: &[Value]) -> Option<Metadata> {
    let mut values = values.iter().peekable();
    if values.peek().and_then(|v| v.as_str()) == Some("@setDataFrame") {
        values.next();
    }
    if values.next().and_then(Value::as_str) != Some("onMetaData") {
        return None;
    }
    let object = values.next()?;
    let dimension = |name: &str| {
        object
            .get(name)
            .and_then(Value::as_number)
            .filter(|n| n.is_finite() && *n >= 1.0 && *n <= 65_535.0)
            .map(|n| n as u32)
    };
    let width = dimension("width");
    let height = dimension("height");
    Some(Metadata {
        width,
        height,
        has_audio: object.get("audiocodecid").is_some(),
        has_video: object.get("videocodecid").is_some() || width.is_some() || height.is_some(),
    })
}
