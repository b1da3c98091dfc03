//! Webhooks over real HTTP, to a real receiver on loopback (allowed for these tests): what
//! happens on a channel arrives signed (checked with an HMAC apart from the server's), in
//! order, retried while the receiver fails, never through a redirect; the studio's log shows
//! every attempt. Without the allowance, a private address is refused when added.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::json;

use super::support::*;
use crate::webhooks::api::{AddedHook, DeliveryAttempt};

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Got {
    path: String,
    event: String,
    delivery: String,
    attempt: u32,
    signature: String,
    body: Vec<u8>,
}

/// A webhook receiver on loopback: it answers the first `failures` requests to `/hook` with
/// 500, then 200; `/moved` always redirects to `/hook`.
struct Receiver {
    addr: SocketAddr,
    got: Arc<Mutex<Vec<Got>>>,
}

impl Receiver {
    async fn start(failures: usize) -> Self {
        let got = Arc::new(Mutex::new(Vec::<Got>::new()));
        let note = |path: &'static str, got: Arc<Mutex<Vec<Got>>>| {
            move |headers: HeaderMap, body: Bytes| {
                let got = got.clone();
                async move {
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_string()
                    };
                    let mut all = got.lock().unwrap();
                    all.push(Got {
                        path: path.into(),
                        event: header("x-onair-event"),
                        delivery: header("x-onair-delivery"),
                        attempt: header("x-onair-attempt").parse().unwrap_or(0),
                        signature: header("x-onair-signature"),
                        body: body.to_vec(),
                    });
                    let to_hook = all.iter().filter(|g| g.path == "/hook").count();
                    match path {
                        "/moved" => (StatusCode::FOUND, [("location", "/hook")]).into_response(),
                        _ if to_hook <= failures => {
                            StatusCode::INTERNAL_SERVER_ERROR.into_response()
                        }
                        _ => StatusCode::OK.into_response(),
                    }
                }
            }
        };
        use axum::response::IntoResponse;
        let app = axum::Router::new()
            .route("/hook", post(note("/hook", got.clone())))
            .route("/moved", post(note("/moved", got.clone())));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { addr, got }
    }

    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until `enough` holds of what arrived (within 20 s).
    async fn until(&self, what: &str, enough: impl Fn(&[Got]) -> bool) -> Vec<Got> {
        eventually(what, Duration::from_secs(20), || {
            let got = self.got();
            let done = enough(&got);
            async move { done.then_some(got) }
        })
        .await
    }
}

/// Whether `signature` (`t=…,v1=…`) signs `body` under `secret`, checked with ring's HMAC.
fn signed(secret: &str, signature: &str, body: &[u8]) -> bool {
    let Some((t, v1)) = signature
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
    else {
        return false;
    };
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(body);
    let Ok(tag) = (0..v1.len() / 2)
        .map(|i| u8::from_str_radix(&v1[2 * i..2 * i + 2], 16))
        .collect::<Result<Vec<u8>, _>>()
    else {
        return false;
    };
    ring::hmac::verify(&key, &signed, &tag).is_ok()
}

async fn add_hook(
    client: &reqwest::Client,
    base: &str,
    channel: Option<&str>,
    url: &str,
    events: &[&str],
) -> Result<AddedHook, crate::error::AppError> {
    let body = json!({"channel": channel, "url": url, "events": events});
    let response = call(client, base, "add_webhook", None, Some(body)).await?;
    Ok(response.json().await.unwrap())
}

