//! The FLV bytes a publisher's RTMP messages become on their way to ffmpeg's stdin, and what
//! the first bytes of each audio and video message say about it (codec, keyframe).
//!
//! RTMP carries exactly FLV's tag bodies; a tag adds an 11-byte header (type, size,
//! timestamp) and a 4-byte trailer (its own size). Everything here reads bytes from the wire,
//! so nothing here can panic on any input (see the property tests).

use bytes::{BufMut, Bytes, BytesMut};

/// The largest tag body FLV can describe (24-bit size).
pub const MAX_TAG_BODY: usize = 0xFF_FFFF;

/// FLV tag types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagKind {
    Audio = 8,
    Video = 9,
    Script = 18,
}

/// The file header (announcing audio, video or both) and the zero "previous tag size" after it.
pub fn header(audio: bool, video: bool) -> Bytes {
    let flags = if audio { 0x04 } else { 0 } | if video { 0x01 } else { 0 };
    Bytes::copy_from_slice(&[b'F', b'L', b'V', 1, flags, 0, 0, 0, 9, 0, 0, 0, 0])
}

/// One tag: `body` at `timestamp_ms` (RTMP's 32-bit milliseconds, split as FLV stores them).
/// None if the body is larger than FLV allows.
pub fn tag(kind: TagKind, timestamp_ms: u32, body: &[u8]) -> Option<Bytes> {
    if body.len() > MAX_TAG_BODY {
        return None;
    }
    let mut out = BytesMut::with_capacity(11 + body.len() + 4);
    out.put_u8(kind as u8);
    out.put_uint(body.len() as u64, 3);
    out.put_uint(u64::from(timestamp_ms & 0xFF_FFFF), 3);
    out.put_u8((timestamp_ms >> 24) as u8);
    out.put_uint(0, 3);
    out.put_slice(body);
    out.put_u32(11 + body.len() as u32);
    Some(out.freeze())
}

/// What a video message's first bytes say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VideoCodec {
    /// H.264 (FLV codec id 7); `config` marks the decoder configuration (sequence header).
    Avc { keyframe: bool, config: bool },
    /// An Enhanced RTMP FourCC (HEVC `hvc1`, AV1 `av01`, VP9 `vp09`...).
    Enhanced([u8; 4]),
    /// A legacy codec id other than H.264 (Sorenson, VP6, screen video...).
    Legacy(u8),
}

/// Reads a video message's header; None for an empty message.
pub fn video_codec(body: &[u8]) -> Option<VideoCodec> {
    let first = *body.first()?;
    if first & 0x80 != 0 {
        // Enhanced RTMP: the FourCC follows the first byte.
        let fourcc = body.get(1..5)?;
        return Some(VideoCodec::Enhanced([
            fourcc[0], fourcc[1], fourcc[2], fourcc[3],
        ]));
    }
    let frame_type = first >> 4;
    match first & 0x0F {
        7 => Some(VideoCodec::Avc {
            keyframe: frame_type == 1,
            config: body.get(1) == Some(&0),
        }),
        other => Some(VideoCodec::Legacy(other)),
    }
}

impl VideoCodec {
    /// Why we cannot carry it, in words a broadcaster can act on; None for H.264.
    pub fn refusal(self) -> Option<String> {
        let name = match self {
            VideoCodec::Avc { .. } => return None,
            VideoCodec::Enhanced(fourcc) => match &fourcc {
                b"hvc1" => "HEVC (H.265)".to_string(),
                b"av01" => "AV1".to_string(),
                b"vp09" => "VP9".to_string(),
                other => format!("'{}'", String::from_utf8_lossy(other).escape_default()),
            },
            VideoCodec::Legacy(id) => format!("FLV video codec {id}"),
        };
        Some(format!(
            "The stream's video is {name}; OnAir takes H.264. In OBS: Settings → Output → \
             Streaming → Video Encoder: x264 (or a hardware H.264 encoder)."
        ))
    }
}

/// What an audio message's first byte says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AudioCodec {
    Aac,
    /// Any other FLV sound format (MP3 is 2, Speex 11, Enhanced RTMP's multitrack/FourCC 9).
    Other(u8),
}

