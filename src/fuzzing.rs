//! What the fuzzer feeds each network parser (`fuzz/`, `scripts/fuzz`), as plain functions: the
//! fuzz targets call them, and the corpus the fuzzer kept (`fuzz/corpus/<target>/`) is replayed
//! through them by `cargo test`, so every input that once found new code paths is tried again
//! on every change.

use rml_rtmp::handshake::{Handshake, HandshakeProcessResult, PeerType};
use rml_rtmp::sessions::{
    ServerSession, ServerSessionConfig, ServerSessionEvent, ServerSessionResult,
};

use crate::accounts::rules;
use crate::chat::rules::{MESSAGE_MAX, clean_message};
use crate::ingest::{connection, flv};
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

/// A server session past a real handshake, as a connection has it when chunks start.
pub(crate) fn rtmp_session() -> Option<ServerSession> {
    let mut server = Handshake::new(PeerType::Server);
    let mut client = Handshake::new(PeerType::Client);
    let c0c1 = client.generate_outbound_p0_and_p1().ok()?;
    let Ok(HandshakeProcessResult::InProgress { response_bytes }) = server.process_bytes(&c0c1)
    else {
        return None;
    };
    let Ok(HandshakeProcessResult::Completed { response_bytes, .. }) =
        client.process_bytes(&response_bytes)
    else {
        return None;
    };
    server.process_bytes(&response_bytes).ok()?;
    ServerSession::new(ServerSessionConfig::new())
        .ok()
        .map(|(session, _)| session)
}

/// The RTMP port: bytes from a peer, during the handshake (even first byte of `data`) or after
/// it (odd), in reads of a size the first byte sets, through the session (`rml_rtmp`, behind
/// our `feed`, which turns its panics into protocol errors) and our reading of the audio, video
/// and metadata it raises.
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
    let Some(mut session) = rtmp_session() else {
        return;
    };
    for read in bytes.chunks(usize::from(mode) * 8 + 1) {
        let Ok(results) = connection::feed(&mut session, read) else {
            return;
        };
        for result in results {
            let ServerSessionResult::RaisedEvent(event) = result else {
                continue;
            };
            let (kind, data, timestamp) = match event {
                ServerSessionEvent::VideoDataReceived {
                    data, timestamp, ..
                } => {
                    let _ = flv::video_codec(&data).map(|codec| codec.refusal());
                    (flv::TagKind::Video, data, timestamp)
                }
                ServerSessionEvent::AudioDataReceived {
                    data, timestamp, ..
                } => {
                    let _ = flv::audio_codec(&data).map(|codec| codec.refusal());
                    (flv::TagKind::Audio, data, timestamp)
                }
                ServerSessionEvent::StreamMetadataChanged { metadata, .. } => {
                    let _ = format!("{metadata:?}");
                    continue;
                }
                _ => continue,
            };
            let _ = flv::tag(kind, timestamp.value, &data);
        }
    }
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
