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

/// Failed (and pending) sign-ins by account and by address.
#[derive(Default)]
pub struct SignInThrottle {
    limits: Limits,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
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
        let mut failures = self.lock();
        if failures.len() > 10_000 {
            // Bound the memory an attacker can make us hold with made-up names.
            failures.retain(|_, times| times.back().is_some_and(|t| now - *t < self.limits.window));
        }
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

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<Instant>>> {
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Attempt<'_> {
    /// The password was right: the account's failures are cleared, and this attempt no longer
    /// counts against the address (its earlier failures still do).
    pub fn succeeded(self) {
        let mut failures = self.throttle.lock();
        failures.remove(&self.account);
        if let Some(address) = &self.address {
            self.unreserve(&mut failures, address);
        }
    }

    /// The attempt could not be decided (our fault, not the guesser's): it counts for nothing.
    pub fn withdraw(self) {
        let mut failures = self.throttle.lock();
        for key in std::iter::once(&self.account).chain(self.address.as_ref()) {
            self.unreserve(&mut failures, key);
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
