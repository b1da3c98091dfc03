//! Web Push over real HTTP: a follower's browser subscribes, the channel goes live, and a
//! local receiver standing in for the push service checks the request as a push service
//! would, with an implementation apart from the server's (ring, not RustCrypto): the VAPID
//! JWT's ES256 signature and claims, and the RFC 8291 encryption, decrypted with the browser's
//! own keys. A subscription the push service calls gone is dropped.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::{aead, agreement, hkdf, rand::SecureRandom, signature};
use tokio::sync::mpsc;

use super::support::{SERIAL, answer, browser, call, sign_up, start, start_server_with, stop};
use crate::error::AppError;
use crate::push::api::LiveNotice;

/// What the stand-in push service received: the path it was sent to, its headers and body.
type Delivered = (String, HeaderMap, Vec<u8>);

async fn receive(
    State(sent): State<mpsc::UnboundedSender<Delivered>>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let _ = sent.send((path.clone(), headers, body.to_vec()));
    if path == "gone" {
        StatusCode::GONE
    } else {
        StatusCode::CREATED
    }
}

struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

fn expand(prk: &hkdf::Prk, info: &[u8], len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    prk.expand(&[info], Len(len))
        .unwrap()
        .fill(&mut out)
        .unwrap();
    out
}

/// RFC 8291 decryption as a browser does it, with its private key and secret.
fn decrypt(
    body: &[u8],
    ua_private: agreement::EphemeralPrivateKey,
    ua_public: &[u8],
    auth: &[u8],
) -> Vec<u8> {
    let (salt, rest) = body.split_at(16);
    let record_size = u32::from_be_bytes(rest[..4].try_into().unwrap());
    let id_len = rest[4] as usize;
    let (as_public, ciphertext) = rest[5..].split_at(id_len);
    assert!(record_size as usize >= ciphertext.len(), "one record");
    assert_eq!(as_public.len(), 65, "the sender's key, uncompressed");
    let peer = agreement::UnparsedPublicKey::new(&agreement::ECDH_P256, as_public.to_vec());
    let ecdh = agreement::agree_ephemeral(ua_private, &peer, |shared| shared.to_vec()).unwrap();
    let prk_key = hkdf::Salt::new(hkdf::HKDF_SHA256, auth).extract(&ecdh);
    let key_info = [b"WebPush: info\0".as_slice(), ua_public, as_public].concat();
    let ikm = expand(&prk_key, &key_info, 32);
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(&ikm);
    let cek = expand(&prk, b"Content-Encoding: aes128gcm\0", 16);
    let nonce = expand(&prk, b"Content-Encoding: nonce\0", 12);
    let key = aead::LessSafeKey::new(aead::UnboundKey::new(&aead::AES_128_GCM, &cek).unwrap());
    let mut sealed = ciphertext.to_vec();
    let plain = key
        .open_in_place(
            aead::Nonce::try_assume_unique_for_key(&nonce).unwrap(),
            aead::Aad::empty(),
            &mut sealed,
        )
        .expect("the message decrypts with the browser's keys");
    let end = plain.iter().rposition(|b| *b != 0).unwrap();
    assert_eq!(plain[end], 2, "the last record's delimiter");
    plain[..end].to_vec()
}

