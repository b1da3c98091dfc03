//! When an announced broadcast may start: shared, so the studio's form and the server agree.

/// An announcement starts at most this far ahead (a year).
pub const AHEAD_MAX_MS: u64 = 366 * 24 * 3600 * 1000;
/// An announcement stays listed this long after its start time (it may start late).
pub const LISTED_AFTER_START_MS: u64 = 3600 * 1000;
/// The most upcoming announcements a channel has at once.
pub const UPCOMING_MAX: usize = 50;

/// A start time `starts_ms` (Unix ms) announced at `now_ms`: not in the past, at most a year
/// ahead.
pub fn check_start(starts_ms: i64, now_ms: u64) -> Result<u64, String> {
    // A minute of slack for a form filled in at the current minute.
    let earliest = now_ms.saturating_sub(60_000);
    let starts = u64::try_from(starts_ms).map_err(|_| past())?;
    if starts < earliest {
        return Err(past());
    }
    if starts > now_ms.saturating_add(AHEAD_MAX_MS) {
        return Err("A broadcast can be announced at most a year ahead.".into());
    }
    Ok(starts)
}

fn past() -> String {
    "That time has passed: pick a start time in the future.".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_are_ahead_and_within_a_year() {
        let now = 1_800_000_000_000;
        assert_eq!(
            check_start(now as i64 + 3_600_000, now),
            Ok(now + 3_600_000)
        );
        assert_eq!(check_start(now as i64 - 30_000, now), Ok(now - 30_000));
        assert!(
            check_start(now as i64 - 3_600_000, now)
                .unwrap_err()
                .contains("passed")
        );
        assert!(check_start(-5, now).is_err());
        assert!(
            check_start((now + AHEAD_MAX_MS + 1) as i64, now)
                .unwrap_err()
                .contains("year")
        );
    }
}
