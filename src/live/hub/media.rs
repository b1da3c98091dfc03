//! The media timeline: for each rung of the current run's ladder (see `renditions`), its init
//! segment and a short run of framed fragments, evicted by age and by bytes but always keeping
//! the current GOP; all rungs' fragments numbered in one id sequence. And the cursor a viewer
//! keeps in it: which rung it is on, where it is, what it is owed after a resume, when it must
//! skip to the newest keyframe, and at each keyframe which rung it continues on.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;

use super::HubConfig;
use crate::live::deflate::Deflated;
use crate::live::frame;
use crate::live::outbox::Outbox;
use crate::live::splitter::{Fragment, InitSegment};
use crate::live::wire::{AUDIO_RUNG, Ask, InitEvent, SOURCE_RUNG};
use crate::renditions::chooser::{Chooser, LinkRate, LinkReading, Say, Seen, carried_by};

/// One rung of a run's ladder, as viewers are told of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RungInfo {
    /// "source", "480p", "audio".
    pub name: String,
    /// Its picture's height, when known; None for sound alone or a source of unknown size.
    pub height: Option<u32>,
}

impl RungInfo {
    /// Whether it is the rung of sound alone.
    pub fn is_sound_alone(&self) -> bool {
        self.name == AUDIO_RUNG
    }

    /// The one rung of a broadcast made without a ladder.
    pub fn source_only() -> Arc<[RungInfo]> {
        Arc::from([RungInfo {
            name: SOURCE_RUNG.into(),
            height: None,
        }])
    }
}

pub(super) struct MediaTimeline {
    ladder: Arc<[RungInfo]>,
    rungs: Vec<RungLog>,
    /// Each rung's bitrate as sent (framed), kbit/s, from the top.
    rates: PerWire<Vec<f64>>,
    /// The current run's epoch (see [`MediaTimeline::begin_run`]).
    epochs: u64,
    next_id: u64,
    held_bytes: usize,
}

#[derive(Default)]
struct RungLog {
    init: Option<Arc<HeldInit>>,
    /// The raw newest keyframe fragment (shared with the splitter's bytes).
    newest_keyframe: Option<Bytes>,
    fragments: VecDeque<Held>,
    /// Framed bytes pushed to this rung so far: where each fragment ends in its byte stream.
    pushed: PerWire<u64>,
    rate: PerWire<Rate>,
}

/// A figure of the bytes on the wire, in each of its two forms: the event stream as it is,
/// and gzip of it (see [`Outbox`]).
#[derive(Clone, Debug, Default)]
struct PerWire<T> {
    plain: T,
    gzip: T,
}

impl<T> PerWire<T> {
    fn of(&self, gzip: bool) -> &T {
        if gzip { &self.gzip } else { &self.plain }
    }
}

struct HeldInit {
    epoch: u64,
    has_video: bool,
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
    /// The frame deflated, for gzip streams.
    deflated: Deflated,
    /// Where it starts on the run's timeline, seconds: the same instant on every rung.
    start: Option<f64>,
    /// Where it ends in its rung's byte stream (see [`RungLog::pushed`]).
    end: PerWire<u64>,
}

impl Held {
    /// The memory it holds.
    fn size(&self) -> usize {
        self.frame.len() + self.deflated.piece.len()
    }
}

/// A fragment's bytes as its event carries them, made once and outside the hub's lock (the
/// expensive part): base64, and that with the event's end deflated (for gzip streams).
pub(super) struct Encoded {
    data: String,
    deflated: Deflated,
}

impl Encoded {
    pub fn of(fragment: &Fragment) -> Self {
        let data = base64::engine::general_purpose::STANDARD.encode(&fragment.data);
        let deflated = Deflated::of(&[data.as_bytes(), frame::END]);
        Self { data, deflated }
    }
}

/// A rung's bitrate, decaying so the last few seconds count most.
#[derive(Default)]
struct Rate {
    bytes: f64,
    secs: f64,
}

