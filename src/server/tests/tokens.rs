//! API tokens over real HTTP: made in the studio's server functions, presented by a program to
//! the JSON API (docs/api.md), acting as their user within their scopes, revoked at once, and
//! never written to the log.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use eventsource_stream::Eventsource;
use serde_json::json;

use super::support::*;
use crate::live::wire::ChatEvent;
use crate::tokens::api::{MadeToken, TokenSummary};

/// What a server function taking JSON answers to `body`; the call must succeed.
async fn answer_json<T: serde::de::DeserializeOwned>(
    client: &reqwest::Client,
    base: &str,
    endpoint: &str,
    body: serde_json::Value,
) -> T {
    call(client, base, endpoint, None, Some(body))
        .await
        .unwrap_or_else(|err| panic!("{endpoint}: {err:?}"))
        .json()
        .await
        .unwrap()
}

/// Makes a token for the signed-in `client`.
async fn make_token(client: &reqwest::Client, base: &str, scopes: &[&str]) -> MadeToken {
    let body = json!({"name": "chat bot", "scopes": scopes});
    answer_json(client, base, "make_token", body).await
}

/// Everything the server logs while these tests run (installed once for the process, at the
/// most detailed level for OnAir and the HTTP stack beneath it).
fn captured_log() -> Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "onair=trace,axum=trace,hyper=debug,tower_sessions=debug,sqlx=debug",
            ))
            .with_writer(move || Sink(sink.clone()))
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        log
    })
    .clone()
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_acts_for_its_user_within_its_scopes_until_revoked() {
    let _serial = SERIAL.lock().await;
    let log = captured_log();
    let server = start_server_with(&[("ONAIR_DEMO_ENABLED", "false")]).await;
    let base = format!("http://{}", server.addr);
    let owner = browser();
    sign_up(&owner, &base, "botowner").await;
    let other = browser();
    sign_up(&other, &base, "someoneelse").await;
    let made = make_token(&owner, &base, &["read", "chat"]).await;
    let token = made.token.clone();
    assert!(token.starts_with("onair_"));
    assert!(made.summary.hint.len() < token.len());

    let program = reqwest::Client::new();
    let api = |path: &str| format!("{base}/api/v1/channels/{path}");
    let state = program
        .get(api("botowner"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(state.status(), 200);
    let state: serde_json::Value = state.json().await.unwrap();
    assert_eq!(state["name"], "botowner");
    assert_eq!(state["state"], "offline");

    // A message posted with the token reaches viewers as the user's, marked as a bot's.
    let mut viewer = reqwest::get(format!("{base}/live/botowner/events?viewer=v1"))
        .await
        .unwrap()
        .bytes_stream()
        .eventsource();
    next_event(&mut viewer, "status").await;
    let posted = program
        .post(api("botowner/chat"))
        .bearer_auth(&token)
        .json(&json!({"text": "beep boop"}))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 201);
    let posted: ChatEvent = posted.json().await.unwrap();
    assert_eq!((posted.author.as_str(), posted.bot), ("botowner", true));
    let seen: ChatEvent =
        serde_json::from_str(&next_event(&mut viewer, "chat").await.data).unwrap();
    assert_eq!(seen, posted);
    let listed: Vec<ChatEvent> = program
        .get(api("botowner/chat"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(listed.iter().any(|m| m.id == posted.id && m.bot));

    // Beyond its scopes: 403, saying which scope it lacks.
    let delete = program
        .delete(api(&format!("botowner/chat/{}", posted.id)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), 403);
    assert!(delete.text().await.unwrap().contains("`moderate`"));
    let start = program
        .post(api("botowner/broadcast"))
        .bearer_auth(&token)
        .json(&json!({"title": "bot live"}))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 403);

    // Its user's rules hold: a broadcast token cannot start someone else's channel.
    let broadcaster = make_token(&owner, &base, &["broadcast", "moderate"]).await;
    let elsewhere = program
        .post(api("someoneelse/broadcast"))
        .bearer_auth(&broadcaster.token)
        .json(&json!({"title": "not mine"}))
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 403);
    let bad_body = program
        .post(api("botowner/broadcast"))
        .bearer_auth(&broadcaster.token)
        .body("{\"title\":")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_body.status(), 400);
    assert!(bad_body.text().await.unwrap().contains("JSON body like"));
    let moderated = program
        .delete(api(&format!("botowner/chat/{}", posted.id)))
        .bearer_auth(&broadcaster.token)
        .send()
        .await
        .unwrap();
    assert_eq!(moderated.status(), 204);

    // No token, or not a token: 401 saying how to authenticate.
    let none = program.get(api("botowner")).send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert_eq!(none.headers()["www-authenticate"], "Bearer realm=\"OnAir\"");
    // The token with its last digit changed.
    let last = if token.ends_with('0') { '1' } else { '0' };
    let mistyped = format!("{}{last}", &token[..token.len() - 1]);
    let wrong = program
        .get(api("botowner"))
        .bearer_auth(&mistyped)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    // The studio lists it with its last use; revoked, it stops working at once.
    let mine: Vec<TokenSummary> = answer_json(&owner, &base, "my_tokens", json!({})).await;
    let listed = mine.iter().find(|t| t.id == made.summary.id).unwrap();
    assert!(listed.last_used_ms.is_some());
    assert_eq!(mine.len(), 2);
    let theirs: Vec<TokenSummary> = answer_json(&other, &base, "my_tokens", json!({})).await;
    assert!(theirs.is_empty(), "a user sees only their own tokens");
    let stolen = call(
        &other,
        &base,
        "revoke_token",
        None,
        Some(json!({"id": made.summary.id})),
    )
    .await;
    assert_eq!(
        stolen.unwrap_err().status(),
        404,
        "nor revokes anyone else's"
    );
    call(
        &owner,
        &base,
        "revoke_token",
        None,
        Some(json!({"id": made.summary.id})),
    )
    .await
    .unwrap();
    let revoked = program
        .get(api("botowner"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 401);
    assert!(revoked.text().await.unwrap().contains("revoked"));

    server.shutdown().await.unwrap();
    let log = String::from_utf8_lossy(&log.lock().unwrap()).to_string();
    assert!(log.contains("API token made"), "the log was captured");
    for secret in [&token, &broadcaster.token] {
        assert!(
            !log.contains(&secret["onair_".len()..]),
            "a token reached the log"
        );
    }
}
