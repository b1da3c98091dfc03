//! The per-channel fan-out hub. The encoder publishes init segments and fragments; each is
//! framed as an SSE event once and the same bytes go to every viewer.
//!
//! The hub holds a short, bounded timeline of framed fragments (always the current GOP). A
//! viewer is only a cursor into it, so a new viewer starts at the newest keyframe at once, a
//! reconnect with `Last-Event-ID` resumes without gap or duplicate while the fragment is still
//! held, and a reader that falls behind skips forward to the newest keyframe. Memory depends on
//! the timeline's bounds, never on how slowly anyone reads.

use bytes::Bytes;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;

use super::audience::{Audience, Seat};
use super::frame;
use super::splitter::{Fragment, InitSegment};
use super::wire::{
    ChannelState, ChatDeletedEvent, ChatEvent, InitEvent, StatusEvent, ViewersEvent,
};
use base64::Engine as _;

/// How much the hub holds and how far behind a viewer may fall.
#[derive(Clone, Debug)]
pub struct HubSettings {
    /// Fragments younger than this stay available for resuming viewers.
    pub hold: Duration,
    /// Upper bound on held fragment bytes.
    pub max_held_bytes: usize,
    /// A viewer further behind the newest fragment than this skips to the newest keyframe.
    pub max_lag: Duration,
}

pub struct Hub {
    timeline: RwLock<Timeline>,
    changed: watch::Sender<u64>,
    settings: HubSettings,
    audience: Arc<Audience>,
    /// Set once, at server shutdown: every viewer's stream ends.
    closed: AtomicBool,
}

struct Timeline {
    status: HeldStatus,
    viewers: HeldViewers,
    init: Option<Arc<HeldInit>>,
    /// The raw newest keyframe fragment of the current run (shared with the splitter's bytes).
    newest_keyframe: Option<Bytes>,
    epochs: u64,
    fragments: VecDeque<Held>,
    next_id: u64,
    held_bytes: usize,
    /// The latest chat events, for connections that resume after a message they have.
    chat: VecDeque<HeldChat>,
    /// Sequence number of the newest chat event (0: none yet).
    chat_seq: u64,
    /// Counts keep-alive beats; a viewer sent nothing since the last beat gets a comment.
    heartbeat: u64,
}

/// Chat events a hub keeps for resuming connections.
const CHAT_HELD: usize = 200;

/// A chat event, framed once.
struct HeldChat {
    seq: u64,
    /// The message's id for `chat`; None for `chat-deleted` (resent to anyone resuming).
    message_id: Option<u64>,
    frame: Bytes,
}

struct HeldStatus {
    version: u64,
    event: StatusEvent,
    frame: Bytes,
}

/// The viewer count last published, framed once for everybody.
struct HeldViewers {
    version: u64,
    count: usize,
    frame: Bytes,
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

/// Unix time in milliseconds.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Hub {
    /// A hub whose first fragment gets id `first_id`. Starting ids at the creation time in
    /// milliseconds keeps them from repeating across server restarts.
    pub fn new(settings: HubSettings, first_id: u64) -> Arc<Self> {
        let status = StatusEvent {
            state: ChannelState::Offline,
            since_ms: now_ms(),
            reason: None,
        };
        Arc::new(Self {
            timeline: RwLock::new(Timeline {
                status: HeldStatus {
                    version: 1,
                    frame: frame::json_event("status", &status),
                    event: status,
                },
                viewers: HeldViewers {
                    version: 1,
                    count: 0,
                    frame: viewers_frame(0),
                },
                init: None,
                newest_keyframe: None,
                epochs: 0,
                fragments: VecDeque::new(),
                next_id: first_id,
                held_bytes: 0,
                chat: VecDeque::new(),
                chat_seq: 0,
                heartbeat: 0,
            }),
            changed: watch::channel(0).0,
            settings,
            audience: Arc::default(),
            closed: AtomicBool::new(false),
        })
    }

