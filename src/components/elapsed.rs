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

#[cfg(test)]
mod tests {
    use super::words;

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
