//! Spans of time in words, for "live for 12 min" and "last live 3 hours ago".

/// `ms` as a short phrase: "a moment", "5 min", "2 hours", "3 days".
pub fn words(ms: u64) -> String {
    let minutes = ms / 60_000;
    let hours = minutes / 60;
    let days = hours / 24;
    match (days, hours, minutes) {
        (0, 0, 0) => "a moment".to_string(),
        (0, 0, m) => format!("{m} min"),
        (0, 1, _) => "1 hour".to_string(),
        (0, h, _) => format!("{h} hours"),
        (1, _, _) => "1 day".to_string(),
        (d, _, _) => format!("{d} days"),
    }
}

/// The time left until a start, `ms` ahead, as a countdown: "3 days", "5 h 07 min",
/// "12 min 30 s", "45 s".
pub fn countdown(ms: u64) -> String {
    let secs = ms.div_ceil(1000);
    let (days, hours, minutes, seconds) =
        (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds} s"),
        (0, 0, m) => format!("{m} min {seconds:02} s"),
        (0, h, m) => format!("{h} h {m:02} min"),
        (1, _, _) => "1 day".to_string(),
        (d, _, _) => format!("{d} days"),
    }
}

#[cfg(test)]
mod tests {
    use super::{countdown, words};

    #[test]
    fn countdowns_tick_down_to_the_second() {
        assert_eq!(countdown(45_000), "45 s");
        assert_eq!(countdown(44_001), "45 s");
        assert_eq!(countdown(12 * 60_000 + 30_000), "12 min 30 s");
        assert_eq!(countdown(5 * 3_600_000 + 7 * 60_000), "5 h 07 min");
        assert_eq!(countdown(30 * 3_600_000), "1 day");
        assert_eq!(countdown(80 * 3_600_000), "3 days");
    }

    #[test]
    fn spans_read_naturally() {
        assert_eq!(words(30_000), "a moment");
        assert_eq!(words(5 * 60_000 + 10), "5 min");
        assert_eq!(words(61 * 60_000), "1 hour");
        assert_eq!(words(5 * 3_600_000), "5 hours");
        assert_eq!(words(30 * 3_600_000), "1 day");
        assert_eq!(words(80 * 3_600_000), "3 days");
    }
}
