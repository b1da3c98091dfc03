//! Slows down password guessing: after too many failed sign-ins for one account, or from one
//! address, within a window, further attempts are refused until the oldest failure ages out.
//! A browser the account has signed in from before (a known device, `devices`) is not held up
//! by guesses made elsewhere: its attempts count only against itself, with the account's
//! limit. So an attacker guessing an account cannot lock its owner out of their own browser
//! (OWASP's "device cookies").
//!
//! An attempt counts as a failure from the moment it is let through (`begin` reserves it under
//! the same lock that checks the count), and stops counting only if it succeeds: so parallel
//! guesses cannot all pass the check before the first one fails, and a guess made while
//! throttled is refused before the password is verified (it learns nothing). Rate-limiting
//! crates count every call, which would lock out the person who finally types the right
//! password; this is the small piece they lack.
//!
//! Memory is bounded under a flood of guesses for made-up names: counts whose failures have
//! all aged out are swept away once the map has doubled since the last sweep (so a sweep's
//! cost is shared by the attempts that made it due, never paid by every attempt), and past
//! [`MAX_KEYS`] the counts whose latest failure is oldest are forgotten.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many failures each kind of key may have within the window.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub per_account: usize,
    pub per_address: usize,
    pub window: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            per_account: 5,
            per_address: 20,
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// Keys below which the map is never swept.
const SWEEP_FLOOR: usize = 10_000;
/// Keys kept at most (about 30 MiB): a flood past it forgets the stalest half.
const MAX_KEYS: usize = 200_000;

/// Failed (and pending) sign-ins by account and by address.
#[derive(Default)]
pub struct SignInThrottle {
    limits: Limits,
    failures: Mutex<Failures>,
}

/// The failures' times by key, and when the next sweep is due.
#[derive(Default)]
struct Failures {
    by_key: HashMap<String, VecDeque<Instant>>,
    /// The map's size at which the next sweep runs.
    sweep_at: usize,
    /// Entries looked at by sweeps so far (tests check the cost stays shared).
    swept: u64,
}

impl Failures {
    /// Forgets what has aged out, if the map has grown enough since the last sweep to pay for
    /// looking at all of it; then, if still over [`MAX_KEYS`], the stalest half.
    fn sweep_if_due(&mut self, now: Instant, window: Duration) {
        if self.by_key.len() < self.sweep_at.max(SWEEP_FLOOR) {
            return;
        }
        self.swept += self.by_key.len() as u64;
        self.by_key
            .retain(|_, times| times.back().is_some_and(|t| now - *t < window));
        if self.by_key.len() > MAX_KEYS {
            let mut latest: Vec<Instant> = self
                .by_key
                .values()
                .filter_map(|times| times.back().copied())
                .collect();
            let cut = latest.len() - MAX_KEYS / 2;
            let (_, cutoff, _) = latest.select_nth_unstable(cut);
            let cutoff = *cutoff;
            self.swept += self.by_key.len() as u64;
            self.by_key
                .retain(|_, times| times.back().is_some_and(|t| *t >= cutoff));
        }
        self.sweep_at = self.by_key.len() * 2;
    }
}

/// A sign-in let through: it counts as a failure unless [`Attempt::succeeded`] is called.
#[must_use = "an attempt counts as failed unless it succeeded"]
pub struct Attempt<'a> {
    throttle: &'a SignInThrottle,
    /// Cleared on success: the account's key, or the known device's.
    account: String,
    /// Counted too, and kept on success (its other failures still count): the address's key.
    address: Option<String>,
    at: Instant,
}

/// The account's key and the address's key: an account and an address never share a count.
fn account_key(account: &str) -> String {
    format!("account:{}", account.to_ascii_lowercase())
}

fn address_key(address: &str) -> String {
    format!("address:{address}")
}

fn device_key(device: i64) -> String {
    format!("device:{device}")
}