impl Rate {
    const KEEP: f64 = 0.9;

    fn add(&mut self, bytes: usize, secs: f64) {
        self.bytes = self.bytes * Self::KEEP + bytes as f64;
        self.secs = self.secs * Self::KEEP + secs;
    }

    fn kbps(&self) -> f64 {
        if self.secs > 0.0 {
            self.bytes * 8.0 / self.secs / 1000.0
        } else {
            0.0
        }
    }
}

impl MediaTimeline {
    /// An empty timeline whose first fragment gets id `first_id`.
    pub fn new(first_id: u64) -> Self {
        Self {
            ladder: RungInfo::source_only(),
            rungs: vec![RungLog::default()],
            rates: PerWire {
                plain: vec![0.0],
                gzip: vec![0.0],
            },
            epochs: 0,
            next_id: first_id,
            held_bytes: 0,
        }
    }

    /// Later ids are at least `floor`.
    pub fn skip_ids_to(&mut self, floor: u64) {
        self.next_id = self.next_id.max(floor);
    }

    /// A new encoder run begins, made in `ladder`'s rungs: each rung waits for its init
    /// segment, and keeps the last run's fragments (a viewer still in them finishes them, then
    /// gets the new init) until they age out. The run is named by `epoch` when another
    /// instance gave it (see `cluster`), else by a new one: later than the last and than the
    /// clock (ms), so an epoch means the same run on every instance.
    pub fn begin_run(&mut self, ladder: Arc<[RungInfo]>, epoch: Option<u64>) -> u64 {
        self.epochs = epoch.unwrap_or_else(|| (self.epochs + 1).max(crate::clock::now_ms()));
        self.rungs.resize_with(ladder.len(), RungLog::default);
        for log in &mut self.rungs {
            log.init = None;
            log.newest_keyframe = None;
            log.rate = PerWire::default();
        }
        self.held_bytes = self
            .rungs
            .iter()
            .flat_map(|log| &log.fragments)
            .map(Held::size)
            .sum();
        self.rates = PerWire {
            plain: vec![0.0; ladder.len()],
            gzip: vec![0.0; ladder.len()],
        };
        self.ladder = ladder;
        self.epochs
    }

    pub fn epoch(&self) -> u64 {
        self.epochs
    }

    pub fn ladder(&self) -> &Arc<[RungInfo]> {
        &self.ladder
    }

    /// Later fragments of `rung` decode with `init`; false if the ladder has no such rung.
    pub fn set_init(&mut self, rung: usize, init: &InitSegment) -> bool {
        let Some(info) = self.ladder.get(rung) else {
            return false;
        };
        let event = InitEvent {
            mime: init.mime.clone(),
            data: base64::engine::general_purpose::STANDARD.encode(&init.data),
            epoch: self.epochs,
            timescales: init.timescales.clone(),
            rung: info.name.clone(),
            rungs: self.ladder.iter().map(|r| r.name.clone()).collect(),
        };
        let log = &mut self.rungs[rung];
        log.init = Some(Arc::new(HeldInit {
            epoch: self.epochs,
            has_video: init.has_video(),
            frame: frame::json_event("init", &event),
            data: init.data.clone(),
        }));
        log.newest_keyframe = None;
        true
    }