    /// A new encoder run begins: later fragments decode with `init`. Puts the channel live.
    pub fn publish_init(&self, init: &InitSegment) {
        let mut tl = self.write();
        tl.epochs += 1;
        let event = InitEvent {
            mime: init.mime.clone(),
            data: base64::engine::general_purpose::STANDARD.encode(&init.data),
            epoch: tl.epochs,
            timescales: init.timescales.clone(),
        };
        tl.init = Some(Arc::new(HeldInit {
            epoch: tl.epochs,
            frame: frame::json_event("init", &event),
            data: init.data.clone(),
        }));
        tl.newest_keyframe = None;
        if tl.status.event.state != ChannelState::Live {
            // Back from reconnecting, the channel has been live since it first went live.
            let since_ms = match tl.status.event.state {
                ChannelState::Reconnecting => tl.status.event.since_ms,
                _ => now_ms(),
            };
            tl.set_status(StatusEvent {
                state: ChannelState::Live,
                since_ms,
                reason: None,
            });
        }
        drop(tl);
        self.notify();
    }

    /// Adds a fragment of the current encoder run; returns its id (None before any init).
    pub fn publish(&self, fragment: &Fragment) -> Option<u64> {
        self.publish_at(fragment, Instant::now())
    }

    /// [`Hub::publish`] with the arrival time given (tests replay time with it).
    pub(crate) fn publish_at(&self, fragment: &Fragment, received: Instant) -> Option<u64> {
        // The expensive part, base64, happens once and outside the lock.
        let data = base64::engine::general_purpose::STANDARD.encode(&fragment.data);
        let mut tl = self.write();
        let init = tl.init.clone()?;
        let id = tl.next_id;
        let framed = frame::event("media", Some(id), &data);
        tl.next_id += 1;
        tl.held_bytes += framed.len();
        if fragment.keyframe {
            tl.newest_keyframe = Some(fragment.data.clone());
        }
        tl.fragments.push_back(Held {
            id,
            keyframe: fragment.keyframe,
            received,
            init,
            frame: framed,
        });
        tl.evict(&self.settings, received);
        drop(tl);
        self.notify();
        Some(id)
    }

    /// The channel goes off air: held media is dropped, viewers stay connected.
    pub fn go_offline(&self, reason: Option<String>) {
        let mut tl = self.write();
        tl.init = None;
        tl.newest_keyframe = None;
        tl.fragments.clear();
        tl.held_bytes = 0;
        tl.set_status(StatusEvent {
            state: ChannelState::Offline,
            since_ms: now_ms(),
            reason,
        });
        drop(tl);
        self.notify();
    }

    /// The encoder died and is being restarted: viewers are told, and keep what they have
    /// until the new run's init arrives. The channel counts as live since it went live.
    pub fn go_reconnecting(&self, reason: String) {
        let mut tl = self.write();
        let since_ms = match tl.status.event.state {
            ChannelState::Offline => now_ms(),
            _ => tl.status.event.since_ms,
        };
        tl.set_status(StatusEvent {
            state: ChannelState::Reconnecting,
            since_ms,
            reason: Some(reason),
        });
        drop(tl);
        self.notify();
    }

    pub fn status(&self) -> StatusEvent {
        self.read().status.event.clone()
    }

    /// The init segment and the newest keyframe fragment, raw: together a decodable picture
    /// of the stream right now. None while offline or before the first keyframe.
    pub fn snapshot(&self) -> Option<(Bytes, Bytes)> {
        let tl = self.read();
        Some((tl.init.as_ref()?.data.clone(), tl.newest_keyframe.clone()?))
    }

    /// Bytes of framed fragments held right now.
    pub fn held_bytes(&self) -> usize {
        self.read().held_bytes
    }

    /// Distinct viewers watching now.
    pub fn viewer_count(&self) -> usize {
        self.audience.count()
    }

    /// Tells viewers the count if it changed since it was last told. Called once a second, so a
    /// burst of joins makes one event.
    pub fn publish_viewer_count(&self) {
        let count = self.audience.count();
        let mut tl = self.write();
        if tl.viewers.count == count {
            return;
        }
        tl.viewers = HeldViewers {
            version: tl.viewers.version + 1,
            count,
            frame: viewers_frame(count),
        };
        drop(tl);
        self.notify();
    }

