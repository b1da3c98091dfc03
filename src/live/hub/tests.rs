use super::chat::CHAT_HELD;
use super::*;
use crate::live::splitter::Piece;
use crate::live::splitter::Splitter;
use crate::live::testing::encode_test_pattern;
use std::sync::OnceLock;

/// Real init segment and fragments from ffmpeg, made once.
fn real() -> &'static (InitSegment, Vec<Fragment>) {
    static REAL: OnceLock<(InitSegment, Vec<Fragment>)> = OnceLock::new();
    REAL.get_or_init(|| {
        let mut pieces = Splitter::new()
            .push(&encode_test_pattern(3))
            .unwrap()
            .into_iter();
        let Some(Piece::Init(init)) = pieces.next() else {
            panic!("init first")
        };
        let fragments = pieces
            .filter_map(|p| {
                if let Piece::Fragment(f) = p {
                    Some(f)
                } else {
                    None
                }
            })
            .collect();
        (init, fragments)
    })
}

/// A hub that went live with the real init segment; its first fragment gets id 1.
fn live_hub(settings: HubConfig) -> Arc<Hub> {
    let hub = Hub::new(settings, 1);
    hub.publish_init(&real().0);
    hub
}

/// Whether the fragment a hub from [`live_hub`] numbered `id` starts with a keyframe.
fn is_keyframe(id: u64) -> bool {
    let fragments = &real().1;
    fragments[(id - 1) as usize % fragments.len()].keyframe
}

fn settings() -> HubConfig {
    HubConfig {
        hold: Duration::from_secs(8),
        max_held_bytes: 4 << 20,
        max_lag: Duration::from_millis(2500),
    }
}

/// What a viewer received, parsed back: ("status" | "init" | "media" | "comment", id).
fn drain(viewer: &mut Viewer) -> Vec<(String, Option<u64>)> {
    let mut out = Outbox::plain();
    viewer.catch_up(&mut out, usize::MAX);
    parse(&out)
}

fn parse(out: &Outbox) -> Vec<(String, Option<u64>)> {
    out.iter()
        .map(|frame| {
            let text = std::str::from_utf8(frame).unwrap();
            if text.starts_with(':') {
                return ("comment".to_string(), None);
            }
            let name = text
                .lines()
                .next()
                .unwrap()
                .trim_start_matches("event: ")
                .to_string();
            let id = text
                .lines()
                .find_map(|l| l.strip_prefix("id: "))
                .map(|id| id.parse().unwrap());
            (name, id)
        })
        .collect()
}

fn names(events: &[(String, Option<u64>)]) -> Vec<String> {
    events.iter().map(|(name, _)| name.clone()).collect()
}

fn media_ids(events: &[(String, Option<u64>)]) -> Vec<u64> {
    events
        .iter()
        .filter(|(name, _)| name == "media")
        .map(|(_, id)| id.unwrap())
        .collect()
}

/// Publishes the real fragments `range`, 100 ms apart starting at `t0`, returning their ids.
fn publish(hub: &Hub, range: std::ops::Range<usize>, t0: Instant) -> Vec<u64> {
    let (_, fragments) = real();
    range
        .map(|i| {
            hub.publish_at(
                0,
                &fragments[i % fragments.len()],
                t0 + Duration::from_millis(100 * i as u64),
            )
            .unwrap()
        })
        .collect()
}

#[test]
fn a_late_viewer_starts_at_the_newest_keyframe_after_status_and_init() {
    let (init, fragments) = real();
    let hub = Hub::new(settings(), 1000);
    hub.publish_init(init);
    let t0 = Instant::now();
    let ids = publish(&hub, 0..fragments.len(), t0);
    let mut viewer = hub.subscribe(None, None, None);
    let got = drain(&mut viewer);
    assert_eq!(got[0].0, "status");
    assert_eq!(got[1].0, "viewers");
    assert_eq!(got[2].0, "init");
    let media = media_ids(&got);
    let newest_key = fragments.iter().rposition(|f| f.keyframe).unwrap();
    assert_eq!(media.first(), Some(&ids[newest_key]));
    assert_eq!(media.last(), ids.last());
    assert!(fragments[newest_key].keyframe);
    // Nothing more is owed until something new is published.
    assert!(drain(&mut viewer).is_empty());
    let next = publish(&hub, 0..1, t0 + Duration::from_secs(4));
    assert_eq!(media_ids(&drain(&mut viewer)), next);
}

