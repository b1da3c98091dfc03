//! One MediaSource attached to the video, with one SourceBuffer fed through a queue that the
//! `updateend` event pumps. Built anew for each encoder run (timestamps restart with it), or
//! taken over from the page's script, which may have opened it before the WebAssembly loaded.
//!
//! With a `ManagedMediaSource` (iPhone, iPad) remote playback is turned off (required for it
//! to open), appends wait while the browser says it does not want media (`endstreaming` until
//! `startstreaming`; removals still run), and a queue that grows past `MAX_WAITING` while
//! paused fails the pipe, so the player starts over at the live edge instead of holding media
//! without bound. Media the browser evicts is simply gone: the player seeks back into what is
//! buffered, as after any gap.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    HtmlVideoElement, MediaSource, MediaSourceReadyState, SourceBuffer, SourceBufferAppendMode, Url,
};

use super::live_events::EarlyMedia;
use super::media_engine::{ManagedMediaSource, MediaEngine, UNSUPPORTED};

/// What the pipe keeps when the browser says its buffer is full.
const KEEP_ON_QUOTA_SECS: f64 = 10.0;
/// Fragments that may wait while a managed source does not want media (about 20 s).
const MAX_WAITING: usize = 100;

enum Op {
    Append(Vec<u8>),
    Remove(f64, f64),
    /// The next init segment is of this type (`SourceBuffer.changeType`, where it exists).
    ChangeType(String),
    /// Later appends are moved by this many seconds (`SourceBuffer.timestampOffset`).
    Offset(f64),
    /// The source's length, seconds (`MediaSource.duration`).
    Duration(f64),
}

struct Queue {
    source: MediaSource,
    buffer: Option<SourceBuffer>,
    ops: VecDeque<Op>,
    failure: Option<String>,
    /// The browser wants media appended (always, for a plain MediaSource).
    streaming: bool,
}

/// `startstreaming` and `endstreaming` handlers, in that order.
type StreamingHandlers = (Closure<dyn FnMut()>, Closure<dyn FnMut()>);

pub struct MediaPipe {
    source: MediaSource,
    url: String,
    queue: Rc<RefCell<Queue>>,
    /// `sourceopen`'s handler (none for a source taken over open).
    on_open: Option<Closure<dyn FnMut()>>,
    on_update_end: Rc<Closure<dyn FnMut()>>,
    /// A managed source's `startstreaming` and `endstreaming` handlers.
    on_streaming: Option<StreamingHandlers>,
    adopted: bool,
}

impl MediaPipe {
    /// Attaches a new MediaSource to `video`; `init` is appended first once it opens.
    pub fn new(video: &HtmlVideoElement, mime: &str, init: Vec<u8>) -> Result<Self, String> {
        let engine = MediaEngine::detect().ok_or_else(|| UNSUPPORTED.to_string())?;
        if !engine.is_type_supported(mime) {
            return Err(format!("this browser cannot play {mime}"));
        }
        let source = engine.create()?;
        let managed = engine == MediaEngine::Managed;
        if managed {
            // A managed source opens only for a video that cannot be sent to AirPlay (or that
            // offers AirPlay another source).
            let _ = js_sys::Reflect::set(video, &"disableRemotePlayback".into(), &JsValue::TRUE);
        }
        let url = Url::create_object_url_with_source(&source).map_err(|e| format!("{e:?}"))?;
        let queue = Rc::new(RefCell::new(Queue {
            source: source.clone(),
            buffer: None,
            ops: VecDeque::from([Op::Append(init)]),
            failure: None,
            streaming: !managed,
        }));
        let on_update_end = {
            let queue = Rc::downgrade(&queue);
            Rc::new(Closure::<dyn FnMut()>::new(move || pump(&queue)))
        };
        let on_open = {
            let queue = Rc::downgrade(&queue);
            let source = source.clone();
            let mime = mime.to_string();
            let on_update_end = Rc::downgrade(&on_update_end);
            Closure::<dyn FnMut()>::new(move || {
                let (Some(queue_rc), Some(on_update_end)) =
                    (queue.upgrade(), on_update_end.upgrade())
                else {
                    return;
                };
                // An ended source reopens when media is removed or added: its buffer stays.
                if queue_rc.borrow().buffer.is_some() {
                    return;
                }
                match source.add_source_buffer(&mime) {
                    Ok(buffer) => {
                        buffer.set_mode(SourceBufferAppendMode::Segments);
                        buffer
                            .set_onupdateend(Some(on_update_end.as_ref().as_ref().unchecked_ref()));
                        let mut opened = queue_rc.borrow_mut();
                        opened.buffer = Some(buffer);
                        if managed {
                            let source = source.unchecked_ref::<ManagedMediaSource>();
                            opened.streaming |= source.streaming();
                        }
                        drop(opened);
                        pump(&queue);
                    }
                    Err(e) => {
                        queue_rc.borrow_mut().failure =
                            Some(format!("addSourceBuffer failed: {e:?}"))
                    }
                }
            })
        };
        source.set_onsourceopen(Some(on_open.as_ref().unchecked_ref()));
        let on_streaming = managed.then(|| {
            let set = |streaming: bool| {
                let queue = Rc::downgrade(&queue);
                Closure::<dyn FnMut()>::new(move || {
                    if let Some(queue_rc) = queue.upgrade() {
                        queue_rc.borrow_mut().streaming = streaming;
                        pump(&queue);
                    }
                })
            };
            let (start, end) = (set(true), set(false));
            let _ = source
                .add_event_listener_with_callback("startstreaming", start.as_ref().unchecked_ref());
            let _ = source
                .add_event_listener_with_callback("endstreaming", end.as_ref().unchecked_ref());
            (start, end)
        });
        video.set_src(&url);
        Ok(Self {
            source,
            url,
            queue,
            on_open: Some(on_open),
            on_update_end,
            on_streaming,
            adopted: false,
        })
    }

