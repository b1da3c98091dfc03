//! The wall clock as OnAir records it: Unix time in milliseconds (stored rows, chat messages,
//! "live since", the studio's "now").

use std::time::{SystemTime, UNIX_EPOCH};

/// Unix time in milliseconds.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
