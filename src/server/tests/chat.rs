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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_appointed_moderator_keeps_the_chat_but_never_acts_on_its_keepers() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let base = format!("http://{}", server.addr);
    let (host, mia, max, fan) = (browser(), browser(), browser(), browser());
    for (client, name) in [(&host, "host"), (&mia, "mia"), (&max, "max"), (&fan, "fan")] {
        sign_up(client, &base, name).await;
    }
    let act = |by: &reqwest::Client, endpoint: &'static str, form: Vec<(&'static str, String)>| {
        let (by, base) = (by.clone(), base.clone());
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            call(&by, &base, endpoint, Some(&form), None)
                .await
                .map(drop)
        }
    };
    let on = |who: &str| {
        vec![
            ("channel", "host".to_string()),
            ("username", who.to_string()),
        ]
    };
    let refusal = |result: Result<(), AppError>| result.expect_err("refused");
    let role = |client: &reqwest::Client| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            answer::<Option<ChatRole>>(&client, &base, "chat_role", &[("channel", "host")]).await
        }
    };

    // Only the owner (or an operator) appoints; a name no account has, the owner, twice: refused.
    assert!(matches!(
        refusal(act(&fan, "appoint_moderator", on("mia")).await),
        AppError::Forbidden(_)
    ));
    assert!(matches!(
        refusal(act(&host, "appoint_moderator", on("nobody")).await),
        AppError::NotFound(_)
    ));
    assert!(matches!(
        refusal(act(&host, "appoint_moderator", on("HOST")).await),
        AppError::Invalid(_)
    ));
    assert_eq!(role(&mia).await, None);
    act(&host, "appoint_moderator", on("@Mia")).await.unwrap();
    act(&host, "appoint_moderator", on("max")).await.unwrap();
    let twice = refusal(act(&host, "appoint_moderator", on("mia")).await);
    assert!(
        matches!(&twice, AppError::Invalid(t) if t.contains("already")),
        "{twice:?}"
    );
    assert_eq!(role(&mia).await, Some(ChatRole::Moderator));
    assert_eq!(role(&host).await, Some(ChatRole::Owner));
    assert_eq!(role(&fan).await, None);
    let listed: Vec<crate::chat::api::Moderator> =
        answer(&host, &base, "chat_moderators", &[("channel", "host")]).await;
    // Longest-serving first; two appointed in one millisecond go by name.
    let mut names: Vec<&str> = listed.iter().map(|m| m.username.as_str()).collect();
    names.sort();
    assert_eq!(names, ["max", "mia"]);
    assert!(matches!(
        refusal(act(&mia, "chat_moderators", vec![("channel", "host".into())]).await),
        AppError::Forbidden(_)
    ));

    // Their lines carry the moderator badge, and they are held to no chat rule.
    say(&mia, &base, "I keep this chat").await.unwrap();
    say(&fan, &base, "first!").await.unwrap();
    say(&host, &base, "welcome").await.unwrap();
    say(&max, &base, "hi all").await.unwrap();
    let recent: Vec<ChatEvent> = answer(&fan, &base, "recent_chat", &[("channel", "host")]).await;
    let id_of = |author: &str| recent.iter().find(|m| m.author == author).unwrap().id;
    assert_eq!(recent[0].role, Some(ChatRole::Moderator));
    assert_eq!(recent[1].role, None);

    // A moderator deletes a viewer's message, but not the owner's or another moderator's.
    let delete = |id: u64| vec![("channel", "host".to_string()), ("id", id.to_string())];
    let owners = refusal(act(&mia, "delete_chat", delete(id_of("host"))).await);
    assert!(
        matches!(&owners, AppError::Forbidden(t) if t.contains("owner")),
        "{owners:?}"
    );
    assert!(matches!(
        refusal(act(&mia, "delete_chat", delete(id_of("max"))).await),
        AppError::Forbidden(_)
    ));
    act(&mia, "delete_chat", delete(id_of("fan")))
        .await
        .unwrap();

    // Times out and bans viewers, lifts bans, reads the list; never the owner or a moderator.
    let mut timeout = on("fan");
    timeout.push(("secs", "600".into()));
    act(&mia, "timeout_in_chat", timeout).await.unwrap();
    let timed_out = refusal(say(&fan, &base, "hey").await);
    assert!(
        matches!(&timed_out, AppError::Forbidden(t) if t.contains("timed out")),
        "{timed_out:?}"
    );
    let bans: Vec<crate::chat::api::Banned> =
        answer(&mia, &base, "chat_bans", &[("channel", "host")]).await;
    assert_eq!(bans.len(), 1);
    act(&mia, "unban_from_chat", on("fan")).await.unwrap();
    say(&fan, &base, "thanks").await.unwrap();
    assert!(matches!(
        refusal(act(&mia, "ban_from_chat", on("host")).await),
        AppError::Forbidden(_)
    ));
    let on_peer = refusal(act(&mia, "ban_from_chat", on("max")).await);
    assert!(
        matches!(&on_peer, AppError::Forbidden(t) if t.contains("another moderator")),
        "{on_peer:?}"
    );
    // Setting the chat's rules and appointing stay with the owner.
    assert!(matches!(
        refusal(act(&mia, "appoint_moderator", on("fan")).await),
        AppError::Forbidden(_)
    ));

    // Blocked terms: kept by moderators, never shown to viewers, refusing viewers' messages
    // (whatever the case or hidden characters) and sparing moderators'.
    let terms = vec![
        ("channel", "host".to_string()),
        ("terms", "Scam*\nbuy followers".to_string()),
    ];
    assert!(matches!(
        refusal(act(&fan, "set_blocked_terms", terms.clone()).await),
        AppError::Forbidden(_)
    ));
    let kept: usize = call(
        &mia,
        &base,
        "set_blocked_terms",
        Some(&[("channel", "host"), ("terms", "Scam*\nbuy followers")]),
        None,
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(kept, 2);
    let typed: String = answer(&host, &base, "blocked_terms", &[("channel", "host")]).await;
    assert_eq!(typed, "scam*\nbuy followers");
    assert!(matches!(
        refusal(act(&fan, "blocked_terms", vec![("channel", "host".into())]).await),
        AppError::Forbidden(_)
    ));
    let blocked = refusal(say(&fan, &base, "BUY \u{200B}Followers here").await);
    assert!(
        matches!(&blocked, AppError::Invalid(t) if t.contains("does not allow")),
        "{blocked:?}"
    );
    assert!(say(&fan, &base, "total scammers").await.is_err());
    say(&fan, &base, "I would never buy more followers")
        .await
        .unwrap();
    say(&max, &base, "do not fall for a scam").await.unwrap();
    let too_short = refusal(
        act(
            &host,
            "set_blocked_terms",
            vec![("channel", "host".into()), ("terms", "x".into())],
        )
        .await,
    );
    assert!(
        matches!(&too_short, AppError::Invalid(t) if t.contains("too short")),
        "{too_short:?}"
    );

    // The owner bans a moderator: they are dismissed too. Dismissing someone not appointed: 404.
    act(&host, "ban_from_chat", on("max")).await.unwrap();
    assert_eq!(role(&max).await, None);
    act(&host, "dismiss_moderator", on("MIA")).await.unwrap();
    assert_eq!(role(&mia).await, None);
    assert!(matches!(
        refusal(act(&host, "dismiss_moderator", on("mia")).await),
        AppError::NotFound(_)
    ));
    assert!(matches!(
        refusal(act(&mia, "delete_chat", delete(id_of("mia"))).await),
        AppError::Forbidden(_)
    ));

    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_colour_is_checked_on_both_themes_and_kept_with_each_message() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let base = format!("http://{}", server.addr);
    let (host, fan) = (browser(), browser());
    sign_up(&host, &base, "host").await;
    sign_up(&fan, &base, "fan").await;
    let pick = |colour: &'static str| {
        let (fan, base) = (fan.clone(), base.clone());
        async move {
            call(
                &fan,
                &base,
                "set_name_colour",
                Some(&[("colour", colour)]),
                None,
            )
            .await
            .map(drop)
        }
    };
    assert_eq!(
        call(
            &browser(),
            &base,
            "set_name_colour",
            Some(&[("colour", "#1e90ff")]),
            None
        )
        .await
        .map(drop),
        Err(AppError::SignInRequired)
    );
    for (bad, says) in [
        ("#0000ff", "dark theme"),
        ("#ffff00", "light theme"),
        ("blue", "#rrggbb"),
        ("#1e90ff\" onclick=x", "#rrggbb"),
    ] {
        let refused = pick(bad).await.expect_err(bad);
        assert!(
            matches!(&refused, AppError::Invalid(t) if t.contains(says)),
            "{bad}: {refused:?}"
        );
    }
    say(&fan, &base, "default").await.unwrap();
    pick("#1E90FF").await.unwrap();
    let mine: Option<String> = answer(&fan, &base, "name_colour", &[]).await;
    assert_eq!(mine.as_deref(), Some("#1e90ff"));
    say(&fan, &base, "blue now").await.unwrap();
    pick("").await.unwrap();
    say(&fan, &base, "default again").await.unwrap();
    let recent: Vec<ChatEvent> = answer(&host, &base, "recent_chat", &[("channel", "host")]).await;
    let colours: Vec<_> = recent.iter().map(|m| m.colour.as_deref()).collect();
    assert_eq!(
        colours,
        [None, Some("#1e90ff"), None],
        "each message keeps the colour it was sent with"
    );

    server.shutdown().await.unwrap();
}
