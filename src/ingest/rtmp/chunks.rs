//! RTMP's chunk stream: the bytes after the handshake, read into messages; and our own
//! messages, written as chunks.
//!
//! A message arrives in chunks of the peer's chunk size, each with a header that may leave
//! out what the previous chunk on its chunk stream said. Messages on different chunk streams
//! may interleave (audio between the chunks of a large video frame), so each chunk stream
//! assembles its own. Everything is bounded before it is held: a message's declared length
//! against [`Limits`] for its kind (checked at its first header, before any byte of it is
//! kept), the bytes of all messages in progress together, and the chunk streams in use. Input
//! is consumed as it arrives, so what waits between reads is at most one partial header.

use std::collections::HashMap;

use bytes::{Buf, BufMut, Bytes, BytesMut};

/// Chunk streams one connection may use (OBS uses four or five).
const MAX_CHUNK_STREAMS: usize = 64;
/// The chunk size every peer starts with, in both directions.
pub const INITIAL_CHUNK_SIZE: usize = 128;
/// The chunk size we send with (announced at the start, see `session`).
pub const OUR_CHUNK_SIZE: usize = 4096;
/// A timestamp field of this value means a 4-byte extended timestamp follows.
const EXTENDED: u32 = 0xFF_FFFF;

/// Message types.
pub mod kind {
    pub const SET_CHUNK_SIZE: u8 = 1;
    pub const ABORT: u8 = 2;
    pub const ACKNOWLEDGEMENT: u8 = 3;
    pub const USER_CONTROL: u8 = 4;
    pub const WINDOW_ACK_SIZE: u8 = 5;
    pub const SET_PEER_BANDWIDTH: u8 = 6;
    pub const AUDIO: u8 = 8;
    pub const VIDEO: u8 = 9;
    pub const AMF3_DATA: u8 = 15;
    pub const AMF3_COMMAND: u8 = 17;
    pub const AMF0_DATA: u8 = 18;
    pub const AMF0_COMMAND: u8 = 20;
}

/// The largest message of each kind a connection may send now, and of all the messages it
/// has in progress at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Audio and video.
    pub media: usize,
    /// Everything else: commands, data, control.
    pub other: usize,
    /// Every message in progress together.
    pub in_progress: usize,
}

/// One whole message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub kind: u8,
    pub stream_id: u32,
    pub timestamp: u32,
    pub payload: Bytes,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChunkError {
    #[error("a chunk continues chunk stream {0}, which has no message yet")]
    NoPrevious(u32),
    #[error("a new message header on chunk stream {0} before its message ended")]
    Interrupted(u32),
    #[error("a message of {declared} bytes (type {kind}) is over the {limit} allowed")]
    TooLarge {
        kind: u8,
        declared: usize,
        limit: usize,
    },
    #[error("messages in progress would hold more than {0} bytes")]
    TooMuchInProgress(usize),
    #[error("more than {MAX_CHUNK_STREAMS} chunk streams")]
    TooManyChunkStreams,
    #[error("a chunk size of {0}")]
    BadChunkSize(u32),
}

/// What one chunk stream remembers from its last header, and its message in progress.
#[derive(Default)]
struct ChunkStream {
    timestamp: u32,
    /// The last delta (for a type-0 header, the timestamp itself): a type-3 chunk that starts
    /// a new message adds it again.
    delta: u32,
    length: usize,
    kind: u8,
    stream_id: u32,
    /// Whether the last header's timestamp field was extended (then type-3 chunks carry the
    /// 4 extended bytes too).
    extended: bool,
    /// The message being assembled.
    partial: Option<BytesMut>,
}

/// Reads messages from the bytes after the handshake.
pub struct ChunkReader {
    chunk_size: usize,
    limits: Limits,
    streams: HashMap<u32, ChunkStream>,
    /// Bytes of messages in progress (declared lengths).
    in_progress: usize,
    /// Input not yet read.
    input: BytesMut,
    /// Inside a chunk's payload: its chunk stream and the bytes of it still to come.
    payload: Option<(u32, usize)>,
}

impl ChunkReader {
    pub fn new(limits: Limits) -> Self {
        Self {
            chunk_size: INITIAL_CHUNK_SIZE,
            limits,
            streams: HashMap::new(),
            in_progress: 0,
            input: BytesMut::new(),
            payload: None,
        }
    }

    /// Limits for messages whose first header comes from now on.
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// The peer's Set Chunk Size.
    pub fn set_chunk_size(&mut self, size: u32) -> Result<(), ChunkError> {
        if size == 0 || size > 0x7FFF_FFFF {
            return Err(ChunkError::BadChunkSize(size));
        }
        self.chunk_size = size as usize;
        Ok(())
    }

