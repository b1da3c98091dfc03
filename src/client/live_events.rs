//! One `EventSource` on `/live/{channel}/events`, with its listeners. Dropping it closes the
//! connection and releases the closures. The first one of a page adopts the stream the page's
//! inline script opened before the WebAssembly loaded (`components::early_events`), with the
//! events it held and the media source it started, if it did.

use std::cell::Cell;
use std::rc::Rc;

use base64::Engine as _;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Event, EventSource, MediaSource, MessageEvent, SourceBuffer};

use crate::live::wire::{
    ChatDeletedEvent, ChatEvent, EARLY_EVENTS, EVENT_NAMES as EVENTS, InitEvent, StatusEvent,
    ViewersEvent,
};

/// What the stream delivers, decoded.
pub enum Incoming {
    Open,
    Status(StatusEvent),
    Init {
        event: InitEvent,
        data: Vec<u8>,
        /// The page's script already plays this init's media: take its source over.
        early: Option<EarlyMedia>,
    },
    Media {
        id: Option<u64>,
        data: Vec<u8>,
        /// Already appended by the page's script (to the source in the first init's `early`).
        appended: bool,
    },
    Viewers(ViewersEvent),
    Chat(ChatEvent),
    ChatDeleted(ChatDeletedEvent),
    /// The connection broke; `closed` when the browser gave up reconnecting by itself.
    Error {
        closed: bool,
    },
}

/// The MediaSource the page's script opened, its SourceBuffer (the init segment appended) and
/// the object URL the video plays.
pub struct EarlyMedia {
    pub source: MediaSource,
    pub buffer: SourceBuffer,
    pub url: String,
}

pub struct LiveEvents {
    source: EventSource,
    on_message: Closure<dyn FnMut(MessageEvent)>,
    on_open: Closure<dyn FnMut(Event)>,
    on_error: Closure<dyn FnMut(Event)>,
    /// False once dropped: a replay of adopted events still pending does nothing.
    alive: Rc<Cell<bool>>,
}

impl LiveEvents {
    pub fn open(url: &str, deliver: Rc<dyn Fn(Incoming)>) -> Result<Self, String> {
        let (source, held) = match adopt_early(url) {
            Some((source, held, media)) => (source, Some((held, media))),
            None => (EventSource::new(url).map_err(|e| format!("{e:?}"))?, None),
        };
        let replay_to = deliver.clone();
        let on_message = {
            let deliver = deliver.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                if let Some(incoming) = decode(&event) {
                    deliver(incoming);
                }
            })
        };
        let on_open = {
            let deliver = deliver.clone();
            Closure::<dyn FnMut(Event)>::new(move |_| deliver(Incoming::Open))
        };
        let on_error = {
            let source = source.clone();
            Closure::<dyn FnMut(Event)>::new(move |_| {
                deliver(Incoming::Error {
                    closed: source.ready_state() == EventSource::CLOSED,
                })
            })
        };
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let alive = Rc::new(Cell::new(true));
        let listen = {
            let (source, alive) = (source.clone(), alive.clone());
            let listener: js_sys::Function = on_message
                .as_ref()
                .unchecked_ref::<js_sys::Function>()
                .clone();
            move || {
                if alive.get() {
                    for name in EVENTS {
                        let _ = source.add_event_listener_with_callback(name, &listener);
                    }
                }
            }
        };
        match held {
            None => listen(),
            Some((held, mut media)) => {
                // The caller holds the player while it opens: what the early stream held is
                // delivered in a microtask, which runs before the browser dispatches any other
                // event, so nothing is lost or reordered between the held and the new.
                let (alive, opened) = (alive.clone(), source.ready_state() == EventSource::OPEN);
                wasm_bindgen_futures::spawn_local(async move {
                    if !alive.get() {
                        return;
                    }
                    if opened {
                        replay_to(Incoming::Open);
                    }
                    for event in held.iter() {
                        let Some(incoming) = event.dyn_ref::<MessageEvent>().and_then(decode)
                        else {
                            continue;
                        };
                        replay_to(mark_early(incoming, &event, &mut media));
                    }
                    listen();
                });
            }
        }
        Ok(Self {
            source,
            on_message,
            on_open,
            on_error,
            alive,
        })
    }
}

/// A held event as the page's script left it: media it appended says so, and the first init it
/// appended carries its media source.
fn mark_early(
    incoming: Incoming,
    event: &wasm_bindgen::JsValue,
    media: &mut Option<EarlyMedia>,
) -> Incoming {
    let appended = field(event, "onairAppended").is_some_and(|v| v.is_truthy());
    match incoming {
        Incoming::Init { event, data, .. } if appended => Incoming::Init {
            event,
            data,
            early: media.take(),
        },
        Incoming::Media { id, data, .. } => Incoming::Media { id, data, appended },
        other => other,
    }
}

