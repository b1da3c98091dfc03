//! The player loop: SSE events into the media pipe, the video kept at the live edge, played
//! media trimmed, the latency measured from the prft boxes, and reconnection without reload.
//! Everything it creates (EventSource, MediaSource, closures, the timer) is released on drop.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::rc::{Rc, Weak};

use leptos::prelude::{RwSignal, Set, WithUntracked};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::HtmlVideoElement;

use super::chat_feed::{add_message, remove_message};
use super::live_events::{Incoming, LiveEvents};
use super::media_pipe::MediaPipe;
use crate::live::prft;
use crate::live::wire::{Ask, ChannelState, ChatEvent, PICKED_RUNG_KEY, VIEWER_KEY};
use crate::player::PlayerState;
use crate::player::live_edge::{LiveEdge, Steer};

/// Played media kept behind the playhead; trimming starts past this plus the slack.
const KEEP_PLAYED_SECS: f64 = 30.0;
const TRIM_SLACK_SECS: f64 = 10.0;
const TICK_MS: i32 = 250;
const RECONNECT_MS: f64 = 1500.0;
/// Clock samples (from prft boxes) kept to map media time to wall time.
const CLOCK_SAMPLES: usize = 64;

/// The UI state the player writes.
#[derive(Clone, Copy)]
pub struct Signals {
    pub state: RwSignal<PlayerState>,
    pub latency: RwSignal<Option<f64>>,
    pub error: RwSignal<Option<String>>,
    pub viewers: RwSignal<usize>,
    /// The chat log, where the page shows chat (messages in arrival order, no duplicates).
    pub chat: Option<RwSignal<Vec<ChatEvent>>>,
    /// The rung of the quality ladder playing now, and every rung the broadcast is made in.
    pub rung: RwSignal<Option<String>>,
    pub rungs: RwSignal<Vec<String>>,
}

/// Media time `media_secs` was produced at `wall_ms`.
struct ClockSample {
    media_secs: f64,
    wall_ms: f64,
}

struct Core {
    video: HtmlVideoElement,
    /// The events address with this tab's viewer key (the player's ask follows it).
    url: String,
    ask: Ask,
    /// The rung and MIME type of the init segment the pipe decodes with now.
    rung: Option<String>,
    mime: Option<String>,
    signals: Signals,
    events: Option<LiveEvents>,
    pipe: Option<MediaPipe>,
    epoch: Option<u64>,
    timescales: BTreeMap<u32, u32>,
    last_id: Option<u64>,
    clock: VecDeque<ClockSample>,
    edge: LiveEdge,
    reconnect_at: Option<f64>,
    myself: Weak<RefCell<Core>>,
}

pub struct LivePlayer {
    core: Rc<RefCell<Core>>,
    timer: i32,
    _tick: Closure<dyn FnMut()>,
}

impl LivePlayer {
    /// Starts playing channel `url` (its `/live/{channel}/events` address) into `video`; as
    /// the owner's `preview` in the studio, not counted as a viewer.
    pub fn start(video: HtmlVideoElement, url: String, signals: Signals, preview: bool) -> Self {
        video.set_muted(true);
        let url = if preview {
            format!("{url}?preview=1")
        } else {
            format!("{url}?viewer={}", viewer_key())
        };
        let core = Rc::new_cyclic(|myself| {
            RefCell::new(Core {
                video,
                url,
                ask: own_ask(),
                rung: None,
                mime: None,
                signals,
                events: None,
                pipe: None,
                epoch: None,
                timescales: BTreeMap::new(),
                last_id: None,
                clock: VecDeque::new(),
                edge: LiveEdge::new(js_sys::Date::now()),
                reconnect_at: None,
                myself: myself.clone(),
            })
        });
        core.borrow_mut().connect();
        let tick = {
            let core = Rc::downgrade(&core);
            Closure::<dyn FnMut()>::new(move || {
                if let Some(core) = core.upgrade() {
                    core.borrow_mut().tick();
                }
            })
        };
        let timer = web_sys::window()
            .and_then(|w| {
                w.set_interval_with_callback_and_timeout_and_arguments_0(
                    tick.as_ref().unchecked_ref(),
                    TICK_MS,
                )
                .ok()
            })
            .unwrap_or(0);
        Self {
            core,
            timer,
            _tick: tick,
        }
    }
}

impl LivePlayer {
    /// The viewer picked `rung` in the quality menu (None: Auto). Remembered in this browser;
    /// the stream reconnects asking for it, resuming after the last fragment it has, and the
    /// server moves it there at the next keyframe.
    pub fn pick(&self, rung: Option<String>) {
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = match &rung {
                Some(rung) => storage.set_item(PICKED_RUNG_KEY, rung),
                None => storage.remove_item(PICKED_RUNG_KEY),
            };
        }
        let mut core = self.core.borrow_mut();
        if core.ask.pick == rung {
            return;
        }
        core.ask.pick = rung;
        core.events = None;
        core.connect();
    }
}

