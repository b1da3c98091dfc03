//! The per-channel fan-out hub. The encoder publishes init segments and fragments; each is
//! framed as an SSE event once and the same bytes go to every viewer.
//!
//! One lock and one wake-up carry three logs, each with its own rule and file:
//! - `media`: the media timeline (always the current GOP, evicted by age and bytes);
//! - `latest`: the channel's status and its viewer count, newest version only;
//! - `chat`: the latest chat events, in one order.
//!
//! A [`Viewer`] is a cursor into all of them, so a new viewer starts at the newest keyframe at
//! once, a reconnect with `Last-Event-ID` resumes without gap or duplicate while the fragment is
//! still held, and a reader that falls behind skips forward to the newest keyframe. Memory
//! depends on the logs' bounds, never on how slowly anyone reads. A viewer's stream waits on one
//! thing, the wake-up: keep-alive beats and shutdown arrive the same way, so it holds no timer.

mod chat;
mod latest;
mod media;

pub use self::media::RungInfo;
#[cfg(test)]
mod rung_tests;
#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::watch;

use self::chat::{ChatCursor, ChatRing};
use self::latest::{Latest, LatestCursor};
use self::media::{Encoded, MediaCursor, MediaTimeline};
use super::audience::{Audience, Seat};
use super::frame;
use super::outbox::Outbox;
use super::splitter::{Fragment, InitSegment};
use super::wire::{Ask, ChannelState, ChatDeletedEvent, ChatEvent, StatusEvent, ViewersEvent};
use crate::clock::now_ms;
use crate::renditions::chooser::LinkReading;
use crate::renditions::ladder::MAX_RUNGS;

/// How much the hub holds and how far behind a viewer may fall.
#[derive(Clone, Debug)]
pub struct HubConfig {
    /// Fragments younger than this stay available for resuming viewers.
    pub hold: Duration,
    /// Upper bound on held fragment bytes.
    pub max_held_bytes: usize,
    /// A viewer further behind the newest fragment than this skips to the newest keyframe.
    pub max_lag: Duration,
}

pub struct Hub {
    logs: RwLock<Logs>,
    changed: watch::Sender<u64>,
    settings: HubConfig,
    audience: Arc<Audience>,
    viewers_elsewhere: AtomicUsize,
    /// Set once, at server shutdown: every viewer's stream ends.
    closed: AtomicBool,
    /// Per rung of the current ladder: viewers on it here, and bytes of it sent.
    rung_viewers: [AtomicUsize; MAX_RUNGS],
    rung_bytes: [AtomicU64; MAX_RUNGS],
    /// Per rung: bytes of fragments this hub took in (made here, or relayed).
    rung_received: [AtomicU64; MAX_RUNGS],
    /// Per rung: when (ms) a viewer here last wanted it while the hub held nothing of it.
    rung_wanted: [AtomicU64; MAX_RUNGS],
}

/// One rung as the studio and `/metrics` see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RungFigures {
    pub name: String,
    /// Viewers on it on this instance now.
    pub viewers: usize,
    /// Bytes of it sent to viewers here since the server started (any run).
    pub bytes_sent: u64,
    /// Bytes of its fragments taken in here since the server started: made here, or relayed
    /// from another instance (a relay takes only the rungs it needs, see `cluster::relay`).
    pub bytes_received: u64,
}

/// Everything the hub carries, under its one lock.
struct Logs {
    status: Latest<StatusEvent>,
    viewers: Latest<ViewersEvent>,
    chat: ChatRing,
    media: MediaTimeline,
    /// Counts keep-alive beats; a viewer sent nothing since the last beat gets a comment.
    heartbeat: u64,
}

impl Logs {
    fn set_status(&mut self, state: ChannelState, since_ms: u64, reason: Option<String>) {
        self.status.set(StatusEvent {
            state,
            since_ms,
            reason,
        });
    }

    fn state(&self) -> ChannelState {
        self.status.value().state
    }
}