    /// Adds `fragment` of `rung`, already `encoded`, received at `received`,
    /// under the next id or, relayed from another instance, under `given` (kept only if it is
    /// newer than every fragment the rung holds, so a repeat or a late arrival is dropped);
    /// returns its id (None before the rung's init, or dropped).
    pub fn push(
        &mut self,
        rung: usize,
        fragment: &Fragment,
        encoded: &Encoded,
        given: Option<u64>,
        received: Instant,
        settings: &HubConfig,
    ) -> Option<u64> {
        let log = self.rungs.get_mut(rung)?;
        let init = log.init.clone()?;
        let id = match given {
            Some(id) if log.fragments.back().is_some_and(|newest| id <= newest.id) => return None,
            Some(id) => id,
            None => self.next_id,
        };
        let framed = frame::event("media", Some(id), &encoded.data);
        let head = framed.len() - encoded.data.len() - frame::END.len();
        let deflated = Deflated::stored(&framed[..head]).then(encoded.deflated.clone());
        self.next_id = self.next_id.max(id + 1);
        self.held_bytes += framed.len() + deflated.piece.len();
        log.pushed.plain += framed.len() as u64;
        log.pushed.gzip += deflated.piece.len() as u64;
        if let Some(secs) = fragment.duration_secs {
            log.rate.plain.add(framed.len(), secs);
            log.rate.gzip.add(deflated.piece.len(), secs);
            self.rates.plain[rung] = log.rate.plain.kbps();
            self.rates.gzip[rung] = log.rate.gzip.kbps();
        }
        if fragment.keyframe {
            log.newest_keyframe = Some(fragment.data.clone());
        }
        log.fragments.push_back(Held {
            id,
            keyframe: fragment.keyframe,
            received,
            init,
            frame: framed,
            deflated,
            start: fragment.start_secs,
            end: log.pushed.clone(),
        });
        self.evict(settings, received);
        Some(id)
    }

    /// Off air: everything held is dropped (ids keep counting).
    pub fn clear(&mut self) {
        for log in &mut self.rungs {
            *log = RungLog::default();
        }
        self.held_bytes = 0;
    }

    /// Drops `rung`'s fragments, keeping its init segment: a relay stopped taking it (see
    /// `cluster::relay`), so what is held would only grow old.
    pub fn forget_rung(&mut self, rung: usize) {
        if let Some(log) = self.rungs.get_mut(rung) {
            let bytes: usize = log.fragments.iter().map(Held::size).sum();
            log.fragments.clear();
            self.held_bytes -= bytes;
        }
    }

    /// The raw init segment and newest keyframe fragment of the lowest rung with a picture
    /// (see [`super::Hub::snapshot`]).
    pub fn snapshot(&self) -> Option<(Bytes, Bytes)> {
        self.rungs.iter().rev().find_map(|log| {
            let init = log.init.as_ref().filter(|i| i.has_video)?;
            Some((init.data.clone(), log.newest_keyframe.clone()?))
        })
    }

    pub fn held_bytes(&self) -> usize {
        self.held_bytes
    }

    /// Drops the oldest fragments past the hold time, rung by rung, keeping each rung's current
    /// GOP; then, while past the byte bound, the oldest fragment of any rung.
    fn evict(&mut self, settings: &HubConfig, now: Instant) {
        for log in &mut self.rungs {
            let mut newest_key = log.fragments.iter().rposition(|h| h.keyframe);
            while let Some(front) = log.fragments.front() {
                let too_old = now.duration_since(front.received) > settings.hold;
                if !too_old || newest_key == Some(0) {
                    break;
                }
                self.held_bytes -= front.size();
                log.fragments.pop_front();
                newest_key = newest_key.and_then(|k| k.checked_sub(1));
            }
        }
        while self.held_bytes > settings.max_held_bytes {
            let oldest = self
                .rungs
                .iter_mut()
                .filter(|log| !log.fragments.is_empty())
                .min_by_key(|log| log.fragments.front().map(|h| h.id));
            let Some(front) = oldest.and_then(|log| log.fragments.pop_front()) else {
                break;
            };
            self.held_bytes -= front.size();
        }
    }

    /// The rung holding fragment `id`, if it is held.
    fn rung_holding(&self, id: u64) -> Option<usize> {
        self.rungs.iter().position(|log| {
            let at = log.fragments.partition_point(|h| h.id < id);
            log.fragments.get(at).is_some_and(|h| h.id == id)
        })
    }