impl Drop for LivePlayer {
    fn drop(&mut self) {
        if let Some(window) = web_sys::window() {
            window.clear_interval_with_handle(self.timer);
        }
        let mut core = self.core.borrow_mut();
        core.events = None;
        core.pipe = None;
        let _ = core.video.remove_attribute("src");
        core.video.load();
    }
}

impl Core {
    /// Opens the event stream, resuming after the last fragment we have.
    fn connect(&mut self) {
        let mut url = format!("{}{}", self.url, self.ask.query());
        if let Some(id) = self.last_id {
            url.push_str(&format!("&last_event_id={id}"));
        }
        if let Some(chat) = self.signals.chat {
            // Chat after the newest message we have (none missed between page and stream).
            let newest = chat.with_untracked(|log| log.iter().map(|m| m.id).max().unwrap_or(0));
            url.push_str(&format!("&chat_after={newest}"));
        }
        let core = self.myself.clone();
        let deliver = Rc::new(move |incoming: Incoming| {
            if let Some(core) = core.upgrade() {
                core.borrow_mut().on_event(incoming);
            }
        });
        match LiveEvents::open(&url, deliver) {
            Ok(events) => self.events = Some(events),
            Err(err) => {
                self.signals.error.set(Some(err));
                self.reconnect_at = Some(js_sys::Date::now() + RECONNECT_MS);
            }
        }
    }

    fn on_event(&mut self, incoming: Incoming) {
        match incoming {
            Incoming::Open => self.reconnect_at = None,
            Incoming::Status(status) => match status.state {
                ChannelState::Live => self.signals.state.set(PlayerState::Live),
                ChannelState::Reconnecting => {
                    self.signals.state.set(PlayerState::Reconnecting);
                    self.signals.latency.set(None);
                }
                ChannelState::Offline => {
                    self.signals.state.set(PlayerState::Offline);
                    self.signals.latency.set(None);
                }
            },
            Incoming::Viewers(viewers) => self.signals.viewers.set(viewers.count),
            Incoming::Chat(message) => {
                if let Some(chat) = self.signals.chat {
                    add_message(chat, message);
                }
            }
            Incoming::ChatDeleted(deleted) => {
                if let Some(chat) = self.signals.chat {
                    remove_message(chat, deleted.id);
                }
            }
            Incoming::Init { event, data, early } => {
                self.timescales = event.timescales;
                self.signals.rungs.set(event.rungs);
                if self.epoch == Some(event.epoch)
                    && let Some(pipe) = &self.pipe
                {
                    if self.rung.as_deref() == Some(&event.rung) {
                        return; // the same run and rung, after a reconnect: keep playing
                    }
                    // Another rung of the same run: the same timeline, so its init goes into
                    // the same buffer, and media continues where the last rung's ended. Only
                    // between sound alone and a picture do the tracks differ: a new pipe then.
                    if self.mime.as_deref().map(has_picture) == Some(has_picture(&event.mime)) {
                        pipe.switch(&event.mime, data);
                        self.edge.switched();
                        self.mime = Some(event.mime);
                        self.signals.rung.set(Some(event.rung.clone()));
                        self.rung = Some(event.rung);
                        return;
                    }
                }
                self.pipe = None;
                self.clock.clear();
                self.edge.restart();
                let pipe = match early {
                    Some(early) => Ok(MediaPipe::adopt(early)),
                    None => MediaPipe::new(&self.video, &event.mime, data),
                };
                match pipe {
                    Ok(pipe) => {
                        self.pipe = Some(pipe);
                        self.epoch = Some(event.epoch);
                        self.signals.rung.set(Some(event.rung.clone()));
                        self.rung = Some(event.rung);
                        self.mime = Some(event.mime);
                        self.signals.error.set(None);
                    }
                    Err(err) => self.signals.error.set(Some(err)),
                }
            }
            Incoming::Media { id, data, appended } => {
                self.last_id = id.or(self.last_id);
                if let Some(sample) = prft::find(&data).and_then(|p| {
                    let scale = *self.timescales.get(&p.track_id)?;
                    Some(ClockSample {
                        media_secs: p.media_time as f64 / scale as f64,
                        wall_ms: p.unix_ms,
                    })
                }) {
                    if self.clock.len() == CLOCK_SAMPLES {
                        self.clock.pop_front();
                    }
                    self.clock.push_back(sample);
                }
                if let Some(pipe) = &self.pipe {
                    if let Some((_, end)) = pipe.buffered().last().copied() {
                        let video = &self.video;
                        let playing = !video.paused() && video.played().length() > 0;
                        let now = js_sys::Date::now();
                        self.edge
                            .on_arrival(end, video.current_time(), playing, now);
                    }
                    // The page's script appended the first media of the source it opened.
                    if !(appended && pipe.adopted()) {
                        pipe.append(data);
                    }
                }
                // Not playing yet (a new viewer, or after a new init): start as soon as the
                // buffered media allows, not at the next tick, up to 250 ms later.
                if self.video.paused() {
                    self.tick();
                }
            }
            Incoming::Error { closed } => {
                self.signals.state.set(PlayerState::Reconnecting);
                self.signals.latency.set(None);
                if closed {
                    // The browser gave up; reconnect ourselves, resuming after `last_id`.
                    self.events = None;
                    self.reconnect_at = Some(js_sys::Date::now() + RECONNECT_MS);
                }
            }
        }
    }

