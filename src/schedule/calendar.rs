//! A channel's schedule as an iCalendar feed (RFC 5545), for calendar apps to subscribe to.
//! Written by the `icalendar` crate (escaping, line folding and UTC times are its job).

use icalendar::{Calendar, Component, Event, EventLike};

use super::api::Announced;

/// How long a calendar shows an announced broadcast (we know only when it starts).
const SHOWN_FOR_MS: i64 = 3600 * 1000;

/// `channel`'s announcements as a calendar; `origin` is the site's address
/// (`https://tv.example.org`), for each event's link and its lasting id.
pub fn feed(channel: &str, broadcaster: &str, origin: &str, announced: &[Announced]) -> String {
    let host = origin
        .split_once("://")
        .map_or(origin, |(_, host)| host)
        .trim_end_matches('/');
    let mut calendar = Calendar::new();
    calendar
        .name(&format!("{broadcaster} on OnAir"))
        .description(&format!("Broadcasts {broadcaster} announced on {host}"));
    let watch = format!("{}/watch/{channel}", origin.trim_end_matches('/'));
    for entry in announced {
        let starts = time(entry.starts_ms as i64);
        let ends = time(entry.starts_ms as i64 + SHOWN_FOR_MS);
        calendar.push(
            Event::new()
                .uid(&format!("onair-{}-{}@{host}", entry.channel, entry.id))
                .summary(&entry.title)
                .description(&format!("{broadcaster} goes live: {watch}"))
                .url(&watch)
                .starts(starts)
                .ends(ends)
                .done(),
        );
    }
    calendar.done().to_string()
}

fn time(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}