    /// What the player's request asks, in this ladder's rungs.
    fn say(&self, ask: &Ask) -> Say {
        let video: Vec<(usize, u32)> = self
            .ladder
            .iter()
            .enumerate()
            .filter_map(|(n, r)| Some((n, r.height?)))
            .collect();
        // The smallest picture at least as tall as the player shows: no more than it needs.
        let highest = match ask.max_height {
            Some(shown) => video
                .iter()
                .rev()
                .find(|(_, height)| *height >= shown)
                .map_or(0, |(n, _)| *n),
            None => 0,
        };
        let picked = ask
            .pick
            .as_deref()
            .and_then(|name| self.ladder.iter().position(|r| r.name == name));
        Say { highest, picked }
    }

    /// The rung a new viewer wants (the highest it may have, or the lowest picture when it
    /// asks to start low), and the one it starts on: the wanted one, or if that has no
    /// keyframe to start from yet, the nearest picture rung that has one (below first); sound
    /// alone only when picked. With none, the wanted rung, to wait for.
    fn start_rung(&self, ask: &Ask) -> (usize, usize) {
        let say = self.say(ask);
        let lowest_picture = self
            .ladder
            .iter()
            .rposition(|r| !r.is_sound_alone())
            .unwrap_or(0);
        let wanted = say.picked.unwrap_or(if ask.start_low {
            lowest_picture.max(say.highest)
        } else {
            say.highest
        });
        let wanted = wanted.min(self.rungs.len().saturating_sub(1));
        let playable = |n: &usize| {
            let log = &self.rungs[*n];
            log.init.as_ref().is_some_and(|i| i.epoch == self.epochs)
                && log
                    .fragments
                    .iter()
                    .any(|h| h.keyframe && h.init.epoch == self.epochs)
        };
        if playable(&wanted) || say.picked.is_some() {
            return (wanted, wanted);
        }
        let pictures = lowest_picture.min(self.rungs.len().saturating_sub(1));
        let start = (wanted..=pictures)
            .find(playable)
            .or_else(|| (0..wanted).rev().find(playable))
            .unwrap_or(wanted);
        (wanted, start)
    }

    /// Whether `rung` holds any fragment of the current run (a relay may not be taking it).
    fn holds(&self, rung: usize) -> bool {
        self.rungs[rung]
            .fragments
            .back()
            .is_some_and(|h| h.init.epoch == self.epochs)
    }
}

const OWED_UNKNOWN: u64 = u64::MAX;
/// A viewer resuming at most this many fragments (10 s of 200 ms ones) per rung ahead of this
/// hub waits for them; further ahead, it starts at the newest keyframe.
const AHEAD_WAIT: u64 = 50;
/// Two rungs' keyframes this close (seconds) are the same instant; with sound alone on either
/// side (its fragments are cut on their own boundaries, and a new MediaSource starts there)
/// the nearest fragment does.
const SAME_INSTANT: f64 = 0.05;
const NEAR_INSTANT: f64 = 0.25;
/// How often a viewer on sound alone is considered for a picture.
const SOUND_DECIDED_EVERY: Duration = Duration::from_secs(1);
/// A viewer whose next keyframe came this long before the newest fragment is behind.
const BEHIND: Duration = Duration::from_millis(400);
/// A viewer this far behind on a rung its link was measured too slow for is skipped to the
/// newest keyframe (see [`MediaCursor::outgrown`]).
const OUTGROWN_LAG: Duration = Duration::from_secs(1);
/// A switch waits for the other rung's keyframe while that rung is at most this far behind.
const SWITCH_WAIT_SECS: f64 = 1.0;

/// What a viewer's connection did since its last keyframe.
struct Interval {
    since: Instant,
    sent: u64,
    /// It had everything the hub held at least once (it waited for the next fragment).
    caught_up: bool,
    skipped: bool,
    /// The highest delivery rate the kernel measured on its connection while it was full,
    /// and the highest lower bound it measured otherwise, kbit/s.
    link_kbps: Option<f64>,
    link_at_least: Option<f64>,
    /// The newest delivery rate measured while the link was full, kbit/s: what it carries now
    /// (the highest may be from before it slowed).
    link_newest_kbps: Option<f64>,
    /// Of the time its link was read over, microseconds: how long, and how much of it busy.
    link_span_us: u64,
    link_busy_us: u64,
}

