//! Cuts ffmpeg's fragmented-MP4 byte stream into one init segment (ftyp+moov) and media
//! fragments (any styp/prft/emsg before a moof, the moof, and its mdat), whatever the read
//! boundaries. Box contents are decoded with `mp4-atom`; the bytes handed on are the original
//! ones, cut without copying.

use bytes::{Bytes, BytesMut};
use mp4_atom::{Atom, Codec, DecodeMaybe, FourCC, Header, Moof, Moov, Prft};
use std::collections::BTreeMap;

use super::prft::ntp_to_unix_ms;

/// The largest top-level box we accept; anything bigger is not a live fragment.
const MAX_BOX_BYTES: usize = 32 << 20;
/// ISO/IEC 14496-12 sample flags: `sample_is_non_sync_sample`.
const NON_SYNC_SAMPLE: u32 = 0x0001_0000;

/// The segment a decoder needs before any fragment: ftyp + moov.
#[derive(Clone, Debug)]
pub struct InitSegment {
    pub data: Bytes,
    /// `video/mp4; codecs="avc1.64001f,mp4a.40.2"`.
    pub mime: String,
    /// Track id -> media timescale.
    pub timescales: BTreeMap<u32, u32>,
    video_track: Option<u32>,
    /// Track id -> default sample flags from `trex`.
    default_flags: BTreeMap<u32, u32>,
}

impl InitSegment {
    /// Whether it has a picture (a ladder's audio rung has none).
    pub fn has_video(&self) -> bool {
        self.video_track.is_some()
    }
}

/// One media fragment: what a viewer appends after the init segment.
#[derive(Clone, Debug)]
pub struct Fragment {
    pub data: Bytes,
    /// The fragment's first video sample is a sync sample: a viewer may start here.
    pub keyframe: bool,
    /// Unix milliseconds at which ffmpeg wrote the fragment (from its prft box).
    pub produced_ms: Option<f64>,
    /// Playing time of the fragment's reference track, in seconds.
    pub duration_secs: Option<f64>,
    /// Where the fragment's reference track starts on the run's timeline, in seconds (its
    /// decode time): the same instant on every rung of a ladder (see `renditions`).
    pub start_secs: Option<f64>,
}

/// What the splitter yields.
#[derive(Clone, Debug)]
pub enum Piece {
    Init(InitSegment),
    Fragment(Fragment),
}