    /// Sends a chat message to every viewer, in the order of these calls.
    pub fn publish_chat(&self, message: &ChatEvent) {
        self.push_chat(Some(message.id), frame::json_event("chat", message));
    }

    /// Tells every viewer that chat message `id` was deleted.
    pub fn publish_chat_deleted(&self, id: u64) {
        self.push_chat(
            None,
            frame::json_event("chat-deleted", &ChatDeletedEvent { id }),
        );
    }

    fn push_chat(&self, message_id: Option<u64>, frame: Bytes) {
        let mut tl = self.write();
        tl.chat_seq += 1;
        let seq = tl.chat_seq;
        tl.chat.push_back(HeldChat {
            seq,
            message_id,
            frame,
        });
        if tl.chat.len() > CHAT_HELD {
            tl.chat.pop_front();
        }
        drop(tl);
        self.notify();
    }

    /// A new viewer; `last_event_id` is the id of the last media event it already has, and
    /// `key` identifies the watching tab across its reconnects. Chat that arrives from now on
    /// is sent; with `chat_after`, so are the held messages after that one (and held deletions).
    pub fn subscribe(
        self: &Arc<Self>,
        last_event_id: Option<u64>,
        key: Option<&str>,
        chat_after: Option<u64>,
    ) -> Viewer {
        let chat_seen = match chat_after {
            Some(_) => 0,
            None => self.read().chat_seq,
        };
        Viewer {
            chat_seen,
            chat_after,
            _seat: self.audience.join(key),
            viewers_version: 0,
            viewers_sent: 0,
            hub: Arc::clone(self),
            // Subscribe before reading anything, so no change can slip between.
            changed: self.changed.subscribe(),
            next: last_event_id.map(|id| id.saturating_add(1)),
            owed_until: if last_event_id.is_some() {
                OWED_UNKNOWN
            } else {
                0
            },
            epoch: None,
            status_version: 0,
            heartbeat_seen: 0,
            sent_since_heartbeat: false,
        }
    }

    /// A keep-alive beat: every viewer that was sent nothing since the previous beat is sent a
    /// comment. One timer per server beats every hub, so an open stream holds no timer of its
    /// own and no timer is re-armed per event.
    pub fn heartbeat(&self) {
        self.write().heartbeat += 1;
        self.notify();
    }

    /// Ends every viewer's stream, now and for anyone who subscribes later (server shutdown).
    /// Viewers learn it on the wake-up they already wait for, so an open stream costs nothing
    /// extra per event to stay shut-down aware.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.notify();
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    fn notify(&self) {
        self.changed.send_modify(|v| *v = v.wrapping_add(1));
    }

