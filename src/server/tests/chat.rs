//! Chat over real HTTP: posted through the server function, received on every viewer's SSE
//! stream, moderated by the channel's owner.

use eventsource_stream::Eventsource;

use super::support::{SERIAL, next_event, start_server_with};
use super::support::{answer, browser, call, sign_up};
use crate::error::AppError;
use crate::live::wire::{ChatDeletedEvent, ChatEvent, ChatRole};
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_slow_mode_and_followers_only_say_when_one_may_post_and_spare_moderators() {
    use crate::server::commands::{OperatorCommand, operator};
    use serde_json::json;

    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let base = format!("http://{}", server.addr);
    let (host, fan, olga) = (browser(), browser(), browser());
    sign_up(&host, &base, "host").await;
    sign_up(&fan, &base, "fan").await;
    sign_up(&olga, &base, "olga").await;
    let db_path = server.dir.path().join("onair.db").display().to_string();
    let settings = Settings::with_overrides([("ONAIR_DATABASE_PATH", db_path.as_str())]).unwrap();
    operator(&settings, OperatorCommand::Add("olga".into()))
        .await
        .unwrap();
    let time_out = |by: &reqwest::Client, who: &'static str, secs: &'static str| {
        let (by, base) = (by.clone(), base.clone());
        async move {
            let form = [("channel", "host"), ("username", who), ("secs", secs)];
            call(&by, &base, "timeout_in_chat", Some(&form), None)
                .await
                .map(drop)
        }
    };
    let set_rules = |by: &reqwest::Client, slow: u64, followers: Option<u64>| {
        let (by, base) = (by.clone(), base.clone());
        let rules = json!({"channel": "host", "rules": {"slow_secs": slow, "followers_only_min": followers}});
        async move {
            call(&by, &base, "set_chat_rules", None, Some(rules))
                .await
                .map(drop)
        }
    };
    let refusal = |result: Result<(), AppError>| match result {
        Err(err) => err,
        Ok(()) => panic!("refused"),
    };

    // A timeout says how long is left, and ends by itself.
    time_out(&host, "fan", "2").await.unwrap();
    let refused = refusal(say(&fan, &base, "let me in").await);
    assert!(
        matches!(&refused, AppError::Forbidden(text) if text.contains("timed out") && text.contains("you may post again in")),
        "{refused:?}"
    );
    super::support::eventually(
        "the timeout ends",
        std::time::Duration::from_secs(10),
        || {
            let (fan, base) = (fan.clone(), base.clone());
            async move { say(&fan, &base, "back").await.ok() }
        },
    )
    .await;
    assert!(matches!(
        refusal(time_out(&host, "fan", "0").await),
        AppError::Invalid(_)
    ));
    assert!(matches!(
        refusal(time_out(&fan, "olga", "60").await),
        AppError::Forbidden(_)
    ));
    // Nobody moderates the owner or an operator.
    let on_operator = refusal(time_out(&host, "olga", "60").await);
    assert!(
        matches!(&on_operator, AppError::Forbidden(text) if text.contains("operator")),
        "{on_operator:?}"
    );
    let on_owner = refusal(time_out(&olga, "host", "60").await);
    assert!(
        matches!(&on_owner, AppError::Forbidden(text) if text.contains("owner")),
        "{on_owner:?}"
    );
    let ban_owner = call(
        &olga,
        &base,
        "ban_from_chat",
        Some(&[("channel", "host"), ("username", "HOST")]),
        None,
    )
    .await;
    assert!(
        matches!(ban_owner, Err(AppError::Forbidden(_))),
        "{ban_owner:?}"
    );

    // Slow mode: the fan just posted, so must wait; the owner never does.
    assert!(matches!(
        refusal(set_rules(&fan, 3, None).await),
        AppError::Forbidden(_)
    ));
    assert!(matches!(
        refusal(set_rules(&host, 601, None).await),
        AppError::Invalid(_)
    ));
    set_rules(&host, 30, None).await.unwrap();
    let slowed = refusal(say(&fan, &base, "again").await);
    assert!(
        matches!(&slowed, AppError::TooManyAttempts(text) if text.contains("one message every 30 s") && text.contains("again in")),
        "{slowed:?}"
    );
    say(&host, &base, "one").await.unwrap();
    say(&host, &base, "two").await.unwrap();
    let rules: crate::chat::api::ChatRules = call(
        &fan,
        &base,
        "chat_rules",
        None,
        Some(json!({"channel": "host"})),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!((rules.slow_secs, rules.followers_only_min), (30, None));

    // Followers only: follow first; with a length, the wait is said.
    set_rules(&host, 0, Some(0)).await.unwrap();
    let unfollowed = refusal(say(&fan, &base, "hello?").await);
    assert!(
        matches!(&unfollowed, AppError::Forbidden(text) if text.contains("follow the channel")),
        "{unfollowed:?}"
    );
    call(
        &fan,
        &base,
        "follow",
        None,
        Some(json!({"channel": "host", "on": true})),
    )
    .await
    .unwrap();
    say(&fan, &base, "following now").await.unwrap();
    set_rules(&host, 0, Some(10)).await.unwrap();
    let too_new = refusal(say(&fan, &base, "still?").await);
    assert!(
        matches!(&too_new, AppError::Forbidden(text) if text.contains("followed the channel for 10 min") && text.contains("you may post in 10 min")),
        "{too_new:?}"
    );
    say(&olga, &base, "operators are spared").await.unwrap();

    // Each line carries its author's standing when posted, for its badge.
    let recent: Vec<ChatEvent> = answer(&fan, &base, "recent_chat", &[("channel", "host")]).await;
    let role_of = |author: &str| recent.iter().find(|m| m.author == author).map(|m| m.role);
    assert_eq!(role_of("host"), Some(Some(ChatRole::Owner)));
    assert_eq!(role_of("olga"), Some(Some(ChatRole::Operator)));
    assert_eq!(role_of("fan"), Some(None));

    // A reply quotes its message; a deleted one, or another channel's, cannot be replied to.
    let reply = |to: u64| {
        let (fan, base) = (fan.clone(), base.clone());
        async move {
            let id = to.to_string();
            let form = [
                ("channel", "host"),
                ("text", "agreed"),
                ("reply_to", id.as_str()),
            ];
            call(&fan, &base, "post_chat", Some(&form), None)
                .await
                .map(drop)
        }
    };
    let recent: Vec<ChatEvent> = answer(&fan, &base, "recent_chat", &[("channel", "host")]).await;
    let spared = recent.iter().find(|m| m.author == "olga").unwrap().id;
    set_rules(&host, 0, None).await.unwrap();
    reply(spared).await.unwrap();
    let recent: Vec<ChatEvent> = answer(&fan, &base, "recent_chat", &[("channel", "host")]).await;
    let quote = recent.last().unwrap().reply.clone().unwrap();
    assert_eq!(
        (quote.id, quote.author.as_str(), quote.text.as_deref()),
        (spared, "olga", Some("operators are spared"))
    );
    let form = [("channel", "host"), ("id", &*spared.to_string())];
    call(&host, &base, "delete_chat", Some(&form), None)
        .await
        .unwrap();
    let gone = refusal(reply(spared).await);
    assert!(
        matches!(&gone, AppError::Invalid(text) if text.contains("nothing to reply to")),
        "{gone:?}"
    );
    let flood = refusal(say(&fan, &base, "@a1 @b2 @c3 @d4 @e5 @f6").await);
    assert!(
        matches!(&flood, AppError::Invalid(text) if text.contains("at most 5")),
        "{flood:?}"
    );

    server.shutdown().await.unwrap();
}
