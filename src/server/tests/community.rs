//! Follows, the directory's search, and the schedule over real HTTP: who may follow, the live
//! channels a follower is told of, announcements with their rules, and the calendar feed read
//! by an iCalendar parser other than the one that wrote it.

use std::time::Duration;

use serde_json::json;

use super::support::*;
use crate::channels::api::{ChannelSummary, DirectoryPage};
use crate::error::AppError;
use crate::follows::api::Following;
use crate::schedule::api::{Announced, Upcoming};

async fn answer_json<T: serde::de::DeserializeOwned>(
    client: &reqwest::Client,
    base: &str,
    endpoint: &str,
    body: serde_json::Value,
) -> Result<T, AppError> {
    Ok(call(client, base, endpoint, None, Some(body))
        .await?
        .json()
        .await
        .unwrap())
}

async fn follow(
    client: &reqwest::Client,
    base: &str,
    channel: &str,
    on: bool,
) -> Result<Following, AppError> {
    answer_json(
        client,
        base,
        "follow",
        json!({"channel": channel, "on": on}),
    )
    .await
}

async fn followed_live(client: &reqwest::Client, base: &str) -> Vec<String> {
    let live: Vec<ChannelSummary> = answer_json(client, base, "followed_live", json!({}))
        .await
        .unwrap();
    live.into_iter().map(|c| c.name).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_follows_once_sees_the_channel_live_and_can_unfollow() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let base = format!("http://{}", server.addr);
    let fan = browser();
    sign_up(&fan, &base, "fan").await;
    let streamer = browser();
    sign_up(&streamer, &base, "streamer").await;
    let visitor = browser();

    let seen: Following = answer_json(
        &visitor,
        &base,
        "follow_state",
        json!({"channel": "streamer"}),
    )
    .await
    .unwrap();
    assert_eq!(
        (
            seen.followers,
            seen.following,
            seen.can_follow,
            seen.signed_in
        ),
        (0, false, false, false)
    );
    assert_eq!(
        follow(&visitor, &base, "streamer", true).await.unwrap_err(),
        AppError::SignInRequired
    );
    let own = follow(&streamer, &base, "streamer", true)
        .await
        .unwrap_err();
    assert!(
        matches!(&own, AppError::Invalid(text) if text.contains("your own channel")),
        "{own:?}"
    );
    let nobody = follow(&fan, &base, "nobody", true).await.unwrap_err();
    assert!(matches!(nobody, AppError::NotFound(_)), "{nobody:?}");

    let now = follow(&fan, &base, "streamer", true).await.unwrap();
    assert_eq!(
        (now.followers, now.following, now.can_follow),
        (1, true, true)
    );
    // Following again is still one follow.
    assert_eq!(
        follow(&fan, &base, "streamer", true)
            .await
            .unwrap()
            .followers,
        1
    );
    let owner_sees: Following = answer_json(
        &streamer,
        &base,
        "follow_state",
        json!({"channel": "streamer"}),
    )
    .await
    .unwrap();
    assert_eq!(
        (
            owner_sees.followers,
            owner_sees.can_follow,
            owner_sees.signed_in
        ),
        (1, false, true)
    );

    assert!(
        followed_live(&fan, &base).await.is_empty(),
        "offline channels are not live"
    );
    start(&streamer, &base, "streamer").await.unwrap();
    eventually(
        "the followed channel is listed live",
        Duration::from_secs(20),
        || {
            let (fan, base) = (fan.clone(), base.clone());
            async move { (followed_live(&fan, &base).await == ["streamer"]).then_some(()) }
        },
    )
    .await;
    assert!(
        followed_live(&visitor, &base).await.is_empty(),
        "nobody signed in follows nothing"
    );
    assert!(followed_live(&streamer, &base).await.is_empty());

    // The directory's search finds it by name, whatever the case, and not by something else.
    let search = |text: &'static str| {
        let (fan, base) = (fan.clone(), base.clone());
        async move {
            let page: DirectoryPage =
                answer(&fan, &base, "directory", &[("page", "0"), ("search", text)]).await;
            page.channels
                .into_iter()
                .map(|c| c.name)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(search("STREAM").await, ["streamer"]);
    assert!(
        search("fan").await.is_empty(),
        "an account that never broadcast is not listed"
    );
    let long = call(
        &fan,
        &base,
        "directory",
        Some(&[("page", "0"), ("search", &"x".repeat(101))]),
        None,
    )
    .await
    .unwrap_err();
    assert!(matches!(long, AppError::Invalid(_)), "{long:?}");

    stop(&streamer, &base, "streamer").await.unwrap();
    let after = follow(&fan, &base, "streamer", false).await.unwrap();
    assert_eq!((after.followers, after.following), (0, false));
    server.shutdown().await.unwrap();
}

/// A start time `minutes` from now, on a whole minute (as the studio's form sends it).
fn minutes_ahead(minutes: i64) -> i64 {
    let now = crate::clock::now_ms() as i64;
    (now / 60_000 + minutes) * 60_000
}

fn ical_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .format("%Y%m%dT%H%M%SZ")
        .to_string()
}