    /// Takes over the open source the page's script attached to the video (a plain
    /// MediaSource; the init segment, and maybe media, already appended).
    pub fn adopt(early: EarlyMedia) -> Self {
        let queue = Rc::new(RefCell::new(Queue {
            source: early.source.clone(),
            buffer: Some(early.buffer.clone()),
            ops: VecDeque::new(),
            failure: None,
            streaming: true,
        }));
        let on_update_end = {
            let queue = Rc::downgrade(&queue);
            Rc::new(Closure::<dyn FnMut()>::new(move || pump(&queue)))
        };
        early
            .buffer
            .set_onupdateend(Some(on_update_end.as_ref().as_ref().unchecked_ref()));
        Self {
            source: early.source,
            url: early.url,
            queue,
            on_open: None,
            on_update_end,
            on_streaming: None,
            adopted: true,
        }
    }

    /// Whether this is the page script's source, taken over (its first media already in).
    pub fn adopted(&self) -> bool {
        self.adopted
    }

    pub fn append(&self, data: Vec<u8>) {
        let mut queue = self.queue.borrow_mut();
        queue.ops.push_back(Op::Append(data));
        if !queue.streaming && queue.ops.len() > MAX_WAITING {
            queue.ops.clear();
            queue.failure = Some("the browser paused the stream for too long".into());
        }
        drop(queue);
        pump(&Rc::downgrade(&self.queue));
    }

    /// Media of another rung of the same run follows, decoding with `init` (of type `mime`):
    /// appended to the same buffer, on the same timeline.
    pub fn switch(&self, mime: &str, init: Vec<u8>) {
        let mut queue = self.queue.borrow_mut();
        queue.ops.push_back(Op::ChangeType(mime.to_string()));
        drop(queue);
        self.append(init);
    }

    /// Later appends land `secs` later than their own timestamps say (a replay puts each
    /// segment where it belongs on the recording's timeline).
    pub fn set_offset(&self, secs: f64) {
        self.queue.borrow_mut().ops.push_back(Op::Offset(secs));
    }

    /// Drops every append and removal not yet started (a replay seeking elsewhere).
    pub fn clear_queued(&self) {
        // The source's length still holds, wherever the replay goes.
        (self.queue.borrow_mut().ops).retain(|op| matches!(op, Op::Duration(_)));
    }

    /// Operations waiting for their turn.
    pub fn queued(&self) -> usize {
        self.queue.borrow().ops.len()
    }

    /// Whether the buffer is idle with nothing waiting.
    pub fn idle(&self) -> bool {
        let queue = self.queue.borrow();
        queue.ops.is_empty() && queue.buffer.as_ref().is_some_and(|b| !b.updating())
    }

    /// The media plays `secs` long in all (a replay's length), so that the playhead may be
    /// moved past what is buffered yet: a source's length is otherwise what it holds. Set
    /// between appends; a length shorter than what is buffered is left alone.
    pub fn set_duration(&self, secs: f64) {
        self.queue.borrow_mut().ops.push_back(Op::Duration(secs));
        pump(&Rc::downgrade(&self.queue));
    }

    /// No more media will come: the video ends where its buffer does (more media, or a
    /// removal, opens the source again).
    pub fn end(&self) {
        if self.idle() && self.source.ready_state() == MediaSourceReadyState::Open {
            let _ = self.source.end_of_stream();
        }
    }