    fn read(&self) -> RwLockReadGuard<'_, Timeline> {
        self.timeline
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Timeline> {
        self.timeline
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn viewers_frame(count: usize) -> Bytes {
    frame::json_event("viewers", &ViewersEvent { count })
}

impl Timeline {
    fn set_status(&mut self, event: StatusEvent) {
        self.status = HeldStatus {
            version: self.status.version + 1,
            frame: frame::json_event("status", &event),
            event,
        };
    }

    /// Drops the oldest fragments past the hold time or byte bound, keeping the current GOP
    /// unless it alone breaks the byte bound.
    fn evict(&mut self, settings: &HubSettings, now: Instant) {
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
    fn newest_keyframe(&self) -> Option<usize> {
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

/// One viewer: a cursor into the hub's timeline.
pub struct Viewer {
    hub: Arc<Hub>,
    changed: watch::Receiver<u64>,
    /// Id of the next fragment to send; None until the viewer has a starting point.
    next: Option<u64>,
    /// A resumed connection is owed the fragments before this id: no lag check until then.
    /// `OWED_UNKNOWN` until its first catch-up fixes it at the head.
    owed_until: u64,
    /// Epoch of the init segment this connection last sent.
    epoch: Option<u64>,
    status_version: u64,
    /// Version of the published viewer count this connection has seen; 0 before the first.
    viewers_version: u64,
    /// The count this connection last sent, so a publication of the same number is skipped.
    viewers_sent: usize,
    /// Sequence number of the last chat event this connection has been sent.
    chat_seen: u64,
    /// On a resumed connection: the last chat message it already had.
    chat_after: Option<u64>,
    /// The hub's keep-alive beat this connection last saw, and whether it was sent anything
    /// since.
    heartbeat_seen: u64,
    sent_since_heartbeat: bool,
    /// This connection's place in the audience.
    _seat: Seat,
}

impl Viewer {
    /// Appends to `out` the frames this viewer is owed now, up to `max_fragments` media
    /// fragments (with any status, init or notice before them); returns how many fragments it
    /// skipped to catch up with the live edge. A connection takes one fragment at a time, so the
    /// lag check runs before every fragment it sends and it holds no backlog of its own.
    pub fn catch_up(&mut self, out: &mut VecDeque<Bytes>, max_fragments: usize) -> u64 {
        let before = out.len();
        let (skipped, heartbeat) = self.owed(out, max_fragments);
        let sent_now = out.len() > before;
        if heartbeat != self.heartbeat_seen {
            if !self.sent_since_heartbeat && !sent_now {
                out.push_back(Bytes::from_static(frame::KEEP_ALIVE));
            }
            self.heartbeat_seen = heartbeat;
            self.sent_since_heartbeat = false;
        } else if sent_now {
            self.sent_since_heartbeat = true;
        }
        skipped
    }

    /// What [`catch_up`](Self::catch_up) sends apart from keep-alives, and the hub's current
    /// keep-alive beat (read under the same lock).
    fn owed(&mut self, out: &mut VecDeque<Bytes>, max_fragments: usize) -> (u64, u64) {
        let tl = self.hub.read();
        let heartbeat = tl.heartbeat;
        if self.status_version != tl.status.version {
            out.push_back(tl.status.frame.clone());
            self.status_version = tl.status.version;
        }
        if self.viewers_version == 0 {
            // The count right now (this viewer included), not the one last published.
            self.viewers_sent = self.hub.viewer_count();
            out.push_back(viewers_frame(self.viewers_sent));
            self.viewers_version = tl.viewers.version;
        } else if self.viewers_version != tl.viewers.version {
            if tl.viewers.count != self.viewers_sent {
                out.push_back(tl.viewers.frame.clone());
                self.viewers_sent = tl.viewers.count;
            }
            self.viewers_version = tl.viewers.version;
        }
        if self.chat_seen != tl.chat_seq {
            for held in tl.chat.iter().filter(|h| h.seq > self.chat_seen) {
                let already_had = matches!(
                    (held.message_id, self.chat_after),
                    (Some(id), Some(after)) if id <= after
                );
                if !already_had {
                    out.push_back(held.frame.clone());
                }
            }
            self.chat_seen = tl.chat_seq;
            self.chat_after = None;
        }
        let Some(first) = tl.fragments.front().map(|h| h.id) else {
            return (0, heartbeat);
        };
        let just_resumed = self.owed_until == OWED_UNKNOWN;
        if just_resumed {
            self.owed_until = tl.next_id;
        }
        let mut skipped = 0;
        let start = match self.next {
            Some(next) if next == tl.next_id => return (0, heartbeat),
            Some(next) if next >= first && next < tl.next_id => {
                let index = (next - first) as usize;
                match tl.newest_keyframe() {
                    Some(key)
                        if next >= self.owed_until
                            && key > index
                            && tl.lags(index, self.hub.settings.max_lag) =>
                    {
                        skipped = (key - index) as u64;
                        key
                    }
                    _ => index,
                }
            }
            // A new viewer, a resume point no longer held, or a reader so slow its place was
            // dropped: the newest keyframe (init first on a new connection).
            _ => match tl.newest_keyframe() {
                Some(key) => {
                    if let Some(next) = self.next.filter(|_| !just_resumed) {
                        skipped = tl.fragments[key].id.saturating_sub(next);
                    }
                    key
                }
                None => return (0, heartbeat),
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
        (skipped, heartbeat)
    }

    /// Waits until the hub has something new; false when the hub is gone.
    pub async fn changed(&mut self) -> bool {
        self.changed.changed().await.is_ok()
    }

    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::splitter::Piece;
    use crate::live::splitter::Splitter;
    use crate::live::testing::encode_test_pattern;
    use std::sync::OnceLock;

    /// Real init segment and fragments from ffmpeg, made once.
    fn real() -> &'static (InitSegment, Vec<Fragment>) {
        static REAL: OnceLock<(InitSegment, Vec<Fragment>)> = OnceLock::new();
        REAL.get_or_init(|| {
            let mut pieces = Splitter::new()
                .push(&encode_test_pattern(3))
                .unwrap()
                .into_iter();
            let Some(Piece::Init(init)) = pieces.next() else {
                panic!("init first")
            };
            let fragments = pieces
                .filter_map(|p| {
                    if let Piece::Fragment(f) = p {
                        Some(f)
                    } else {
                        None
                    }
                })
                .collect();
            (init, fragments)
        })
    }

    /// A hub that went live with the real init segment; its first fragment gets id 1.
    fn live_hub(settings: HubSettings) -> Arc<Hub> {
        let hub = Hub::new(settings, 1);
        hub.publish_init(&real().0);
        hub
    }

    /// Whether the fragment a hub from [`live_hub`] numbered `id` starts with a keyframe.
    fn is_keyframe(id: u64) -> bool {
        let fragments = &real().1;
        fragments[(id - 1) as usize % fragments.len()].keyframe
    }

    fn settings() -> HubSettings {
        HubSettings {
            hold: Duration::from_secs(8),
            max_held_bytes: 4 << 20,
            max_lag: Duration::from_millis(2500),
        }
    }

    /// What a viewer received, parsed back: ("status" | "init" | "media" | "comment", id).
    fn drain(viewer: &mut Viewer) -> Vec<(String, Option<u64>)> {
        let mut out = VecDeque::new();
        viewer.catch_up(&mut out, usize::MAX);
        parse(&out)
    }

    fn parse(out: &VecDeque<Bytes>) -> Vec<(String, Option<u64>)> {
        out.iter()
            .map(|frame| {
                let text = std::str::from_utf8(frame).unwrap();
                if text.starts_with(':') {
                    return ("comment".to_string(), None);
                }
                let name = text
                    .lines()
                    .next()
                    .unwrap()
                    .trim_start_matches("event: ")
                    .to_string();
                let id = text
                    .lines()
                    .find_map(|l| l.strip_prefix("id: "))
                    .map(|id| id.parse().unwrap());
                (name, id)
            })
            .collect()
    }

    fn names(events: &[(String, Option<u64>)]) -> Vec<String> {
        events.iter().map(|(name, _)| name.clone()).collect()
    }

    fn media_ids(events: &[(String, Option<u64>)]) -> Vec<u64> {
        events
            .iter()
            .filter(|(name, _)| name == "media")
            .map(|(_, id)| id.unwrap())
            .collect()
    }

    /// Publishes the real fragments `range`, 100 ms apart starting at `t0`, returning their ids.
    fn publish(hub: &Hub, range: std::ops::Range<usize>, t0: Instant) -> Vec<u64> {
        let (_, fragments) = real();
        range
            .map(|i| {
                hub.publish_at(
                    &fragments[i % fragments.len()],
                    t0 + Duration::from_millis(100 * i as u64),
                )
                .unwrap()
            })
            .collect()
    }

    #[test]
    fn a_late_viewer_starts_at_the_newest_keyframe_after_status_and_init() {
        let (init, fragments) = real();
        let hub = Hub::new(settings(), 1000);
        hub.publish_init(init);
        let t0 = Instant::now();
        let ids = publish(&hub, 0..fragments.len(), t0);
        let mut viewer = hub.subscribe(None, None, None);
        let got = drain(&mut viewer);
        assert_eq!(got[0].0, "status");
        assert_eq!(got[1].0, "viewers");
        assert_eq!(got[2].0, "init");
        let media = media_ids(&got);
        let newest_key = fragments.iter().rposition(|f| f.keyframe).unwrap();
        assert_eq!(media.first(), Some(&ids[newest_key]));
        assert_eq!(media.last(), ids.last());
        assert!(fragments[newest_key].keyframe);
        // Nothing more is owed until something new is published.
        assert!(drain(&mut viewer).is_empty());
        let next = publish(&hub, 0..1, t0 + Duration::from_secs(4));
        assert_eq!(media_ids(&drain(&mut viewer)), next);
    }

    #[test]
    fn keep_alive_comments_go_only_to_viewers_sent_nothing_since_the_last_beat() {
        let idle = Hub::new(settings(), 1);
        let mut viewer = idle.subscribe(None, None, None);
        assert_eq!(names(&drain(&mut viewer)), ["status", "viewers"]);
        // The opening events were sent in this period: no comment on its beat.
        idle.heartbeat();
        assert!(drain(&mut viewer).is_empty());
        // A whole period with nothing sent: a comment, once per beat.
        idle.heartbeat();
        assert_eq!(names(&drain(&mut viewer)), ["comment"]);
        assert!(drain(&mut viewer).is_empty());
        idle.heartbeat();
        assert_eq!(names(&drain(&mut viewer)), ["comment"]);

        // A viewer of a live channel is never sent a keep-alive: media keeps it busy.
        let live = live_hub(settings());
        let mut watching = live.subscribe(None, None, None);
        let t0 = Instant::now();
        for i in 0..5 {
            publish(&live, i..i + 1, t0);
            assert!(!names(&drain(&mut watching)).contains(&"comment".to_string()));
            live.heartbeat();
            assert!(!names(&drain(&mut watching)).contains(&"comment".to_string()));
        }
    }

    #[test]
    fn resume_with_last_event_id_has_no_gap_and_no_duplicate() {
        let hub = live_hub(settings());
        let t0 = Instant::now();
        let ids = publish(&hub, 0..20, t0);
        let mut first = hub.subscribe(None, None, None);
        let seen = media_ids(&drain(&mut first));
        drop(first);
        let more = publish(&hub, 20..25, t0);
        let last = *seen.last().unwrap();
        let mut again = hub.subscribe(Some(last), None, None);
        let got = drain(&mut again);
        assert_eq!(got[2].0, "init", "a new connection gets init before media");
        assert_eq!(media_ids(&got), more);
        // Not held any more: init again and the newest keyframe.
        let mut stale = hub.subscribe(Some(ids[0].saturating_sub(50)), None, None);
        let got = drain(&mut stale);
        assert_eq!(got[2].0, "init");
        let first_media = media_ids(&got)[0];
        assert!(is_keyframe(first_media));
    }

    #[test]
    fn a_resume_across_an_encoder_restart_gets_the_new_init_first() {
        let hub = live_hub(settings());
        let t0 = Instant::now();
        let before = publish(&hub, 0..5, t0);
        hub.publish_init(&real().0); // the encoder restarted
        let after = publish(&hub, 0..5, t0 + Duration::from_secs(1));
        assert_eq!(after[0], before[4] + 1, "ids keep counting across restarts");
        let mut viewer = hub.subscribe(Some(before[4]), None, None);
        let got = drain(&mut viewer);
        let init_at = got.iter().position(|(n, _)| n == "init").unwrap();
        let media_at = got.iter().position(|(n, _)| n == "media").unwrap();
        assert!(init_at < media_at);
        assert_eq!(media_ids(&got), after);
        // A viewer that was watching the old run gets the new init between the runs.
        let mut watching = hub.subscribe(Some(before[2]), None, None);
        let got = drain(&mut watching);
        let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names.iter().filter(|n| **n == "init").count(),
            2,
            "{names:?}"
        );
        assert_eq!(media_ids(&got), [&before[3..], &after[..]].concat());
    }

    #[test]
    fn a_stalled_viewer_skips_to_the_newest_keyframe_and_memory_stays_bounded() {
        let fragments = &real().1;
        let settings = HubSettings {
            max_held_bytes: 1 << 20,
            ..settings()
        };
        let hub = live_hub(settings.clone());
        let t0 = Instant::now();
        publish(&hub, 0..10, t0);
        let mut stalled = hub.subscribe(None, None, None);
        let mut keeping_up = hub.subscribe(None, None, None);
        drain(&mut stalled);
        drain(&mut keeping_up);
        // 60 s of stream while one viewer reads nothing.
        let mut peak = 0;
        for second in 0..60 {
            let ids = publish(&hub, 10 + second * 10..20 + second * 10, t0);
            assert_eq!(media_ids(&drain(&mut keeping_up)), ids);
            peak = peak.max(hub.held_bytes());
        }
        let gop: usize = fragments
            .iter()
            .map(|f| f.data.len() * 4 / 3 + 64)
            .take(30)
            .sum();
        assert!(peak <= settings.max_held_bytes + gop, "held {peak} bytes");
        let got = drain(&mut stalled);
        assert_eq!(
            got[0].0, "comment",
            "the skip is announced as a comment: {got:?}"
        );
        let media = media_ids(&got);
        assert!(
            media.len() <= 31,
            "skipped to the newest GOP, got {} fragments",
            media.len()
        );
        let first = media[0];
        assert!(is_keyframe(first), "resumes at a keyframe");
    }

    #[test]
    fn one_fragment_at_a_time_a_resumed_backlog_is_owed_but_falling_behind_is_skipped() {
        let hub = live_hub(settings());
        let t0 = Instant::now();
        let ids = publish(&hub, 0..50, t0);
        // Resuming 4.4 s back (more than the 2.5 s lag limit): every fragment, no skip.
        let mut viewer = hub.subscribe(Some(ids[5]), None, None);
        let mut got = Vec::new();
        loop {
            let mut out = VecDeque::new();
            assert_eq!(viewer.catch_up(&mut out, 1), 0);
            if out.is_empty() {
                break;
            }
            got.extend(parse(&out));
        }
        assert_eq!(media_ids(&got), ids[6..]);
        // Then the viewer stops reading while 5 s more arrive: its next fragment skips ahead.
        let later = publish(&hub, 50..100, t0);
        let mut out = VecDeque::new();
        assert!(viewer.catch_up(&mut out, 1) > 0);
        let got = parse(&out);
        assert_eq!(got[0].0, "comment");
        let first = media_ids(&got)[0];
        assert!(first > later[0], "skipped forward");
        assert!(is_keyframe(first));
    }

    #[test]
    fn viewer_counts_arrive_at_once_then_coalesced() {
        let hub = live_hub(settings());
        let mut first = hub.subscribe(None, Some("tab-a"), None);
        let count_in =
            |got: &[(String, Option<u64>)]| got.iter().filter(|(n, _)| n == "viewers").count();
        assert_eq!(
            count_in(&drain(&mut first)),
            1,
            "a new connection gets the count at once"
        );
        // The publication of the count it was already told is not sent again.
        hub.publish_viewer_count();
        assert_eq!(count_in(&drain(&mut first)), 0);
        // A burst of joins, one of them a reconnect of the first tab.
        let others: Vec<Viewer> = ["tab-b", "tab-c", "tab-a"]
            .map(|k| hub.subscribe(None, Some(k), None))
            .into();
        assert_eq!(hub.viewer_count(), 3);
        assert_eq!(
            count_in(&drain(&mut first)),
            0,
            "nothing until the count is published"
        );
        hub.publish_viewer_count();
        hub.publish_viewer_count();
        let got = drain(&mut first);
        assert_eq!(count_in(&got), 1, "one event for the whole burst: {got:?}");
        drop(others);
        hub.publish_viewer_count();
        assert_eq!(count_in(&drain(&mut first)), 1);
        assert_eq!(hub.viewer_count(), 1);
    }

    #[test]
    fn a_restart_is_told_as_reconnecting_and_keeps_the_live_since_time() {
        let hub = live_hub(settings());
        let went_live = hub.status().since_ms;
        let mut viewer = hub.subscribe(None, None, None);
        drain(&mut viewer);
        hub.go_reconnecting("the encoder stopped".into());
        assert_eq!(drain(&mut viewer), vec![("status".to_string(), None)]);
        let status = hub.status();
        assert_eq!(status.state, ChannelState::Reconnecting);
        assert_eq!(status.since_ms, went_live);
        hub.publish_init(&real().0);
        assert_eq!(hub.status().state, ChannelState::Live);
        assert_eq!(hub.status().since_ms, went_live, "live all along");
    }

    #[test]
    fn offline_drops_media_and_tells_viewers() {
        let hub = live_hub(settings());
        publish(&hub, 0..5, Instant::now());
        let mut viewer = hub.subscribe(None, None, None);
        drain(&mut viewer);
        hub.go_offline(Some("stopped".into()));
        let got = drain(&mut viewer);
        assert_eq!(got, vec![("status".to_string(), None)]);
        assert_eq!(hub.held_bytes(), 0);
        assert_eq!(hub.status().state, ChannelState::Offline);
        assert!(
            hub.publish(&real().1[0]).is_none(),
            "no media without an init"
        );
    }

    /// The chat events a viewer is owed now, as (event name, data).
    fn chat_of(viewer: &mut Viewer) -> Vec<(String, String)> {
        let mut out = VecDeque::new();
        viewer.catch_up(&mut out, 0);
        out.iter()
            .filter_map(|frame| {
                let text = std::str::from_utf8(frame).unwrap();
                let name = text.lines().find_map(|l| l.strip_prefix("event: "))?;
                let data = text.lines().find_map(|l| l.strip_prefix("data: "))?;
                name.starts_with("chat")
                    .then(|| (name.to_string(), data.to_string()))
            })
            .collect()
    }

    fn message(id: u64) -> ChatEvent {
        ChatEvent {
            id,
            author: "ana".into(),
            text: format!("message {id}"),
            sent_at: 1_700_000_000_000 + id,
        }
    }

    #[test]
    fn chat_reaches_every_viewer_once_in_one_order() {
        let hub = live_hub(settings());
        let mut a = hub.subscribe(None, None, None);
        let mut b = hub.subscribe(None, None, None);
        assert!(chat_of(&mut a).is_empty());
        for id in [1, 2, 3] {
            hub.publish_chat(&message(id));
        }
        hub.publish_chat_deleted(2);
        let seen_by_a = chat_of(&mut a);
        assert_eq!(seen_by_a, chat_of(&mut b), "one order for everybody");
        let names: Vec<&str> = seen_by_a.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["chat", "chat", "chat", "chat-deleted"]);
        assert_eq!(seen_by_a[3].1, r#"{"id":2}"#);
        assert!(chat_of(&mut a).is_empty(), "nothing twice");
        // A newcomer without a resume point gets only what comes next.
        let mut late = hub.subscribe(None, None, None);
        assert!(chat_of(&mut late).is_empty());
    }

    #[test]
    fn a_resumed_connection_gets_the_chat_it_missed_and_every_deletion() {
        let hub = live_hub(settings());
        for id in 1..=4 {
            hub.publish_chat(&message(id));
        }
        hub.publish_chat_deleted(1);
        let mut resumed = hub.subscribe(None, None, Some(2));
        let got = chat_of(&mut resumed);
        let got: Vec<(&str, &str)> = got.iter().map(|(n, d)| (n.as_str(), d.as_str())).collect();
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got[0].1.contains(r#""id":3"#) && got[1].1.contains(r#""id":4"#));
        assert_eq!(got[2], ("chat-deleted", r#"{"id":1}"#));
        // The hub holds a bounded number of chat events.
        for id in 5..(5 + CHAT_HELD as u64 * 2) {
            hub.publish_chat(&message(id));
        }
        let mut from_start = hub.subscribe(None, None, Some(0));
        assert_eq!(chat_of(&mut from_start).len(), CHAT_HELD);
    }
}
