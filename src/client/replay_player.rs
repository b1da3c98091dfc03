//! The replay's player loop: reads the recording's index, then keeps about `AHEAD_SECS` of it
//! buffered ahead of the playhead, one segment at a time over HTTP (cacheable, see
//! `server::recordings`), each moved to its place on the recording's timeline
//! (`timestampOffset`) in the same MediaSource queue the live player uses. A seek outside what
//! is buffered drops the buffer and starts again at the segment holding the new time; a run's
//! init segment is appended before its first segment (with `changeType` when its type differs).
//! While the broadcast is still recorded, the index is read again as the playhead nears its end.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::HtmlVideoElement;

use super::media_pipe::MediaPipe;
use crate::recordings::api::{RecordingState, ReplayIndex};

/// Media kept buffered ahead of the playhead.
const AHEAD_SECS: f64 = 12.0;
/// Media kept behind the playhead; older media is removed.
const BEHIND_SECS: f64 = 30.0;
const TICK_MS: i32 = 200;
/// How often the index of a recording still being written is read again.
const REFRESH_MS: f64 = 3_000.0;

/// What the page shows of the replay.
#[derive(Clone, Copy)]
pub struct ReplaySignals {
    /// The playhead on the recording's timeline, seconds.
    pub position: RwSignal<f64>,
    /// How long the recording plays, seconds (it grows while recorded).
    pub duration: RwSignal<f64>,
    pub playing: RwSignal<bool>,
    pub error: RwSignal<Option<String>>,
    /// Playback started muted (the browser refused sound without a click).
    pub muted: RwSignal<bool>,
    /// Where each segment starts (ms) and its number: the seek bar's previews.
    pub segments: RwSignal<Vec<(i64, i64)>>,
}

fn starts(index: &ReplayIndex) -> Vec<(i64, i64)> {
    index
        .segments
        .iter()
        .map(|s| (s.at_ms(), s.seq()))
        .collect()
}

struct Shared {
    video: HtmlVideoElement,
    id: i64,
    signals: ReplaySignals,
    /// A seek asked for, seconds.
    seek: Cell<Option<f64>>,
    stopped: Cell<bool>,
    /// Ends the loop's wait between ticks (a seek is served at once).
    wake: RefCell<Option<js_sys::Function>>,
}

impl Shared {
    /// Waits `ms`, or less if woken.
    async fn pause(&self, ms: i32) {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            if let Some(window) = web_sys::window() {
                let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
            }
            *self.wake.borrow_mut() = Some(resolve);
        });
        let _ = JsFuture::from(promise).await;
        self.wake.borrow_mut().take();
    }

    fn wake(&self) {
        if let Some(resolve) = self.wake.borrow_mut().take() {
            let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
        }
    }
}

/// A running replay; it stops when dropped.
pub struct ReplayPlayer {
    shared: Rc<Shared>,
}

impl ReplayPlayer {
    /// Plays recording `id` into `video`, from `start` seconds.
    pub fn start(video: HtmlVideoElement, id: i64, start: f64, signals: ReplaySignals) -> Self {
        let shared = Rc::new(Shared {
            video,
            id,
            signals,
            seek: Cell::new((start > 0.0).then_some(start)),
            stopped: Cell::new(false),
            wake: RefCell::new(None),
        });
        let running = shared.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(err) = run(&running).await {
                running.signals.error.set(Some(err));
            }
        });
        Self { shared }
    }

    /// Moves the playhead to `secs` on the recording's timeline.
    pub fn seek(&self, secs: f64) {
        self.shared.seek.set(Some(secs.max(0.0)));
        self.shared.signals.position.set(secs.max(0.0));
        self.shared.wake();
    }

    pub fn toggle(&self) {
        let video = &self.shared.video;
        if video.paused() {
            let _ = video.play();
        } else {
            let _ = video.pause();
        }
    }
}

impl Drop for ReplayPlayer {
    fn drop(&mut self) {
        self.shared.stopped.set(true);
        self.shared.wake();
    }
}

async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let response = gloo_net::http::Request::get(url)
        .send()
        .await
        .map_err(|err| format!("the recording could not be loaded: {err}"))?;
    if !response.ok() {
        let text = response.text().await.unwrap_or_default();
        return Err(format!(
            "the recording could not be loaded ({}): {text}",
            response.status()
        ));
    }
    response
        .binary()
        .await
        .map_err(|err| format!("the recording could not be loaded: {err}"))
}

async fn fetch_index(id: i64) -> Result<ReplayIndex, String> {
    let bytes = fetch_bytes(&format!("/recordings/{id}")).await?;
    serde_json::from_slice(&bytes)
        .map_err(|err| format!("the recording's index is unreadable: {err}"))
}

/// The end of the buffered range holding `at`, if one does.
fn buffered_end(ranges: &[(f64, f64)], at: f64) -> Option<f64> {
    ranges
        .iter()
        .find(|(start, end)| at >= start - 0.1 && at <= end + 0.1)
        .map(|(_, end)| *end)
}

/// Starts playback, muted if the browser will not play sound without a click.
async fn play(shared: &Shared) {
    let video = &shared.video;
    let Ok(promise) = video.play() else { return };
    if JsFuture::from(promise).await.is_err() {
        video.set_muted(true);
        shared.signals.muted.set(true);
        if let Ok(promise) = video.play() {
            let _ = JsFuture::from(promise).await;
        }
    }
}

