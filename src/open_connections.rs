//! Open connections by client (an IPv4 address or an IPv6 /64, see `client_key`), within a
//! total and a per-client cap: a listener takes a slot before serving a connection and the
//! slot is given back when the connection ends. Used for HTTP connections, live-event streams
//! and request bodies being read.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use crate::client_key::client_key;

/// Connections allowed at once.
#[derive(Clone, Copy, Debug)]
pub struct Caps {
    pub total: usize,
    pub per_address: usize,
}

#[derive(Default)]
struct Counts {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

/// Open connections by address.
#[derive(Clone)]
pub struct OpenConnections {
    caps: Caps,
    counts: Arc<Mutex<Counts>>,
}

impl OpenConnections {
    pub fn new(caps: Caps) -> Self {
        Self {
            caps,
            counts: Arc::default(),
        }
    }

    /// A place for one more connection from `ip`, if the caps allow it.
    pub fn take(&self, ip: IpAddr) -> Option<Slot> {
        self.take_within(ip, self.caps.per_address)
    }

    /// A place for one more connection from `ip` counted against the total only (a trusted
    /// proxy's address, which many clients share).
    pub fn take_shared(&self, ip: IpAddr) -> Option<Slot> {
        self.take_within(ip, usize::MAX)
    }

    fn take_within(&self, ip: IpAddr, per_address: usize) -> Option<Slot> {
        let ip = client_key(ip);
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let mine = counts.by_address.get(&ip).copied().unwrap_or(0);
        if counts.total >= self.caps.total || mine >= per_address {
            return None;
        }
        counts.total += 1;
        counts.by_address.insert(ip, mine + 1);
        Some(Slot {
            open: self.clone(),
            ip,
        })
    }

    /// Connections open now.
    pub fn total(&self) -> usize {
        self.counts.lock().unwrap_or_else(|p| p.into_inner()).total
    }
}

/// One connection's place; given back when dropped.
pub struct Slot {
    open: OpenConnections,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.open.counts.lock().unwrap_or_else(|p| p.into_inner());
        counts.total -= 1;
        if let Some(count) = counts.by_address.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                counts.by_address.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_hold_per_address_and_in_total_and_free_up_on_drop() {
        let open = OpenConnections::new(Caps {
            total: 3,
            per_address: 2,
        });
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let c: IpAddr = "10.0.0.3".parse().unwrap();
        let a1 = open.take(a).unwrap();
        let _a2 = open.take(a).unwrap();
        assert!(open.take(a).is_none(), "per address");
        let _b1 = open.take(b).unwrap();
        assert!(open.take(c).is_none(), "in total");
        drop(a1);
        let _c1 = open.take(c).expect("a place is free again");
        assert_eq!(open.total(), 3);
    }

    #[test]
    fn an_ipv6_client_counts_by_its_64() {
        let open = OpenConnections::new(Caps {
            total: 10,
            per_address: 2,
        });
        let one: Vec<_> = ["2001:db8::1", "2001:db8::2"]
            .iter()
            .map(|ip| open.take(ip.parse().unwrap()).unwrap())
            .collect();
        assert!(open.take("2001:db8::ffff:3".parse().unwrap()).is_none());
        assert!(open.take("2001:db8:0:1::1".parse().unwrap()).is_some());
        drop(one);
    }

    #[test]
    fn a_shared_address_counts_only_against_the_total() {
        let open = OpenConnections::new(Caps {
            total: 4,
            per_address: 1,
        });
        let proxy: IpAddr = "10.0.0.9".parse().unwrap();
        let slots: Vec<_> = (0..4).map(|_| open.take_shared(proxy).unwrap()).collect();
        assert!(open.take_shared(proxy).is_none());
        drop(slots);
        assert_eq!(open.total(), 0);
    }
}
