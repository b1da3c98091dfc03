//! Gzip on the wire without a compressor per connection. A browser's event stream is base64
//! text, a third more bytes than the media it carries; gzip takes that third back (its
//! Huffman codes spend 6 bits on a base64 character). Compressing each connection's stream
//! would cost a compressor per viewer, so each shared frame is deflated once, on its own
//! (no reference to what came before it) and ending on a byte boundary (a sync flush): such
//! pieces follow one another into any deflate stream. A connection's gzip stream is a gzip
//! header, then each frame's piece — the shared one, or for a frame of its own a stored block
//! (its bytes as they are, 5 bytes more) — and at its end a final block and the check of
//! everything it carried, combined from each frame's own.

use bytes::{BufMut, Bytes, BytesMut};
use flate2::{Compress, Compression, FlushCompress};

/// A frame's deflate piece, and what the gzip trailer needs of it.
#[derive(Clone, Debug)]
pub struct Deflated {
    pub piece: Bytes,
    crc: u32,
    len: u64,
}

impl Deflated {
    /// `parts`, one after the other, deflated on their own and ending on a byte boundary.
    /// The fastest level: base64 repeats little, so a slower search finds almost nothing more.
    pub fn of(parts: &[&[u8]]) -> Self {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let mut compress = Compress::new(Compression::fast(), false);
        let mut piece = Vec::with_capacity(len * 4 / 5 + 64);
        let mut crc = crc32fast::Hasher::new();
        for (n, part) in parts.iter().enumerate() {
            crc.update(part);
            let flush = if n + 1 == parts.len() {
                FlushCompress::Sync
            } else {
                FlushCompress::None
            };
            let start = compress.total_in();
            loop {
                let read = (compress.total_in() - start) as usize;
                if piece.capacity() - piece.len() < 64 {
                    piece.reserve(len / 4 + 64);
                }
                // In memory with room to write, deflate cannot fail.
                let _ = compress.compress_vec(&part[read..], &mut piece, flush);
                // Done once the part is read and (flushing) the flush had room to finish.
                let read = (compress.total_in() - start) as usize;
                if read == part.len() && piece.capacity() - piece.len() >= 64 {
                    break;
                }
            }
        }
        Self {
            piece: piece.into(),
            crc: crc.finalize(),
            len: len as u64,
        }
    }

    /// `plain` as stored blocks: no work, 5 bytes more per 64 KiB.
    pub fn stored(plain: &[u8]) -> Self {
        let mut piece = BytesMut::with_capacity(plain.len() + 5 * (plain.len() / 0xffff + 1));
        for chunk in plain.chunks(0xffff) {
            stored_block(&mut piece, chunk, false);
        }
        Self {
            piece: piece.freeze(),
            crc: crc32fast::hash(plain),
            len: plain.len() as u64,
        }
    }

    /// This piece followed by `next`, as one.
    pub fn then(mut self, next: Deflated) -> Self {
        let mut piece = BytesMut::with_capacity(self.piece.len() + next.piece.len());
        piece.put_slice(&self.piece);
        piece.put_slice(&next.piece);
        self.piece = piece.freeze();
        let mut crc = crc32fast::Hasher::new_with_initial_len(self.crc, self.len);
        crc.combine(&crc32fast::Hasher::new_with_initial_len(next.crc, next.len));
        self.crc = crc.finalize();
        self.len += next.len;
        self
    }
}

/// A stored block of at most 64 KiB − 1 bytes; the writer is on a byte boundary.
fn stored_block(out: &mut BytesMut, data: &[u8], last: bool) {
    let len = data.len() as u16;
    out.put_u8(u8::from(last));
    out.put_u16_le(len);
    out.put_u16_le(!len);
    out.put_slice(data);
}

/// One connection's gzip stream: the check of everything it carried so far.
#[derive(Debug)]
pub struct GzipStream {
    crc: crc32fast::Hasher,
    len: u64,
}