/// Resolves once the page's script has shown its first frame or can do no more (its `ready`,
/// capped there), at once on a page without it. Hydration waits for this: running the
/// WebAssembly takes the main thread for a while, and the first frame should not wait for it.
pub async fn early_media_settled() {
    let ready = early_object()
        .and_then(|early| field(&early, "ready"))
        .and_then(|ready| ready.dyn_into::<js_sys::Promise>().ok());
    if let Some(ready) = ready {
        let _ = wasm_bindgen_futures::JsFuture::from(ready).await;
    }
}

/// The page's early script's object (`window.onairEarlyEvents`), while it is there.
fn early_object() -> Option<wasm_bindgen::JsValue> {
    js_sys::Reflect::get(&web_sys::window()?.into(), &EARLY_EVENTS.into())
        .ok()
        .filter(|v| v.is_object())
}

/// `object[key]`, if reading it does not throw.
fn field(object: &wasm_bindgen::JsValue, key: &str) -> Option<wasm_bindgen::JsValue> {
    js_sys::Reflect::get(object, &key.into()).ok()
}

/// The stream the page's inline script opened, if it is the one wanted (`url`, or `url` with
/// the chat position added) and still open, with the events it held and the media source it
/// opened (if it got as far as appending). Taken once: any other early stream is closed.
/// `url` without the player's ask of the rungs (`live::wire::Ask`).
fn without_ask(url: &str) -> String {
    let Some((path, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let name = pair.split('=').next().unwrap_or_default();
            !matches!(name, "max_height" | "rung" | "start")
        })
        .collect();
    format!("{path}?{}", kept.join("&"))
}

fn adopt_early(url: &str) -> Option<(EventSource, js_sys::Array, Option<EarlyMedia>)> {
    let early = early_object()?;
    let _ = js_sys::Reflect::delete_property(&web_sys::window()?.into(), &EARLY_EVENTS.into());
    let source: EventSource = field(&early, "source")?.dyn_into().ok()?;
    if let Some(release) =
        field(&early, "release").and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    {
        let _ = release.call0(&early);
    }
    let early_url = field(&early, "url")?.as_string()?;
    // The same stream, whatever the two asked of the rungs (a window resized in between).
    let (url, early_url) = (without_ask(url), without_ask(&early_url));
    let wanted = url == early_url
        || url
            .strip_prefix(early_url.as_str())
            .is_some_and(|rest| rest.starts_with("&chat_after="));
    let held = field(&early, "held").and_then(|h| h.dyn_into::<js_sys::Array>().ok());
    let media = field(&early, "media").filter(|media| media.is_object());
    let part = |key: &str| field(media.as_ref()?, key);
    let media_url = part("url").and_then(|url| url.as_string());
    let media = (|| {
        Some(EarlyMedia {
            source: part("source")?.dyn_into().ok()?,
            buffer: part("buffer")?.dyn_into().ok()?,
            url: media_url.clone()?,
        })
    })();
    let adopted = match held {
        Some(held) if wanted && source.ready_state() != EventSource::CLOSED => {
            Some((source, held, media))
        }
        _ => {
            source.close();
            None
        }
    };
    // A media source the player will not take over (not open yet, or the stream not adopted)
    // is replaced by the player's own; its object URL goes.
    let taken = adopted
        .as_ref()
        .is_some_and(|(_, _, media)| media.is_some());
    if let Some(url) = media_url.filter(|_| !taken) {
        let _ = web_sys::Url::revoke_object_url(&url);
    }
    adopted
}

impl Drop for LiveEvents {
    fn drop(&mut self) {
        self.alive.set(false);
        self.source.close();
        for name in EVENTS {
            let _ = self.source.remove_event_listener_with_callback(
                name,
                self.on_message.as_ref().unchecked_ref(),
            );
        }
        self.source.set_onopen(None);
        self.source.set_onerror(None);
        let _ = (&self.on_open, &self.on_error);
    }
}

fn decode(event: &MessageEvent) -> Option<Incoming> {
    let text = event.data().as_string()?;
    let base64 = base64::engine::general_purpose::STANDARD;
    match event.type_().as_str() {
        "status" => serde_json::from_str(&text).ok().map(Incoming::Status),
        "viewers" => serde_json::from_str(&text).ok().map(Incoming::Viewers),
        "chat" => serde_json::from_str(&text).ok().map(Incoming::Chat),
        "chat-deleted" => serde_json::from_str(&text).ok().map(Incoming::ChatDeleted),
        "init" => {
            let event: InitEvent = serde_json::from_str(&text).ok()?;
            let data = base64.decode(&event.data).ok()?;
            Some(Incoming::Init {
                event,
                data,
                early: None,
            })
        }
        "media" => Some(Incoming::Media {
            id: event.last_event_id().parse().ok(),
            data: base64.decode(text.trim()).ok()?,
            appended: false,
        }),
        _ => None,
    }
}