impl SignInThrottle {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            failures: Mutex::default(),
        }
    }

    /// Lets a sign-in for `account` from `address` go ahead, counting it as failed until it
    /// succeeds; `Err(wait)` when either has failed too often lately.
    pub fn begin(
        &self,
        account: &str,
        address: &str,
        now: Instant,
    ) -> Result<Attempt<'_>, Duration> {
        self.reserve(
            (account_key(account), self.limits.per_account),
            Some((address_key(address), self.limits.per_address)),
            now,
        )
    }

    /// Lets a sign-in from known device `device` (a row id of the account's known devices)
    /// go ahead: it counts against that device alone, with the account's limit.
    pub fn begin_known(&self, device: i64, now: Instant) -> Result<Attempt<'_>, Duration> {
        self.reserve((device_key(device), self.limits.per_account), None, now)
    }

    fn reserve(
        &self,
        (account, account_limit): (String, usize),
        address: Option<(String, usize)>,
        now: Instant,
    ) -> Result<Attempt<'_>, Duration> {
        let mut guard = self.lock();
        guard.sweep_if_due(now, self.limits.window);
        let failures = &mut guard.by_key;
        let mut wait = Duration::ZERO;
        for (key, limit) in std::iter::once((&account, account_limit))
            .chain(address.as_ref().map(|(key, limit)| (key, *limit)))
        {
            if let Some(times) = failures.get_mut(key) {
                self.forget_old(times, now);
                if times.len() >= limit {
                    let oldest = times[times.len() - limit];
                    wait = wait.max(self.limits.window.saturating_sub(now - oldest));
                }
            }
        }
        if !wait.is_zero() {
            return Err(wait);
        }
        let address = address.map(|(key, _)| key);
        for key in std::iter::once(&account).chain(address.as_ref()) {
            failures.entry(key.clone()).or_default().push_back(now);
        }
        Ok(Attempt {
            throttle: self,
            account,
            address,
            at: now,
        })
    }

    fn forget_old(&self, times: &mut VecDeque<Instant>, now: Instant) {
        while times
            .front()
            .is_some_and(|t| now - *t >= self.limits.window)
        {
            times.pop_front();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Failures> {
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Attempt<'_> {
    /// The password was right: the account's failures are cleared, and this attempt no longer
    /// counts against the address (its earlier failures still do).
    pub fn succeeded(self) {
        let mut guard = self.throttle.lock();
        let failures = &mut guard.by_key;
        failures.remove(&self.account);
        if let Some(address) = &self.address {
            self.unreserve(failures, address);
        }
    }

    /// The attempt could not be decided (our fault, not the guesser's): it counts for nothing.
    pub fn withdraw(self) {
        let mut guard = self.throttle.lock();
        for key in std::iter::once(&self.account).chain(self.address.as_ref()) {
            self.unreserve(&mut guard.by_key, key);
        }
    }

    /// Takes this attempt's reservation off `key`'s count.
    fn unreserve(&self, failures: &mut HashMap<String, VecDeque<Instant>>, key: &str) {
        if let Some(times) = failures.get_mut(key)
            && let Some(at) = times.iter().rposition(|t| *t == self.at)
        {
            times.remove(at);
        }
    }
}

/// What to tell someone who is throttled.
pub fn message(wait: Duration) -> String {
    let secs = wait.as_secs().max(1);
    if secs < 90 {
        format!("Too many failed sign-ins. Try again in {secs} seconds.")
    } else {
        format!(
            "Too many failed sign-ins. Try again in {} minutes.",
            secs.div_ceil(60)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle() -> SignInThrottle {
        SignInThrottle::new(Limits {
            per_account: 3,
            per_address: 5,
            window: Duration::from_secs(60),
        })
    }

    /// A sign-in that fails (the attempt is simply not marked a success).
    fn fail(t: &SignInThrottle, account: &str, address: &str, now: Instant) {
        let _failed = t.begin(account, address, now).expect("let through");
    }

    #[test]
    fn an_account_is_throttled_after_repeated_failures_until_they_age_out() {
        let t = throttle();
        let start = Instant::now();
        for _ in 0..3 {
            fail(&t, "Ana", "10.0.0.1", start);
        }
        // From any address, and whatever the case of the name.
        let wait = t.begin("ana", "10.0.0.2", start).err().unwrap();
        assert_eq!(wait, Duration::from_secs(60));
        assert_eq!(
            t.begin("ana", "10.0.0.2", start + Duration::from_secs(45))
                .err(),
            Some(Duration::from_secs(15))
        );
        assert!(
            t.begin("ana", "10.0.0.2", start + Duration::from_secs(60))
                .is_ok()
        );
        // Other accounts were never affected.
        assert!(t.begin("bob", "10.0.0.3", start).is_ok());
    }

    #[test]
    fn a_known_device_signs_in_while_the_account_is_throttled_for_everyone_else() {
        let t = throttle();
        let now = Instant::now();
        for _ in 0..3 {
            fail(&t, "ana", "10.0.0.66", now);
        }
        assert!(
            t.begin("ana", "10.0.0.1", now).is_err(),
            "unknown browsers wait"
        );
        t.begin_known(7, now)
            .expect("the owner's browser is let through")
            .succeeded();
        // A known device has the account's limit of its own.
        for _ in 0..3 {
            let _failed = t.begin_known(8, now).unwrap();
        }
        assert!(t.begin_known(8, now).is_err());
        assert!(t.begin_known(7, now).is_ok());
    }

    #[test]
    fn an_address_guessing_many_accounts_is_throttled() {
        let t = throttle();
        let now = Instant::now();
        for name in ["a1", "a2", "a3", "a4", "a5"] {
            fail(&t, name, "10.0.0.9", now);
        }
        assert!(t.begin("a6", "10.0.0.9", now).is_err());
        assert!(t.begin("a6", "10.0.0.8", now).is_ok());
    }

    #[test]
    fn success_clears_the_account_and_does_not_count_against_the_address() {
        let t = throttle();
        let now = Instant::now();
        fail(&t, "ana", "10.0.0.1", now);
        fail(&t, "ana", "10.0.0.1", now);
        t.begin("ana", "10.0.0.1", now).unwrap().succeeded();
        // The account starts afresh: its limit again, from anywhere.
        for _ in 0..3 {
            fail(&t, "ana", "10.0.0.7", now);
        }
        assert!(t.begin("ana", "10.0.0.8", now).is_err());
        // The address keeps its 2 failures; the success is not one of them.
        fail(&t, "bob", "10.0.0.1", now);
        fail(&t, "carl", "10.0.0.1", now);
        assert!(t.begin("dan", "10.0.0.1", now).is_ok(), "4 failures so far");
        assert!(t.begin("erin", "10.0.0.1", now).is_err(), "5 failures");
    }

    #[test]
    fn parallel_guesses_cannot_slip_past_the_limit() {
        let t = throttle();
        let now = Instant::now();
        // 60 guesses for one account at the same moment, from many addresses: each is let
        // through or refused under one lock, and the ones let through count at once.
        let let_through = std::thread::scope(|s| {
            let guesses: Vec<_> = (0..60)
                .map(|i| {
                    let t = &t;
                    s.spawn(move || t.begin("ana", &format!("10.0.1.{i}"), now).is_ok())
                })
                .collect();
            guesses
                .into_iter()
                .map(|g| g.join().unwrap())
                .filter(|ok| *ok)
                .count()
        });
        assert_eq!(let_through, 3, "the account's limit, not more");
    }

    /// Issue 25: a flood of guesses for made-up names from many addresses. Sweeps look at
    /// each key a few times in all (not the whole map on every attempt, as before), and the
    /// map stays within its bound.
    #[test]
    fn a_guess_flood_pays_for_its_sweeps_and_stays_bounded() {
        let t = SignInThrottle::new(Limits {
            per_account: 5,
            per_address: 20,
            window: Duration::from_secs(900),
        });
        let start = Instant::now();
        let attempts = 300_000u64;
        for i in 0..attempts {
            let now = start + Duration::from_micros(i);
            let _ = t.begin(&format!("made-up-{i}"), &format!("10.{}.0.0", i / 20), now);
        }
        let failures = t.lock();
        // Two keys per attempt (account and address) were added.
        assert!(
            failures.swept <= 4 * 2 * attempts,
            "swept {} entries for {attempts} attempts",
            failures.swept
        );
        assert!(
            failures.by_key.len() <= MAX_KEYS * 2,
            "{}",
            failures.by_key.len()
        );
    }

    #[test]
    fn the_message_says_when_to_try_again() {
        assert_eq!(
            message(Duration::from_secs(15)),
            "Too many failed sign-ins. Try again in 15 seconds."
        );
        assert_eq!(
            message(Duration::from_secs(14 * 60 + 1)),
            "Too many failed sign-ins. Try again in 15 minutes."
        );
    }
}