impl Hub {
    /// A hub whose first fragment gets id `first_id`. Starting ids at the creation time in
    /// milliseconds keeps them from repeating across server restarts.
    pub fn new(settings: HubConfig, first_id: u64) -> Arc<Self> {
        let offline = StatusEvent {
            state: ChannelState::Offline,
            since_ms: now_ms(),
            reason: None,
        };
        Arc::new(Self {
            logs: RwLock::new(Logs {
                status: Latest::new("status", offline),
                viewers: Latest::new("viewers", ViewersEvent { count: 0 }),
                chat: ChatRing::default(),
                media: MediaTimeline::new(first_id),
                heartbeat: 0,
            }),
            changed: watch::channel(0).0,
            settings,
            audience: Arc::default(),
            viewers_elsewhere: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            rung_viewers: Default::default(),
            rung_bytes: Default::default(),
            rung_wanted: Default::default(),
            rung_received: Default::default(),
        })
    }

    /// A new encoder run of one rung begins: later fragments decode with `init`. Puts the
    /// channel live. Returns the run's epoch.
    pub fn publish_init(&self, init: &InitSegment) -> u64 {
        let epoch = self.begin_run(RungInfo::source_only());
        self.publish_rung_init(0, init);
        epoch
    }

    /// A new encoder run begins, made in `ladder`'s rungs (from the top); each rung's init
    /// segment follows. Returns the run's epoch.
    pub fn begin_run(&self, ladder: Arc<[RungInfo]>) -> u64 {
        self.write().media.begin_run(ladder, None)
    }

    /// Later fragments of `rung` decode with `init`. The first init of a run puts the channel
    /// live.
    pub fn publish_rung_init(&self, rung: usize, init: &InitSegment) {
        let mut logs = self.write();
        if logs.media.set_init(rung, init) {
            Self::go_live(&mut logs);
        }
        drop(logs);
        self.notify();
    }

    /// A rung's init of a run another instance publishes, under its epoch and ladder (see
    /// `cluster`): viewers who move between instances keep playing a run they already have.
    pub fn publish_relayed_init(
        &self,
        rung: usize,
        init: &InitSegment,
        epoch: u64,
        ladder: Arc<[RungInfo]>,
    ) {
        let mut logs = self.write();
        if logs.media.epoch() != epoch || *logs.media.ladder() != ladder {
            logs.media.begin_run(ladder, Some(epoch));
        }
        if logs.media.set_init(rung, init) {
            Self::go_live(&mut logs);
        }
        drop(logs);
        self.notify();
    }

    /// The channel is live from now, or still live after reconnecting.
    fn go_live(logs: &mut Logs) {
        match logs.state() {
            ChannelState::Live => {}
            // Back from reconnecting, the channel has been live since it first went live.
            ChannelState::Reconnecting => {
                let since_ms = logs.status.value().since_ms;
                logs.set_status(ChannelState::Live, since_ms, None);
            }
            ChannelState::Offline => logs.set_status(ChannelState::Live, now_ms(), None),
        }
    }

    /// Adds a fragment of the current run's top rung; returns its id (None before its init).
    pub fn publish(&self, fragment: &Fragment) -> Option<u64> {
        self.publish_rung(0, fragment)
    }

    /// Adds a fragment of `rung` of the current run; returns its id, the next of the one
    /// sequence all rungs share (None before the rung's init).
    pub fn publish_rung(&self, rung: usize, fragment: &Fragment) -> Option<u64> {
        self.push(rung, fragment, None, Instant::now())
    }

    /// [`Hub::publish`] with the arrival time given (tests replay time with it).
    #[cfg(test)]
    pub(crate) fn publish_at(
        &self,
        rung: usize,
        fragment: &Fragment,
        received: Instant,
    ) -> Option<u64> {
        self.push(rung, fragment, None, received)
    }

    /// A fragment of `rung` another instance published as `id` (see `cluster`): viewers here
    /// know it by the same id, so one who moves between instances resumes without gap or
    /// repeat. Ids at or below the rung's newest held are dropped.
    pub fn publish_relayed(&self, rung: usize, fragment: &Fragment, id: u64) -> Option<u64> {
        self.push(rung, fragment, Some(id), Instant::now())
    }

