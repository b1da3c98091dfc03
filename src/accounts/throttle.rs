//! Slows down password guessing: after too many failed sign-ins for one account, or from one
//! address, within a window, further attempts are refused until the oldest failure ages out.
//!
//! Only failures count, and the check happens before the password is verified (so a guess made
//! while throttled learns nothing). Rate-limiting crates count every call, which would lock out
//! the person who finally types the right password; this is the small piece they lack.

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

/// Failed sign-ins by account and by address.
#[derive(Default)]
pub struct SignInThrottle {
    limits: Limits,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// Keys stay apart: an account and an address never share a count.
fn keys(account: &str, address: &str) -> [(String, bool); 2] {
    [
        (format!("account:{}", account.to_ascii_lowercase()), true),
        (format!("address:{address}"), false),
    ]
}

impl SignInThrottle {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            failures: Mutex::default(),
        }
    }

    /// `Err(wait)` when `account` or `address` has failed too often lately.
    pub fn check(&self, account: &str, address: &str, now: Instant) -> Result<(), Duration> {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = Duration::ZERO;
        for (key, is_account) in keys(account, address) {
            let limit = if is_account {
                self.limits.per_account
            } else {
                self.limits.per_address
            };
            if let Some(times) = failures.get_mut(&key) {
                self.forget_old(times, now);
                if times.len() >= limit {
                    let oldest = times[times.len() - limit];
                    wait = wait.max(self.limits.window.saturating_sub(now - oldest));
                }
            }
        }
        if wait.is_zero() { Ok(()) } else { Err(wait) }
    }

    /// Counts a failed sign-in against both keys.
    pub fn record_failure(&self, account: &str, address: &str, now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() > 10_000 {
            // Bound the memory an attacker can make us hold with made-up names.
            failures.retain(|_, times| times.back().is_some_and(|t| now - *t < self.limits.window));
        }
        for (key, _) in keys(account, address) {
            let times = failures.entry(key).or_default();
            self.forget_old(times, now);
            times.push_back(now);
        }
    }

    /// A successful sign-in clears the account's failures (not the address's).
    pub fn record_success(&self, account: &str) {
        let [(key, _), _] = keys(account, "");
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&key);
    }

    fn forget_old(&self, times: &mut VecDeque<Instant>, now: Instant) {
        while times
            .front()
            .is_some_and(|t| now - *t >= self.limits.window)
        {
            times.pop_front();
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

    #[test]
    fn an_account_is_throttled_after_repeated_failures_until_they_age_out() {
        let t = throttle();
        let start = Instant::now();
        for i in 0..3 {
            assert_eq!(t.check("Ana", "10.0.0.1", start), Ok(()), "attempt {i}");
            t.record_failure("Ana", "10.0.0.1", start);
        }
        // From any address, and whatever the case of the name.
        let wait = t.check("ana", "10.0.0.2", start).unwrap_err();
        assert_eq!(wait, Duration::from_secs(60));
        assert_eq!(
            t.check("ana", "10.0.0.2", start + Duration::from_secs(45)),
            Err(Duration::from_secs(15))
        );
        assert_eq!(
            t.check("ana", "10.0.0.2", start + Duration::from_secs(60)),
            Ok(())
        );
        // Other accounts were never affected.
        assert_eq!(t.check("bob", "10.0.0.3", start), Ok(()));
    }

    #[test]
    fn an_address_guessing_many_accounts_is_throttled() {
        let t = throttle();
        let now = Instant::now();
        for name in ["a1", "a2", "a3", "a4", "a5"] {
            assert_eq!(t.check(name, "10.0.0.9", now), Ok(()));
            t.record_failure(name, "10.0.0.9", now);
        }
        assert!(t.check("a6", "10.0.0.9", now).is_err());
        assert_eq!(t.check("a6", "10.0.0.8", now), Ok(()));
    }

    #[test]
    fn success_clears_the_account_but_not_the_address() {
        let t = throttle();
        let now = Instant::now();
        for _ in 0..3 {
            t.record_failure("ana", "10.0.0.1", now);
        }
        t.record_success("ana");
        assert_eq!(t.check("ana", "10.0.0.7", now), Ok(()));
        t.record_failure("ana", "10.0.0.1", now);
        t.record_failure("bob", "10.0.0.1", now);
        assert!(
            t.check("carl", "10.0.0.1", now).is_err(),
            "5 failures from the address"
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
