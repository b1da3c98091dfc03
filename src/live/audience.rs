//! Who is watching a channel: distinct viewers with at least one open connection. A viewer is
//! the key its player sends (one per browser tab), so a reconnect that overlaps the old
//! connection, or replaces it, never counts twice. Connections without a key count one each.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The longest key accepted; longer or odd keys count as anonymous connections.
const MAX_KEY: usize = 64;

#[derive(Default)]
pub struct Audience {
    connections: Mutex<HashMap<String, u32>>,
    anonymous: AtomicU64,
}

/// One open connection; dropping it leaves the audience.
pub struct Seat {
    audience: Arc<Audience>,
    key: String,
}

impl Audience {
    /// A connection opens for `key` (or for nobody in particular).
    pub fn join(self: &Arc<Self>, key: Option<&str>) -> Seat {
        let key = match key.filter(|k| is_valid_key(k)) {
            Some(key) => key.to_string(),
            // '#' never appears in a valid key, so anonymous seats never collide with one.
            None => format!("#{}", self.anonymous.fetch_add(1, Ordering::Relaxed)),
        };
        *self.lock().entry(key.clone()).or_insert(0) += 1;
        Seat {
            audience: Arc::clone(self),
            key,
        }
    }

    /// Distinct viewers with an open connection.
    pub fn count(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, u32>> {
        self.connections.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        let mut connections = self.audience.lock();
        if let Some(open) = connections.get_mut(&self.key) {
            *open -= 1;
            if *open == 0 {
                connections.remove(&self.key);
            }
        }
    }
}

fn is_valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_KEY
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reconnect_does_not_count_twice_and_closing_stops_counting() {
        let audience = Arc::new(Audience::default());
        let tab = audience.join(Some("tab-1"));
        assert_eq!(audience.count(), 1);
        // The browser reconnects before the server has noticed the old connection is gone.
        let reconnected = audience.join(Some("tab-1"));
        assert_eq!(audience.count(), 1);
        drop(tab);
        assert_eq!(audience.count(), 1, "the new connection still counts");
        let other = audience.join(Some("tab-2"));
        assert_eq!(audience.count(), 2);
        drop(reconnected);
        drop(other);
        assert_eq!(audience.count(), 0);
    }

    #[test]
    fn connections_without_a_usable_key_count_one_each() {
        let audience = Arc::new(Audience::default());
        let seats: Vec<Seat> = [
            None,
            None,
            Some(""),
            Some("has space"),
            Some(&"x".repeat(65)[..]),
        ]
        .into_iter()
        .map(|key| audience.join(key))
        .collect();
        assert_eq!(audience.count(), 5);
        drop(seats);
        assert_eq!(audience.count(), 0);
    }
}