#[derive(Debug, thiserror::Error)]
pub enum SplitError {
    #[error("box '{kind}' of {size} bytes is larger than the {MAX_BOX_BYTES}-byte limit")]
    TooLarge { kind: String, size: u64 },
    #[error("box '{0}' has an invalid or open-ended size")]
    BadSize(String),
    #[error("'{0}' arrived before the init segment")]
    BeforeInit(&'static str),
    #[error("'{0}' arrived where it does not belong")]
    OutOfOrder(&'static str),
    #[error("could not decode '{kind}': {source}")]
    Decode {
        kind: &'static str,
        source: mp4_atom::Error,
    },
    #[error("could not decode '{0}': the MP4 library failed on it")]
    Unreadable(&'static str),
    #[error("unsupported codec '{0}' (need H.264 video and/or AAC audio)")]
    UnsupportedCodec(String),
    #[error("the init segment has no audio or video track")]
    NoTracks,
    #[error("the stream ended inside a box ({0} bytes left over)")]
    Truncated(usize),
}

/// What the splitter has seen of the fragment it is assembling.
#[derive(Debug, Default)]
struct Pending {
    /// The scanned bytes belong to a piece in progress (not stray boxes between pieces).
    started: bool,
    ftyp: bool,
    prft: Option<f64>,
    moof: Option<MoofFacts>,
}

#[derive(Clone, Copy, Debug)]
struct MoofFacts {
    keyframe: bool,
    duration_secs: Option<f64>,
    start_secs: Option<f64>,
}

/// A streaming splitter: feed bytes with [`Splitter::push`], call [`Splitter::finish`] at the end.
#[derive(Debug, Default)]
pub struct Splitter {
    buf: BytesMut,
    /// Bytes of `buf` that belong to whole boxes of the piece being assembled.
    scanned: usize,
    pending: Pending,
    init: Option<InitSegment>,
}

impl Splitter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds bytes and returns every piece they complete.
    pub fn push(&mut self, data: &[u8]) -> Result<Vec<Piece>, SplitError> {
        self.buf.extend_from_slice(data);
        let mut pieces = Vec::new();
        while let Some((kind, header_len, total)) = self.next_box()? {
            let start = self.scanned;
            self.scanned += total;
            if let Some(piece) = self.take_box(kind, start + header_len..start + total)? {
                pieces.push(piece);
            }
        }
        Ok(pieces)
    }

    /// Ends the stream: leftover bytes mean it was cut inside a box.
    pub fn finish(self) -> Result<(), SplitError> {
        match self.buf.len() {
            0 => Ok(()),
            left => Err(SplitError::Truncated(left)),
        }
    }

    /// The next whole box after `scanned`: (kind, header length, total length).
    fn next_box(&self) -> Result<Option<(FourCC, usize, usize)>, SplitError> {
        let mut rest = &self.buf[self.scanned..];
        let before = rest.len();
        let header = match Header::decode_maybe(&mut rest) {
            Ok(Some(header)) => header,
            Ok(None) => return Ok(None),
            Err(_) => return Err(SplitError::BadSize(kind_name(&self.buf[self.scanned..]))),
        };
        let header_len = before - rest.len();
        let Some(body_len) = header.size else {
            return Err(SplitError::BadSize(header.kind.to_string()));
        };
        let total = header_len as u64 + body_len as u64;
        if total > MAX_BOX_BYTES as u64 {
            return Err(SplitError::TooLarge {
                kind: header.kind.to_string(),
                size: total,
            });
        }
        let total = total as usize;
        Ok((rest.len() >= body_len).then_some((header.kind, header_len, total)))
    }

    /// Accounts for one whole box; returns a piece when the box completes one.
    fn take_box(
        &mut self,
        kind: FourCC,
        body: std::ops::Range<usize>,
    ) -> Result<Option<Piece>, SplitError> {
        match kind.as_ref() {
            b"ftyp" => {
                if self.pending.started {
                    return Err(SplitError::OutOfOrder("ftyp"));
                }
                self.pending.ftyp = true;
            }
            b"moov" => {
                if !self.pending.ftyp {
                    return Err(SplitError::OutOfOrder("moov"));
                }
                let moov = decode::<Moov>("moov", &self.buf[body])?;
                let init = describe_init(&moov, self.cut())?;
                self.init = Some(init.clone());
                return Ok(Some(Piece::Init(init)));
            }
            b"prft" => {
                let prft = decode::<Prft>("prft", &self.buf[body])?;
                self.pending.prft = Some(ntp_to_unix_ms(prft.ntp_timestamp));
            }
            b"moof" => {
                let init = self.init.as_ref().ok_or(SplitError::BeforeInit("moof"))?;
                if self.pending.moof.is_some() || self.pending.ftyp {
                    return Err(SplitError::OutOfOrder("moof"));
                }
                let moof = decode::<Moof>("moof", &self.buf[body])?;
                self.pending.moof = Some(describe_moof(init, &moof));
            }
            b"mdat" => {
                let facts = self.pending.moof.ok_or(SplitError::OutOfOrder("mdat"))?;
                let produced_ms = self.pending.prft;
                return Ok(Some(Piece::Fragment(Fragment {
                    data: self.cut(),
                    keyframe: facts.keyframe,
                    produced_ms,
                    duration_secs: facts.duration_secs,
                    start_secs: facts.start_secs,
                })));
            }
            // Boxes that may lead a fragment travel with it.
            b"styp" | b"emsg" | b"sidx" => {}
            // Anything else (free, skip, a trailing mfra) rides along inside a piece and is
            // dropped between pieces.
            _ if self.pending.started => {}
            _ => {
                self.cut();
                return Ok(None);
            }
        }
        self.pending.started = true;
        Ok(None)
    }

    /// Removes the scanned boxes from the buffer and returns them as one piece.
    fn cut(&mut self) -> Bytes {
        let piece = self.buf.split_to(self.scanned).freeze();
        self.scanned = 0;
        self.pending = Pending::default();
        piece
    }
}

fn kind_name(bytes: &[u8]) -> String {
    bytes
        .get(4..8)
        .map(|k| String::from_utf8_lossy(k).into_owned())
        .unwrap_or_default()
}

/// Decodes one box's body. `mp4-atom` can panic on malformed boxes (an `iref` whose entries
/// claim more bytes than it holds overflows a subtraction, found by `scripts/fuzz`); that is
/// caught here and treated like any undecodable box.
fn decode<T: Atom>(kind: &'static str, mut body: &[u8]) -> Result<T, SplitError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| T::decode_body(&mut body)))
        .map_err(|_| SplitError::Unreadable(kind))?
        .map_err(|source| SplitError::Decode { kind, source })
}

/// Derives the MIME type with exact codec strings, timescales and keyframe defaults.
fn describe_init(moov: &Moov, data: Bytes) -> Result<InitSegment, SplitError> {
    let mut video = None;
    let mut audio = None;
    let mut video_track = None;
    let mut timescales = BTreeMap::new();
    for trak in &moov.trak {
        let track = trak.tkhd.track_id;
        timescales.insert(track, trak.mdia.mdhd.timescale);
        for codec in &trak.mdia.minf.stbl.stsd.codecs {
            match codec {
                Codec::Avc1(avc1) => {
                    let c = &avc1.avcc;
                    video = Some(format!(
                        "avc1.{:02x}{:02x}{:02x}",
                        c.avc_profile_indication, c.profile_compatibility, c.avc_level_indication
                    ));
                    video_track = Some(track);
                }
                Codec::Mp4a(mp4a) => {
                    let config = &mp4a.esds.es_desc.dec_config;
                    let object_type = config.dec_specific.profile;
                    audio = Some(format!(
                        "mp4a.{:02x}.{}",
                        config.object_type_indication, object_type
                    ));
                }
                other => {
                    return Err(SplitError::UnsupportedCodec(
                        format!("{other:?}").chars().take(12).collect(),
                    ));
                }
            }
        }
    }
    let codecs: Vec<String> = video.into_iter().chain(audio).collect();
    if codecs.is_empty() {
        return Err(SplitError::NoTracks);
    }
    let default_flags = moov
        .mvex
        .iter()
        .flat_map(|mvex| &mvex.trex)
        .map(|trex| (trex.track_id, trex.default_sample_flags))
        .collect();
    Ok(InitSegment {
        data,
        mime: format!("video/mp4; codecs=\"{}\"", codecs.join(",")),
        timescales,
        video_track,
        default_flags,
    })
}

/// Whether the moof starts with a video sync sample, and how long it plays.
fn describe_moof(init: &InitSegment, moof: &Moof) -> MoofFacts {
    let reference = init
        .video_track
        .or_else(|| init.timescales.keys().next().copied());
    let Some(traf) = moof
        .traf
        .iter()
        .find(|t| Some(t.tfhd.track_id) == reference)
    else {
        // A fragment without the reference track cannot start playback.
        return MoofFacts {
            keyframe: false,
            duration_secs: None,
            start_secs: None,
        };
    };
    let track = traf.tfhd.track_id;
    let first = traf.trun.first().and_then(|trun| trun.entries.first());
    let flags = first
        .and_then(|e| e.flags)
        .or(traf.tfhd.default_sample_flags)
        .or_else(|| init.default_flags.get(&track).copied())
        .unwrap_or(0);
    let keyframe = init.video_track.is_none() || flags & NON_SYNC_SAMPLE == 0;
    let default_duration = traf.tfhd.default_sample_duration.unwrap_or(0);
    let ticks: u64 = traf
        .trun
        .iter()
        .flat_map(|trun| &trun.entries)
        .map(|e| e.duration.unwrap_or(default_duration) as u64)
        .sum();
    let scale = init.timescales.get(&track).copied().filter(|s| *s > 0);
    let duration_secs = scale
        .filter(|_| ticks > 0)
        .map(|scale| ticks as f64 / scale as f64);
    let start_secs = scale
        .zip(traf.tfdt.as_ref())
        .map(|(scale, tfdt)| tfdt.base_media_decode_time as f64 / scale as f64);
    MoofFacts {
        keyframe,
        duration_secs,
        start_secs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::testing::{Lcg, encode_test_pattern};
    use std::sync::OnceLock;

    /// Three seconds of real ffmpeg output, made once for all tests here.
    fn stream() -> &'static [u8] {
        static STREAM: OnceLock<Vec<u8>> = OnceLock::new();
        STREAM.get_or_init(|| encode_test_pattern(3))
    }

    fn split_in_chunks(
        data: &[u8],
        mut next_len: impl FnMut() -> usize,
    ) -> Result<Vec<Piece>, SplitError> {
        let mut splitter = Splitter::new();
        let mut pieces = Vec::new();
        let mut rest = data;
        while !rest.is_empty() {
            let (chunk, tail) = rest.split_at(next_len().clamp(1, rest.len()));
            pieces.extend(splitter.push(chunk)?);
            rest = tail;
        }
        splitter.finish()?;
        Ok(pieces)
    }

    fn bytes_of(pieces: &[Piece]) -> Vec<u8> {
        pieces
            .iter()
            .flat_map(|p| match p {
                Piece::Init(init) => init.data.to_vec(),
                Piece::Fragment(f) => f.data.to_vec(),
            })
            .collect()
    }

    #[test]
    fn real_ffmpeg_output_splits_into_init_and_keyframed_fragments() {
        let pieces = split_in_chunks(stream(), || usize::MAX).unwrap();
        let Piece::Init(init) = &pieces[0] else {
            panic!("the init segment comes first")
        };
        assert!(
            init.mime.starts_with("video/mp4; codecs=\"avc1.64"),
            "{}",
            init.mime
        );
        assert!(init.mime.ends_with(",mp4a.40.2\""), "{}", init.mime);
        assert_eq!(&init.data[4..8], b"ftyp");
        let fragments: Vec<&Fragment> = pieces[1..]
            .iter()
            .map(|p| match p {
                Piece::Fragment(f) => f,
                Piece::Init(_) => panic!("one init segment only"),
            })
            .collect();
        // ~100 ms fragments over 3 s, a keyframe every second, each led by its prft box.
        assert!(
            (20..=40).contains(&fragments.len()),
            "{} fragments",
            fragments.len()
        );
        assert!(fragments[0].keyframe);
        let keyframes = fragments.iter().filter(|f| f.keyframe).count();
        assert!((3..=4).contains(&keyframes), "{keyframes} keyframes");
        assert!(
            fragments
                .iter()
                .all(|f| f.produced_ms.is_some() && &f.data[4..8] == b"prft")
        );
        let total: f64 = fragments.iter().filter_map(|f| f.duration_secs).sum();
        assert!((2.8..=3.2).contains(&total), "{total} s of video");
        // Each fragment starts where the one before ended, from zero.
        let mut expected = 0.0;
        for fragment in &fragments {
            let start = fragment.start_secs.expect("a decode time");
            assert!((start - expected).abs() < 0.001, "{start} after {expected}");
            expected = start + fragment.duration_secs.unwrap();
        }
        // Nothing is lost or reordered; only the trailing index ffmpeg writes at exit is dropped.
        let kept = bytes_of(&pieces);
        assert!(stream().starts_with(&kept));
        assert_eq!(&stream()[kept.len() + 4..kept.len() + 8], b"mfra");
    }

    #[test]
    fn random_read_boundaries_give_the_same_pieces() {
        let whole = bytes_of(&split_in_chunks(stream(), || usize::MAX).unwrap());
        for seed in 1..=20 {
            let mut rng = Lcg(seed);
            let pieces = split_in_chunks(stream(), || 1 + rng.below(9000)).unwrap();
            assert_eq!(bytes_of(&pieces), whole, "seed {seed}");
        }
        let byte_by_byte = split_in_chunks(&stream()[..4096], || 1);
        assert!(matches!(byte_by_byte, Err(SplitError::Truncated(_))));
    }

    #[test]
    fn truncated_input_is_an_error() {
        let mut rng = Lcg(7);
        for _ in 0..50 {
            let cut = 1 + rng.below(stream().len() - 2);
            let result = split_in_chunks(&stream()[..cut], || 4096);
            // Either the cut fell exactly between boxes, or it is reported as truncated.
            if let Err(err) = result {
                assert!(
                    matches!(err, SplitError::Truncated(_)),
                    "cut at {cut}: {err}"
                );
            }
        }
        assert!(matches!(
            split_in_chunks(&stream()[..stream().len() - 1], || 4096),
            Err(SplitError::Truncated(_))
        ));
    }

    #[test]
    fn corrupt_input_is_an_error_never_a_panic() {
        let data = stream();
        let mut rng = Lcg(99);
        for _ in 0..300 {
            let mut bad = data[..60_000.min(data.len())].to_vec();
            for _ in 0..4 {
                let at = rng.below(bad.len());
                bad[at] = rng.below(256) as u8;
            }
            let _ = split_in_chunks(&bad, || 1 + rng.below(5000));
        }
        // Specific faults get specific errors.
        let mut huge = data.to_vec();
        huge[0..4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            split_in_chunks(&huge, || 4096),
            Err(SplitError::TooLarge { .. })
        ));
        let init_len = u32::from_be_bytes(data[0..4].try_into().unwrap()) as usize;
        let moov_len =
            u32::from_be_bytes(data[init_len..init_len + 4].try_into().unwrap()) as usize;
        let media_only = &data[init_len + moov_len..];
        assert!(matches!(
            split_in_chunks(media_only, || 4096),
            Err(SplitError::BeforeInit("moof"))
        ));
        let mut broken_moov = data.to_vec();
        for b in &mut broken_moov[init_len + 8..init_len + 40] {
            *b = 0xff;
        }
        assert!(split_in_chunks(&broken_moov, || 4096).is_err());
        assert!(matches!(
            split_in_chunks(&[0, 0, 0, 3, b'f', b't', b'y', b'p'], || 8),
            Err(SplitError::BadSize(_))
        ));
    }
}
