//! The chat alone, for a page without a player (the chat overlay): one `EventSource` on the
//! channel's chat address, its messages and deletions kept in a signal as the player keeps
//! them. The browser reconnects by itself; a stream it gave up on (the server was away) is
//! opened again after a pause, for as long as the page is open. Dropping it closes it.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use super::live_events::{Incoming, LiveEvents};
use crate::live::wire::{ChatEvent, chat_events_url};

/// Chat messages a page keeps; older ones scroll away.
pub const CHAT_KEPT: usize = 500;
/// A stream the browser gave up on is opened again after this long.
const REOPEN_MS: i32 = 3000;

pub struct ChatFeed {
    events: Rc<RefCell<Option<LiveEvents>>>,
}

impl ChatFeed {
    /// Follows `channel`'s chat from after message `after` (the newest the page has).
    pub fn open(channel: &str, after: u64, chat: RwSignal<Vec<ChatEvent>>) -> Self {
        let events = Rc::new(RefCell::new(None));
        connect(Rc::downgrade(&events), channel.to_string(), after, chat);
        Self { events }
    }
}

impl Drop for ChatFeed {
    fn drop(&mut self) {
        self.events.borrow_mut().take();
    }
}

/// Opens the stream into `slot` (while the feed lives), from after the newest message held.
fn connect(
    slot: std::rc::Weak<RefCell<Option<LiveEvents>>>,
    channel: String,
    after: u64,
    chat: RwSignal<Vec<ChatEvent>>,
) {
    let Some(held) = slot.upgrade() else {
        return;
    };
    let newest = chat
        .try_with_untracked(|log| log.iter().map(|m| m.id).max())
        .flatten()
        .unwrap_or(after)
        .max(after);
    let url = format!("{}&chat_after={newest}", chat_events_url(&channel));
    let again = slot.clone();
    let deliver = Rc::new(move |incoming: Incoming| match incoming {
        Incoming::Chat(message) => add_message(chat, message),
        Incoming::ChatDeleted(deleted) => remove_message(chat, deleted.id),
        Incoming::Error { closed: true } => {
            let (again, channel) = (again.clone(), channel.clone());
            let reopen = Closure::once_into_js(move || connect(again, channel, after, chat));
            if let Some(window) = web_sys::window() {
                let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
                    reopen.unchecked_ref(),
                    REOPEN_MS,
                );
            }
        }
        _ => {}
    });
    match LiveEvents::open(&url, deliver) {
        Ok(events) => *held.borrow_mut() = Some(events),
        Err(err) => leptos::logging::warn!("cannot follow the chat: {err}"),
    }
}

/// Adds a message to a page's chat log (once, in arrival order, the newest `CHAT_KEPT`).
pub fn add_message(chat: RwSignal<Vec<ChatEvent>>, message: ChatEvent) {
    chat.update(|log| {
        if !log.iter().any(|m| m.id == message.id) {
            log.push(message);
        }
        let extra = log.len().saturating_sub(CHAT_KEPT);
        log.drain(..extra);
    });
}

/// Removes a deleted message from a page's chat log.
/// Takes message `id` out of `chat`, and out of the replies that quote it.
pub fn remove_message(chat: RwSignal<Vec<ChatEvent>>, id: u64) {
    chat.update(|log| {
        log.retain(|m| m.id != id);
        for quote in log.iter_mut().filter_map(|m| m.reply.as_mut()) {
            if quote.id == id {
                quote.text = None;
            }
        }
    });
}