#[test]
fn keep_alive_comments_go_only_to_viewers_sent_nothing_since_the_last_beat() {
    let idle = Hub::new(settings(), 1);
    let mut viewer = idle.subscribe(None, None, None);
    assert_eq!(names(&drain(&mut viewer)), ["status", "viewers"]);
    // The opening events were sent in this period: no comment on its beat.
    idle.heartbeat();
    assert!(drain(&mut viewer).is_empty());
    // A whole period with nothing sent: a comment, once per beat.
    idle.heartbeat();
    assert_eq!(names(&drain(&mut viewer)), ["comment"]);
    assert!(drain(&mut viewer).is_empty());
    idle.heartbeat();
    assert_eq!(names(&drain(&mut viewer)), ["comment"]);

    // A viewer of a live channel is never sent a keep-alive: media keeps it busy.
    let live = live_hub(settings());
    let mut watching = live.subscribe(None, None, None);
    let t0 = Instant::now();
    for i in 0..5 {
        publish(&live, i..i + 1, t0);
        assert!(!names(&drain(&mut watching)).contains(&"comment".to_string()));
        live.heartbeat();
        assert!(!names(&drain(&mut watching)).contains(&"comment".to_string()));
    }
}

#[test]
fn resume_with_last_event_id_has_no_gap_and_no_duplicate() {
    let hub = live_hub(settings());
    let t0 = Instant::now();
    let ids = publish(&hub, 0..20, t0);
    let mut first = hub.subscribe(None, None, None);
    let seen = media_ids(&drain(&mut first));
    drop(first);
    let more = publish(&hub, 20..25, t0);
    let last = *seen.last().unwrap();
    let mut again = hub.subscribe(Some(last), None, None);
    let got = drain(&mut again);
    assert_eq!(got[2].0, "init", "a new connection gets init before media");
    assert_eq!(media_ids(&got), more);
    // Not held any more: init again and the newest keyframe.
    let mut stale = hub.subscribe(Some(ids[0].saturating_sub(50)), None, None);
    let got = drain(&mut stale);
    assert_eq!(got[2].0, "init");
    let first_media = media_ids(&got)[0];
    assert!(is_keyframe(first_media));
}

/// A viewer who moves from an instance that was a little further along (a relay is a few
/// fragments behind its origin) waits for what it lacks instead of being sent, again, media
/// it has; far ahead (a made-up id), it starts at the newest keyframe.
#[test]
fn a_resume_a_little_ahead_waits_for_the_next_id_and_far_ahead_starts_at_a_keyframe() {
    let hub = live_hub(settings());
    let t0 = Instant::now();
    let ids = publish(&hub, 0..10, t0);
    let last = *ids.last().unwrap();
    let mut ahead = hub.subscribe(Some(last + 2), None, None);
    assert!(
        media_ids(&drain(&mut ahead)).is_empty(),
        "nothing it has is repeated"
    );
    publish(&hub, 10..12, t0);
    assert!(
        media_ids(&drain(&mut ahead)).is_empty(),
        "still waiting for {}",
        last + 3
    );
    let more = publish(&hub, 12..14, t0);
    assert_eq!(
        media_ids(&drain(&mut ahead)),
        more,
        "then on from the next id"
    );

    let mut far = hub.subscribe(Some(last + 1000), None, None);
    let first_media = media_ids(&drain(&mut far))[0];
    assert!(is_keyframe(first_media));
}

/// Fragments relayed from another instance keep its ids; a repeat or a late one is dropped.
#[test]
fn relayed_fragments_keep_their_ids_and_repeats_are_dropped() {
    let hub = Hub::new(settings(), 1);
    hub.publish_init(&real().0);
    let fragments = &real().1;
    assert_eq!(hub.publish_relayed(0, &fragments[0], 5000), Some(5000));
    assert_eq!(hub.publish_relayed(0, &fragments[1], 5001), Some(5001));
    assert_eq!(
        hub.publish_relayed(0, &fragments[1], 5001),
        None,
        "a repeat"
    );
    assert_eq!(
        hub.publish_relayed(0, &fragments[1], 4000),
        None,
        "a late one"
    );
    let mut viewer = hub.subscribe(None, None, None);
    assert_eq!(media_ids(&drain(&mut viewer)), vec![5000, 5001]);
}

#[test]
fn a_resume_across_an_encoder_restart_gets_the_new_init_first() {
    let hub = live_hub(settings());
    let t0 = Instant::now();
    let before = publish(&hub, 0..5, t0);
    hub.publish_init(&real().0); // the encoder restarted
    let after = publish(&hub, 0..5, t0 + Duration::from_secs(1));
    assert_eq!(after[0], before[4] + 1, "ids keep counting across restarts");
    let mut viewer = hub.subscribe(Some(before[4]), None, None);
    let got = drain(&mut viewer);
    let init_at = got.iter().position(|(n, _)| n == "init").unwrap();
    let media_at = got.iter().position(|(n, _)| n == "media").unwrap();
    assert!(init_at < media_at);
    assert_eq!(media_ids(&got), after);
    // A viewer that was watching the old run gets the new init between the runs.
    let mut watching = hub.subscribe(Some(before[2]), None, None);
    let got = drain(&mut watching);
    let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names.iter().filter(|n| **n == "init").count(),
        2,
        "{names:?}"
    );
    assert_eq!(media_ids(&got), [&before[3..], &after[..]].concat());
}

