//! The chat ring: the latest chat events of a channel, each framed once and numbered in the
//! order they were published, so every viewer gets them once and in one order, and a resumed
//! connection gets what it missed (and every held deletion).

use std::collections::VecDeque;

use bytes::Bytes;

use crate::live::outbox::Outbox;

/// Chat events a hub keeps for resuming connections.
pub(super) const CHAT_HELD: usize = 200;

/// A chat event, framed once.
struct HeldChat {
    seq: u64,
    /// The message's id for `chat`; None for `chat-deleted` (resent to anyone resuming).
    message_id: Option<u64>,
    frame: Bytes,
}

#[derive(Default)]
pub(super) struct ChatRing {
    held: VecDeque<HeldChat>,
    /// Sequence number of the newest chat event (0: none yet).
    seq: u64,
}

impl ChatRing {
    /// Adds an event (`message_id` for a message, None for a deletion), dropping the oldest
    /// past [`CHAT_HELD`].
    pub fn push(&mut self, message_id: Option<u64>, frame: Bytes) {
        self.seq += 1;
        self.held.push_back(HeldChat {
            seq: self.seq,
            message_id,
            frame,
        });
        if self.held.len() > CHAT_HELD {
            self.held.pop_front();
        }
    }
}

/// Where one viewer is in the chat ring.
pub(super) struct ChatCursor {
    /// Sequence number of the last chat event this connection has been sent.
    seen: u64,
    /// On a resumed connection: the last chat message it already had.
    after: Option<u64>,
}

impl ChatCursor {
    /// A new connection: from now on, or with `after` every held event after that message.
    pub fn new(ring: &ChatRing, after: Option<u64>) -> Self {
        Self {
            seen: if after.is_some() { 0 } else { ring.seq },
            after,
        }
    }

    /// Appends the chat events this viewer is owed.
    pub fn owed(&mut self, ring: &ChatRing, out: &mut Outbox) {
        if self.seen == ring.seq {
            return;
        }
        for held in ring.held.iter().filter(|h| h.seq > self.seen) {
            let already_had = matches!(
                (held.message_id, self.after),
                (Some(id), Some(after)) if id <= after
            );
            if !already_had {
                out.push(held.frame.clone());
            }
        }
        self.seen = ring.seq;
        self.after = None;
    }
}
