//! What the fuzzer feeds each network parser (`fuzz/`, `scripts/fuzz`), as plain functions: the
//! fuzz targets call them, and the corpus the fuzzer kept (`fuzz/corpus/<target>/`) is replayed
//! through them by `cargo test`, so every input that once found new code paths is tried again
//! on every change.

use rml_rtmp::handshake::{Handshake, HandshakeProcessResult, PeerType};

use crate::accounts::rules;
use crate::chat::rules::{MESSAGE_MAX, clean_message};
use crate::ingest::flv;
use crate::ingest::rtmp::{Event, Session, SessionError};
use crate::live::prft;
use crate::live::splitter::{Piece, Splitter};

/// The fMP4 splitter on ffmpeg's output (and whatever a publisher's stream makes ffmpeg write):
/// any bytes, cut into reads of any size (the first byte sets it, as a pipe hands bytes over
/// in pieces), yield pieces or an error, never a panic; so does reading producer times.
pub fn splitter(data: &[u8]) {
    let Some((&step, bytes)) = data.split_first() else {
        return;
    };
    let step = usize::from(step).max(1) * 7;
    let mut splitter = Splitter::new();
    for read in bytes.chunks(step) {
        match splitter.push(read) {
            Ok(pieces) => {
                for piece in pieces {
                    if let Piece::Fragment(fragment) = piece {
                        let _ = prft::find(&fragment.data);
                    }
                }
            }
            Err(_) => return,
        }
    }
    let _ = splitter.finish();
    let _ = prft::find(bytes);
}

/// The most an expanded RTMP input may grow to: RTMP's largest message and some.
const EXPANDED_MAX: usize = (16 << 20) + (64 << 10);

/// The RTMP port: bytes from a peer during the handshake (`mode` bit 0 clear) or after it
/// (set), in reads of a size the rest of `mode` sets, through our session, which is told to
/// accept every connect and publish (so what follows a publish is reached too); and our
/// reading of the audio and video it raises. With `mode` bit 1 set the bytes are a recipe
/// ([`expand`]): short inputs then reach the sizes the attacks of issue 25 need (a megabyte of
/// nesting, a 16 MiB array), which libFuzzer's input length never could.
pub fn rtmp(data: &[u8]) {
    let Some((&mode, bytes)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        let mut handshake = Handshake::new(PeerType::Server);
        for read in bytes.chunks(usize::from(mode).max(2) * 16) {
            match handshake.process_bytes(read) {
                Ok(HandshakeProcessResult::InProgress { .. }) => {}
                _ => return,
            }
        }
        return;
    }
    let expanded;
    let bytes = if mode & 2 != 0 {
        expanded = expand(bytes);
        &expanded[..]
    } else {
        bytes
    };
    let _ = after_handshake(bytes, (usize::from(mode >> 2) + 1) * 256);
}

/// Bytes after the handshake, in reads of `read_size`, through a session that accepts every
/// connect and publish; how it ended.
fn after_handshake(bytes: &[u8], read_size: usize) -> Result<(), SessionError> {
    let mut session = Session::new();
    for read in bytes.chunks(read_size) {
        session.push(read)?;
        loop {
            let Some(event) = session.poll()? else {
                break;
            };
            match event {
                Event::Connect { transaction, .. } => session.accept_connect(transaction),
                Event::Publish { .. } => session.accept_publish(),
                Event::Video { data, timestamp } => {
                    let _ = flv::video_codec(&data).map(|codec| codec.refusal());
                    let _ = flv::tag(flv::TagKind::Video, timestamp, &data);
                }
                Event::Audio { data, timestamp } => {
                    let _ = flv::audio_codec(&data).map(|codec| codec.refusal());
                    let _ = flv::tag(flv::TagKind::Audio, timestamp, &data);
                }
                Event::Metadata(metadata) => {
                    let _ = format!("{metadata:?}");
                }
                Event::Play | Event::Unpublished => return Ok(()),
            }
            let _ = session.take_output();
        }
    }
    Ok(())
}