#[test]
fn a_stalled_viewer_skips_to_the_newest_keyframe_and_memory_stays_bounded() {
    let fragments = &real().1;
    let settings = HubConfig {
        max_held_bytes: 1 << 20,
        ..settings()
    };
    let hub = live_hub(settings.clone());
    let t0 = Instant::now();
    publish(&hub, 0..10, t0);
    let mut stalled = hub.subscribe(None, None, None);
    let mut keeping_up = hub.subscribe(None, None, None);
    drain(&mut stalled);
    drain(&mut keeping_up);
    // 60 s of stream while one viewer reads nothing.
    let mut peak = 0;
    for second in 0..60 {
        let ids = publish(&hub, 10 + second * 10..20 + second * 10, t0);
        assert_eq!(media_ids(&drain(&mut keeping_up)), ids);
        peak = peak.max(hub.held_bytes());
    }
    let gop: usize = fragments
        .iter()
        .map(|f| f.data.len() * 4 / 3 + 64)
        .take(30)
        .sum();
    assert!(peak <= settings.max_held_bytes + gop, "held {peak} bytes");
    let got = drain(&mut stalled);
    assert_eq!(
        got[0].0, "comment",
        "the skip is announced as a comment: {got:?}"
    );
    let media = media_ids(&got);
    assert!(
        media.len() <= 31,
        "skipped to the newest GOP, got {} fragments",
        media.len()
    );
    let first = media[0];
    assert!(is_keyframe(first), "resumes at a keyframe");
}

#[test]
fn one_fragment_at_a_time_a_resumed_backlog_is_owed_but_falling_behind_is_skipped() {
    let hub = live_hub(settings());
    let t0 = Instant::now();
    let ids = publish(&hub, 0..50, t0);
    // Resuming 4.4 s back (more than the 2.5 s lag limit): every fragment, no skip.
    let mut viewer = hub.subscribe(Some(ids[5]), None, None);
    let mut got = Vec::new();
    loop {
        let mut out = Outbox::plain();
        assert_eq!(viewer.catch_up(&mut out, 1), 0);
        if out.is_empty() {
            break;
        }
        got.extend(parse(&out));
    }
    assert_eq!(media_ids(&got), ids[6..]);
    // Then the viewer stops reading while 5 s more arrive: its next fragment skips ahead.
    let later = publish(&hub, 50..100, t0);
    let mut out = Outbox::plain();
    assert!(viewer.catch_up(&mut out, 1) > 0);
    let got = parse(&out);
    assert_eq!(got[0].0, "comment");
    let first = media_ids(&got)[0];
    assert!(first > later[0], "skipped forward");
    assert!(is_keyframe(first));
}

#[test]
fn viewer_counts_arrive_at_once_then_coalesced() {
    let hub = live_hub(settings());
    let mut first = hub.subscribe(None, Some("tab-a"), None);
    let count_in =
        |got: &[(String, Option<u64>)]| got.iter().filter(|(n, _)| n == "viewers").count();
    assert_eq!(
        count_in(&drain(&mut first)),
        1,
        "a new connection gets the count at once"
    );
    // The publication of the count it was already told is not sent again.
    hub.publish_viewer_count();
    assert_eq!(count_in(&drain(&mut first)), 0);
    // A burst of joins, one of them a reconnect of the first tab.
    let others: Vec<Viewer> = ["tab-b", "tab-c", "tab-a"]
        .map(|k| hub.subscribe(None, Some(k), None))
        .into();
    assert_eq!(hub.viewer_count(), 3);
    assert_eq!(
        count_in(&drain(&mut first)),
        0,
        "nothing until the count is published"
    );
    hub.publish_viewer_count();
    hub.publish_viewer_count();
    let got = drain(&mut first);
    assert_eq!(count_in(&got), 1, "one event for the whole burst: {got:?}");
    drop(others);
    hub.publish_viewer_count();
    assert_eq!(count_in(&drain(&mut first)), 1);
    assert_eq!(hub.viewer_count(), 1);
}

#[test]
fn a_restart_is_told_as_reconnecting_and_keeps_the_live_since_time() {
    let hub = live_hub(settings());
    let went_live = hub.status().since_ms;
    let mut viewer = hub.subscribe(None, None, None);
    drain(&mut viewer);
    hub.go_reconnecting("the encoder stopped".into());
    assert_eq!(drain(&mut viewer), vec![("status".to_string(), None)]);
    let status = hub.status();
    assert_eq!(status.state, ChannelState::Reconnecting);
    assert_eq!(status.since_ms, went_live);
    hub.publish_init(&real().0);
    assert_eq!(hub.status().state, ChannelState::Live);
    assert_eq!(hub.status().since_ms, went_live, "live all along");
}

