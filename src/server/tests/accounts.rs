//! Accounts over real HTTP: sign-up and sign-in through the server functions, sessions kept
//! by a cookie jar, and the owner check on every broadcast control call. Also what happens to
//! a broadcast's ffmpeg when it is killed, and when the broadcast stops.

use std::time::Duration;

use eventsource_stream::Eventsource;

use super::{SERIAL, demo_encoders, next_event, start_server_with};
use crate::error::AppError;
use crate::live::wire::{ChannelState, InitEvent, StatusEvent};

/// A browser-like client with its own cookie jar, that does not follow redirects.
pub(super) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Calls a server function; Ok on success, the server's [`AppError`] otherwise.
pub(super) async fn call(
    client: &reqwest::Client,
    base: &str,
    endpoint: &str,
    form: Option<&[(&str, &str)]>,
    json: Option<serde_json::Value>,
) -> Result<reqwest::Response, AppError> {
    let mut request = client.post(format!("{base}/api/{endpoint}"));
    if let Some(form) = form {
        request = request.form(form);
    }
    if let Some(json) = json {
        request = request.json(&json);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status();
    if status.is_success() || status.is_redirection() {
        Ok(response)
    } else {
        let body = response.text().await.unwrap();
        let err: AppError =
            serde_json::from_str(&body).unwrap_or_else(|_| panic!("an AppError: {body}"));
        // A refusal says what kind it is in the status too: 4xx for the caller's mistakes.
        assert_eq!(status.as_u16(), err.status(), "{endpoint}: {err:?}");
        Err(err)
    }
}

/// What a server function answers to `form`; the call must succeed.
pub(super) async fn answer<T: serde::de::DeserializeOwned>(
    client: &reqwest::Client,
    base: &str,
    endpoint: &str,
    form: &[(&str, &str)],
) -> T {
    call(client, base, endpoint, Some(form), None)
        .await
        .unwrap_or_else(|err| panic!("{endpoint}: {err:?}"))
        .json()
        .await
        .unwrap()
}

/// The `Set-Cookie` value that sets the session cookie (with its attributes).
pub(super) fn session_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("onair_session="))
        .expect("a session cookie")
        .to_string()
}

pub(super) async fn sign_up(client: &reqwest::Client, base: &str, name: &str) {
    call(
        client,
        base,
        "sign_up",
        Some(&[("username", name), ("password", "correct horse 1")]),
        None,
    )
    .await
    .expect("sign-up works");
}

pub(super) async fn start(
    client: &reqwest::Client,
    base: &str,
    channel: &str,
) -> Result<(), AppError> {
    let body =
        serde_json::json!({"channel": channel, "title": "Test run", "source": "TestPattern"});
    call(client, base, "start_broadcast", None, Some(body))
        .await
        .map(drop)
}

pub(super) async fn stop(
    client: &reqwest::Client,
    base: &str,
    channel: &str,
) -> Result<(), AppError> {
    call(
        client,
        base,
        "stop_broadcast",
        None,
        Some(serde_json::json!({ "channel": channel })),
    )
    .await
    .map(drop)
}

