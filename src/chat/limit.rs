//! The per-user chat rate limit: a burst of 5 messages, then one more every 2 s (so at most
//! 5 in any 10 s), counted per username across channels. Built on governor's keyed limiter.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, Quota};

pub const BURST: u32 = 5;
pub const PER: Duration = Duration::from_secs(10);

pub struct ChatLimit {
    limiter: DefaultKeyedRateLimiter<String>,
}

impl Default for ChatLimit {
    fn default() -> Self {
        let burst = NonZeroU32::new(BURST).expect("burst is not zero");
        let quota = Quota::with_period(PER / BURST)
            .expect("period is not zero")
            .allow_burst(burst);
        Self {
            limiter: DefaultKeyedRateLimiter::keyed(quota),
        }
    }
}

/// What a user who posts too fast is told.
pub fn slow_down() -> String {
    format!(
        "Slow down: at most {BURST} messages every {} seconds.",
        PER.as_secs()
    )
}

impl ChatLimit {
    /// Whether `username` may post now; counts the post when it may.
    pub fn allow(&self, username: &str) -> Result<(), String> {
        self.limiter
            .check_key(&username.to_ascii_lowercase())
            .map_err(|_| slow_down())?;
        if self.limiter.len() > 10_000 {
            self.limiter.retain_recent();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_next_message_is_refused_per_user() {
        let limit = ChatLimit::default();
        for i in 0..BURST {
            assert_eq!(limit.allow("ana"), Ok(()), "message {i}");
        }
        let refused = limit.allow("ANA").unwrap_err();
        assert_eq!(refused, "Slow down: at most 5 messages every 10 seconds.");
        assert_eq!(limit.allow("bob"), Ok(()), "others may still post");
    }
}
