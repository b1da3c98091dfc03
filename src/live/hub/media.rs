//! The media timeline: the current init segment and a short run of framed fragments, evicted
//! by age and by bytes but always keeping the current GOP; and the cursor a viewer keeps in it
//! (where it is, what it is owed after a resume, when it must skip to the newest keyframe).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;

use super::HubConfig;
use crate::live::frame;
use crate::live::splitter::{Fragment, InitSegment};
use crate::live::wire::InitEvent;

pub(super) struct MediaTimeline {
    init: Option<Arc<HeldInit>>,
    /// The raw newest keyframe fragment of the current run (shared with the splitter's bytes).
    newest_keyframe: Option<Bytes>,
    /// The current run's epoch (see [`MediaTimeline::start_run`]).
    epochs: u64,
    fragments: VecDeque<Held>,
    next_id: u64,
    held_bytes: usize,
}

struct HeldInit {
    epoch: u64,
    frame: Bytes,
    /// The raw init segment, for pictures of the stream.
    data: Bytes,
}

struct Held {
    id: u64,
    keyframe: bool,
    received: Instant,
    init: Arc<HeldInit>,
    frame: Bytes,
}

impl MediaTimeline {
    /// An empty timeline whose first fragment gets id `first_id`.
    pub fn new(first_id: u64) -> Self {
        Self {
            init: None,
            newest_keyframe: None,
            epochs: 0,
            fragments: VecDeque::new(),
            next_id: first_id,
            held_bytes: 0,
        }
    }

    /// Later ids are at least `floor`.
    pub fn skip_ids_to(&mut self, floor: u64) {
        self.next_id = self.next_id.max(floor);
    }

    /// A new encoder run begins: later fragments decode with `init`. The run is named by
    /// `epoch` when another instance gave it (see `cluster`), else by a new one: later than the
    /// last and than the clock (ms), so an epoch means the same run on every instance.
    pub fn start_run(&mut self, init: &InitSegment, epoch: Option<u64>) -> u64 {
        self.epochs = epoch.unwrap_or_else(|| (self.epochs + 1).max(crate::clock::now_ms()));
        let event = InitEvent {
            mime: init.mime.clone(),
            data: base64::engine::general_purpose::STANDARD.encode(&init.data),
            epoch: self.epochs,
            timescales: init.timescales.clone(),
        };
        self.init = Some(Arc::new(HeldInit {
            epoch: self.epochs,
            frame: frame::json_event("init", &event),
            data: init.data.clone(),
        }));
        self.newest_keyframe = None;
        self.epochs
    }

    /// Adds `fragment`, already base64-encoded as `data`, received at `received`, under the
    /// next id or, relayed from another instance, under `given` (kept only if it is newer than
    /// every fragment held, so a repeat or a late arrival is dropped); returns its id (None
    /// before any init, or dropped).
    pub fn push(
        &mut self,
        fragment: &Fragment,
        data: &str,
        given: Option<u64>,
        received: Instant,
        settings: &HubConfig,
    ) -> Option<u64> {
        let init = self.init.clone()?;
        let id = match given {
            Some(id) if self.fragments.back().is_some_and(|newest| id <= newest.id) => return None,
            Some(id) => id,
            None => self.next_id,
        };
        let framed = frame::event("media", Some(id), data);
        self.next_id = id + 1;
        self.held_bytes += framed.len();
        if fragment.keyframe {
            self.newest_keyframe = Some(fragment.data.clone());
        }
        self.fragments.push_back(Held {
            id,
            keyframe: fragment.keyframe,
            received,
            init,
            frame: framed,
        });
        self.evict(settings, received);
        Some(id)
    }

    /// Off air: everything held is dropped (ids keep counting).
    pub fn clear(&mut self) {
        self.init = None;
        self.newest_keyframe = None;
        self.fragments.clear();
        self.held_bytes = 0;
    }

    /// The raw init segment and newest keyframe fragment (see [`super::Hub::snapshot`]).
    pub fn snapshot(&self) -> Option<(Bytes, Bytes)> {
        Some((
            self.init.as_ref()?.data.clone(),
            self.newest_keyframe.clone()?,
        ))
    }

    pub fn held_bytes(&self) -> usize {
        self.held_bytes
    }