/// Whether `channel` has a broadcast on air, as its studio reports it.
async fn on_air(client: &reqwest::Client, base: &str, channel: &str) -> Result<bool, AppError> {
    let response = call(
        client,
        base,
        "broadcast_state",
        None,
        Some(serde_json::json!({ "channel": channel })),
    )
    .await?;
    let status: crate::broadcasts::api::StudioStatus = response.json().await.unwrap();
    Ok(status.on_air.is_some())
}

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
async fn a_signed_in_session_cannot_be_used_from_another_site() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let base = format!("http://{}", server.addr);
    let ana = browser();
    sign_up(&ana, &base, "ana").await;
    let go_live = serde_json::json!({"channel": "ana", "title": "Lured", "source": "TestPattern"});
    // A page elsewhere makes Ana's browser post to us, her cookie included.
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("origin", "null"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let lured = ana
            .post(format!("{base}/api/start_broadcast"))
            .header(name, value)
            .json(&go_live)
            .send()
            .await
            .unwrap();
        assert_eq!(lured.status(), 403, "{name}: {value}");
        let refusal: AppError = lured.json().await.unwrap();
        assert!(matches!(refusal, AppError::Forbidden(_)), "{refusal:?}");
        let chat = ana
            .post(format!("{base}/api/post_chat"))
            .header(name, value)
            .form(&[("channel", "ana"), ("text", "lured")])
            .send()
            .await
            .unwrap();
        assert_eq!(chat.status(), 403, "{name}: {value}");
    }
    assert_eq!(
        on_air(&ana, &base, "ana").await,
        Ok(false),
        "nothing started"
    );
    // From the site's own pages the same call works.
    let own = ana
        .post(format!("{base}/api/start_broadcast"))
        .header("origin", base.as_str())
        .header("sec-fetch-site", "same-origin")
        .json(&go_live)
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
    assert_eq!(on_air(&ana, &base, "ana").await, Ok(true));
    let messages = call(
        &ana,
        &base,
        "recent_chat",
        Some(&[("channel", "ana")]),
        None,
    )
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert_eq!(messages, "[]", "no lured chat message was stored");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_survive_a_restart_and_wrong_passwords_are_refused() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let base = format!("http://{}", server.addr);
    sign_up(&browser(), &base, "Carla").await;
    let taken = call(
        &browser(),
        &base,
        "sign_up",
        Some(&[("username", "CARLA"), ("password", "another pass 2")]),
        None,
    )
    .await;
    assert!(
        matches!(&taken, Err(AppError::Invalid(m)) if m.contains("taken")),
        "{taken:?}"
    );
    // A password from the leaked lists is refused with a reason, before any account exists.
    let leaked = call(
        &browser(),
        &base,
        "sign_up",
        Some(&[("username", "dora"), ("password", "iloveyou1")]),
        None,
    )
    .await;
    assert!(
        matches!(&leaked, Err(AppError::Invalid(m)) if m.contains("leaked passwords")),
        "{leaked:?}"
    );
    // Restart on the same database file.
    let dir = server.dir;
    server.server.shutdown().await.unwrap();
    let db = dir.path().join("onair.db").display().to_string();
    let again = start_server_with(&[
        ("ONAIR_DEMO_ENABLED", "false"),
        ("ONAIR_DATABASE_PATH", db.as_str()),
    ])
    .await;
    let base = format!("http://{}", again.addr);
    let wrong = call(
        &browser(),
        &base,
        "sign_in",
        Some(&[("username", "carla"), ("password", "wrong password")]),
        None,
    )
    .await;
    assert_eq!(
        wrong.err(),
        Some(AppError::Invalid("Wrong username or password.".into()))
    );
    let carla = browser();
    call(
        &carla,
        &base,
        "sign_in",
        Some(&[("username", "carla"), ("password", "correct horse 1")]),
        None,
    )
    .await
    .expect("the account is still there after a restart");
    assert_eq!(on_air(&carla, &base, "carla").await, Ok(false));
    again.shutdown().await.unwrap();
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
        (last.end_reason.as_str(), last.source.as_str()),
        ("stopped", "test pattern")
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
    let status = async {
        loop {
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
            if status.on_air.is_none() {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let status = tokio::time::timeout(Duration::from_secs(20), status)
        .await
        .expect("the broadcast gives up within 20 s");
    let last = status.last.expect("the failed broadcast is on record");
    assert_eq!(last.end_reason, "failed");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ups_from_one_address_are_limited_and_a_trusted_proxy_names_the_address() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[
        ("ONAIR_DEMO_ENABLED", "false"),
        ("ONAIR_ACCOUNTS_SIGNUPS_PER_ADDRESS_PER_HOUR", "2"),
    ])
    .await;
    let base = format!("http://{}", server.addr);
    let form = |name: &'static str| [("username", name), ("password", "correct horse 1")];
    for name in ["kim", "lee"] {
        call(&browser(), &base, "sign_up", Some(&form(name)), None)
            .await
            .expect("within the limit");
    }
    // A taken name is refused for what it is, before the limit counts it.
    let taken = call(&browser(), &base, "sign_up", Some(&form("kim")), None).await;
    assert!(
        matches!(&taken, Err(AppError::Invalid(m)) if m.contains("taken")),
        "{taken:?}"
    );
    let third = call(&browser(), &base, "sign_up", Some(&form("max")), None).await;
    assert_eq!(
        third.err(),
        Some(AppError::TooManyAttempts(
            "Too many new accounts from your address: at most 2 an hour. Try again later.".into()
        ))
    );
    // Without a trusted proxy, a forwarded address is just a header: still refused.
    let claimed = browser()
        .post(format!("{base}/api/sign_up"))
        .header("x-forwarded-for", "203.0.113.9")
        .form(&form("max"))
        .send()
        .await
        .unwrap();
    assert_eq!(claimed.status().as_u16(), 429);
    server.shutdown().await.unwrap();

    // Behind a trusted proxy (here: loopback), each forwarded client has its own allowance.
    let server = start_server_with(&[
        ("ONAIR_DEMO_ENABLED", "false"),
        ("ONAIR_ACCOUNTS_SIGNUPS_PER_ADDRESS_PER_HOUR", "1"),
        ("ONAIR_SERVER_TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    let base = format!("http://{}", server.addr);
    let via_proxy = |client: &'static str, name: &'static str| {
        browser()
            .post(format!("{base}/api/sign_up"))
            .header("x-forwarded-for", client)
            .form(&form(name))
            .send()
    };
    let created = |r: reqwest::Response| r.status().is_success() || r.status().is_redirection();
    assert!(created(via_proxy("203.0.113.9", "ned").await.unwrap()));
    let again = via_proxy("203.0.113.9", "ola").await.unwrap();
    assert_eq!(again.status().as_u16(), 429);
    assert!(created(via_proxy("198.51.100.4", "ola").await.unwrap()));
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_in_page_shows_its_own_errors_from_the_address_and_not_made_up_ones() {
    use base64::Engine as _;

    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    // What a form posted without JavaScript comes back with: the error, JSON in URL-safe base64.
    let page = |err: AppError| {
        let json = serde_json::to_vec(&err).unwrap();
        let encoded = base64::engine::general_purpose::URL_SAFE.encode(json);
        let url = format!(
            "http://{}/signin?__path=/api/sign_in&__err={encoded}",
            server.addr
        );
        async move { reqwest::get(url).await.unwrap().text().await.unwrap() }
    };
    let ours = page(AppError::Invalid("Wrong username or password.".into())).await;
    assert!(ours.contains("Wrong username or password."));
    let forged = page(AppError::Invalid(
        "Your account is locked: call +1 555 0100.".into(),
    ))
    .await;
    assert!(!forged.contains("call +1 555 0100"));
    assert!(forged.contains("That did not work. Please try again."));
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_guesses_at_once_are_held_to_five_and_the_owner_still_signs_in() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let base = format!("http://{}", server.addr);
    // Pam signed up in this browser: it is one of her account's known devices.
    let pam = browser();
    sign_up(&pam, &base, "pam").await;
    let guess = [("username", "pam"), ("password", "wrong password")];
    let guesses = futures::future::join_all(
        (0..60).map(|_| async { call(&browser(), &base, "sign_in", Some(&guess), None).await }),
    )
    .await;
    let evaluated = guesses
        .iter()
        .filter(|r| matches!(r, Err(AppError::Invalid(_))))
        .count();
    let held = guesses
        .iter()
        .filter(|r| matches!(r, Err(AppError::TooManyAttempts(_))))
        .count();
    assert_eq!((evaluated, held), (5, 55));
    let right = [("username", "pam"), ("password", "correct horse 1")];
    // Another browser waits, even with the right password...
    let elsewhere = call(&browser(), &base, "sign_in", Some(&right), None).await;
    assert!(
        matches!(elsewhere, Err(AppError::TooManyAttempts(_))),
        "{elsewhere:?}"
    );
    // ...but Pam's own browser signs in.
    call(&pam, &base, "sign_in", Some(&right), None)
        .await
        .expect("the owner's known browser is not locked out");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_everywhere_ends_every_session_of_the_account_only() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let base = format!("http://{}", server.addr);
    let (laptop, phone, other) = (browser(), browser(), browser());
    sign_up(&laptop, &base, "quinn").await;
    let quinn = [("username", "quinn"), ("password", "correct horse 1")];
    call(&phone, &base, "sign_in", Some(&quinn), None)
        .await
        .unwrap();
    sign_up(&other, &base, "rory").await;
    for (client, channel) in [(&phone, "quinn"), (&other, "rory")] {
        assert_eq!(on_air(client, &base, channel).await, Ok(false));
    }

    call(&laptop, &base, "sign_out_everywhere", None, None)
        .await
        .unwrap();
    for client in [&laptop, &phone] {
        assert_eq!(
            on_air(client, &base, "quinn").await,
            Err(AppError::SignInRequired)
        );
    }
    assert_eq!(
        on_air(&other, &base, "rory").await,
        Ok(false),
        "other accounts stay"
    );
    // Signing in again works, on any device.
    call(&phone, &base, "sign_in", Some(&quinn), None)
        .await
        .unwrap();
    assert_eq!(on_air(&phone, &base, "quinn").await, Ok(false));
    server.shutdown().await.unwrap();
}

/// A sign-in lasts its lifetime however busy the session is: used every quarter second, it
/// still ends when the lifetime (2 s here, 30 days by default) is up, and signing in again
/// works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_ends_at_its_lifetime_even_while_in_use() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[
        ("ONAIR_DEMO_ENABLED", "false"),
        ("ONAIR_ACCOUNTS_SESSION_LIFETIME_SECS", "2"),
    ])
    .await;
    let base = format!("http://{}", server.addr);
    let laptop = browser();
    let before = std::time::Instant::now();
    sign_up(&laptop, &base, "sage").await;
    let signed_in = std::time::Instant::now();
    let deadline = signed_in + std::time::Duration::from_secs(10);
    let mut uses = 0;
    let ended = loop {
        match on_air(&laptop, &base, "sage").await {
            Ok(false) => uses += 1,
            Err(AppError::SignInRequired) => break std::time::Instant::now(),
            other => panic!("unexpected answer {other:?}"),
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the session never ended"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    };
    assert!(
        ended.duration_since(before) >= std::time::Duration::from_secs(2),
        "ended after {:?}, before its lifetime",
        ended.duration_since(before)
    );
    assert!(
        uses >= 3,
        "the session was in use ({uses} calls) until it ended"
    );
    let again = [("username", "sage"), ("password", "correct horse 1")];
    call(&laptop, &base, "sign_in", Some(&again), None)
        .await
        .unwrap();
    assert_eq!(on_air(&laptop, &base, "sage").await, Ok(false));
    server.shutdown().await.unwrap();
}

/// The studio page, rendered on the server, resolves each of its parts (state, files, the ban
/// list). Leptos renders them more than once (first to find what they wait for), so calls from
/// a pass already thrown away may resume without the request's context: they must end, not
/// panic and leave the page waiting forever (40 pages at once made that happen every time).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_studio_page_always_finishes_rendering() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let base = format!("http://{}", server.addr);
    let ana = browser();
    sign_up(&ana, &base, "studioana").await;
    let load = || async {
        let page = ana.get(format!("{base}/studio")).send().await.unwrap();
        assert_eq!(page.status(), 200);
        page.text().await.unwrap()
    };
    for _ in 0..10 {
        let pages = tokio::time::timeout(
            Duration::from_secs(30),
            futures::future::join_all((0..40).map(|_| load())),
        )
        .await
        .expect("every studio page finishes within 30 s");
        for page in pages {
            assert!(page.contains("Nobody is banned."), "the ban list resolved");
            assert!(page.contains("Go live"), "the controls rendered");
        }
    }
    server.shutdown().await.unwrap();
}

/// Served over HTTPS (behind a TLS proxy, `secure_cookies`): the session cookie is Secure and
/// browsers are told to use HTTPS only for this site.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_the_cookie_is_secure_and_browsers_are_told_to_keep_to_https() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[
        ("ONAIR_DEMO_ENABLED", "false"),
        ("ONAIR_SERVER_SECURE_COOKIES", "true"),
    ])
    .await;
    let base = format!("http://{}", server.addr);
    let page = reqwest::get(format!("{base}/")).await.unwrap();
    assert_eq!(
        page.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    let signed_up = call(
        &browser(),
        &base,
        "sign_up",
        Some(&[("username", "secureana"), ("password", "correct horse 1")]),
        None,
    )
    .await
    .expect("sign-up works");
    let cookie = session_cookie(&signed_up);
    assert!(cookie.contains("Secure"), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    server.shutdown().await.unwrap();
}
