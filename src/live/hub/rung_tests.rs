//! The hub with a quality ladder: real rungs from one ffmpeg, one id sequence, a viewer moved
//! down at its next keyframe when it falls behind (before it is ever skipped; from the lower
//! rung's newest keyframe when it is further behind than that), a player's say, and a resume
//! across a switch.

use std::sync::OnceLock;

use super::*;
use crate::live::splitter::{Piece, Splitter};
use crate::live::testing::encode_test_pattern_ladder;
use crate::live::wire::Ask;
use crate::renditions::chooser::{LinkRate, LinkReading};

/// The small test pattern (180p) as source, 90p and sound alone: each rung's init and fragments.
fn rungs() -> &'static Vec<(InitSegment, Vec<Fragment>)> {
    static RUNGS: OnceLock<Vec<(InitSegment, Vec<Fragment>)>> = OnceLock::new();
    RUNGS.get_or_init(|| {
        encode_test_pattern_ladder(6, "source, 90p:100, audio")
            .into_iter()
            .map(|bytes| {
                let mut pieces = Splitter::new().push(&bytes).unwrap().into_iter();
                let Some(Piece::Init(init)) = pieces.next() else {
                    panic!("init first")
                };
                let fragments = pieces
                    .filter_map(|p| match p {
                        Piece::Fragment(f) => Some(f),
                        Piece::Init(_) => None,
                    })
                    .collect();
                (init, fragments)
            })
            .collect()
    })
}

fn ladder() -> Arc<[RungInfo]> {
    Arc::from([
        RungInfo {
            name: "source".into(),
            height: Some(180),
        },
        RungInfo {
            name: "90p".into(),
            height: Some(90),
        },
        RungInfo {
            name: "audio".into(),
            height: None,
        },
    ])
}

/// A link the kernel measured far faster than any rung, kbit/s.
const FAST_LINK: f64 = 100_000.0;

fn settings() -> HubConfig {
    HubConfig {
        hold: Duration::from_secs(30),
        max_held_bytes: 32 << 20,
        max_lag: Duration::from_millis(2500),
    }
}

/// A live hub with every rung's init published.
fn live_hub() -> Arc<Hub> {
    let hub = Hub::new(settings(), 1);
    hub.begin_run(ladder());
    for (rung, (init, _)) in rungs().iter().enumerate() {
        hub.publish_rung_init(rung, init);
    }
    hub
}

/// Publishes the fragments of every rung that start before `until` seconds and after `from`,
/// in the order of their start (as one ffmpeg makes them), each received at its start time.
fn publish_until(hub: &Hub, t0: Instant, from: f64, until: f64) {
    publish_rungs_until(hub, t0, from, until, &[0, 1, 2]);
}

/// [`publish_until`] for the rungs `taken` alone (as a relay that takes only those).
fn publish_rungs_until(hub: &Hub, t0: Instant, from: f64, until: f64, taken: &[usize]) {
    let mut all: Vec<(f64, usize, &Fragment)> = rungs()
        .iter()
        .enumerate()
        .filter(|(rung, _)| taken.contains(rung))
        .flat_map(|(rung, (_, fragments))| {
            fragments
                .iter()
                .map(move |f| (f.start_secs.unwrap(), rung, f))
        })
        .filter(|(start, _, _)| *start >= from && *start < until)
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    for (start, rung, fragment) in all {
        let received = t0 + Duration::from_secs_f64(start);
        hub.publish_at(rung, fragment, received).unwrap();
    }
}

/// What a viewer was sent: (event name, rung of the init or the media, id, start seconds).
#[derive(Debug, Clone, PartialEq)]
struct Sent {
    name: String,
    rung: Option<String>,
    id: Option<u64>,
}

