//! Broadcasts over real HTTP: only the owner controls a channel, the server-wide limit, a
//! killed ffmpeg restarted and none left behind, media files from the folder only, and a
//! broadcast whose restarts run out.

use std::time::Duration;

use eventsource_stream::Eventsource;

use super::support::*;
use crate::broadcasts::api::EndReason;
use crate::error::AppError;
use crate::live::wire::{ChannelState, InitEvent, StatusEvent};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_owner_controls_a_channel_and_signed_out_calls_are_refused() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let base = format!("http://{}", server.addr);
    let (ana, bob, visitor) = (browser(), browser(), browser());
    sign_up(&ana, &base, "Ana").await;
    sign_up(&bob, &base, "bob").await;

    start(&ana, &base, "ana")
        .await
        .expect("the owner goes live");
    assert_eq!(
        start(&visitor, &base, "ana").await,
        Err(AppError::SignInRequired)
    );
    assert_eq!(
        stop(&visitor, &base, "ana").await,
        Err(AppError::SignInRequired)
    );
    assert!(matches!(
        stop(&bob, &base, "ana").await,
        Err(AppError::Forbidden(_))
    ));
    assert!(matches!(
        start(&bob, &base, "ana").await,
        Err(AppError::Forbidden(_))
    ));
    assert!(matches!(
        on_air(&bob, &base, "ana").await,
        Err(AppError::Forbidden(_))
    ));
    assert_eq!(
        on_air(&ana, &base, "ana").await,
        Ok(true),
        "refused calls changed nothing"
    );

    stop(&ana, &base, "ana").await.expect("the owner stops");
    assert_eq!(on_air(&ana, &base, "ana").await, Ok(false));
    assert!(
        demo_encoders().is_empty(),
        "stop returns once ffmpeg is gone"
    );

    // Signing out ends the session on the server: the same cookie no longer works.
    call(&ana, &base, "sign_out", Some(&[]), None)
        .await
        .unwrap();
    assert_eq!(
        start(&ana, &base, "ana").await,
        Err(AppError::SignInRequired)
    );
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_server_wide_limit_going_live_is_refused_until_a_broadcast_ends() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[
        ("ONAIR_DEMO_ENABLED", "false"),
        ("ONAIR_BROADCAST_MAX_LIVE", "1"),
    ])
    .await;
    let base = format!("http://{}", server.addr);
    let (ana, bob) = (browser(), browser());
    sign_up(&ana, &base, "ana").await;
    sign_up(&bob, &base, "bob").await;
    start(&ana, &base, "ana")
        .await
        .expect("the first goes live");
    let refused = start(&bob, &base, "bob").await;
    let Err(AppError::Busy(message)) = refused else {
        panic!("a second broadcast past the limit: {refused:?}");
    };
    assert!(message.contains("at most 1 broadcasts"), "{message}");
    assert_eq!(on_air(&bob, &base, "bob").await, Ok(false));
    stop(&ana, &base, "ana").await.unwrap();
    start(&bob, &base, "bob")
        .await
        .expect("a place is free again");
    assert_eq!(on_air(&bob, &base, "bob").await, Ok(true));
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_ffmpeg_is_restarted_and_stop_leaves_none_behind() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let base = format!("http://{}", server.addr);
    let dana = browser();
    sign_up(&dana, &base, "dana").await;
    start(&dana, &base, "dana").await.unwrap();

    let mut events = reqwest::get(format!("{base}/live/dana/events"))
        .await
        .unwrap()
        .bytes_stream()
        .eventsource();
    let first: InitEvent =
        serde_json::from_str(&next_event(&mut events, "init").await.data).unwrap();
    next_event(&mut events, "media").await;
    let encoders = demo_encoders();
    assert_eq!(encoders.len(), 1, "one encoder runs");

    // SIGKILL, as the kernel's OOM killer would.
    let killed_at = std::time::Instant::now();
    assert_eq!(unsafe { libc::kill(encoders[0] as i32, libc::SIGKILL) }, 0);
    let status: StatusEvent =
        serde_json::from_str(&next_event(&mut events, "status").await.data).unwrap();
    assert_eq!(status.state, ChannelState::Reconnecting, "viewers are told");
    let second: InitEvent =
        serde_json::from_str(&next_event(&mut events, "init").await.data).unwrap();
    assert!(second.epoch > first.epoch, "a new encoder run");
    next_event(&mut events, "media").await;
    println!("recovered from SIGKILL in {:?}", killed_at.elapsed());
    let restarted = demo_encoders();
    assert_eq!(restarted.len(), 1);
    assert_ne!(restarted, encoders, "a new ffmpeg process");

    let stopped_at = std::time::Instant::now();
    stop(&dana, &base, "dana").await.unwrap();
    assert!(demo_encoders().is_empty(), "no ffmpeg after stop");
    println!("stop to no ffmpeg: {:?}", stopped_at.elapsed());
    let status: StatusEvent =
        serde_json::from_str(&next_event(&mut events, "status").await.data).unwrap();
    assert_eq!(status.state, ChannelState::Offline);

    // The broadcast is on record as stopped.
    let last = crate::broadcasts::store::last(&server.db, "dana")
        .await
        .unwrap()
        .expect("a record");
    assert_eq!(
        (last.end_reason, last.source.as_str()),
        (EndReason::Stopped, "test pattern")
    );
    assert_eq!(last.peak_viewers, 1, "the one viewer is the peak on record");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_media_file_from_the_folder_is_broadcast_and_nothing_else_can_be_named() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let base = format!("http://{}", server.addr);
    // A short clip in the media folder, and one just outside it.
    let media = server.dir.path().join("media");
    let clip = crate::live::testing::encode_test_pattern(2);
    std::fs::write(media.join("clip.mp4"), &clip).unwrap();
    std::fs::write(server.dir.path().join("private.mp4"), &clip).unwrap();

    let erin = browser();
    sign_up(&erin, &base, "erin").await;
    let files: Vec<String> = answer(&erin, &base, "media_files", &[]).await;
    assert_eq!(files, ["clip.mp4"]);

    let start_file = |name: &str| {
        let body = serde_json::json!({
            "channel": "erin", "title": "Clip", "source": {"MediaFile": name}
        });
        call(&erin, &base, "start_broadcast", None, Some(body))
    };
    for smuggled in ["../private.mp4", "concat:clip.mp4|clip.mp4", "/etc/passwd"] {
        let refused = start_file(smuggled).await;
        assert!(
            matches!(refused, Err(AppError::Invalid(_))),
            "{smuggled}: {refused:?}"
        );
    }
    assert!(demo_encoders().is_empty(), "no ffmpeg was started for them");

    start_file("clip.mp4").await.expect("the clip goes live");
    let mut events = reqwest::get(format!("{base}/live/erin/events"))
        .await
        .unwrap()
        .bytes_stream()
        .eventsource();
    next_event(&mut events, "init").await;
    // A 2 s clip looped: media keeps coming past its end.
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(3) {
        next_event(&mut events, "media").await;
    }
    stop(&erin, &base, "erin").await.unwrap();
    let last = crate::broadcasts::store::last(&server.db, "erin")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(last.source, "file: clip.mp4");
    server.shutdown().await.unwrap();
}