/// Checks the VAPID header as a push service does; the JWT's claims.
fn check_vapid(headers: &HeaderMap, server_key: &str) -> serde_json::Value {
    let authorization = headers["authorization"].to_str().unwrap();
    let rest = authorization
        .strip_prefix("vapid ")
        .expect("the vapid scheme");
    let (token, key) = rest.split_once(", k=").unwrap();
    let token = token.strip_prefix("t=").unwrap();
    assert_eq!(
        key, server_key,
        "signed with the key browsers subscribed with"
    );
    let (signed, signature_b64) = token.rsplit_once('.').unwrap();
    let public = URL_SAFE_NO_PAD.decode(key).unwrap();
    signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, public)
        .verify(
            signed.as_bytes(),
            &URL_SAFE_NO_PAD.decode(signature_b64).unwrap(),
        )
        .expect("an ES256 signature by the server's key");
    let (header, claims) = signed.split_once('.').unwrap();
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    assert_eq!(header["alg"], "ES256");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_s_browser_is_pushed_a_signed_encrypted_notice_when_the_channel_goes_live() {
    let _serial = SERIAL.lock().await;
    let (sent, mut received) = mpsc::unbounded_channel::<Delivered>();
    let service = axum::Router::new()
        .route("/push/{path}", axum::routing::post(receive))
        .with_state(sent);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let service_at = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, service).await });

    let server = start_server_with(&[
        ("ONAIR_DEMO_ENABLED", "false"),
        ("ONAIR_PUSH_ALLOW_PRIVATE", "true"),
    ])
    .await;
    let base = format!("http://{}", server.addr);
    let (host, fan) = (browser(), browser());
    sign_up(&host, &base, "host").await;
    sign_up(&fan, &base, "fan").await;
    call(
        &fan,
        &base,
        "follow",
        None,
        Some(serde_json::json!({"channel": "host", "on": true})),
    )
    .await
    .unwrap();
    let server_key: Option<String> = answer(&fan, &base, "push_key", &[]).await;
    let server_key = server_key.expect("Web Push is on");

    // The browser's keys, as pushManager.subscribe makes them.
    let rng = ring::rand::SystemRandom::new();
    let ua_private = agreement::EphemeralPrivateKey::generate(&agreement::ECDH_P256, &rng).unwrap();
    let ua_public = ua_private.compute_public_key().unwrap().as_ref().to_vec();
    let mut auth = [0u8; 16];
    rng.fill(&mut auth).unwrap();
    let subscribe = |endpoint: String, p256dh: String, auth: String| {
        let (fan, base) = (fan.clone(), base.clone());
        async move {
            let body = serde_json::json!({"subscription": {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}});
            call(&fan, &base, "subscribe_push", None, Some(body))
                .await
                .map(drop)
        }
    };
    let (p256dh, auth_b64) = (
        URL_SAFE_NO_PAD.encode(&ua_public),
        URL_SAFE_NO_PAD.encode(auth),
    );
    for (endpoint, p256dh, auth, says) in [
        (
            "ftp://127.0.0.1/x".to_string(),
            p256dh.clone(),
            auth_b64.clone(),
            "https://",
        ),
        (
            format!("{service_at}/push/1"),
            "bm90IGEga2V5".to_string(),
            auth_b64.clone(),
            "P-256",
        ),
        (
            format!("{service_at}/push/1"),
            p256dh.clone(),
            "c2hvcnQ".to_string(),
            "16 bytes",
        ),
        (
            format!("{service_at}/{}", "x".repeat(3000)),
            p256dh.clone(),
            auth_b64.clone(),
            "too long",
        ),
    ] {
        let refused = subscribe(endpoint, p256dh, auth).await.unwrap_err();
        assert!(
            matches!(&refused, AppError::Invalid(t) if t.contains(says)),
            "{refused:?}"
        );
    }
    assert_eq!(
        call(&browser(), &base, "subscribe_push", None, Some(serde_json::json!({"subscription": {"endpoint": "https://x.example/1", "keys": {"p256dh": p256dh, "auth": auth_b64}}}))).await.map(drop),
        Err(AppError::SignInRequired)
    );
    subscribe(
        format!("{service_at}/push/1"),
        p256dh.clone(),
        auth_b64.clone(),
    )
    .await
    .unwrap();
    subscribe(
        format!("{service_at}/push/gone"),
        p256dh.clone(),
        auth_b64.clone(),
    )
    .await
    .unwrap();

    start(&host, &base, "host").await.unwrap();
    let mut got = Vec::new();
    while got.len() < 2 {
        let delivered = tokio::time::timeout(Duration::from_secs(20), received.recv())
            .await
            .expect("both browsers are pushed within 20 s of going live")
            .unwrap();
        got.push(delivered);
    }
    got.sort_by(|a, b| a.0.cmp(&b.0));
    let (path, headers, body) = got.remove(0);
    assert_eq!(path, "1");
    assert_eq!(headers["content-encoding"], "aes128gcm");
    assert_eq!(headers["ttl"], "3600");
    assert_eq!(headers["urgency"], "high");
    let claims = check_vapid(&headers, &server_key);
    assert_eq!(
        claims["aud"],
        service_at.as_str(),
        "the push service's origin"
    );
    assert_eq!(claims["sub"], "mailto:operator@onair.invalid");
    let now = crate::clock::now_ms() / 1000;
    let exp = claims["exp"].as_u64().unwrap();
    assert!(
        exp > now && exp <= now + 24 * 3600,
        "valid for at most a day: {exp} vs {now}"
    );
    let notice: LiveNotice =
        serde_json::from_slice(&decrypt(&body, ua_private, &ua_public, &auth)).unwrap();
    assert_eq!(
        notice,
        LiveNotice {
            title: "host is live".into(),
            body: "Test run".into(),
            url: "/watch/host".into(),
            tag: "onair-live-host".into(),
        }
    );

    // The push service said the other was gone: the next broadcast goes to the first only.
    stop(&host, &base, "host").await.unwrap();
    start(&host, &base, "host").await.unwrap();
    let (path, _, _) = tokio::time::timeout(Duration::from_secs(20), received.recv())
        .await
        .expect("pushed again")
        .unwrap();
    assert_eq!(path, "1");
    assert!(
        tokio::time::timeout(Duration::from_secs(2), received.recv())
            .await
            .is_err(),
        "nothing for the subscription that is gone"
    );
    stop(&host, &base, "host").await.unwrap();
    call(
        &fan,
        &base,
        "unsubscribe_push",
        None,
        Some(serde_json::json!({"endpoint": format!("{service_at}/push/1")})),
    )
    .await
    .unwrap();

    server.shutdown().await.unwrap();
}