/// A recipe's bytes: runs of `count` (3 bytes, big-endian) repeats of a `len`-byte (1 byte)
/// pattern, up to [`EXPANDED_MAX`]. `[0x00, 0x00, 0x01, 3, a, b, c]` is `abc` once.
pub fn expand(recipe: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = recipe;
    while let [c0, c1, c2, len, tail @ ..] = rest {
        let count = u32::from_be_bytes([0, *c0, *c1, *c2]) as usize;
        let len = usize::from(*len).min(tail.len());
        let (pattern, after) = tail.split_at(len);
        rest = after;
        if pattern.is_empty() {
            continue;
        }
        let room = (EXPANDED_MAX - out.len()) / pattern.len();
        for _ in 0..count.min(room) {
            out.extend_from_slice(pattern);
        }
        if out.len() + pattern.len() > EXPANDED_MAX {
            break;
        }
    }
    out
}

/// Text from forms and requests: chat messages, usernames, passwords, where a sign-in leads, an
/// error message in the address. Each check answers, never panics, and what it accepts keeps
/// its promises (a cleaned message is short, not blank, without controls; `next` stays on the
/// site). Panics when a promise is broken.
pub fn forms(text: &str) {
    if let Ok(clean) = clean_message(text) {
        assert!(!clean.trim().is_empty(), "a blank message was accepted");
        assert!(
            clean.chars().count() <= MESSAGE_MAX,
            "a long message was accepted"
        );
        assert!(
            !clean
                .chars()
                .any(|c| c.is_control() || ('\u{202A}'..='\u{202E}').contains(&c)),
            "a control character or direction override was kept: {clean:?}"
        );
    }
    let _ = rules::check_username(text);
    let _ = rules::check_password(text, "someone");
    let _ = rules::is_form_message(text);
    let _ = rules::channel_name(text);
    let next = rules::safe_next(Some(text));
    assert!(
        next.starts_with('/') && !next.starts_with("//") && !next.contains('\\'),
        "sign-in could lead off the site: {next:?}"
    );
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Every input in `fuzz/corpus/<target>`.
    fn corpus(target: &str) -> Vec<Vec<u8>> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/corpus")
            .join(target);
        let inputs: Vec<Vec<u8>> = std::fs::read_dir(&dir)
            .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
            .map(|entry| std::fs::read(entry.unwrap().path()).unwrap())
            .collect();
        assert!(!inputs.is_empty(), "{} holds the corpus", dir.display());
        inputs
    }

    /// The seeds kept for the RTMP target (`fuzz/seeds/rtmp`, recipes of a few dozen bytes)
    /// expand into the inputs of issue 25: a megabyte of nesting and a 16 MiB array, before and
    /// after a publish. Each reaches the budget that refuses it.
    #[test]
    fn the_rtmp_seeds_reach_every_budget() {
        use crate::ingest::rtmp::SessionError;
        use crate::ingest::rtmp::amf0::Amf0Error;
        use crate::ingest::rtmp::chunks::ChunkError;
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/rtmp");
        let mut seen = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let seed = std::fs::read(&path).unwrap();
            let expanded = super::expand(&seed[1..]);
            let ended = super::after_handshake(&expanded, 16 << 10);
            let refused = match ended {
                Err(SessionError::Chunks(ChunkError::TooLarge { .. })) => "size",
                Err(SessionError::Amf0(Amf0Error::TooDeep)) => "depth",
                Err(SessionError::Amf0(Amf0Error::TooMany)) => "values",
                other => panic!("{name}: {other:?}"),
            };
            if name.contains("16mib") {
                assert!(expanded.len() > 16_000_000, "{name}: {}", expanded.len());
            }
            seen.push(refused);
            super::rtmp(&seed);
        }
        for budget in ["size", "depth", "values"] {
            assert!(seen.contains(&budget), "a seed reaches the {budget} budget");
        }
    }

    #[test]
    fn the_kept_fuzz_corpus_passes_every_parser() {
        for input in corpus("splitter") {
            super::splitter(&input);
        }
        for input in corpus("rtmp") {
            super::rtmp(&input);
        }
        for input in corpus("forms") {
            if let Ok(text) = std::str::from_utf8(&input) {
                super::forms(text);
            }
        }
    }
}
