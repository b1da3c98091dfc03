//! The RTMP port's places: at most `total` connections, `per_client` from one client (an IPv4
//! address or an IPv6 /64). Connections that have not yet published with a valid key are
//! cheap to make, so when the port is full they give way: a newcomer takes the place of the
//! unauthenticated connection from the client holding the most of them (the oldest of those),
//! as long as that connection is old enough to have published had it meant to, or its client
//! holds more unauthenticated places than the newcomer's would. Publishers are never evicted.
//! So silent connections from a few addresses cannot keep a broadcaster off the air: each one
//! that arrives pushes out one of theirs, never a publisher that is still shaking hands.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::client_key::client_key;
use crate::open_connections::Caps;

/// An unauthenticated connection younger than this is only evicted for a client holding more
/// of them than the newcomer's: time enough for a real publisher to shake hands and publish.
pub const PROTECTED_FOR: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct Admission {
    caps: Caps,
    places: Arc<Mutex<Places>>,
}

#[derive(Default)]
struct Places {
    held: Vec<Place>,
    next_id: u64,
}

struct Place {
    id: u64,
    client: IpAddr,
    since: Instant,
    authenticated: bool,
    /// Cancelled to evict it.
    evict: CancellationToken,
}

/// Why a connection was not let in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Full {
    #[error("too many RTMP connections from this client")]
    Client,
    #[error("every RTMP place is taken by publishers or new connections")]
    Port,
}

/// One connection's place; given back when dropped.
pub struct Ticket {
    admission: Admission,
    id: u64,
    /// Cancelled if the place is given to a newcomer (while unauthenticated).
    pub evicted: CancellationToken,
}

impl Admission {
    pub fn new(caps: Caps) -> Self {
        Self {
            caps,
            places: Arc::default(),
        }
    }

    /// A place for a connection from `ip` now, evicting an unauthenticated one if the port is
    /// full and the rules above allow.
    pub fn admit(&self, ip: IpAddr) -> Result<Ticket, Full> {
        self.admit_at(ip, Instant::now())
    }

    fn admit_at(&self, ip: IpAddr, now: Instant) -> Result<Ticket, Full> {
        let client = client_key(ip);
        let mut places = self.lock();
        let mine = places.held.iter().filter(|p| p.client == client).count();
        if mine >= self.caps.per_address {
            return Err(Full::Client);
        }
        if places.held.len() >= self.caps.total {
            let victim = places.victim(now, places.unauthenticated(client) + 1);
            let Some(victim) = victim else {
                return Err(Full::Port);
            };
            let evicted = places.held.swap_remove(victim);
            evicted.evict.cancel();
        }
        places.next_id += 1;
        let id = places.next_id;
        let evict = CancellationToken::new();
        places.held.push(Place {
            id,
            client,
            since: now,
            authenticated: false,
            evict: evict.clone(),
        });
        Ok(Ticket {
            admission: self.clone(),
            id,
            evicted: evict,
        })
    }

    /// Places held now.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.lock().held.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Places> {
        self.places.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Places {
    fn unauthenticated(&self, client: IpAddr) -> usize {
        self.held
            .iter()
            .filter(|p| p.client == client && !p.authenticated)
            .count()
    }

    /// Which place a newcomer whose client would then hold `newcomer` unauthenticated places
    /// takes: the oldest unauthenticated place of the client holding the most, if it is
    /// old enough or its client holds more than the newcomer's.
    fn victim(&self, now: Instant, newcomer: usize) -> Option<usize> {
        self.held
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.authenticated)
            .map(|(i, p)| (i, self.unauthenticated(p.client), now - p.since))
            .filter(|(_, count, age)| *count > newcomer || *age >= PROTECTED_FOR)
            .max_by_key(|(_, count, age)| (*count, *age))
            .map(|(i, _, _)| i)
    }
}

