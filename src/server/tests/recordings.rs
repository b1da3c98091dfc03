//! Recordings over real HTTP: a broadcast is recorded as it goes out and replays from its
//! index, segment by segment, with its chat placed on its timeline; a private recording is
//! nobody's business but its owner's; the owner deletes it.

use std::time::Duration;

use super::support::*;
use crate::error::AppError;
use crate::live::splitter::{Piece, Splitter};
use crate::recordings::api::{RecordingState, RecordingSummary, ReplayChatLine, ReplayIndex};

pub(super) async fn past(
    client: &reqwest::Client,
    base: &str,
    channel: &str,
) -> Vec<RecordingSummary> {
    call(
        client,
        base,
        "past_broadcasts",
        None,
        Some(serde_json::json!({ "channel": channel })),
    )
    .await
    .expect("past broadcasts")
    .json()
    .await
    .unwrap()
}

/// Ana's broadcast runs until a keyframe has gone out (a thumbnail needs one), then stops.
async fn broadcast_a_picture(ana: &reqwest::Client, base: &str) {
    eventually(
        "ana's broadcast has a picture",
        Duration::from_secs(30),
        || async {
            let url = format!("{base}/live/ana/thumbnail.jpg");
            let response = ana.get(url).send().await.ok()?;
            response.status().is_success().then_some(())
        },
    )
    .await;
    stop(ana, base, "ana").await.expect("ana stops");
}