fn take(viewer: &mut Viewer, max_fragments: usize) -> Vec<Sent> {
    let mut out = Outbox::plain();
    viewer.catch_up(&mut out, max_fragments);
    out.iter()
        .map(|frame| {
            let text = std::str::from_utf8(frame).unwrap();
            let name = text
                .lines()
                .find_map(|l| l.strip_prefix("event: "))
                .unwrap_or("comment")
                .to_string();
            let id = text
                .lines()
                .find_map(|l| l.strip_prefix("id: "))
                .map(|id| id.parse().unwrap());
            let rung = (name == "init").then(|| {
                let data = text.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
                serde_json::from_str::<crate::live::wire::InitEvent>(data)
                    .unwrap()
                    .rung
            });
            Sent { name, rung, id }
        })
        .collect()
}

/// A viewer of `hub` who picked `rung` in the quality menu.
fn picking(hub: &Arc<Hub>, rung: &str) -> Viewer {
    let mut viewer = hub.subscribe(None, None, None);
    viewer.set_ask(Ask {
        pick: Some(rung.into()),
        ..Ask::default()
    });
    viewer
}

fn inits(sent: &[Sent]) -> Vec<String> {
    sent.iter().filter_map(|s| s.rung.clone()).collect()
}

#[test]
fn every_rung_is_numbered_in_one_sequence_and_a_viewer_starts_on_the_highest_it_may_have() {
    let hub = live_hub();
    let t0 = Instant::now();
    publish_until(&hub, t0, 0.0, 3.0);
    let mut viewer = hub.subscribe(None, None, None);
    let sent = take(&mut viewer, usize::MAX);
    assert_eq!(inits(&sent), ["source"]);
    let ids: Vec<u64> = sent.iter().filter_map(|s| s.id).collect();
    assert!(
        ids.windows(2).all(|w| w[1] > w[0] + 1),
        "other rungs' ids between: {ids:?}"
    );

    // A phone showing the picture 90 pixels tall needs no more than the 90p rung.
    let mut phone = hub.subscribe(None, None, None);
    phone.set_ask(Ask {
        max_height: Some(90),
        ..Ask::default()
    });
    assert_eq!(inits(&take(&mut phone, usize::MAX)), ["90p"]);
    // Sound alone, picked in the menu.
    let mut listener = picking(&hub, "audio");
    assert_eq!(inits(&take(&mut listener, usize::MAX)), ["audio"]);
    let figures = hub.rung_figures();
    let on: Vec<usize> = figures.iter().map(|f| f.viewers).collect();
    assert_eq!(on, [1, 1, 1], "{figures:?}");
    drop(phone);
    assert_eq!(
        hub.rung_figures()[1].viewers,
        0,
        "a viewer gone counts no more"
    );
}

/// `viewer` on the source takes everything held (the first 1.5 s), fragment by fragment; then
/// it takes only a little while the rungs `taken` are made up to `until` seconds: behind,
/// though within the 2.5 s after which it would be skipped. Reading on, with its link measured
/// at `link_kbps` by then (fast before), it reaches the keyframe at 2 s and is moved there.
/// What it was sent.
fn keep_up_then_fall_behind(
    hub: &Hub,
    t0: Instant,
    viewer: &mut Viewer,
    taken: &[usize],
    until: f64,
    link_kbps: f64,
) -> Vec<Sent> {
    let mut sent = Vec::new();
    loop {
        let more = take(viewer, 1);
        if !more.iter().any(|s| s.name == "media") {
            break;
        }
        sent.extend(more);
    }
    assert_eq!(inits(&sent), ["source"]);
    // Its link measured fast while it kept up (the highest figure of the interval).
    viewer.link_carries(LinkReading {
        rate: LinkRate::Full(FAST_LINK),
        span_us: 100_000,
        busy_us: None,
    });
    publish_rungs_until(hub, t0, 1.5, until, taken);
    for _ in 0..3 {
        sent.extend(take(viewer, 1));
    }
    // The kernel's newest figure of its link, which the server reads while it sends (a fast
    // one: the step down is the one rung that being behind forces, however slowly this test
    // runs on a busy machine, since the rate it drained is wall-clock time).
    viewer.link_carries(LinkReading {
        rate: LinkRate::Full(link_kbps),
        span_us: 100_000,
        busy_us: None,
    });
    for _ in 0..30 {
        sent.extend(take(viewer, 1));
    }
    sent
}