    /// The peer's Abort: the message in progress on `chunk_stream` is dropped (the rest of a
    /// chunk of it already begun is read and dropped too).
    pub fn abort(&mut self, chunk_stream: u32) {
        if let Some(stream) = self.streams.get_mut(&chunk_stream)
            && stream.partial.take().is_some()
        {
            self.in_progress -= stream.length;
        }
    }

    /// Bytes read from the connection; call [`ChunkReader::next_message`] until it gives None before
    /// pushing more, so no more than a header's worth waits here.
    pub fn push(&mut self, bytes: &[u8]) {
        self.input.extend_from_slice(bytes);
    }

    /// Bytes pushed but not yet read (a partial header, or input left after a message).
    pub fn unread(&self) -> usize {
        self.input.len()
    }

    /// The next whole message from what was pushed, if one is complete.
    pub fn next_message(&mut self) -> Result<Option<Message>, ChunkError> {
        loop {
            if let Some((csid, left)) = self.payload {
                if self.input.is_empty() {
                    return Ok(None);
                }
                let n = left.min(self.input.len());
                let stream = self
                    .streams
                    .get_mut(&csid)
                    .expect("a chunk's stream is known");
                let bytes = self.input.split_to(n);
                if let Some(partial) = &mut stream.partial {
                    partial.extend_from_slice(&bytes);
                }
                if n < left {
                    self.payload = Some((csid, left - n));
                    return Ok(None);
                }
                self.payload = None;
                if let Some(message) = self.complete(csid) {
                    return Ok(Some(message));
                }
                continue;
            }
            match self.header()? {
                Header::Incomplete => return Ok(None),
                Header::Read { csid } => {
                    if let Some(message) = self.complete(csid) {
                        return Ok(Some(message));
                    }
                }
            }
        }
    }

    /// The message on `csid`, if its last byte has arrived.
    fn complete(&mut self, csid: u32) -> Option<Message> {
        let stream = self.streams.get_mut(&csid)?;
        let done = stream
            .partial
            .as_ref()
            .is_some_and(|partial| partial.len() >= stream.length);
        if !done {
            return None;
        }
        let payload = stream.partial.take()?.freeze();
        self.in_progress -= stream.length;
        Some(Message {
            kind: stream.kind,
            stream_id: stream.stream_id,
            timestamp: stream.timestamp,
            payload,
        })
    }

    /// Reads one chunk header if all of it is here, and sets up its payload.
    fn header(&mut self) -> Result<Header, ChunkError> {
        let bytes = &self.input[..];
        let Some(&first) = bytes.first() else {
            return Ok(Header::Incomplete);
        };
        let format = first >> 6;
        let (csid, basic) = match first & 0x3F {
            0 => match bytes.get(1) {
                Some(&b) => (64 + u32::from(b), 2),
                None => return Ok(Header::Incomplete),
            },
            1 => match bytes.get(1..3) {
                Some(b) => (64 + u32::from(b[0]) + 256 * u32::from(b[1]), 3),
                None => return Ok(Header::Incomplete),
            },
            id => (u32::from(id), 1),
        };
        let known = self.streams.contains_key(&csid);
        if !known {
            if format != 0 {
                return Err(ChunkError::NoPrevious(csid));
            }
            if self.streams.len() >= MAX_CHUNK_STREAMS {
                return Err(ChunkError::TooManyChunkStreams);
            }
        }
        let fields = [11, 7, 3, 0][usize::from(format)];
        let Some(header) = bytes.get(basic..basic + fields) else {
            return Ok(Header::Incomplete);
        };
        let u24 = |b: &[u8]| u32::from_be_bytes([0, b[0], b[1], b[2]]);
        let field = (format < 3).then(|| u24(header));
        let length = (format < 2).then(|| u24(&header[3..6]) as usize);
        let message_kind = (format < 2).then(|| header[6]);
        let stream_id = (format == 0)
            .then(|| u32::from_le_bytes([header[7], header[8], header[9], header[10]]));
        let extended = match field {
            Some(value) => value == EXTENDED,
            None => known && self.streams[&csid].extended,
        };
        let extended_at = basic + fields;
        let total = extended_at + if extended { 4 } else { 0 };
        let Some(extended_bytes) = bytes.get(extended_at..total) else {
            return Ok(Header::Incomplete);
        };
        let extended_value = extended.then(|| {
            let b = extended_bytes;
            u32::from_be_bytes([b[0], b[1], b[2], b[3]])
        });
        self.input.advance(total);

        let stream = self.streams.entry(csid).or_default();
        let starts_message = stream.partial.is_none();
        if format < 3 && !starts_message {
            return Err(ChunkError::Interrupted(csid));
        }
        let time = extended_value.or(field).unwrap_or(0);
        match format {
            0 => {
                stream.timestamp = time;
                stream.delta = time;
            }
            1 | 2 => {
                stream.delta = time;
                stream.timestamp = stream.timestamp.wrapping_add(time);
            }
            _ if starts_message => stream.timestamp = stream.timestamp.wrapping_add(stream.delta),
            _ => {}
        }
        if let Some(length) = length {
            stream.length = length;
        }
        if let Some(message_kind) = message_kind {
            stream.kind = message_kind;
        }
        if let Some(stream_id) = stream_id {
            stream.stream_id = stream_id;
        }
        if field.is_some() {
            stream.extended = extended;
        }
        if starts_message {
            let limit = match stream.kind {
                kind::AUDIO | kind::VIDEO => self.limits.media,
                _ => self.limits.other,
            };
            if stream.length > limit {
                return Err(ChunkError::TooLarge {
                    kind: stream.kind,
                    declared: stream.length,
                    limit,
                });
            }
            if self.in_progress + stream.length > self.limits.in_progress {
                return Err(ChunkError::TooMuchInProgress(self.limits.in_progress));
            }
            self.in_progress += stream.length;
            // Room for what one read can bring, not for what the header claims.
            stream.partial = Some(BytesMut::with_capacity(stream.length.min(64 << 10)));
        }
        let have = stream.partial.as_ref().map_or(0, BytesMut::len);
        let left = stream.length.saturating_sub(have).min(self.chunk_size);
        if left > 0 {
            self.payload = Some((csid, left));
        }
        Ok(Header::Read { csid })
    }
}