/// A podcast's MP3 in the media folder is offered and broadcast as sound alone: one rung of
/// sound alone whatever the ladder setting, AAC that decodes, looped past its end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sound_file_from_the_folder_is_broadcast_as_sound_alone() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let base = format!("http://{}", server.addr);
    let show = server.dir.path().join("media").join("show.mp3");
    let made = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-f", "lavfi"])
        .args(["-i", "sine=frequency=440:beep_factor=4:sample_rate=44100"])
        .args(["-t", "2", "-c:a", "libmp3lame", "-b:a", "64k"])
        .arg(&show)
        .status()
        .expect("ffmpeg is installed");
    assert!(made.success());

    let fay = browser();
    sign_up(&fay, &base, "fay").await;
    let files: Vec<String> = answer(&fay, &base, "media_files", &[]).await;
    assert_eq!(files, ["show.mp3"]);
    let body = serde_json::json!({
        "channel": "fay", "title": "The show", "source": {"MediaFile": "show.mp3"}
    });
    call(&fay, &base, "start_broadcast", None, Some(body))
        .await
        .expect("the show goes live");
    // 3.6 s of 200 ms fragments: past the 2 s file's end, so it loops.
    let url = format!("{base}/live/fay/events");
    let (_, events) = read_events(&url, None, |e| media_count(e) >= 18).await;
    // 3.6 s at 48 kHz is 168 frames of 1024 samples; the first fragments may be shorter.
    assert_sound_alone(&events, 120);
    stop(&fay, &base, "fay").await.unwrap();
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_restarts_run_out_the_channel_goes_offline_with_the_reason() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[
        ("ONAIR_DEMO_ENABLED", "false"),
        ("ONAIR_FFMPEG_PATH", "/nonexistent/ffmpeg"),
        ("ONAIR_FFMPEG_MAX_RESTARTS", "1"),
    ])
    .await;
    let base = format!("http://{}", server.addr);
    let finn = browser();
    sign_up(&finn, &base, "finn").await;
    start(&finn, &base, "finn").await.unwrap();
    let status = eventually(
        "the broadcast gives up",
        Duration::from_secs(20),
        || async {
            let response = call(
                &finn,
                &base,
                "broadcast_state",
                None,
                Some(serde_json::json!({"channel": "finn"})),
            )
            .await
            .unwrap();
            let status: crate::broadcasts::api::StudioStatus = response.json().await.unwrap();
            status.on_air.is_none().then_some(status)
        },
    )
    .await;
    let last = status.last.expect("the failed broadcast is on record");
    assert_eq!(last.end_reason, EndReason::Failed);
    // The owner sees why, without the server's paths; viewers only that it failed.
    let failure = last.failure.as_deref().unwrap_or_default();
    assert!(
        failure.contains("failed 2 times") && failure.contains("cannot start ffmpeg"),
        "{last:?}"
    );
    assert!(!failure.contains("/nonexistent"), "{failure}");
    let hub_status = server.state.channels.get("finn").unwrap().hub.status();
    assert_eq!(hub_status.state, ChannelState::Offline);
    assert_eq!(
        hub_status.reason.as_deref(),
        Some("the broadcast stopped after a technical problem")
    );
    server.shutdown().await.unwrap();
}