/// [`keep_up_then_fall_behind`] on a hub that has every rung: the hub, its start, the viewer
/// and what it was sent.
fn a_source_viewer_falls_behind(
    until: f64,
    link_kbps: f64,
) -> (Arc<Hub>, Instant, Viewer, Vec<Sent>) {
    let hub = live_hub();
    let t0 = Instant::now();
    publish_until(&hub, t0, 0.0, 1.5);
    let mut viewer = hub.subscribe(None, None, None);
    let sent = keep_up_then_fall_behind(&hub, t0, &mut viewer, &[0, 1, 2], until, link_kbps);
    (hub, t0, viewer, sent)
}

#[test]
fn a_viewer_that_falls_behind_moves_down_at_its_next_keyframe_before_it_is_ever_skipped() {
    let (hub, t0, viewer, sent) = a_source_viewer_falls_behind(3.0, FAST_LINK);
    assert!(
        !sent.iter().any(|s| s.name == "comment"),
        "never skipped: {sent:?}"
    );
    let rungs_sent = inits(&sent);
    assert_eq!(rungs_sent.len(), 2, "{rungs_sent:?}");
    assert_ne!(rungs_sent[1], "source", "moved down: {rungs_sent:?}");
    assert_eq!(viewer.rung(), 1, "one rung down, at least");
    assert_eq!(hub.rung_figures()[1].viewers, 1);

    // Its media is one timeline across the switch: each fragment starts where the last ended.
    let placed: Vec<(usize, f64, f64)> = sent.iter().filter_map(|s| s.id).map(place).collect();
    for pair in placed.windows(2) {
        assert!(
            (pair[1].1 - pair[0].2).abs() < 0.002,
            "no gap, no repeat: {pair:?}"
        );
    }

    // Reconnecting with the last id it had, it resumes on the rung it moved to.
    let last = sent.iter().rev().find_map(|s| s.id).unwrap();
    publish_until(&hub, t0, 3.0, 3.5);
    let mut resumed = hub.subscribe(Some(last), None, None);
    let again = take(&mut resumed, 1);
    assert_eq!(inits(&again), [rungs_sent[1].clone()]);
    let next = again.iter().find_map(|s| s.id).unwrap();
    assert!((place(next).1 - place(last).2).abs() < 0.002);
}

/// Further behind (the lower rung has made its next keyframe, though the viewer is still within
/// the 2.5 s after which it would be skipped), the step down lands on the lower rung's newest
/// keyframe: what lies between is what its link could not carry, and going on from the same
/// instant would leave it as far behind on the lower rung, to be skipped soon after.
#[test]
fn a_viewer_far_behind_steps_down_to_the_lower_rungs_newest_keyframe() {
    let (_hub, _, viewer, sent) = a_source_viewer_falls_behind(3.5, FAST_LINK);
    assert_eq!(inits(&sent), ["source", "90p"], "{sent:?}");
    let switch = sent
        .iter()
        .position(|s| s.rung.as_deref() == Some("90p"))
        .unwrap();
    assert_eq!(
        sent[switch - 1].name,
        "comment",
        "it is told it skipped: {sent:?}"
    );
    let last_source = sent[..switch].iter().rev().find_map(|s| s.id).unwrap();
    let first_lower = sent[switch..].iter().find_map(|s| s.id).unwrap();
    let source_ends = place(last_source).2;
    assert!((source_ends - 2.0).abs() < 0.05, "{source_ends}");
    let (rung, start, _) = place(first_lower);
    assert_eq!(rung, 1);
    assert!(
        (start - 3.0).abs() < 0.05,
        "from the newest keyframe at 3 s, not from where the source ended: {start}"
    );
    // From there it has everything made: the rest of that second, with no gap.
    let lower: Vec<(usize, f64, f64)> = sent[switch..]
        .iter()
        .filter_map(|s| s.id)
        .map(place)
        .collect();
    assert!(
        lower.windows(2).all(|p| (p[1].1 - p[0].2).abs() < 0.002),
        "{lower:?}"
    );
    assert!((lower.last().unwrap().2 - 3.5).abs() < 0.05, "{lower:?}");
    assert_eq!(viewer.rung(), 1);
}

