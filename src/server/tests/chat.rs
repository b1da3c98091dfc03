//! Chat over real HTTP: posted through the server function, received on every viewer's SSE
//! stream, moderated by the channel's owner.

use eventsource_stream::Eventsource;

use super::support::{SERIAL, next_event, start_server_with};
use super::support::{answer, browser, call, sign_up};
use crate::error::AppError;
use crate::live::wire::{ChatDeletedEvent, ChatEvent};
use crate::server::Settings;

async fn say(client: &reqwest::Client, base: &str, text: &str) -> Result<(), AppError> {
    call(
        client,
        base,
        "post_chat",
        Some(&[("channel", "host"), ("text", text)]),
        None,
    )
    .await
    .map(drop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_posted_message_reaches_every_viewer_and_the_owner_moderates() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let base = format!("http://{}", server.addr);
    let (host, guest, troll, visitor) = (browser(), browser(), browser(), browser());
    sign_up(&host, &base, "host").await;
    sign_up(&guest, &base, "guest").await;
    sign_up(&troll, &base, "troll").await;

    let open = |tab: &str| {
        let url = format!("{base}/live/host/events?viewer={tab}");
        async move {
            reqwest::get(url)
                .await
                .unwrap()
                .bytes_stream()
                .eventsource()
        }
    };
    let mut first = open("one").await;
    let mut second = open("two").await;
    // Both are connected (each has had its first count) before anything is said.
    next_event(&mut first, "viewers").await;
    next_event(&mut second, "viewers").await;

    say(&guest, &base, "  hello <b>everyone</b>\u{7} ")
        .await
        .unwrap();
    for stream in [&mut first, &mut second] {
        let got: ChatEvent = serde_json::from_str(&next_event(stream, "chat").await.data).unwrap();
        assert_eq!(got.author, "guest", "the author comes from the session");
        assert_eq!(got.text, "hello <b>everyone</b>");
    }

    assert_eq!(
        say(&visitor, &base, "hi").await,
        Err(AppError::SignInRequired)
    );
    assert!(matches!(
        say(&guest, &base, "   ").await,
        Err(AppError::Invalid(_))
    ));

    // The owner deletes the troll's message for everyone, then bans the troll.
    say(&troll, &base, "spam").await.unwrap();
    let spam: ChatEvent = serde_json::from_str(&next_event(&mut first, "chat").await.data).unwrap();
    assert!(matches!(
        call(
            &guest,
            &base,
            "delete_chat",
            Some(&[("channel", "host"), ("id", &spam.id.to_string())]),
            None
        )
        .await,
        Err(AppError::Forbidden(_))
    ));
    call(
        &host,
        &base,
        "delete_chat",
        Some(&[("channel", "host"), ("id", &spam.id.to_string())]),
        None,
    )
    .await
    .unwrap();
    for stream in [&mut first, &mut second] {
        let gone: ChatDeletedEvent =
            serde_json::from_str(&next_event(stream, "chat-deleted").await.data).unwrap();
        assert_eq!(gone.id, spam.id);
    }
    // Only accounts that exist can be banned; a made-up or malformed name says so.
    let long = "x".repeat(5000);
    for nobody in ["nobody-here", "troll\nINFO forged log line", long.as_str()] {
        let refused = call(
            &host,
            &base,
            "ban_from_chat",
            Some(&[("channel", "host"), ("username", nobody)]),
            None,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&refused, AppError::NotFound(m) if m == "No account has that name."),
            "{refused:?}"
        );
    }
    call(
        &host,
        &base,
        "ban_from_chat",
        Some(&[("channel", "host"), ("username", "troll")]),
        None,
    )
    .await
    .unwrap();
    assert!(matches!(
        say(&troll, &base, "again").await,
        Err(AppError::Forbidden(_))
    ));

    // The page's history has the message that stayed, not the deleted one.
    let recent: Vec<ChatEvent> =
        answer(&visitor, &base, "recent_chat", &[("channel", "host")]).await;
    let texts: Vec<&str> = recent.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["hello <b>everyone</b>"]);

    // Past the rate limit, a clear refusal.
    let mut refused = None;
    for i in 0..10 {
        if let Err(err) = say(&guest, &base, &format!("message {i}")).await {
            refused = Some((i, err));
            break;
        }
    }
    let (at, err) = refused.expect("the rate limit refuses a flood");
    assert!(at <= 5, "refused after {at} more messages");
    assert!(matches!(err, AppError::TooManyAttempts(m) if m.contains("Slow down")));
    server.shutdown().await.unwrap();
}