async fn say(client: &reqwest::Client, base: &str, channel: &str, text: &str) {
    call(
        client,
        base,
        "post_chat",
        Some(&[("channel", channel), ("text", text)]),
        None,
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_arrive_signed_in_order_and_are_retried_while_the_receiver_fails() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[
        ("ONAIR_DEMO_ENABLED", "false"),
        ("ONAIR_WEBHOOKS_ALLOW_PRIVATE", "true"),
        ("ONAIR_WEBHOOKS_RETRY_AFTER_MS", "100"),
    ])
    .await;
    let base = format!("http://{}", server.addr);
    let receiver = Receiver::start(2).await;
    let owner = browser();
    sign_up(&owner, &base, "hookowner").await;
    let hook_url = format!("http://{}/hook", receiver.addr);
    let added = add_hook(
        &owner,
        &base,
        Some("hookowner"),
        &hook_url,
        &["chat_message", "went_live", "ended"],
    )
    .await
    .unwrap();
    assert!(added.secret.starts_with("whsec_"));

    for text in ["one", "two", "three"] {
        say(&owner, &base, "hookowner", text).await;
    }
    let got = receiver
        .until("three messages delivered", |got| got.len() >= 5)
        .await;
    // The first was refused twice and taken on its third attempt; the others waited for it.
    let texts: Vec<String> = got
        .iter()
        .map(|g| {
            let body: serde_json::Value = serde_json::from_slice(&g.body).unwrap();
            assert_eq!(body["event"], "chat_message");
            assert_eq!(body["channel"], "hookowner");
            assert_eq!(body["id"], g.delivery.as_str());
            format!("{}#{}", body["data"]["text"].as_str().unwrap(), g.attempt)
        })
        .collect();
    assert_eq!(texts, ["one#1", "one#2", "one#3", "two#1", "three#1"]);
    assert_eq!(
        got[0].delivery, got[2].delivery,
        "a retry is the same delivery"
    );
    assert_ne!(got[2].delivery, got[3].delivery);
    for g in &got {
        assert_eq!(g.event, "chat_message");
        assert!(signed(&added.secret, &g.signature, &g.body), "{g:?}");
        assert!(!signed("whsec_other", &g.signature, &g.body));
    }

    // The studio's log has every attempt, newest first.
    let log: Vec<DeliveryAttempt> = call(
        &owner,
        &base,
        "webhook_deliveries",
        None,
        Some(json!({"id": added.summary.id})),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let statuses: Vec<Option<u16>> = log.iter().rev().map(|a| a.status).collect();
    assert_eq!(
        statuses,
        [Some(500), Some(500), Some(200), Some(200), Some(200)]
    );
    assert!(
        log.last()
            .unwrap()
            .error
            .as_deref()
            .unwrap()
            .contains("500")
    );

    // Going live and ending are told too; a test event on demand.
    start(&owner, &base, "hookowner").await.unwrap();
    stop(&owner, &base, "hookowner").await.unwrap();
    call(
        &owner,
        &base,
        "test_webhook",
        None,
        Some(json!({"id": added.summary.id})),
    )
    .await
    .unwrap();
    let got = receiver
        .until("went live, ended and a test", |got| got.len() >= 8)
        .await;
    let events: Vec<&str> = got[5..].iter().map(|g| g.event.as_str()).collect();
    assert_eq!(events, ["went_live", "ended", "test"]);
    let ended: serde_json::Value = serde_json::from_slice(&got[6].body).unwrap();
    assert_eq!(ended["data"]["reason"], "Stopped");

    // A redirect is not followed: each attempt ends at the first answer.
    let moved = add_hook(
        &owner,
        &base,
        Some("hookowner"),
        &format!("http://{}/moved", receiver.addr),
        &["chat_message"],
    )
    .await
    .unwrap();
    let before = receiver.got().iter().filter(|g| g.path == "/hook").count();
    say(&owner, &base, "hookowner", "four").await;
    receiver
        .until("the moved hook's attempts", |got| {
            got.iter().filter(|g| g.path == "/moved").count() >= 5
        })
        .await;
    let log: Vec<DeliveryAttempt> = call(
        &owner,
        &base,
        "webhook_deliveries",
        None,
        Some(json!({"id": moved.summary.id})),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert!(log.iter().all(|a| a.status == Some(302)), "{log:?}");
    assert!(
        log[0]
            .error
            .as_deref()
            .unwrap()
            .contains("redirects are not followed")
    );
    let after = receiver
        .until("the first hook's copy of four", |got| {
            got.iter().filter(|g| g.path == "/hook").count() > before
        })
        .await;
    let to_hook = after.iter().filter(|g| g.path == "/hook").count();
    assert_eq!(
        to_hook,
        before + 1,
        "only the first hook's own delivery reached /hook"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_addresses_others_hooks_and_server_hooks_are_refused() {
    let _serial = SERIAL.lock().await;
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let base = format!("http://{}", server.addr);
    let owner = browser();
    sign_up(&owner, &base, "privowner").await;
    for private in [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://192.168.1.10/hook",
    ] {
        let refused = add_hook(&owner, &base, Some("privowner"), private, &["ended"])
            .await
            .unwrap_err();
        assert_eq!(refused.status(), 400, "{private}");
        assert!(refused.to_string().contains("private network"), "{refused}");
    }
    let not_mine = add_hook(
        &owner,
        &base,
        Some("someone"),
        "https://93.184.216.34/hook",
        &["ended"],
    )
    .await
    .unwrap_err();
    assert_eq!(not_mine.status(), 403);
    let whole_server = add_hook(
        &owner,
        &base,
        None,
        "https://93.184.216.34/hook",
        &["ended"],
    )
    .await
    .unwrap_err();
    assert_eq!(whole_server.status(), 403);
    assert!(whole_server.to_string().contains("operators"));
    let mine = add_hook(
        &owner,
        &base,
        Some("privowner"),
        "https://93.184.216.34/hook",
        &["ended"],
    )
    .await
    .unwrap();
    let other = browser();
    sign_up(&other, &base, "privother").await;
    let theirs = call(
        &other,
        &base,
        "remove_webhook",
        None,
        Some(json!({"id": mine.summary.id})),
    )
    .await
    .unwrap_err();
    assert_eq!(theirs.status(), 404);
    call(
        &owner,
        &base,
        "remove_webhook",
        None,
        Some(json!({"id": mine.summary.id})),
    )
    .await
    .unwrap();
    server.shutdown().await.unwrap();
}
