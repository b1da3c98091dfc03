//! Sign-ups per address: a burst of `per_hour`, then one more every hour / `per_hour`. Checked
//! before any password is hashed, so a flood of sign-ups from one address costs one lookup
//! each, not a 19 MiB hash. Built on governor's keyed limiter (keys: client addresses).

use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, Quota};

const HOUR: Duration = Duration::from_secs(3600);
/// Addresses remembered before old ones are forgotten.
const TRACKED: usize = 100_000;

pub struct SignUpLimit {
    /// `None`: no limit (a setting of 0).
    limiter: Option<DefaultKeyedRateLimiter<String>>,
    per_hour: u32,
}

impl SignUpLimit {
    pub fn per_hour(per_hour: u32) -> Self {
        let limiter = NonZeroU32::new(per_hour).map(|burst| {
            let quota = Quota::with_period(HOUR / per_hour)
                .expect("an hour over a u32 is not zero")
                .allow_burst(burst);
            DefaultKeyedRateLimiter::keyed(quota)
        });
        Self { limiter, per_hour }
    }

    /// Whether `address` may create an account now; counts it when it may.
    pub fn allow(&self, address: &str) -> Result<(), String> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if limiter.len() > TRACKED {
            limiter.retain_recent();
        }
        limiter.check_key(&address.to_string()).map_err(|_| {
            format!(
                "Too many new accounts from your address: at most {} an hour. Try again later.",
                self.per_hour
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_its_burst_then_waits_while_others_still_sign_up() {
        let limit = SignUpLimit::per_hour(3);
        for i in 0..3 {
            assert_eq!(limit.allow("10.0.0.1"), Ok(()), "sign-up {i}");
        }
        let refused = limit.allow("10.0.0.1").unwrap_err();
        assert!(refused.contains("at most 3 an hour"), "{refused}");
        assert_eq!(limit.allow("10.0.0.2"), Ok(()));
    }

    #[test]
    fn zero_means_no_limit() {
        let limit = SignUpLimit::per_hour(0);
        for _ in 0..1000 {
            assert_eq!(limit.allow("10.0.0.1"), Ok(()));
        }
    }
}
