//! The clocks: the wall clock as OnAir records it, Unix time in milliseconds (stored rows, chat
//! messages, "live since", the studio's "now"); and a monotonic one for how long something
//! took or has been quiet, which a change of the system's time cannot move.

use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Unix time in milliseconds.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Milliseconds since this process first asked (at least 1), never going back: for times an
/// atomic holds.
pub fn monotonic_ms() -> u64 {
    (Instant::now() - monotonic_epoch()).as_millis().max(1) as u64
}

/// The instant [`monotonic_ms`] counts from.
pub fn monotonic_epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}