    fn push(
        &self,
        rung: usize,
        fragment: &Fragment,
        id: Option<u64>,
        received: Instant,
    ) -> Option<u64> {
        let encoded = Encoded::of(fragment);
        let id = self
            .write()
            .media
            .push(rung, fragment, &encoded, id, received, &self.settings)?;
        if let Some(counter) = self.rung_received.get(rung) {
            counter.fetch_add(fragment.data.len() as u64, Ordering::Relaxed);
        }
        self.notify();
        Some(id)
    }

    /// Drops held media and keeps the status (a relay stopped: nobody keeps the media current).
    pub fn forget_media(&self) {
        self.write().media.clear();
        self.notify();
    }

    /// This instance becomes the channel's origin (see `cluster`): its ids continue above any
    /// id another instance gave. Ids start at a hub's creation time in ms and grow by one per
    /// fragment (a few a second), so they stay below the clock: starting from the clock now is
    /// past every id given before.
    pub fn take_over_ids(&self) {
        self.write().media.skip_ids_to(now_ms());
    }

    /// Takes the status another instance reports for this channel (its origin), when it
    /// differs from the one held. Going offline drops held media, as [`Hub::go_offline`] does.
    pub fn relay_status(&self, status: StatusEvent) {
        let mut logs = self.write();
        if *logs.status.value() == status {
            return;
        }
        if status.state == ChannelState::Offline {
            logs.media.clear();
        }
        logs.status.set(status);
        drop(logs);
        self.notify();
    }

    /// The channel goes off air: held media is dropped, viewers stay connected.
    pub fn go_offline(&self, reason: Option<String>) {
        let mut logs = self.write();
        logs.media.clear();
        logs.set_status(ChannelState::Offline, now_ms(), reason);
        drop(logs);
        self.notify();
    }

    /// The encoder died and is being restarted: viewers are told, and keep what they have
    /// until the new run's init arrives. The channel counts as live since it went live.
    pub fn go_reconnecting(&self, reason: String) {
        let mut logs = self.write();
        let since_ms = match logs.state() {
            ChannelState::Offline => now_ms(),
            _ => logs.status.value().since_ms,
        };
        logs.set_status(ChannelState::Reconnecting, since_ms, Some(reason));
        drop(logs);
        self.notify();
    }

    pub fn status(&self) -> StatusEvent {
        self.read().status.value().clone()
    }

    /// The current run's ladder, from the top.
    pub fn ladder(&self) -> Arc<[RungInfo]> {
        self.read().media.ladder().clone()
    }

    /// Whether the current run is made without a picture (its source is sound alone).
    pub fn sound_alone(&self) -> bool {
        self.read()
            .media
            .ladder()
            .iter()
            .all(RungInfo::is_sound_alone)
    }

    /// Each rung of the current ladder: viewers on it here and bytes of it sent.
    pub fn rung_figures(&self) -> Vec<RungFigures> {
        self.ladder()
            .iter()
            .zip(self.rung_viewers.iter().zip(&self.rung_bytes))
            .zip(&self.rung_received)
            .map(|((rung, (viewers, bytes)), received)| RungFigures {
                name: rung.name.clone(),
                viewers: viewers.load(Ordering::Relaxed),
                bytes_sent: bytes.load(Ordering::Relaxed),
                bytes_received: received.load(Ordering::Relaxed),
            })
            .collect()
    }

    /// Whether a viewer here is on `rung`, or wanted it in the last `within` while the hub
    /// held nothing of it (a relay then takes it, see `cluster::relay`).
    pub fn rung_in_use(&self, rung: usize, within: Duration) -> bool {
        let on = self
            .rung_viewers
            .get(rung)
            .is_some_and(|v| v.load(Ordering::Relaxed) > 0);
        let wanted = self
            .rung_wanted
            .get(rung)
            .map_or(0, |w| w.load(Ordering::Relaxed));
        on || now_ms().saturating_sub(wanted) < within.as_millis() as u64
    }

    /// Drops what is held of `rung`: a relay stopped taking it.
    pub fn forget_rung(&self, rung: usize) {
        self.write().media.forget_rung(rung);
    }

    /// The init segment and the newest keyframe fragment of the lowest rung with a picture,
    /// raw: together a decodable picture of the stream right now. None while offline or
    /// before the first keyframe.
    pub fn snapshot(&self) -> Option<(Bytes, Bytes)> {
        self.read().media.snapshot()
    }