impl Interval {
    fn starting(since: Instant) -> Self {
        Self {
            since,
            sent: 0,
            caught_up: false,
            skipped: false,
            link_kbps: None,
            link_at_least: None,
            link_newest_kbps: None,
            link_span_us: 0,
            link_busy_us: 0,
        }
    }
}

/// Where one viewer is in the media timeline.
pub(super) struct MediaCursor {
    rung: usize,
    /// Id of the next fragment to send; None until the viewer has a starting point.
    next: Option<u64>,
    /// A resumed connection is owed the fragments before this id: no lag check until then.
    /// `OWED_UNKNOWN` until its first catch-up fixes it at the head.
    owed_until: u64,
    /// Epoch and rung of the init segment this connection last sent.
    init_sent: Option<(u64, usize)>,
    ask: Ask,
    chooser: Option<Chooser>,
    interval: Option<Interval>,
    /// The keyframe (by id) the rung was last chosen at, so a keyframe is decided once.
    decided_at: Option<u64>,
    /// A rung it would be on, or go to, that this hub holds nothing of (see [`Self::wants`]).
    wants: Option<usize>,
}

/// Where a switch to another rung at a keyframe lands.
enum Landing {
    At(usize),
    /// The other rung has not made that keyframe yet.
    Wait,
    /// It cannot be made here.
    No,
}

impl MediaCursor {
    /// A new connection; `last_event_id` is the id of the last media event it already has.
    pub fn new(last_event_id: Option<u64>) -> Self {
        Self {
            rung: 0,
            next: last_event_id.map(|id| id.saturating_add(1)),
            owed_until: if last_event_id.is_some() {
                OWED_UNKNOWN
            } else {
                0
            },
            init_sent: None,
            ask: Ask::default(),
            chooser: None,
            interval: None,
            decided_at: None,
            wants: None,
        }
    }

    /// The rung it wanted and could not have since the last call, because this hub holds
    /// nothing of it: a relay takes only the rungs its viewers are on (see `cluster::relay`).
    pub fn wants(&mut self) -> Option<usize> {
        self.wants.take()
    }

    pub fn set_ask(&mut self, ask: Ask) {
        self.ask = ask;
    }

    /// The rung it is on.
    pub fn rung(&self) -> usize {
        self.rung
    }

    /// See [`super::Viewer::link_carries`]: the interval keeps the highest figures, and adds
    /// up the time busy.
    pub fn link_carries(&mut self, reading: LinkReading) {
        if let Some(interval) = &mut self.interval {
            if let Some(busy_us) = reading.busy_us {
                interval.link_span_us += reading.span_us;
                interval.link_busy_us += busy_us.min(reading.span_us);
            }
            let (kept, kbps) = match reading.rate {
                LinkRate::Full(kbps) => {
                    interval.link_newest_kbps = Some(kbps);
                    (&mut interval.link_kbps, kbps)
                }
                LinkRate::AtLeast(kbps) => (&mut interval.link_at_least, kbps),
            };
            *kept = Some(kept.map_or(kbps, |k| k.max(kbps)));
        }
    }