/// A link measured too slow for the source, and the viewer a second behind on it: the rest of the
/// source's GOP would only come later and later, so it is skipped to the newest keyframe at
/// once (not 2.5 s behind), and goes down there, to what the link carries. (On a link measured
/// fast, the same viewer goes on to the source's keyframe at 2 s: see the test above.)
#[test]
fn a_viewer_behind_on_a_link_measured_too_slow_skips_to_the_newest_keyframe_and_goes_down() {
    let (_hub, _, viewer, sent) = a_source_viewer_falls_behind(3.5, 400.0);
    assert_eq!(inits(&sent), ["source", "90p"], "{sent:?}");
    let skip = sent.iter().position(|s| s.name == "comment").unwrap();
    let last_source = sent[..skip].iter().rev().find_map(|s| s.id).unwrap();
    let source_ends = place(last_source).2;
    assert!(
        source_ends < 1.95,
        "skipped before the source's next keyframe: {source_ends}"
    );
    let first_lower = sent[skip..].iter().find_map(|s| s.id).unwrap();
    let (rung, start, _) = place(first_lower);
    assert_eq!(rung, 1, "{sent:?}");
    assert!((start - 3.0).abs() < 0.05, "{start}");
    assert_eq!(viewer.rung(), 1);
}

/// On a relay that does not take the 90p rung: a viewer who picks it waits for it and says it
/// wants it (so the relay takes it); one falling behind on the source lands on the nearest lower
/// rung the relay has, never on nothing; a rung let go is dropped from the hub.
#[test]
fn a_rung_the_hub_holds_nothing_of_is_wanted_and_a_viewer_going_down_lands_below_it() {
    const FRESH: Duration = Duration::from_secs(2);
    let hub = live_hub();
    let t0 = Instant::now();
    publish_rungs_until(&hub, t0, 0.0, 1.5, &[0, 2]);
    assert!(!hub.rung_in_use(1, FRESH));
    let mut picker = picking(&hub, "90p");
    let waited = take(&mut picker, usize::MAX);
    assert!(!waited.iter().any(|s| s.name == "media"), "{waited:?}");
    assert!(hub.rung_in_use(1, FRESH), "the pick asks the relay for 90p");
    assert_eq!(
        hub.rung_figures()[1].viewers,
        0,
        "not on it until it is sent it"
    );

    let mut viewer = hub.subscribe(None, None, None);
    let sent = keep_up_then_fall_behind(&hub, t0, &mut viewer, &[0, 2], 3.0, FAST_LINK);
    assert_eq!(inits(&sent), ["source", "audio"], "{sent:?}");
    assert!(!sent.iter().any(|s| s.name == "comment"), "never skipped");
    assert_eq!(viewer.rung(), 2);

    // The relay takes 90p: the picker is sent it from its next keyframe.
    publish_until(&hub, t0, 3.0, 4.5);
    assert_eq!(inits(&take(&mut picker, usize::MAX)), ["90p"]);
    // And lets go of sound alone: what was held of it goes.
    let held = hub.held_bytes();
    hub.forget_rung(2);
    assert!(hub.held_bytes() < held);
    let mut listener = picking(&hub, "audio");
    let nothing = take(&mut listener, usize::MAX);
    assert!(!nothing.iter().any(|s| s.name == "media"), "{nothing:?}");
}

/// Where the fragment a hub from [`live_hub`] numbered `id` is: (rung, start, end).
fn place(id: u64) -> (usize, f64, f64) {
    let mut all: Vec<(f64, usize, &Fragment)> = rungs()
        .iter()
        .enumerate()
        .flat_map(|(rung, (_, fragments))| {
            fragments
                .iter()
                .map(move |f| (f.start_secs.unwrap(), rung, f))
        })
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let (start, rung, fragment) = all[(id - 1) as usize];
    (rung, start, start + fragment.duration_secs.unwrap())
}