    pub fn remove(&self, start: f64, end: f64) {
        let mut queue = self.queue.borrow_mut();
        if !queue.ops.iter().any(|op| matches!(op, Op::Remove(..))) {
            queue.ops.push_back(Op::Remove(start, end));
        }
        drop(queue);
        pump(&Rc::downgrade(&self.queue));
    }

    /// Buffered ranges as (start, end) pairs.
    pub fn buffered(&self) -> Vec<(f64, f64)> {
        let queue = self.queue.borrow();
        queue.buffer.as_ref().map(ranges).unwrap_or_default()
    }

    /// Why the pipe stopped working, if it did.
    pub fn failure(&self) -> Option<String> {
        self.queue.borrow().failure.clone()
    }
}

impl Drop for MediaPipe {
    fn drop(&mut self) {
        self.source.set_onsourceopen(None);
        if let Some((start, end)) = &self.on_streaming {
            let _ = self.source.remove_event_listener_with_callback(
                "startstreaming",
                start.as_ref().unchecked_ref(),
            );
            let _ = self
                .source
                .remove_event_listener_with_callback("endstreaming", end.as_ref().unchecked_ref());
        }
        if let Some(buffer) = &self.queue.borrow().buffer {
            buffer.set_onupdateend(None);
        }
        if self.source.ready_state() == MediaSourceReadyState::Open {
            let _ = self.source.end_of_stream();
        }
        let _ = Url::revoke_object_url(&self.url);
        let _ = (&self.on_open, &self.on_update_end);
    }
}

fn ranges(buffer: &SourceBuffer) -> Vec<(f64, f64)> {
    let Ok(ranges) = buffer.buffered() else {
        return Vec::new();
    };
    (0..ranges.length())
        .filter_map(|i| Some((ranges.start(i).ok()?, ranges.end(i).ok()?)))
        .collect()
}

/// Starts the next queued operation if the SourceBuffer is idle.
fn pump(queue: &Weak<RefCell<Queue>>) {
    let Some(queue) = queue.upgrade() else { return };
    let mut queue = queue.borrow_mut();
    let Some(buffer) = queue.buffer.clone() else {
        return;
    };
    if buffer.updating() || queue.failure.is_some() {
        return;
    }
    loop {
        // A managed source that does not want media now: removals run, appends wait.
        if !queue.streaming && matches!(queue.ops.front(), Some(Op::Append(_) | Op::ChangeType(_)))
        {
            return;
        }
        let Some(op) = queue.ops.pop_front() else {
            return;
        };
        let result = match op {
            Op::Append(mut data) => match buffer.append_buffer_with_u8_array(&mut data) {
                Err(e) if is_quota_exceeded(&e) => {
                    // Full: drop all but the last seconds, then retry this append.
                    queue.ops.push_front(Op::Append(data));
                    let all = ranges(&buffer);
                    match (all.first(), all.last()) {
                        (Some(first), Some(last)) if last.1 - first.0 > KEEP_ON_QUOTA_SECS => {
                            buffer.remove(first.0, last.1 - KEEP_ON_QUOTA_SECS)
                        }
                        _ => Err(e),
                    }
                }
                other => other,
            },
            Op::Remove(start, end) if end > start => buffer.remove(start, end),
            Op::Remove(..) => continue,
            Op::Offset(secs) => {
                buffer.set_timestamp_offset(secs);
                continue;
            }
            Op::Duration(secs) => {
                let held = ranges(&buffer).last().map_or(0.0, |(_, end)| *end);
                if secs >= held && queue.source.ready_state() == MediaSourceReadyState::Open {
                    // Refused only while updating or closed, which was just checked.
                    let _ = js_sys::Reflect::set(&queue.source, &"duration".into(), &secs.into());
                }
                continue;
            }
            Op::ChangeType(mime) => {
                // Synchronous; an engine without it takes the new init as it is.
                let change = js_sys::Reflect::get(&buffer, &"changeType".into())
                    .ok()
                    .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
                if let Some(change) = change
                    && let Err(e) = change.call1(&buffer, &mime.into())
                {
                    queue.failure = Some(format!("changeType refused: {e:?}"));
                    return;
                }
                continue;
            }
        };
        if let Err(e) = result {
            queue.failure = Some(format!("SourceBuffer refused data: {e:?}"));
        }
        return;
    }
}

fn is_quota_exceeded(error: &wasm_bindgen::JsValue) -> bool {
    error
        .dyn_ref::<web_sys::DomException>()
        .is_some_and(|e| e.name() == "QuotaExceededError")
}