    /// Bytes of framed fragments held right now.
    pub fn held_bytes(&self) -> usize {
        self.read().media.held_bytes()
    }

    /// Distinct viewers watching now: here, and on the other instances of a cluster.
    pub fn viewer_count(&self) -> usize {
        self.audience.count() + self.viewers_elsewhere.load(Ordering::Relaxed)
    }

    /// Distinct viewers watching on this instance.
    pub fn viewers_here(&self) -> usize {
        self.audience.count()
    }

    /// How many watch on the other instances of a cluster (see `cluster::counts`).
    pub fn set_viewers_elsewhere(&self, count: usize) {
        self.viewers_elsewhere.store(count, Ordering::Relaxed);
    }

    /// Tells viewers the count if it changed since it was last told. Called once a second, so a
    /// burst of joins makes one event.
    pub fn publish_viewer_count(&self) {
        let count = self.viewer_count();
        let mut logs = self.write();
        if logs.viewers.value().count == count {
            return;
        }
        logs.viewers.set(ViewersEvent { count });
        drop(logs);
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
        self.write().chat.push(message_id, frame);
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
        let seat = self.audience.join(key);
        self.reader(last_event_id, Some(seat), chat_after, false)
    }

    /// The owner's preview in the studio: the media and chat [`Hub::subscribe`] sends, without
    /// a seat in the audience (a broadcaster watching themselves is not a viewer).
    pub fn subscribe_preview(
        self: &Arc<Self>,
        last_event_id: Option<u64>,
        chat_after: Option<u64>,
    ) -> Viewer {
        self.reader(last_event_id, None, chat_after, false)
    }

    /// A reader of the chat alone (a chat overlay in a broadcaster's scene): the channel's
    /// status and its chat, as [`Hub::subscribe`] sends them, and no media. It is not a viewer:
    /// it takes no seat in the audience and is never counted on a rung.
    pub fn subscribe_chat(self: &Arc<Self>, chat_after: Option<u64>) -> Viewer {
        self.reader(None, None, chat_after, true)
    }