#[test]
fn offline_drops_media_and_tells_viewers() {
    let hub = live_hub(settings());
    publish(&hub, 0..5, Instant::now());
    let mut viewer = hub.subscribe(None, None, None);
    drain(&mut viewer);
    hub.go_offline(Some("stopped".into()));
    let got = drain(&mut viewer);
    assert_eq!(got, vec![("status".to_string(), None)]);
    assert_eq!(hub.held_bytes(), 0);
    assert_eq!(hub.status().state, ChannelState::Offline);
    assert!(
        hub.publish(&real().1[0]).is_none(),
        "no media without an init"
    );
}

/// The chat events a viewer is owed now, as (event name, data).
fn chat_of(viewer: &mut Viewer) -> Vec<(String, String)> {
    let mut out = Outbox::plain();
    viewer.catch_up(&mut out, 0);
    out.iter()
        .filter_map(|frame| {
            let text = std::str::from_utf8(frame).unwrap();
            let name = text.lines().find_map(|l| l.strip_prefix("event: "))?;
            let data = text.lines().find_map(|l| l.strip_prefix("data: "))?;
            name.starts_with("chat")
                .then(|| (name.to_string(), data.to_string()))
        })
        .collect()
}

fn message(id: u64) -> ChatEvent {
    ChatEvent {
        id,
        author: "ana".into(),
        text: format!("message {id}"),
        sent_at: 1_700_000_000_000 + id,
        bot: false,
        role: None,
        colour: None,
        reply: None,
    }
}

#[test]
fn chat_reaches_every_viewer_once_in_one_order() {
    let hub = live_hub(settings());
    let mut a = hub.subscribe(None, None, None);
    let mut b = hub.subscribe(None, None, None);
    assert!(chat_of(&mut a).is_empty());
    for id in [1, 2, 3] {
        hub.publish_chat(&message(id));
    }
    hub.publish_chat_deleted(2);
    let seen_by_a = chat_of(&mut a);
    assert_eq!(seen_by_a, chat_of(&mut b), "one order for everybody");
    let names: Vec<&str> = seen_by_a.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["chat", "chat", "chat", "chat-deleted"]);
    assert_eq!(seen_by_a[3].1, r#"{"id":2}"#);
    assert!(chat_of(&mut a).is_empty(), "nothing twice");
    // A newcomer without a resume point gets only what comes next.
    let mut late = hub.subscribe(None, None, None);
    assert!(chat_of(&mut late).is_empty());
}

#[test]
fn a_resumed_connection_gets_the_chat_it_missed_and_every_deletion() {
    let hub = live_hub(settings());
    for id in 1..=4 {
        hub.publish_chat(&message(id));
    }
    hub.publish_chat_deleted(1);
    let mut resumed = hub.subscribe(None, None, Some(2));
    let got = chat_of(&mut resumed);
    let got: Vec<(&str, &str)> = got.iter().map(|(n, d)| (n.as_str(), d.as_str())).collect();
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(got[0].1.contains(r#""id":3"#) && got[1].1.contains(r#""id":4"#));
    assert_eq!(got[2], ("chat-deleted", r#"{"id":1}"#));
    // The hub holds a bounded number of chat events.
    for id in 5..(5 + CHAT_HELD as u64 * 2) {
        hub.publish_chat(&message(id));
    }
    let mut from_start = hub.subscribe(None, None, Some(0));
    assert_eq!(chat_of(&mut from_start).len(), CHAT_HELD);
}

#[test]
fn a_chat_overlay_gets_status_and_chat_but_no_media_and_is_not_a_viewer() {
    let hub = live_hub(settings());
    let t0 = Instant::now();
    publish(&hub, 0..4, t0);
    hub.publish_chat(&message(1));
    let mut overlay = hub.subscribe_chat(Some(0));
    assert_eq!(hub.viewer_count(), 0, "an overlay is not a viewer");
    let events = drain(&mut overlay);
    assert_eq!(names(&events), ["status", "chat"], "{events:?}");
    publish(&hub, 4..8, t0);
    hub.publish_chat(&message(2));
    let mut watching = hub.subscribe(None, None, None);
    assert_eq!(hub.viewer_count(), 1);
    hub.publish_viewer_count();
    assert_eq!(names(&drain(&mut overlay)), ["chat"], "no media, no counts");
    assert!(names(&drain(&mut watching)).contains(&"media".to_string()));
}
