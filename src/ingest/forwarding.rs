//! One publisher's media on its way to ffmpeg: checks the codecs (H.264 video, AAC audio),
//! holds audio until the first video (which puts the channel on air; for a stream announced as
//! sound alone, its first audio does), then writes each message as an FLV tag into the
//! broadcast's byte stream, measuring as it goes.

use bytes::Bytes;

use super::Publisher;
use super::connection::Hangup;
use super::flv::{self, AudioCodec, TagKind, VideoCodec};
use super::meter::Meter;
use super::rtmp::Metadata;
use crate::broadcasts::feed::ByteSender;
use crate::broadcasts::source::Announced;

/// Audio held while waiting for the first video, at most (bytes).
const MAX_HELD_BEFORE_VIDEO: usize = 1 << 20;

pub struct Forwarder {
    publisher: Publisher,
    /// Into the broadcast's ffmpeg, once on air.
    stream: Option<ByteSender>,
    /// Audio tags that came before the first video.
    held: Vec<Bytes>,
    held_bytes: usize,
    /// Whether the publisher announced (or sent) audio.
    has_audio: Option<bool>,
    meter: Meter,
}

impl Forwarder {
    pub fn new(publisher: Publisher) -> Self {
        Self {
            publisher,
            stream: None,
            held: Vec::new(),
            held_bytes: 0,
            has_audio: None,
            meter: Meter::default(),
        }
    }

    pub fn metadata(&mut self, metadata: &Metadata) {
        self.meter.announced(metadata.width, metadata.height);
        if self.stream.is_none() {
            self.has_audio = Some(metadata.has_audio);
            if metadata.sound_alone() {
                self.meter.sound_alone();
            }
            // Before the broadcast starts: its ladder is fitted to it.
            self.publisher.announce(Announced {
                sound_alone: metadata.sound_alone(),
                ..Announced::new(metadata.width, metadata.height, metadata.has_audio)
            });
        }
    }

    pub async fn video(&mut self, body: Bytes, timestamp_ms: u32) -> Result<(), Hangup> {
        if self.sound_alone() {
            // Its broadcast is made without a picture: video sent after all is left out.
            return Ok(());
        }
        let keyframe = match flv::video_codec(&body) {
            None => return Ok(()),
            Some(VideoCodec::Avc { keyframe, config }) => keyframe && !config,
            Some(other) => {
                let reason = other.refusal().unwrap_or_default();
                return Err(self.publisher.unsuitable(reason).into());
            }
        };
        if self.stream.is_none() {
            self.go_live().await?;
        }
        self.meter.video(body.len(), timestamp_ms, keyframe);
        self.send(TagKind::Video, timestamp_ms, &body).await
    }

    pub async fn audio(&mut self, body: Bytes, timestamp_ms: u32) -> Result<(), Hangup> {
        match flv::audio_codec(&body) {
            None => return Ok(()),
            Some(AudioCodec::Aac) => {}
            Some(other) => {
                let reason = other.refusal().unwrap_or_default();
                return Err(self.publisher.unsuitable(reason).into());
            }
        }
        self.meter.audio(body.len());
        if self.stream.is_none() && self.sound_alone() {
            self.go_live().await?;
        }
        if self.stream.is_some() {
            return self.send(TagKind::Audio, timestamp_ms, &body).await;
        }
        self.has_audio = Some(true);
        let Some(tag) = flv::tag(TagKind::Audio, timestamp_ms, &body) else {
            return Ok(());
        };
        self.held_bytes += tag.len();
        if self.held_bytes > MAX_HELD_BEFORE_VIDEO {
            let reason = "The stream has audio but no video arrived. OnAir takes H.264 video \
                          with AAC audio, or AAC audio alone when the stream's metadata says it \
                          has no video."
                .to_string();
            return Err(self.publisher.unsuitable(reason).into());
        }
        self.held.push(tag);
        Ok(())
    }

    /// The publisher ended its stream on purpose: the broadcast ends once ffmpeg has what
    /// was sent, without waiting for it to come back.
    pub fn finish(&mut self) {
        if let Some(stream) = self.stream.take() {
            stream.finish();
        }
    }

    /// The first video (or audio, of sound alone): on air, with the FLV header and the audio
    /// held so far.
    async fn go_live(&mut self) -> Result<(), Hangup> {
        let (stream, slot) = self.publisher.go_live().await?;
        self.meter.show_in(slot);
        let header = flv::header(self.has_audio.unwrap_or(true), !self.sound_alone());
        let mut first = vec![header];
        first.append(&mut self.held);
        self.held_bytes = 0;
        for bytes in first {
            stream
                .send(bytes)
                .await
                .map_err(|_| Hangup::StreamEnded("the broadcast stopped"))?;
        }
        self.stream = Some(stream);
        Ok(())
    }

    /// The publisher announced sound and no picture: on air at its first audio.
    fn sound_alone(&self) -> bool {
        self.publisher.announced.sound_alone
    }

    async fn send(&mut self, kind: TagKind, timestamp_ms: u32, body: &[u8]) -> Result<(), Hangup> {
        let (Some(stream), Some(tag)) = (&self.stream, flv::tag(kind, timestamp_ms, body)) else {
            return Ok(());
        };
        // Waits while ffmpeg is behind: the publisher is slowed down (TCP), memory stays put.
        stream
            .send(tag)
            .await
            .map_err(|_| Hangup::StreamEnded("the broadcast stopped"))
    }
}