async fn run(shared: &Rc<Shared>) -> Result<(), String> {
    let early = super::early_replay::take(shared.id).await;
    let mut index = fetch_index(shared.id).await?;
    let signals = shared.signals;
    signals.duration.set(index.duration_ms as f64 / 1000.0);
    signals.segments.set(starts(&index));
    if index.segments.is_empty() {
        return Err("Nothing of this broadcast was recorded.".into());
    }
    let video = &shared.video;
    let mut pipe: Option<MediaPipe> = None;
    // The run whose init segment the buffer decodes with now.
    let mut run_in: Option<i64> = None;
    // The next segment to fetch.
    let mut next = 0usize;
    let mut started = false;
    let mut refreshed_ms = js_sys::Date::now();
    // The length the media source was told, seconds.
    let mut length_set = 0.0;
    let mut start_at = shared.seek.take().unwrap_or(0.0);
    if start_at > 0.0 {
        next = index.segment_at((start_at * 1000.0) as i64).unwrap_or(0);
    }
    // The page's head start plays the start already: go on after it.
    if let Some(early) = early.filter(|e| e.next <= index.segments.len()) {
        pipe = Some(MediaPipe::adopt(early.media));
        run_in = Some(early.run);
        next = early.next;
        // It called play() (muted if sound was refused): awaiting play() again would wait
        // for media only this loop fetches.
        started = true;
    }
    loop {
        if shared.stopped.get() {
            return Ok(());
        }
        if let Some(failure) = pipe.as_ref().and_then(MediaPipe::failure) {
            return Err(format!(
                "The browser could not play the recording: {failure}"
            ));
        }
        let ranges = pipe.as_ref().map(MediaPipe::buffered).unwrap_or_default();
        if let Some(at) = shared.seek.take() {
            if buffered_end(&ranges, at).is_none()
                && let Some(pipe) = &pipe
            {
                // Outside what is buffered: start again at the segment holding `at`.
                pipe.clear_queued();
                pipe.remove(0.0, f64::MAX);
                next = index.segment_at((at * 1000.0) as i64).unwrap_or(0);
            }
            if started {
                video.set_current_time(at);
            } else {
                start_at = at;
                next = index.segment_at((at * 1000.0) as i64).unwrap_or(0);
            }
        }
        let now = video.current_time();
        // The browser moved the playhead itself (play() after the end starts over at 0):
        // outside what is buffered and not where the next fetch would put media, it is a seek.
        if started
            && shared.seek.get().is_none()
            && buffered_end(&ranges, now).is_none()
            && index.segment_at((now * 1000.0) as i64) != Some(next)
        {
            shared.seek.set(Some(now));
            continue;
        }
        let ahead = buffered_end(&ranges, now).map_or(0.0, |end| end - now);
        let wants_more = ahead < AHEAD_SECS && pipe.as_ref().is_none_or(|p| p.queued() < 2);
        if wants_more && let Some(segment) = index.segments.get(next).copied() {
            if run_in != Some(segment.run()) {
                let mime = index
                    .mime(segment.run())
                    .ok_or("the recording's index names an unknown run")?
                    .to_string();
                let init =
                    fetch_bytes(&format!("/recordings/{}/init/{}", shared.id, segment.run()))
                        .await?;
                match &pipe {
                    None => pipe = Some(MediaPipe::new(video, &mime, init)?),
                    Some(pipe) => pipe.switch(&mime, init),
                }
                run_in = Some(segment.run());
            }
            let data = fetch_bytes(&format!(
                "/recordings/{}/segments/{}",
                shared.id,
                segment.seq()
            ))
            .await?;
            // A seek while it loaded moved elsewhere: this segment may not belong any more.
            if shared.seek.get().is_none()
                && let Some(pipe) = &pipe
            {
                pipe.set_offset(segment.at_ms() as f64 / 1000.0 - segment.media_us() as f64 / 1e6);
                pipe.append(data);
                next += 1;
            }
        } else if next >= index.segments.len() {
            let still_recording = index.state == RecordingState::Recording;
            if still_recording && js_sys::Date::now() - refreshed_ms > REFRESH_MS {
                refreshed_ms = js_sys::Date::now();
                index = fetch_index(shared.id).await?;
                signals.duration.set(index.duration_ms as f64 / 1000.0);
                signals.segments.set(starts(&index));
            } else if !still_recording && let Some(pipe) = &pipe {
                pipe.end();
            }
        }
        if !started
            && pipe
                .as_ref()
                .is_some_and(|p| buffered_end(&p.buffered(), start_at).is_some())
        {
            started = true;
            video.set_current_time(start_at);
            play(shared).await;
        }
        // The whole recording's length, so that a seek anywhere in it is not cut short at the
        // end of what is buffered (a source's length is otherwise what it holds).
        let length = index.duration_ms as f64 / 1000.0;
        if length > length_set
            && let Some(pipe) = &pipe
        {
            pipe.set_duration(length);
            length_set = length;
        }
        if let (Some(pipe), Some(first)) = (&pipe, ranges.first())
            && now - first.0 > BEHIND_SECS + 10.0
        {
            pipe.remove(first.0, now - BEHIND_SECS);
        }
        if started {
            signals.position.set(video.current_time());
        }
        signals.playing.set(!video.paused());
        if video.muted() != signals.muted.get_untracked() {
            signals.muted.set(video.muted());
        }
        // Until the first picture, look again soon: the first append lands within milliseconds.
        shared
            .pause(if started { TICK_MS } else { TICK_MS / 4 })
            .await;
    }
}

/// Whether a key press was typed into a form field (not a player shortcut).
pub fn typed_in_field(event: &web_sys::KeyboardEvent) -> bool {
    event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"))
}
