//! Chat over real HTTP: posted through the server function, received on every viewer's SSE
//! stream, moderated by the channel's owner.

use eventsource_stream::Eventsource;

use super::accounts::{browser, call, sign_up};
use super::{SERIAL, next_event, start_server_with};
use crate::error::AppError;
use crate::live::wire::{ChatDeletedEvent, ChatEvent};

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
    let recent: Vec<ChatEvent> = call(
        &visitor,
        &base,
        "recent_chat",
        Some(&[("channel", "host")]),
        None,
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
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