async fn index(client: &reqwest::Client, base: &str, id: i64) -> reqwest::Response {
    client
        .get(format!("{base}/recordings/{id}"))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_replays_from_its_recording_with_its_chat_and_its_owner_controls_it() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let base = format!("http://{}", server.addr);
    let (ana, bob, visitor) = (browser(), browser(), browser());
    sign_up(&ana, &base, "ana").await;
    sign_up(&bob, &base, "bob").await;
    start(&ana, &base, "ana").await.expect("ana goes live");

    // While on air the recording is listed as growing; chat sent now is part of it.
    let live = eventually(
        "the recording holds two seconds",
        Duration::from_secs(30),
        || async {
            past(&visitor, &base, "ana")
                .await
                .into_iter()
                .find(|r| r.duration_ms >= 2000)
        },
    )
    .await;
    assert_eq!(live.state, RecordingState::Recording);
    call(
        &bob,
        &base,
        "post_chat",
        Some(&[("channel", "ana"), ("text", "hello replay")]),
        None,
    )
    .await
    .expect("bob chats");
    let before_stop = live.duration_ms;
    eventually(
        "a second more, and six in all, are recorded",
        Duration::from_secs(30),
        || async {
            let listed = past(&visitor, &base, "ana").await;
            listed
                .first()
                .filter(|r| r.duration_ms >= (before_stop + 1000).max(6000))
                .cloned()
        },
    )
    .await;
    stop(&ana, &base, "ana").await.expect("ana stops");

    let listed = past(&visitor, &base, "ana").await;
    assert_eq!(listed.len(), 1);
    let recording = &listed[0];
    assert_eq!(
        recording.state,
        RecordingState::Complete,
        "closed when the broadcast ended"
    );
    assert!(!recording.yours);
    let id = recording.id;

    // Its page starts the replay from its head, before the stylesheet can hold it up.
    let page = visitor
        .get(format!("{base}/replay/{id}?t=2"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let early = page.find("onairEarlyReplay").expect("the head start");
    let style = page.find("rel=\"stylesheet\"").expect("the stylesheet");
    assert!(early < style, "{page}");
    assert!(page.contains(&format!("const id = {id};")), "{page}");

    let response = index(&visitor, &base, id).await;
    assert_eq!(response.status(), 200);
    let replay: ReplayIndex = response.json().await.unwrap();
    assert_eq!(replay.duration_ms, recording.duration_ms);
    assert_eq!(replay.segments.first().map(|s| s.at_ms()), Some(0));
    assert_eq!(
        replay.segments.last().map(|s| s.end_ms() as u64),
        Some(replay.duration_ms)
    );
    for pair in replay.segments.windows(2) {
        assert_eq!(pair[1].at_ms(), pair[0].end_ms(), "back to back");
    }

    // Every segment, after its run's init, is whole fragments from a keyframe, as long as the
    // index says, and kept by caches for good.
    let mut whole = Vec::new();
    for segment in &replay.segments {
        let init = visitor
            .get(format!("{base}/recordings/{id}/init/{}", segment.run()))
            .send()
            .await
            .unwrap();
        assert_eq!(init.status(), 200);
        let init = init.bytes().await.unwrap();
        let response = visitor
            .get(format!("{base}/recordings/{id}/segments/{}", segment.seq()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let cache = response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            cache.contains("immutable") && cache.starts_with("public"),
            "{cache}"
        );
        let data = response.bytes().await.unwrap();
        if whole.is_empty() {
            whole.extend_from_slice(&init);
        }
        whole.extend_from_slice(&data);
        let mut splitter = Splitter::new();
        splitter.push(&init).unwrap();
        let fragments: Vec<_> = splitter
            .push(&data)
            .unwrap()
            .into_iter()
            .filter_map(|p| match p {
                Piece::Fragment(f) => Some(f),
                Piece::Init(_) => None,
            })
            .collect();
        assert!(
            fragments[0].keyframe,
            "segment {} opens with a keyframe",
            segment.seq()
        );
        assert_eq!(
            fragments.iter().map(|f| f.data.len()).sum::<usize>(),
            data.len()
        );
        let secs: f64 = fragments.iter().filter_map(|f| f.duration_secs).sum();
        assert!((secs * 1000.0 - segment.duration_ms() as f64).abs() <= 1.0);
    }

    // The owner downloads it as one MP4: the init and every segment, in order.
    let download = format!("{base}/recordings/{id}/download");
    let response = ana.get(&download).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.starts_with("attachment; filename=\"ana-"),
        "{disposition}"
    );
    assert_eq!(response.bytes().await.unwrap(), whole);
    assert_eq!(visitor.get(&download).send().await.unwrap().status(), 401);
    assert_eq!(bob.get(&download).send().await.unwrap().status(), 403);
    let part_two = ana.get(format!("{download}?part=2")).send().await.unwrap();
    assert_eq!(part_two.status(), 404);
    assert!(part_two.text().await.unwrap().contains("1 part"));

    // A signed-in viewer clips part of it: one MP4 that starts at a keyframe, its moov first,
    // served with ranges; the channel's owner deletes it, its maker cannot.
    let clip_of =
        |from: u64, to: u64| serde_json::json!({ "id": id, "from_ms": from, "to_ms": to });
    let short = call(&bob, &base, "clip_replay", None, Some(clip_of(1000, 3000))).await;
    assert!(
        matches!(&short, Err(AppError::Invalid(m)) if m.contains("5 to 60 seconds")),
        "{short:?}"
    );
    let anonymous = call(&visitor, &base, "clip_replay", None, Some(clip_of(0, 5500))).await;
    assert_eq!(anonymous.map(drop), Err(AppError::SignInRequired));
    let clip: i64 = call(&bob, &base, "clip_replay", None, Some(clip_of(200, 5500)))
        .await
        .expect("bob clips")
        .json()
        .await
        .unwrap();
    let clip_url = format!("{base}/clips/{clip}.mp4");
    let response = visitor.get(&clip_url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "video/mp4");
    let mp4 = response.bytes().await.unwrap();
    let at = |kind: &[u8]| mp4.windows(4).position(|w| w == kind).expect("the box");
    assert!(at(b"moov") < at(b"mdat"), "faststart: the moov comes first");
    let file = server.dir.path().join("clip.mp4");
    std::fs::write(&file, &mp4).unwrap();
    let probe = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "csv=p=0",
        ])
        .arg(&file)
        .output()
        .unwrap();
    let secs: f64 = String::from_utf8_lossy(&probe.stdout)
        .trim()
        .parse()
        .expect("a duration");
    // From the keyframe at or before 0.2 s (0 s) to 5.5 s.
    assert!((secs - 5.5).abs() < 0.15, "the clip plays {secs} s");
    let ranged = visitor
        .get(&clip_url)
        .header("range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), 206);
    assert_eq!(ranged.bytes().await.unwrap().len(), 100);
    let picture = visitor
        .get(format!("{base}/clips/{clip}.jpg"))
        .send()
        .await
        .unwrap();
    assert_eq!(picture.status(), 200);
    assert!(picture.bytes().await.unwrap().starts_with(&[0xff, 0xd8]));
    let summary: crate::recordings::api::ClipSummary = call(
        &visitor,
        &base,
        "clip",
        None,
        Some(serde_json::json!({ "id": clip })),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        (summary.made_by.as_str(), summary.duration_ms),
        ("bob", 5500)
    );
    let by_bob = call(
        &bob,
        &base,
        "delete_clip",
        None,
        Some(serde_json::json!({ "id": clip })),
    )
    .await;
    assert!(matches!(by_bob, Err(AppError::Forbidden(_))), "{by_bob:?}");
    call(
        &ana,
        &base,
        "delete_clip",
        None,
        Some(serde_json::json!({ "id": clip })),
    )
    .await
    .expect("the owner deletes it");
    assert_eq!(visitor.get(&clip_url).send().await.unwrap().status(), 404);

    // Its pictures: a poster for lists, one per segment for the seek bar; made once.
    for path in ["poster.jpg", "pictures/2"] {
        let url = format!("{base}/recordings/{id}/{path}");
        let first = visitor.get(&url).send().await.unwrap();
        assert_eq!(first.status(), 200, "{path}");
        assert_eq!(first.headers()["content-type"], "image/jpeg");
        let jpeg = first.bytes().await.unwrap();
        assert!(jpeg.starts_with(&[0xff, 0xd8]), "{path} is a JPEG");
        let again = visitor
            .get(&url)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(jpeg, again, "{path} is kept, not made again");
    }
    // Off air, the channel's picture (its card in the directory) is its last broadcast's.
    let card = visitor
        .get(format!("{base}/live/ana/thumbnail.jpg"))
        .send()
        .await
        .unwrap();
    assert_eq!(card.status(), 200);
    let poster = visitor
        .get(format!("{base}/recordings/{id}/poster.jpg"))
        .send()
        .await
        .unwrap();
    assert_eq!(card.bytes().await.unwrap(), poster.bytes().await.unwrap());

    // The chat line sent while on air falls inside the replay, where it was sent.
    let chat: Vec<ReplayChatLine> = call(
        &visitor,
        &base,
        "replay_chat",
        None,
        Some(serde_json::json!({ "id": id })),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let line = chat
        .iter()
        .find(|l| l.message.text == "hello replay")
        .expect("the chat line");
    assert!(
        line.at_ms >= 1000 && (line.at_ms as u64) < replay.duration_ms,
        "{line:?}"
    );

    // Mistakes are the caller's: clear 4xx.
    let missing = visitor
        .get(format!("{base}/recordings/{id}/segments/99999"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(index(&visitor, &base, id + 1000).await.status(), 404);
    let garbled = visitor
        .get(format!("{base}/recordings/abc"))
        .send()
        .await
        .unwrap();
    assert_eq!(garbled.status(), 400);

    // Only the owner changes it; private, it is gone for everyone else.
    let private = serde_json::json!({ "id": id, "visibility": "Private" });
    let refused = call(
        &bob,
        &base,
        "set_recording_visibility",
        None,
        Some(private.clone()),
    )
    .await;
    assert!(
        matches!(refused, Err(AppError::Forbidden(_))),
        "{refused:?}"
    );
    call(&ana, &base, "set_recording_visibility", None, Some(private))
        .await
        .expect("ana hides it");
    assert_eq!(index(&visitor, &base, id).await.status(), 404);
    assert_eq!(index(&bob, &base, id).await.status(), 404);
    let segment = |client: &reqwest::Client| {
        client
            .get(format!("{base}/recordings/{id}/segments/1"))
            .send()
    };
    assert_eq!(segment(&visitor).await.unwrap().status(), 404);
    let own = segment(&ana).await.unwrap();
    assert_eq!(own.status(), 200);
    assert!(
        own.headers()["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("private")
    );
    assert!(
        past(&visitor, &base, "ana").await.is_empty(),
        "not listed either"
    );
    let card = visitor
        .get(format!("{base}/live/ana/thumbnail.jpg"))
        .send()
        .await
        .unwrap();
    assert_eq!(card.status(), 404, "nor shown as the channel's picture");
    let mine = past(&ana, &base, "ana").await;
    assert!(mine.len() == 1 && mine[0].yours);

    // Deleted: its index and its files are gone.
    let bob_deletes = call(
        &bob,
        &base,
        "delete_recording",
        None,
        Some(serde_json::json!({ "id": id })),
    )
    .await;
    assert!(
        matches!(bob_deletes, Err(AppError::NotFound(_))),
        "private: bob cannot even see it: {bob_deletes:?}"
    );
    call(
        &ana,
        &base,
        "delete_recording",
        None,
        Some(serde_json::json!({ "id": id })),
    )
    .await
    .expect("ana deletes it");
    assert_eq!(index(&ana, &base, id).await.status(), 404);
    assert!(
        !server
            .dir
            .path()
            .join("recordings")
            .join(id.to_string())
            .exists()
    );
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_recording_off_for_the_server_nothing_is_kept() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[
        ("ONAIR_DEMO_ENABLED", "false"),
        ("ONAIR_RECORDINGS_ENABLED", "false"),
    ])
    .await;
    let base = format!("http://{}", server.addr);
    let ana = browser();
    sign_up(&ana, &base, "ana").await;
    start(&ana, &base, "ana").await.expect("ana goes live");
    // Pictures went out (a thumbnail needs a keyframe): recorded, they would be kept.
    broadcast_a_picture(&ana, &base).await;
    assert!(past(&ana, &base, "ana").await.is_empty());
    assert!(!server.dir.path().join("recordings").exists());
    let card = ana
        .get(format!("{base}/live/ana/thumbnail.jpg"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        card.status(),
        404,
        "off air with nothing recorded: no picture"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_who_turns_recording_off_gets_no_recording() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let base = format!("http://{}", server.addr);
    let (ana, bob) = (browser(), browser());
    sign_up(&ana, &base, "ana").await;
    sign_up(&bob, &base, "bob").await;
    let off = serde_json::json!({ "channel": "ana", "on": false });
    let refused = call(&bob, &base, "set_recording", None, Some(off.clone())).await;
    assert!(
        matches!(refused, Err(AppError::Forbidden(_))),
        "{refused:?}"
    );
    call(&ana, &base, "set_recording", None, Some(off))
        .await
        .expect("ana turns it off");
    let setting: crate::recordings::api::RecordingSetting = call(
        &ana,
        &base,
        "channel_recording",
        None,
        Some(serde_json::json!({ "channel": "ana" })),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert!(setting.server_records && !setting.on);
    start(&ana, &base, "ana").await.expect("ana goes live");
    broadcast_a_picture(&ana, &base).await;
    assert!(past(&ana, &base, "ana").await.is_empty());
    server.shutdown().await.unwrap();
}