    /// Appends up to `max_fragments` fragments this viewer is owed (each preceded by its init
    /// segment when the run or the rung changes); returns how many it skipped to keep up.
    pub fn owed(
        &mut self,
        tl: &MediaTimeline,
        out: &mut Outbox,
        max_fragments: usize,
        max_lag: Duration,
    ) -> u64 {
        let just_resumed = self.owed_until == OWED_UNKNOWN;
        if self.chooser.is_none() {
            // The first time there is media: resume on the rung its last fragment was on,
            // else start where the player's say and the ladder put it.
            let held = self.next.and_then(|n| tl.rung_holding(n.saturating_sub(1)));
            if held.is_none() && tl.rungs.iter().all(|l| l.fragments.is_empty()) {
                return 0;
            }
            self.rung = match held {
                Some(rung) => rung,
                None => self.start_on(tl),
            };
            self.chooser = Some(Chooser::new(self.rung));
        }
        if self.rung >= tl.rungs.len() {
            // A new run with a shorter ladder.
            self.rung = self.start_on(tl);
            self.chooser = Some(Chooser::new(self.rung));
        }
        let log = &tl.rungs[self.rung];
        let (Some(first), Some(head)) = (log.fragments.front(), log.fragments.back()) else {
            self.wants = Some(self.rung);
            return 0;
        };
        if just_resumed {
            self.owed_until = tl.next_id;
        }
        let mut skipped = 0;
        let start = match self.next {
            // Everything this rung holds was sent.
            Some(next) if next > head.id && next <= tl.next_id => {
                self.caught_up();
                return 0;
            }
            // Resumed from another instance that was a little further along: wait for it here
            // rather than repeat what the viewer has.
            Some(next)
                if just_resumed
                    && next > tl.next_id
                    && next - tl.next_id <= AHEAD_WAIT * tl.rungs.len() as u64 =>
            {
                self.owed_until = OWED_UNKNOWN;
                return 0;
            }
            Some(next) if next >= first.id && next <= head.id => {
                let index = log.fragments.partition_point(|h| h.id < next);
                match newest_keyframe(log, tl.epochs) {
                    Some(key)
                        if next >= self.owed_until
                            && key > index
                            && (lags(log, index, max_lag)
                                || self.outgrown(tl, index, out.is_gzip())) =>
                    {
                        skipped = (key - index) as u64;
                        key
                    }
                    _ => index,
                }
            }
            // A new viewer, a resume point no longer held, or a reader so slow its place was
            // dropped: the newest keyframe (init first on a new connection).
            _ => match newest_keyframe(log, tl.epochs) {
                Some(key) => {
                    if let Some(next) = self.next.filter(|_| !just_resumed) {
                        let at = log.fragments.partition_point(|h| h.id < next);
                        skipped = key.saturating_sub(at) as u64;
                    }
                    key
                }
                None => return 0,
            },
        };
        if skipped > 0 {
            out.push(skip_notice(skipped));
            if let Some(interval) = &mut self.interval {
                interval.skipped = true;
            }
        }
        let mut index = start;
        let mut sent = 0;
        while sent < max_fragments {
            let log = &tl.rungs[self.rung];
            let Some(held) = log.fragments.get(index) else {
                self.caught_up();
                break;
            };
            // Sound alone is all keyframes: decided there at most once a second, as often
            // as a picture's keyframes come.
            let due = held.init.has_video
                || self
                    .interval
                    .as_ref()
                    .is_some_and(|i| i.since.elapsed() >= SOUND_DECIDED_EVERY);
            if held.keyframe && due && self.decided_at != Some(held.id) {
                self.decided_at = Some(held.id);
                match self.choose(tl, index, out, &mut skipped) {
                    Some(Landing::At(at)) => {
                        // The keyframe it lands on is where it was decided.
                        self.decided_at = Some(tl.rungs[self.rung].fragments[at].id);
                        index = at;
                        continue;
                    }
                    Some(Landing::Wait) => {
                        // Decide this keyframe again when the other rung has it.
                        self.decided_at = None;
                        break;
                    }
                    Some(Landing::No) | None => {}
                }
            }
            if self.init_sent != Some((held.init.epoch, self.rung)) {
                out.push(held.init.frame.clone());
                self.init_sent = Some((held.init.epoch, self.rung));
            }
            let wire = out.push_shared(&held.frame, &held.deflated);
            self.next = Some(held.id + 1);
            let interval = self
                .interval
                .get_or_insert_with(|| Interval::starting(Instant::now()));
            interval.sent += wire as u64;
            index += 1;
            sent += 1;
        }
        skipped
    }