/// Reads an audio message's header; None for an empty message.
pub fn audio_codec(body: &[u8]) -> Option<AudioCodec> {
    match *body.first()? >> 4 {
        10 => Some(AudioCodec::Aac),
        other => Some(AudioCodec::Other(other)),
    }
}

impl AudioCodec {
    /// Why we cannot carry it; None for AAC.
    pub fn refusal(self) -> Option<String> {
        let name = match self {
            AudioCodec::Aac => return None,
            AudioCodec::Other(2) => "MP3".to_string(),
            AudioCodec::Other(9) => "an Enhanced RTMP codec (such as Opus)".to_string(),
            AudioCodec::Other(id) => format!("FLV sound format {id}"),
        };
        Some(format!(
            "The stream's audio is {name}; OnAir takes AAC. In OBS: Settings → Output → \
             Streaming → Audio Encoder: AAC."
        ))
    }
}

/// AMF0's encoding of the string "@setDataFrame", which RTMP puts before a script tag's body.
const SET_DATA_FRAME: &[u8] = b"\x02\x00\x0d@setDataFrame";

/// A data message as an FLV script tag body: RTMP's `@setDataFrame` wrapper removed.
pub fn script_body(body: &[u8]) -> &[u8] {
    body.strip_prefix(SET_DATA_FRAME).unwrap_or(body)
}

/// Cases for the wire fuzzing tests: `default`, or `PROPTEST_CASES` for a longer run.
#[cfg(test)]
pub(crate) fn fuzz_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_tag_carries_its_size_timestamp_and_trailer() {
        let t = tag(TagKind::Video, 0x0123_4567, b"abc").unwrap();
        assert_eq!(
            &t[..],
            &[
                9, 0, 0, 3, 0x23, 0x45, 0x67, 0x01, 0, 0, 0, b'a', b'b', b'c', 0, 0, 0, 14
            ]
        );
        assert!(tag(TagKind::Audio, 0, &vec![0; MAX_TAG_BODY + 1]).is_none());
    }

    #[test]
    fn codecs_are_read_from_the_first_bytes() {
        assert_eq!(
            video_codec(&[0x17, 0]),
            Some(VideoCodec::Avc {
                keyframe: true,
                config: true
            })
        );
        assert_eq!(
            video_codec(&[0x27, 1]),
            Some(VideoCodec::Avc {
                keyframe: false,
                config: false
            })
        );
        let hevc = video_codec(&[0x90, b'h', b'v', b'c', b'1']).unwrap();
        assert!(hevc.refusal().unwrap().contains("HEVC"));
        assert!(video_codec(&[0x12]).unwrap().refusal().is_some());
        assert_eq!(video_codec(&[]), None);
        assert_eq!(video_codec(&[0x90, b'h']), None);
        assert_eq!(audio_codec(&[0xAF, 0]), Some(AudioCodec::Aac));
        assert!(
            audio_codec(&[0x2F])
                .unwrap()
                .refusal()
                .unwrap()
                .contains("MP3")
        );
        assert_eq!(
            script_body(b"\x02\x00\x0d@setDataFrame\x02rest"),
            b"\x02rest"
        );
        assert_eq!(
            script_body(b"\x02\x00\x0aonMetaData"),
            b"\x02\x00\x0aonMetaData"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(fuzz_cases(20_000)))]

        /// Whatever a publisher sends, reading it never panics and a tag is always framed
        /// exactly.
        #[test]
        fn any_message_is_read_without_panic(body in proptest::collection::vec(any::<u8>(), 0..64), ts in any::<u32>()) {
            let _ = video_codec(&body).map(|c| c.refusal());
            let _ = audio_codec(&body).map(|c| c.refusal());
            let _ = script_body(&body);
            let t = tag(TagKind::Script, ts, &body).unwrap();
            prop_assert_eq!(t.len(), body.len() + 15);
            prop_assert_eq!(&t[11..11 + body.len()], &body[..]);
        }
    }
}
