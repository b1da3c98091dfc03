//! A value viewers are told only the newest version of (the channel's status, its viewer
//! count): framed once per change, with a version number each viewer's cursor compares.

use bytes::Bytes;
use serde::Serialize;

use crate::live::frame;

/// The newest value of one kind of event, framed once for everybody.
pub(super) struct Latest<T> {
    event: &'static str,
    version: u64,
    value: T,
    frame: Bytes,
}

impl<T: Serialize> Latest<T> {
    /// The first version of `value`, sent as SSE event `event`.
    pub fn new(event: &'static str, value: T) -> Self {
        Self {
            event,
            version: 1,
            frame: frame::json_event(event, &value),
            value,
        }
    }

    /// A new version: framed now, once.
    pub fn set(&mut self, value: T) {
        self.version += 1;
        self.frame = frame::json_event(self.event, &value);
        self.value = value;
    }

    pub fn value(&self) -> &T {
        &self.value
    }

    pub fn frame(&self) -> &Bytes {
        &self.frame
    }

    /// `value` framed as this kind of event, for one viewer only (not a new version).
    pub fn frame_of(&self, value: &T) -> Bytes {
        frame::json_event(self.event, value)
    }
}

/// The version of a [`Latest`] a viewer was last told; 0 before the first.
#[derive(Default)]
pub(super) struct LatestCursor {
    version: u64,
}

impl LatestCursor {
    /// Whether this viewer has been told any version yet.
    pub fn is_new(&self) -> bool {
        self.version == 0
    }

    /// `latest`, if this viewer has not seen its current version; marks it seen.
    pub fn owed<'a, T>(&mut self, latest: &'a Latest<T>) -> Option<&'a Latest<T>> {
        (self.version != latest.version).then(|| {
            self.version = latest.version;
            latest
        })
    }
}