    /// The rung it starts on (see [`MediaTimeline::start_rung`]), wanting the one it would
    /// rather have.
    fn start_on(&mut self, tl: &MediaTimeline) -> usize {
        let (wanted, start) = tl.start_rung(&self.ask);
        if wanted != start {
            self.wants = Some(wanted);
        }
        start
    }

    /// Whether it is [`OUTGROWN_LAG`] behind at `index` of a rung its link was last measured
    /// too slow for (in this interval): it goes down at its next keyframe anyway, and the rest of
    /// this GOP would reach it ever later, so it is skipped to the newest keyframe at once
    /// (where the chooser takes it down) rather than once it is the most behind it may be.
    /// Not on a rung picked by hand.
    fn outgrown(&self, tl: &MediaTimeline, index: usize, gzip: bool) -> bool {
        let Some(kbps) = self.interval.as_ref().and_then(|i| i.link_newest_kbps) else {
            return false;
        };
        lags(&tl.rungs[self.rung], index, OUTGROWN_LAG)
            && carried_by(tl.rates.of(gzip), kbps) > self.rung
            && tl.say(&self.ask).picked.is_none()
    }

    fn caught_up(&mut self) {
        if let Some(interval) = &mut self.interval {
            interval.caught_up = true;
        }
    }

    /// At the keyframe at `index` of the viewer's rung: asks the chooser which rung it
    /// continues on and where that lands. None when it stays. A viewer behind that goes down
    /// lands on the lower rung's newest keyframe (a comment in `out` says so, and `skipped`
    /// counts what it skipped).
    fn choose(
        &mut self,
        tl: &MediaTimeline,
        index: usize,
        out: &mut Outbox,
        skipped: &mut u64,
    ) -> Option<Landing> {
        let gzip = out.is_gzip();
        let log = &tl.rungs[self.rung];
        let held = &log.fragments[index];
        // The first keyframe a connection is sent is where it starts: nothing seen yet.
        let interval = self.interval.take()?;
        let now = Instant::now();
        // Behind now (the newest fragment came well after this one), or never once had
        // everything in the interval: its writes wait for room.
        let lag = log.fragments.back().map_or(Duration::ZERO, |newest| {
            newest.received.duration_since(held.received)
        });
        let seen = Seen {
            unsent_bytes: log.pushed.of(gzip) - held.end.of(gzip),
            blocked: !interval.caught_up || lag >= BEHIND,
            drained_bytes: interval.sent,
            interval_ms: now.duration_since(interval.since).as_millis() as u64,
            skipped: interval.skipped,
            link_kbps: interval.link_kbps,
            link_at_least: interval.link_at_least,
            link_busy: (interval.link_span_us > 0)
                .then(|| interval.link_busy_us as f64 / interval.link_span_us as f64),
        };
        self.interval = Some(Interval::starting(now));
        let chooser = self.chooser.as_mut()?;
        let say = tl.say(&self.ask);
        let ends_in_sound = tl.ladder.last().is_some_and(RungInfo::is_sound_alone);
        let target = chooser.at_keyframe(&seen, say, tl.rates.of(gzip), ends_in_sound);
        tracing::debug!(
            ?seen,
            ?say,
            from = self.rung,
            target,
            "rung chosen at a keyframe"
        );
        if target == self.rung {
            return None;
        }
        let mut to = target;
        let mut landing = landing_on(tl, held, self.rung, target);
        if !tl.holds(target) {
            // A relay not taking that rung yet: it is asked for, and meanwhile a viewer going
            // down goes to the nearest lower rung that is here.
            self.wants = Some(target);
            if target > self.rung
                && let Some((lower, at)) = (target + 1..tl.rungs.len())
                    .filter(|&n| tl.holds(n))
                    .find_map(|n| match landing_on(tl, held, self.rung, n) {
                        Landing::At(at) => Some((n, at)),
                        _ => None,
                    })
            {
                to = lower;
                landing = Landing::At(at);
                chooser.stay_on(lower);
            }
        }
        let lower = &tl.rungs[to];
        if let Landing::At(at) = landing
            && to > self.rung
            && lag >= BEHIND
            && lower.init.as_ref().is_some_and(|init| init.has_video)
            && let Some(newest) =
                newest_keyframe(lower, held.init.epoch).filter(|newest| *newest > at)
        {
            // What lies between is what its link could not carry: going on from the same
            // instant, the lower picture would start as far behind, and be skipped forward
            // soon after (which the chooser would read as that rung failing too). Sound alone
            // is so little that it catches up at once.
            let jumped = (newest - at) as u64;
            out.push(skip_notice(jumped));
            *skipped += jumped;
            landing = Landing::At(newest);
        }
        match landing {
            Landing::At(_) => {
                let direction = if to > self.rung { "down" } else { "up" };
                metrics::counter!("onair_viewer_rung_switches_total", "direction" => direction)
                    .increment(1);
                self.rung = to;
            }
            Landing::Wait => {}
            Landing::No => chooser.stay_on(self.rung),
        }
        Some(landing)
    }
}

