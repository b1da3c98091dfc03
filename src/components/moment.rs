//! Moments and lengths as text the same on the server and in the browser: a date in UTC
//! ("2026-12-03 16:40 UTC"), and a position or length in a recording ("1:02:03", "4:05").

/// Unix milliseconds as a UTC date and minute.
pub fn date(ms: u64) -> String {
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let (year, month, day) = civil(days);
    let minute_of_day = (secs % 86_400) / 60;
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        minute_of_day / 60,
        minute_of_day % 60
    )
}

/// Days since 1970-01-01 as (year, month, day) of the proleptic Gregorian calendar.
fn civil(days: i64) -> (i64, u32, u32) {
    // Howard Hinnant's days-to-civil, on eras of 400 years.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Seconds of media as "m:ss", or "h:mm:ss" from an hour.
pub fn clock(secs: f64) -> String {
    let total = secs.max(0.0).floor() as u64;
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_in_utc() {
        assert_eq!(date(0), "1970-01-01 00:00 UTC");
        // 2026-12-03 16:40:59 UTC.
        assert_eq!(date(1_796_316_059_000), "2026-12-03 16:40 UTC");
        // A leap day.
        assert_eq!(date(951_782_400_000), "2000-02-29 00:00 UTC");
    }

    #[test]
    fn positions_read_as_a_clock() {
        assert_eq!(clock(0.0), "0:00");
        assert_eq!(clock(65.9), "1:05");
        assert_eq!(clock(3723.0), "1:02:03");
        assert_eq!(clock(-3.0), "0:00");
    }
}