/// The rungs named in `channel`'s first init event, with one encoder running.
async fn rungs_on_air(base: &str, channel: &str) -> Vec<String> {
    let mut events = reqwest::get(format!("{base}/live/{channel}/events"))
        .await
        .unwrap()
        .bytes_stream()
        .eventsource();
    let init: InitEvent =
        serde_json::from_str(&next_event(&mut events, "init").await.data).unwrap();
    init.rungs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_turns_the_ladder_off_for_their_channel_from_the_next_broadcast() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let base = format!("http://{}", server.addr);
    let (erin, mallory) = (browser(), browser());
    sign_up(&erin, &base, "erin").await;
    sign_up(&mallory, &base, "mallory").await;
    let set_ladder = |client: &reqwest::Client, on: bool| {
        let body = serde_json::json!({ "channel": "erin", "on": on });
        let client = client.clone();
        let base = base.clone();
        async move {
            call(&client, &base, "set_ladder", None, Some(body))
                .await
                .map(drop)
        }
    };
    assert!(
        studio_status(&erin, &base, "erin").await.unwrap().ladder,
        "on unless turned off"
    );

    start(&erin, &base, "erin").await.unwrap();
    let made = rungs_on_air(&base, "erin").await;
    assert!(made.len() > 1, "made in a ladder: {made:?}");

    assert!(matches!(
        set_ladder(&mallory, false).await,
        Err(AppError::Forbidden(_))
    ));
    set_ladder(&erin, false).await.unwrap();
    assert!(!studio_status(&erin, &base, "erin").await.unwrap().ladder);
    assert_eq!(
        rungs_on_air(&base, "erin").await,
        made,
        "the broadcast on air keeps its ladder"
    );
    stop(&erin, &base, "erin").await.unwrap();
    start(&erin, &base, "erin").await.unwrap();
    assert_eq!(rungs_on_air(&base, "erin").await, ["source"]);
    assert_eq!(demo_encoders().len(), 1);

    stop(&erin, &base, "erin").await.unwrap();
    set_ladder(&erin, true).await.unwrap();
    start(&erin, &base, "erin").await.unwrap();
    assert_eq!(rungs_on_air(&base, "erin").await, made, "on again");
    stop(&erin, &base, "erin").await.unwrap();
    server.shutdown().await.unwrap();
}