/// Where the keyframe `held` of rung `from` is on rung `to`.
fn landing_on(tl: &MediaTimeline, held: &Held, from: usize, to: usize) -> Landing {
    let target = &tl.rungs[to];
    let epoch = held.init.epoch;
    let (Some(at), Some(init)) = (held.start, target.init.as_ref()) else {
        return Landing::No;
    };
    if init.epoch != epoch {
        return Landing::No;
    }
    let both_pictures = held.init.has_video && init.has_video;
    let near = if both_pictures {
        SAME_INSTANT
    } else {
        NEAR_INSTANT
    };
    if !held.init.has_video && init.has_video {
        // From sound alone to a picture: a new decoder starts there anyway, so the newest
        // keyframe up to a second back will do (its sound overlaps a little).
        let newest = target.fragments.iter().rposition(|h| {
            h.keyframe
                && h.init.epoch == epoch
                && h.start.is_some_and(|s| s <= at + near && s >= at - 1.0)
        });
        return newest.map_or(Landing::No, Landing::At);
    }
    let first = target.fragments.partition_point(|h| {
        h.init.epoch < epoch || (h.init.epoch == epoch && h.start.is_some_and(|s| s < at - near))
    });
    let found = target
        .fragments
        .range(first..)
        .take_while(|h| h.start.is_some_and(|s| s <= at + near))
        .position(|h| h.keyframe);
    if let Some(offset) = found {
        return Landing::At(first + offset);
    }
    let made_to = target.fragments.back().and_then(|h| h.start);
    let from_made_to = tl.rungs[from].fragments.back().and_then(|h| h.start);
    let behind = first == target.fragments.len();
    if both_pictures
        && behind
        && made_to.is_some_and(|s| s > at - SWITCH_WAIT_SECS)
        && from_made_to.is_some_and(|s| s < at + SWITCH_WAIT_SECS)
    {
        Landing::Wait
    } else {
        Landing::No
    }
}

/// The comment that tells a viewer it skipped `fragments` to keep up.
fn skip_notice(fragments: u64) -> Bytes {
    frame::comment(&format!(
        "skipped {fragments} fragments to keep up with the live edge"
    ))
}

/// Index of the newest keyframe of `epoch` in `log`.
fn newest_keyframe(log: &RungLog, epoch: u64) -> Option<usize> {
    log.fragments
        .iter()
        .rposition(|h| h.keyframe && h.init.epoch == epoch)
}

fn lags(log: &RungLog, index: usize, max_lag: Duration) -> bool {
    match (log.fragments.get(index), log.fragments.back()) {
        (Some(next), Some(newest)) => newest.received.duration_since(next.received) > max_lag,
        _ => false,
    }
}
