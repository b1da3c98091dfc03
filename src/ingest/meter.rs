//! Measures what a publisher sends (frame rate, bitrate, keyframe interval) as its messages
//! arrive, and shows the figures in its broadcast's slot about once a second.

use std::time::{Duration, Instant};

use crate::broadcasts::api::IncomingFigures;
use crate::broadcasts::feed::IncomingSlot;

const EVERY: Duration = Duration::from_secs(1);

pub struct Meter {
    slot: Option<IncomingSlot>,
    figures: IncomingFigures,
    window_start: Instant,
    frames: u32,
    bytes: u64,
    /// RTMP timestamp (ms) of the latest keyframe.
    last_keyframe_ms: Option<u32>,
    /// The stream is sound alone: its figures are shown as its audio arrives.
    sound_alone: bool,
}

impl Default for Meter {
    fn default() -> Self {
        Self {
            slot: None,
            figures: IncomingFigures {
                video: "H.264".into(),
                ..IncomingFigures::default()
            },
            window_start: Instant::now(),
            frames: 0,
            bytes: 0,
            last_keyframe_ms: None,
            sound_alone: false,
        }
    }
}

impl Meter {
    /// From now on, figures go to `slot` (the broadcast this publisher feeds).
    pub fn show_in(&mut self, slot: IncomingSlot) {
        self.slot = Some(slot);
    }

    /// What the publisher says about its stream.
    pub fn announced(&mut self, width: Option<u32>, height: Option<u32>) {
        self.figures.width = width.or(self.figures.width);
        self.figures.height = height.or(self.figures.height);
    }

    /// The publisher announced sound and no picture.
    pub fn sound_alone(&mut self) {
        self.sound_alone = true;
        self.figures.video = String::new();
    }

    pub fn video(&mut self, bytes: usize, timestamp_ms: u32, keyframe: bool) {
        self.frames += 1;
        self.bytes += bytes as u64;
        if keyframe {
            if let Some(last) = self.last_keyframe_ms {
                let gap = timestamp_ms.wrapping_sub(last);
                // A gap of zero is a repeated header, not a keyframe interval.
                if gap > 0 && gap < 60_000 {
                    self.figures.keyframe_secs = Some(f64::from(gap) / 1000.0);
                }
            }
            self.last_keyframe_ms = Some(timestamp_ms);
        }
        self.show_if_due();
    }

    pub fn audio(&mut self, bytes: usize) {
        self.bytes += bytes as u64;
        self.figures.audio = Some("AAC".into());
        if self.sound_alone {
            self.show_if_due();
        }
    }

    fn show_if_due(&mut self) {
        let elapsed = self.window_start.elapsed();
        if elapsed < EVERY {
            return;
        }
        let secs = elapsed.as_secs_f64();
        self.figures.fps = (!self.sound_alone).then(|| f64::from(self.frames) / secs);
        self.figures.kbps = Some(self.bytes as f64 * 8.0 / 1000.0 / secs);
        self.frames = 0;
        self.bytes = 0;
        self.window_start = Instant::now();
        if let Some(slot) = &self.slot {
            *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(self.figures.clone());
        }
    }
}

impl Drop for Meter {
    /// The publisher is gone: nothing arrives any more.
    fn drop(&mut self) {
        if let Some(slot) = &self.slot {
            *slot.lock().unwrap_or_else(|p| p.into_inner()) = None;
        }
    }
}