/// An iCalendar text value as written (RFC 5545 3.3.11: `\\`, `\;`, `\,` and `\n` escaped).
fn unescape(value: &str) -> String {
    let mut text = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            text.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => text.push('\n'),
            Some(other) => text.push(other),
            None => {}
        }
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_announces_broadcasts_listed_soonest_first_and_in_the_calendar_feed() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let base = format!("http://{}", server.addr);
    let streamer = browser();
    sign_up(&streamer, &base, "streamer").await;
    let other = browser();
    sign_up(&other, &base, "other").await;
    let announce = |client: &reqwest::Client, title: &str, starts_ms: i64| {
        let (client, base) = (client.clone(), base.clone());
        let body = json!({"channel": "streamer", "title": title, "starts_ms": starts_ms});
        async move { answer_json::<Announced>(&client, &base, "announce", body).await }
    };

    let past = announce(&streamer, "Yesterday", minutes_ahead(-60))
        .await
        .unwrap_err();
    assert!(
        matches!(&past, AppError::Invalid(text) if text.contains("passed")),
        "{past:?}"
    );
    let far = announce(&streamer, "Later", minutes_ahead(60 * 24 * 400))
        .await
        .unwrap_err();
    assert!(
        matches!(&far, AppError::Invalid(text) if text.contains("year")),
        "{far:?}"
    );
    let untitled = announce(&streamer, "  ", minutes_ahead(60))
        .await
        .unwrap_err();
    assert!(matches!(untitled, AppError::Invalid(_)), "{untitled:?}");
    let not_theirs = announce(&other, "Mine now", minutes_ahead(60))
        .await
        .unwrap_err();
    assert!(
        matches!(not_theirs, AppError::Forbidden(_)),
        "{not_theirs:?}"
    );

    let weekend = minutes_ahead(3 * 24 * 60);
    let tonight = minutes_ahead(120);
    let second = announce(&streamer, "Weekend marathon", weekend)
        .await
        .unwrap();
    let first = announce(&streamer, "Friday jam; \"live\", with commas", tonight)
        .await
        .unwrap();
    let listed: Upcoming =
        answer_json(&other, &base, "schedule_of", json!({"channel": "streamer"}))
            .await
            .unwrap();
    let titles: Vec<&str> = listed.announced.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(
        titles,
        ["Friday jam; \"live\", with commas", "Weekend marathon"]
    );
    let home: Upcoming = answer_json(&other, &base, "upcoming_broadcasts", json!({}))
        .await
        .unwrap();
    assert_eq!(
        home.announced,
        std::slice::from_ref(&first),
        "the home row: one per channel, its soonest"
    );

    // The feed, as a calendar app reads it.
    let response = reqwest::get(format!("{base}/watch/streamer/schedule.ics"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let text = response.text().await.unwrap();
    let calendars: Vec<_> = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()))
        .collect::<Result<_, _>>()
        .expect("the feed parses");
    assert_eq!(calendars.len(), 1);
    let events: Vec<(String, String)> = calendars[0]
        .events
        .iter()
        .map(|event| {
            let property = |name: &str| {
                event
                    .properties
                    .iter()
                    .find(|p| p.name == name)
                    .and_then(|p| p.value.clone())
                    .unwrap_or_default()
            };
            (unescape(&property("SUMMARY")), property("DTSTART"))
        })
        .collect();
    assert_eq!(
        events,
        [
            (first.title.clone(), ical_time(tonight)),
            (second.title.clone(), ical_time(weekend)),
        ]
    );
    let missing = reqwest::get(format!("{base}/watch/nobody/schedule.ics"))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    call(
        &streamer,
        &base,
        "cancel_announced",
        None,
        Some(json!({"channel": "streamer", "id": first.id})),
    )
    .await
    .unwrap();
    let again = call(
        &streamer,
        &base,
        "cancel_announced",
        None,
        Some(json!({"channel": "streamer", "id": first.id})),
    )
    .await
    .unwrap_err();
    assert!(matches!(again, AppError::NotFound(_)), "{again:?}");
    let left: Upcoming = answer_json(&other, &base, "schedule_of", json!({"channel": "streamer"}))
        .await
        .unwrap();
    assert_eq!(left.announced, [second]);
    server.shutdown().await.unwrap();
}