    fn reader(
        self: &Arc<Self>,
        last_event_id: Option<u64>,
        seat: Option<Seat>,
        chat_after: Option<u64>,
        chat_only: bool,
    ) -> Viewer {
        let chat = ChatCursor::new(&self.read().chat, chat_after);
        Viewer {
            seat,
            hub: Arc::clone(self),
            // Subscribed before any catch-up reads the logs, so no change can slip between.
            changed: self.changed.subscribe(),
            status: LatestCursor::default(),
            viewers: LatestCursor::default(),
            viewers_sent: 0,
            chat,
            media: MediaCursor::new(last_event_id),
            chat_only,
            counted: None,
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

    fn read(&self) -> RwLockReadGuard<'_, Logs> {
        self.logs
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Logs> {
        self.logs
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One viewer: a cursor into each of the hub's logs.
pub struct Viewer {
    hub: Arc<Hub>,
    changed: watch::Receiver<u64>,
    status: LatestCursor,
    viewers: LatestCursor,
    /// The count this connection last sent, so a publication of the same number is skipped.
    viewers_sent: usize,
    chat: ChatCursor,
    media: MediaCursor,
    /// Reads the chat alone ([`Hub::subscribe_chat`]): no media, no viewer counts.
    chat_only: bool,
    /// The rung this viewer is counted on (see [`Hub::rung_figures`]).
    counted: Option<usize>,
    /// The hub's keep-alive beat this connection last saw, and whether it was sent anything
    /// since.
    heartbeat_seen: u64,
    sent_since_heartbeat: bool,
    /// This connection's place in the audience (until taken by its stream, see
    /// [`Viewer::take_seat`]).
    seat: Option<Seat>,
}

impl Viewer {
    /// Appends to `out` the frames this viewer is owed now, up to `max_fragments` media
    /// fragments (with any status, init or notice before them); returns how many fragments it
    /// skipped to catch up with the live edge. A connection takes one fragment at a time, so the
    /// lag check runs before every fragment it sends and it holds no backlog of its own.
    pub fn catch_up(&mut self, out: &mut Outbox, max_fragments: usize) -> u64 {
        let before = out.len();
        let (skipped, heartbeat) = self.owed(out, max_fragments);
        let sent_now = out.len() > before;
        if heartbeat != self.heartbeat_seen {
            if !self.sent_since_heartbeat && !sent_now {
                out.push(Bytes::from_static(frame::KEEP_ALIVE));
            }
            self.heartbeat_seen = heartbeat;
            self.sent_since_heartbeat = false;
        } else if sent_now {
            self.sent_since_heartbeat = true;
        }
        skipped
    }

    /// What [`catch_up`](Self::catch_up) sends apart from keep-alives, log by log, and the
    /// hub's current keep-alive beat (read under the same lock).
    fn owed(&mut self, out: &mut Outbox, max_fragments: usize) -> (u64, u64) {
        let logs = self.hub.read();
        if let Some(status) = self.status.owed(&logs.status) {
            out.push(status.frame().clone());
        }
        if self.chat_only {
            self.chat.owed(&logs.chat, out);
            return (0, logs.heartbeat);
        }
        if self.viewers.is_new() {
            // The count right now (this viewer included), not the one last published.
            self.viewers.owed(&logs.viewers);
            self.viewers_sent = self.hub.viewer_count();
            let now = ViewersEvent {
                count: self.viewers_sent,
            };
            out.push(logs.viewers.frame_of(&now));
        } else if let Some(viewers) = self.viewers.owed(&logs.viewers)
            && viewers.value().count != self.viewers_sent
        {
            out.push(viewers.frame().clone());
            self.viewers_sent = viewers.value().count;
        }
        self.chat.owed(&logs.chat, out);
        let before = out.len();
        let skipped = self
            .media
            .owed(&logs.media, out, max_fragments, self.hub.settings.max_lag);
        let heartbeat = logs.heartbeat;
        drop(logs);
        if let Some(wanted) = self.media.wants().and_then(|r| self.hub.rung_wanted.get(r)) {
            wanted.store(now_ms(), Ordering::Relaxed);
        }
        if out.len() > before {
            self.count_on(self.media.rung());
            let bytes = out.bytes_from(before);
            if let Some(counter) = self.hub.rung_bytes.get(self.media.rung()) {
                counter.fetch_add(bytes as u64, Ordering::Relaxed);
            }
        }
        (skipped, heartbeat)
    }

    /// Counts this viewer on `rung` (and no longer on the one before).
    fn count_on(&mut self, rung: usize) {
        if self.counted == Some(rung) {
            return;
        }
        if let Some(before) = self.counted.and_then(|r| self.hub.rung_viewers.get(r)) {
            before.fetch_sub(1, Ordering::Relaxed);
        }
        if let Some(now) = self.hub.rung_viewers.get(rung) {
            now.fetch_add(1, Ordering::Relaxed);
        }
        self.counted = Some(rung);
    }

    /// What the player asks of the rungs (its size, a rung picked by hand); before the first
    /// catch-up.
    pub fn set_ask(&mut self, ask: Ask) {
        self.media.set_ask(ask);
    }

    /// A new figure of what its link carries, as the kernel measured it on its connection
    /// (see `server::link`).
    pub fn link_carries(&mut self, reading: LinkReading) {
        self.media.link_carries(reading);
    }

    /// The rung it is on.
    pub fn rung(&self) -> usize {
        self.media.rung()
    }

    /// Waits until the hub has something new; false when the hub is gone.
    pub async fn changed(&mut self) -> bool {
        self.changed.changed().await.is_ok()
    }

    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    /// This connection's place in the audience, for a stream that may have to give it up
    /// before it ends (a stalled reader stops counting); it counts as long as it is held.
    pub fn take_seat(&mut self) -> Option<Seat> {
        self.seat.take()
    }
}

impl Drop for Viewer {
    fn drop(&mut self) {
        if let Some(counted) = self.counted.and_then(|r| self.hub.rung_viewers.get(r)) {
            counted.fetch_sub(1, Ordering::Relaxed);
        }
    }
}
