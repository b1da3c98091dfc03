//! Accounts over real HTTP: sign-up and sign-in through the server functions, sessions kept
//! by a cookie jar, refused from another site, ended everywhere or at their lifetime, and the
//! limits on sign-ups and guesses.

use super::support::*;
use crate::error::AppError;

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