    /// Drops the oldest fragments past the hold time or byte bound, keeping the current GOP
    /// unless it alone breaks the byte bound.
    fn evict(&mut self, settings: &HubConfig, now: Instant) {
        let mut newest_key = self.fragments.iter().rposition(|h| h.keyframe);
        while let Some(front) = self.fragments.front() {
            let too_many_bytes = self.held_bytes > settings.max_held_bytes;
            let too_old = now.duration_since(front.received) > settings.hold;
            let current_gop = newest_key == Some(0);
            if !(too_many_bytes || (too_old && !current_gop)) {
                break;
            }
            self.held_bytes -= front.frame.len();
            self.fragments.pop_front();
            newest_key = newest_key.and_then(|k| k.checked_sub(1));
        }
    }

    /// Index of the newest keyframe of the current encoder run.
    fn newest_keyframe_index(&self) -> Option<usize> {
        let epoch = self.init.as_ref()?.epoch;
        self.fragments
            .iter()
            .rposition(|h| h.keyframe && h.init.epoch == epoch)
    }

    fn lags(&self, index: usize, max_lag: Duration) -> bool {
        match (self.fragments.get(index), self.fragments.back()) {
            (Some(next), Some(newest)) => newest.received.duration_since(next.received) > max_lag,
            _ => false,
        }
    }
}

const OWED_UNKNOWN: u64 = u64::MAX;
/// A viewer resuming at most this many fragments (10 s of 200 ms ones) ahead of this hub
/// waits for them; further ahead, it starts at the newest keyframe.
const AHEAD_WAIT: u64 = 50;

/// Where one viewer is in the media timeline.
pub(super) struct MediaCursor {
    /// Id of the next fragment to send; None until the viewer has a starting point.
    next: Option<u64>,
    /// A resumed connection is owed the fragments before this id: no lag check until then.
    /// `OWED_UNKNOWN` until its first catch-up fixes it at the head.
    owed_until: u64,
    /// Epoch of the init segment this connection last sent.
    epoch: Option<u64>,
}

impl MediaCursor {
    /// A new connection; `last_event_id` is the id of the last media event it already has.
    pub fn new(last_event_id: Option<u64>) -> Self {
        Self {
            next: last_event_id.map(|id| id.saturating_add(1)),
            owed_until: if last_event_id.is_some() {
                OWED_UNKNOWN
            } else {
                0
            },
            epoch: None,
        }
    }

    /// Appends up to `max_fragments` fragments this viewer is owed (each preceded by its init
    /// segment when the encoder run changes); returns how many it skipped to keep up.
    pub fn owed(
        &mut self,
        tl: &MediaTimeline,
        out: &mut VecDeque<Bytes>,
        max_fragments: usize,
        max_lag: Duration,
    ) -> u64 {
        let Some(first) = tl.fragments.front().map(|h| h.id) else {
            return 0;
        };
        let just_resumed = self.owed_until == OWED_UNKNOWN;
        if just_resumed {
            self.owed_until = tl.next_id;
        }
        let mut skipped = 0;
        let start = match self.next {
            Some(next) if next == tl.next_id => return 0,
            // Resumed from another instance that was a little further along: wait for it here
            // rather than repeat what the viewer has.
            Some(next) if just_resumed && next > tl.next_id && next - tl.next_id <= AHEAD_WAIT => {
                self.owed_until = OWED_UNKNOWN;
                return 0;
            }
            Some(next) if next >= first && next < tl.next_id => {
                let index = (next - first) as usize;
                match tl.newest_keyframe_index() {
                    Some(key)
                        if next >= self.owed_until && key > index && tl.lags(index, max_lag) =>
                    {
                        skipped = (key - index) as u64;
                        key
                    }
                    _ => index,
                }
            }
            // A new viewer, a resume point no longer held, or a reader so slow its place was
            // dropped: the newest keyframe (init first on a new connection).
            _ => match tl.newest_keyframe_index() {
                Some(key) => {
                    if let Some(next) = self.next.filter(|_| !just_resumed) {
                        skipped = tl.fragments[key].id.saturating_sub(next);
                    }
                    key
                }
                None => return 0,
            },
        };
        if skipped > 0 {
            out.push_back(frame::comment(&format!(
                "skipped {skipped} fragments to keep up with the live edge"
            )));
        }
        for held in tl.fragments.range(start..).take(max_fragments) {
            if self.epoch != Some(held.init.epoch) {
                out.push_back(held.init.frame.clone());
                self.epoch = Some(held.init.epoch);
            }
            out.push_back(held.frame.clone());
            self.next = Some(held.id + 1);
        }
        skipped
    }
}