    /// Runs every `TICK_MS`: reconnect, live edge, trimming, latency.
    fn tick(&mut self) {
        if self
            .reconnect_at
            .is_some_and(|at| js_sys::Date::now() >= at)
        {
            self.reconnect_at = None;
            self.connect();
        }
        let Some(pipe) = &self.pipe else { return };
        if let Some(failure) = pipe.failure() {
            // A refused append: start over with a clean pipe on the next init.
            self.signals.error.set(Some(failure));
            self.pipe = None;
            self.epoch = None;
            self.events = None;
            self.reconnect_at = Some(js_sys::Date::now());
            return;
        }
        let ranges = pipe.buffered();
        let (Some(first), Some(last)) = (ranges.first().copied(), ranges.last().copied()) else {
            return;
        };
        let video = &self.video;
        let now = video.current_time();
        // Waiting at the very end of the buffer is fine; outside every range is not.
        let in_range = ranges
            .iter()
            .any(|(s, e)| now >= *s - 0.05 && now <= *e + 0.05);
        match self.edge.steer(last.1, now, in_range) {
            Steer::Seek(at) => {
                video.set_current_time(at.max(last.0));
                video.set_playback_rate(1.0);
            }
            Steer::Rate(rate) => {
                if video.playback_rate() != rate {
                    video.set_playback_rate(rate);
                }
            }
        }
        if video.paused() {
            let _ = video.play();
        }
        if now - first.0 > KEEP_PLAYED_SECS + TRIM_SLACK_SECS {
            pipe.remove(first.0, now - KEEP_PLAYED_SECS);
        }
        self.signals.latency.set(self.latency_at(now));
    }

    /// Seconds between the producer's wall clock for the frame at `media_secs` and now.
    fn latency_at(&self, media_secs: f64) -> Option<f64> {
        let sample = self
            .clock
            .iter()
            .rev()
            .find(|s| s.media_secs <= media_secs)?;
        let produced_ms = sample.wall_ms + (media_secs - sample.media_secs) * 1000.0;
        let latency = (js_sys::Date::now() - produced_ms) / 1000.0;
        (latency.is_finite() && latency > -1.0).then_some(latency.max(0.0))
    }
}

/// Whether a MIME type's codecs include a picture (sound alone has none).
fn has_picture(mime: &str) -> bool {
    mime.contains("avc1")
}

/// What this player asks of the rungs: no taller picture than the page can show (its width at
/// 16:9, in device pixels), the rung picked here before, and a low start where the browser
/// says to save data. The page's early script asks the same (`components/early_start.js`).
fn own_ask() -> Ask {
    let window = web_sys::window();
    let max_height = window.as_ref().and_then(|w| {
        let width = w.inner_width().ok()?.as_f64()?;
        let height = (width * w.device_pixel_ratio() * 9.0 / 16.0).ceil();
        (height >= 1.0).then_some(height as u32)
    });
    let pick = window
        .as_ref()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(PICKED_RUNG_KEY).ok().flatten())
        .filter(|p| !p.is_empty() && p.len() <= 16 && p.chars().all(|c| c.is_ascii_alphanumeric()));
    let connection = window
        .as_ref()
        .and_then(|w| js_sys::Reflect::get(&w.navigator(), &"connection".into()).ok())
        .filter(|c| c.is_object());
    let start_low = connection.is_some_and(|c| {
        let save = js_sys::Reflect::get(&c, &"saveData".into()).ok();
        let kind = js_sys::Reflect::get(&c, &"effectiveType".into())
            .ok()
            .and_then(|k| k.as_string())
            .unwrap_or_default();
        save.is_some_and(|s| s.is_truthy()) || kind.ends_with("2g")
    });
    Ask {
        max_height,
        pick,
        start_low,
    }
}

/// This tab's viewer key: random, kept in sessionStorage for the tab's life.
fn viewer_key() -> String {
    let storage = web_sys::window().and_then(|w| w.session_storage().ok().flatten());
    if let Some(key) = storage
        .as_ref()
        .and_then(|s| s.get_item(VIEWER_KEY).ok().flatten())
    {
        return key;
    }
    let key: String = (0..4)
        .map(|_| format!("{:08x}", (js_sys::Math::random() * 4_294_967_296.0) as u32))
        .collect();
    if let Some(storage) = storage {
        let _ = storage.set_item(VIEWER_KEY, &key);
    }
    key
}