impl GzipStream {
    /// A stream and its first bytes, the gzip header (no name, no time, from Unix).
    pub fn start() -> (Self, Bytes) {
        let header = Bytes::from_static(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
        (
            Self {
                crc: crc32fast::Hasher::new(),
                len: 0,
            },
            header,
        )
    }

    /// The bytes that carry `piece` in this stream.
    pub fn carry(&mut self, piece: &Deflated) -> Bytes {
        self.crc.combine(&crc32fast::Hasher::new_with_initial_len(
            piece.crc, piece.len,
        ));
        self.len += piece.len;
        piece.piece.clone()
    }

    /// The bytes that carry a frame of this connection's own.
    pub fn carry_own(&mut self, frame: &[u8]) -> Bytes {
        self.crc.update(frame);
        self.len += frame.len() as u64;
        Deflated::stored(frame).piece
    }

    /// The stream's last bytes: an empty final block, then the check and the length.
    pub fn finish(self) -> Bytes {
        let mut out = BytesMut::with_capacity(13);
        stored_block(&mut out, &[], true);
        out.put_u32_le(self.crc.finalize());
        // ISIZE: the length modulo 2^32.
        out.put_u32_le(self.len as u32);
        out.freeze()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn gunzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn pieces_made_apart_are_one_gzip_stream_a_decoder_checks() {
        let media = "event: media\nid: 7\ndata: ".to_string() + &"QUJD".repeat(20_000) + "\n\n";
        let shared = Deflated::stored(b"event: media\nid: 7\ndata: ").then(Deflated::of(&[
            &media.as_bytes()["event: media\nid: 7\ndata: ".len()..media.len() - 2],
            b"\n\n",
        ]));
        let big_own = vec![b'x'; 200_000];
        let (mut stream, mut wire) = (GzipStream::start().0, GzipStream::start().1.to_vec());
        wire.extend_from_slice(&stream.carry_own(b": keep-alive\n\n"));
        wire.extend_from_slice(&stream.carry(&shared));
        wire.extend_from_slice(&stream.carry_own(&big_own));
        wire.extend_from_slice(&stream.carry(&shared));
        wire.extend_from_slice(&stream.finish());

        let mut plain = b": keep-alive\n\n".to_vec();
        plain.extend_from_slice(media.as_bytes());
        plain.extend_from_slice(&big_own);
        plain.extend_from_slice(media.as_bytes());
        assert_eq!(gunzip(&wire).unwrap(), plain);
        // Repetitive text shrinks; stored bytes cost 5 bytes a block.
        assert!(
            shared.piece.len() < media.len() / 10,
            "{}",
            shared.piece.len()
        );
    }

    #[test]
    fn each_piece_is_whole_on_arrival() {
        // A decoder given the stream up to the end of a piece has all of it: nothing waits
        // for the next one.
        let data = "ZGF0YQ==".repeat(1000);
        let piece = Deflated::of(&[data.as_bytes()]);
        let (_, header) = GzipStream::start();
        let mut decoder = flate2::write::GzDecoder::new(Vec::new());
        std::io::Write::write_all(&mut decoder, &header).unwrap();
        std::io::Write::write_all(&mut decoder, &piece.piece).unwrap();
        std::io::Write::flush(&mut decoder).unwrap();
        assert_eq!(decoder.get_ref().as_slice(), data.as_bytes());
    }

    #[test]
    fn a_wrong_check_is_caught() {
        // The trailer is checked: a piece whose check is wrong fails the stream.
        let mut piece = Deflated::of(&[b"hello"]);
        piece.crc ^= 1;
        let (mut stream, header) = GzipStream::start();
        let mut wire = header.to_vec();
        wire.extend_from_slice(&stream.carry(&piece));
        wire.extend_from_slice(&stream.finish());
        assert!(gunzip(&wire).is_err());
    }
}
