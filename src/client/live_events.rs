//! One `EventSource` on `/live/{channel}/events`, with its listeners. Dropping it closes the
//! connection and releases the closures.

use std::rc::Rc;

use base64::Engine as _;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Event, EventSource, MessageEvent};

use crate::live::wire::{ChatDeletedEvent, ChatEvent, InitEvent, StatusEvent, ViewersEvent};

/// What the stream delivers, decoded.
pub enum Incoming {
    Open,
    Status(StatusEvent),
    Init {
        event: InitEvent,
        data: Vec<u8>,
    },
    Media {
        id: Option<u64>,
        data: Vec<u8>,
    },
    Viewers(ViewersEvent),
    Chat(ChatEvent),
    ChatDeleted(ChatDeletedEvent),
    /// The connection broke; `closed` when the browser gave up reconnecting by itself.
    Error {
        closed: bool,
    },
}

const EVENTS: [&str; 6] = ["status", "init", "media", "viewers", "chat", "chat-deleted"];

pub struct LiveEvents {
    source: EventSource,
    on_message: Closure<dyn FnMut(MessageEvent)>,
    on_open: Closure<dyn FnMut(Event)>,
    on_error: Closure<dyn FnMut(Event)>,
}

impl LiveEvents {
    pub fn open(url: &str, deliver: Rc<dyn Fn(Incoming)>) -> Result<Self, String> {
        let source = EventSource::new(url).map_err(|e| format!("{e:?}"))?;
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
        for name in EVENTS {
            let _ =
                source.add_event_listener_with_callback(name, on_message.as_ref().unchecked_ref());
        }
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Self {
            source,
            on_message,
            on_open,
            on_error,
        })
    }
}

impl Drop for LiveEvents {
    fn drop(&mut self) {
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
            Some(Incoming::Init { event, data })
        }
        "media" => Some(Incoming::Media {
            id: event.last_event_id().parse().ok(),
            data: base64.decode(text.trim()).ok()?,
        }),
        _ => None,
    }
}