/// The operator (granted on the command line, `onair operator add`) moderates a channel that
/// is not theirs, lists and lifts its bans, and ends its broadcast; a plain user can do none of
/// that, and an account is no operator until granted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_moderates_any_channel_and_lifts_bans() {
    use crate::server::commands::{OperatorCommand, operator};

    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[]).await;
    let base = format!("http://{}", server.addr);
    let (olga, uma, vic) = (browser(), browser(), browser());
    sign_up(&olga, &base, "olga").await;
    sign_up(&uma, &base, "uma").await;
    sign_up(&vic, &base, "vic").await;
    let demo = |text: &'static str| [("channel", "demo"), ("text", text)];
    let ban_vic = [("channel", "demo"), ("username", "vic")];
    let refused = call(&olga, &base, "ban_from_chat", Some(&ban_vic), None).await;
    assert!(
        matches!(refused, Err(AppError::Forbidden(_))),
        "not an operator before the grant: {refused:?}"
    );
    let db_path = server.dir.path().join("onair.db").display().to_string();
    let settings = Settings::with_overrides([("ONAIR_DATABASE_PATH", db_path.as_str())]).unwrap();
    let missing = operator(&settings, OperatorCommand::Add("nobody".into())).await;
    assert!(missing.unwrap_err().contains("must sign up first"));
    operator(&settings, OperatorCommand::Add("Olga".into()))
        .await
        .unwrap();
    assert_eq!(
        operator(&settings, OperatorCommand::List).await.unwrap(),
        "olga"
    );

    // Uma is no moderator of the demo channel.
    let refused = call(&uma, &base, "ban_from_chat", Some(&ban_vic), None).await;
    assert!(
        matches!(refused, Err(AppError::Forbidden(_))),
        "{refused:?}"
    );
    let refused = call(&uma, &base, "chat_bans", Some(&[("channel", "demo")]), None).await;
    assert!(
        matches!(refused, Err(AppError::Forbidden(_))),
        "{refused:?}"
    );

    // Olga bans Vic from the demo's chat, sees the ban, and lifts it.
    call(&olga, &base, "ban_from_chat", Some(&ban_vic), None)
        .await
        .unwrap();
    let refused = call(&vic, &base, "post_chat", Some(&demo("hi")), None).await;
    assert!(
        matches!(refused, Err(AppError::Forbidden(_))),
        "{refused:?}"
    );
    let bans: Vec<crate::chat::api::Banned> =
        answer(&olga, &base, "chat_bans", &[("channel", "demo")]).await;
    let names: Vec<&str> = bans.iter().map(|b| b.username.as_str()).collect();
    assert_eq!(names, ["vic"]);
    call(&olga, &base, "unban_from_chat", Some(&ban_vic), None)
        .await
        .unwrap();
    call(&vic, &base, "post_chat", Some(&demo("thanks")), None)
        .await
        .expect("posts again once unbanned");
    let again = call(&olga, &base, "unban_from_chat", Some(&ban_vic), None).await;
    assert!(matches!(again, Err(AppError::NotFound(_))), "{again:?}");

    // And ends the demo broadcast, which Uma cannot.
    let stop = |client: &reqwest::Client| {
        let client = client.clone();
        let base = base.clone();
        async move {
            call(
                &client,
                &base,
                "stop_broadcast",
                None,
                Some(serde_json::json!({"channel": "demo"})),
            )
            .await
            .map(drop)
        }
    };
    assert!(matches!(stop(&uma).await, Err(AppError::Forbidden(_))));
    stop(&olga).await.expect("the operator ends any broadcast");
    assert!(!server.state.broadcasts.is_on_air("demo"));
    server.shutdown().await.unwrap();
}