enum Header {
    Incomplete,
    /// A header for `csid` was read (its payload, if any, follows).
    Read {
        csid: u32,
    },
}

/// Appends `payload` as one message of `kind` on `chunk_stream`, in chunks of
/// [`OUR_CHUNK_SIZE`], with a full header (our messages are few and small).
pub fn write(out: &mut BytesMut, chunk_stream: u8, kind: u8, stream_id: u32, payload: &[u8]) {
    let csid = chunk_stream & 0x3F;
    out.put_u8(csid);
    out.put_slice(&[0, 0, 0]);
    out.put_uint(payload.len() as u64, 3);
    out.put_u8(kind);
    out.put_u32_le(stream_id);
    for (i, chunk) in payload.chunks(OUR_CHUNK_SIZE).enumerate() {
        if i > 0 {
            out.put_u8(0xC0 | csid);
        }
        out.put_slice(chunk);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOMY: Limits = Limits {
        media: 1 << 20,
        other: 1 << 16,
        in_progress: 2 << 20,
    };

    fn read_all(reader: &mut ChunkReader, bytes: &[u8], step: usize) -> Vec<Message> {
        let mut messages = Vec::new();
        for piece in bytes.chunks(step.max(1)) {
            reader.push(piece);
            while let Some(message) = reader.next_message().unwrap() {
                messages.push(message);
            }
            assert!(reader.unread() < 18, "only a partial header waits");
        }
        messages
    }

    #[test]
    fn messages_written_in_chunks_are_read_back_whatever_the_read_sizes() {
        let big: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
        let mut out = BytesMut::new();
        write(&mut out, 3, kind::AMF0_COMMAND, 0, b"hello");
        write(&mut out, 6, kind::VIDEO, 1, &big);
        write(&mut out, 4, kind::AUDIO, 1, &[]);
        for step in [1, 7, 128, 5000, 100_000] {
            let mut reader = ChunkReader::new(ROOMY);
            // The peer reads our chunk size, as it would after our Set Chunk Size.
            reader.set_chunk_size(OUR_CHUNK_SIZE as u32).unwrap();
            let messages = read_all(&mut reader, &out, step);
            assert_eq!(messages.len(), 3, "step {step}");
            assert_eq!(&messages[0].payload[..], b"hello");
            assert_eq!(messages[1].payload, big);
            assert_eq!((messages[1].kind, messages[1].stream_id), (kind::VIDEO, 1));
            assert!(messages[2].payload.is_empty());
        }
    }

    /// Audio interleaved between the chunks of a video frame, compressed headers, deltas and
    /// extended timestamps, as encoders send them.
    #[test]
    fn interleaved_chunk_streams_and_compressed_headers_are_followed() {
        let mut bytes = Vec::new();
        // Video on csid 6: 200 bytes at the initial chunk size of 128, timestamp 0x1000000
        // (extended).
        bytes.extend([0x06, 0xFF, 0xFF, 0xFF, 0, 0, 200, 9, 1, 0, 0, 0, 1, 0, 0, 0]);
        bytes.extend([0xAA; 128]);
        // Audio on csid 4 in between: type 0, timestamp 5, 3 bytes.
        bytes.extend([0x04, 0, 0, 5, 0, 0, 3, 8, 1, 0, 0, 0, 1, 2, 3]);
        // The video's second chunk: type 3 with the extended timestamp repeated.
        bytes.extend([0xC6, 1, 0, 0, 0]);
        bytes.extend([0xBB; 72]);
        // Audio again: type 2 (delta 20), then type 3 (same delta again).
        bytes.extend([0x84, 0, 0, 20, 4, 5, 6]);
        bytes.extend([0xC4, 7, 8, 9]);
        let mut reader = ChunkReader::new(ROOMY);
        let messages = read_all(&mut reader, &bytes, 3);
        let summary: Vec<(u8, u32, usize)> = messages
            .iter()
            .map(|m| (m.kind, m.timestamp, m.payload.len()))
            .collect();
        assert_eq!(
            summary,
            vec![(8, 5, 3), (9, 0x0100_0000, 200), (8, 25, 3), (8, 45, 3)]
        );
        assert_eq!(&messages[1].payload[..128], &[0xAA; 128][..]);
        assert_eq!(&messages[1].payload[128..], &[0xBB; 72][..]);
    }

    #[test]
    fn oversized_and_inconsistent_messages_are_refused_at_their_header() {
        let limits = Limits {
            media: 1000,
            other: 100,
            in_progress: 1500,
        };
        // A 16 MiB command: refused before any byte of it is kept.
        let mut reader = ChunkReader::new(limits);
        reader.push(&[0x03, 0, 0, 0, 0xFF, 0xFF, 0xFF, 20, 0, 0, 0, 0]);
        assert!(matches!(
            reader.next_message(),
            Err(ChunkError::TooLarge {
                declared: 0xFF_FFFF,
                limit: 100,
                ..
            })
        ));
        // A video frame begun (its first chunk), then an audio message: together over the
        // total in progress.
        let mut reader = ChunkReader::new(limits);
        reader.push(&[0x06, 0, 0, 0, 0, 0x03, 0xE8, 9, 1, 0, 0, 0]);
        reader.push(&[0; 128]);
        reader.push(&[0x04, 0, 0, 0, 0, 0x03, 0xE8, 8, 1, 0, 0, 0]);
        assert_eq!(
            reader.next_message(),
            Err(ChunkError::TooMuchInProgress(1500))
        );
        // A new message header on a chunk stream whose message has not ended.
        let mut reader = ChunkReader::new(limits);
        reader.push(&[0x06, 0, 0, 0, 0, 0x03, 0xE8, 9, 1, 0, 0, 0]);
        reader.push(&[0; 128]);
        reader.push(&[0x46, 0, 0, 0, 0, 0, 10, 9]);
        assert_eq!(reader.next_message(), Err(ChunkError::Interrupted(6)));
        // A continuation on a chunk stream never opened.
        let mut reader = ChunkReader::new(limits);
        reader.push(&[0xC5]);
        assert_eq!(reader.next_message(), Err(ChunkError::NoPrevious(5)));
        // Too many chunk streams.
        let mut reader = ChunkReader::new(limits);
        for csid in 0..=MAX_CHUNK_STREAMS as u8 {
            reader.push(&[0x00, csid, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0, 0]);
        }
        let refused = (0..=MAX_CHUNK_STREAMS).find_map(|_| reader.next_message().err());
        assert_eq!(refused, Some(ChunkError::TooManyChunkStreams));
    }

    #[test]
    fn limits_change_for_messages_that_start_later() {
        let small = Limits {
            media: 10,
            other: 10,
            in_progress: 20,
        };
        let mut reader = ChunkReader::new(small);
        reader.push(&[0x06, 0, 0, 0, 0, 0, 50, 9, 1, 0, 0, 0]);
        assert!(reader.next_message().is_err());
        let mut reader = ChunkReader::new(small);
        reader.set_limits(ROOMY);
        reader.push(&[0x06, 0, 0, 0, 0, 0, 50, 9, 1, 0, 0, 0]);
        reader.push(&[7; 50]);
        assert_eq!(reader.next_message().unwrap().unwrap().payload.len(), 50);
    }
}