impl Ticket {
    /// The connection published with a valid key: it is never evicted.
    pub fn authenticated(&self) {
        let mut places = self.admission.lock();
        if let Some(place) = places.held.iter_mut().find(|p| p.id == self.id) {
            place.authenticated = true;
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut places = self.admission.lock();
        if let Some(i) = places.held.iter().position(|p| p.id == self.id) {
            places.held.swap_remove(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// Issue 25, item 3: 8 addresses x 4 silent connections fill the 32 places (reconnecting
    /// whenever they are closed); a publisher from a ninth gets in, and while it shakes hands
    /// the attackers reconnecting push out each other, never it. Once it has published, nothing
    /// pushes it out.
    #[test]
    fn silent_connections_give_way_to_a_newcomer_and_never_to_each_other_over_it() {
        let admission = Admission::new(Caps {
            total: 32,
            per_address: 4,
        });
        let start = Instant::now();
        let mut attackers: Vec<(IpAddr, Ticket)> = Vec::new();
        for a in 0..8 {
            for _ in 0..4 {
                let addr = ip(&format!("10.0.0.{a}"));
                attackers.push((addr, admission.admit_at(addr, start).unwrap()));
            }
        }
        let arrives = start + Duration::from_secs(5);
        let publisher = admission
            .admit_at(ip("192.0.2.1"), arrives)
            .expect("a newcomer gets a place");
        assert_eq!(admission.held(), 32);
        // Every evicted attacker reconnects at once, 1000 times over the publisher's first
        // 900 ms (its handshake and publish take a few round trips).
        let mut readmitted = 0;
        for round in 0..1000u64 {
            let now = arrives + Duration::from_micros(900 * round);
            let gone = attackers.iter().position(|(_, t)| t.evicted.is_cancelled());
            let Some(gone) = gone else { continue };
            let (addr, _) = attackers.swap_remove(gone);
            if let Ok(ticket) = admission.admit_at(addr, now) {
                readmitted += 1;
                attackers.push((addr, ticket));
            }
            assert!(!publisher.evicted.is_cancelled(), "round {round}");
        }
        assert!(readmitted > 0, "the attackers did churn");
        publisher.authenticated();
        // Once it has published, a flood of new clients never evicts it.
        let later = arrives + Duration::from_secs(60);
        let _newcomers: Vec<_> = (0..100)
            .filter_map(|i| admission.admit_at(ip(&format!("10.1.0.{i}")), later).ok())
            .collect();
        assert!(!publisher.evicted.is_cancelled());
    }

    #[test]
    fn a_client_is_held_to_its_cap_and_young_places_of_equals_are_kept() {
        let admission = Admission::new(Caps {
            total: 2,
            per_address: 2,
        });
        let now = Instant::now();
        let _a = admission.admit_at(ip("10.0.0.1"), now).unwrap();
        let _b = admission.admit_at(ip("10.0.0.1"), now).unwrap();
        assert_eq!(
            admission.admit_at(ip("10.0.0.1"), now).err(),
            Some(Full::Client)
        );
        // IPv6 counts by /64.
        let six = Admission::new(Caps {
            total: 10,
            per_address: 1,
        });
        let _c = six.admit_at(ip("2001:db8::1"), now).unwrap();
        assert_eq!(
            six.admit_at(ip("2001:db8::2"), now).err(),
            Some(Full::Client)
        );
        // Two clients with one young place each: the newcomer (one too) waits its turn.
        let even = Admission::new(Caps {
            total: 2,
            per_address: 4,
        });
        let _d = even.admit_at(ip("10.0.0.1"), now).unwrap();
        let _e = even.admit_at(ip("10.0.0.2"), now).unwrap();
        assert_eq!(even.admit_at(ip("10.0.0.3"), now).err(), Some(Full::Port));
        // A second later they are old enough to give way.
        assert!(even.admit_at(ip("10.0.0.3"), now + PROTECTED_FOR).is_ok());
    }
}
