//! `Push`: keeps each user's browsers' subscriptions (checked: an address on the public
//! internet, unless the operator allows private ones; the browser's keys well formed) and
//! pushes a "went live" message to the followers' browsers when a channel goes live, a few at
//! a time, each within a deadline, never following a redirect. A subscription the push
//! service says is gone (404, 410) is dropped.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::StreamExt;
use p256::ecdsa::SigningKey;

use super::api::{LiveNotice, Subscription};
use super::store::{self, Stored};
use super::{keys, vapid};
use crate::accounts::session::SignedIn;
use crate::db::Db;
use crate::error::AppError;
use crate::outbound::{Refused, ensure_public};

/// A user's browsers kept at most; the oldest go first.
pub const PER_USER_MAX: usize = 10;
/// Followers' browsers told of one broadcast at most.
const PER_BROADCAST_MAX: usize = 100_000;
/// Messages being sent at once.
const SENDING_AT_ONCE: usize = 16;
/// Subscriptions read from the database at a time.
const PAGE: usize = 1000;
/// The longest endpoint taken.
const ENDPOINT_MAX: usize = 2048;
/// How long a push service keeps a message for a browser that is offline: a live broadcast
/// is news for an hour.
const TTL: Duration = Duration::from_secs(3600);

/// How Web Push runs (`[push]`).
#[derive(Clone, Debug)]
pub struct PushConfig {
    pub enabled: bool,
    /// Whether endpoints may be loopback or private addresses (the tests' receiver).
    pub allow_private: bool,
    /// Who push services may write to about this server (`mailto:` or `https:`).
    pub contact: String,
    /// Each message's deadline.
    pub timeout: Duration,
}

#[derive(Clone)]
pub struct Push {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    key: SigningKey,
    public_key: String,
    config: PushConfig,
    client: reqwest::Client,
}

impl Push {
    /// Web Push with the database's key (made now at the first start); None when it is off.
    pub async fn open(db: Db, config: PushConfig) -> Result<Option<Self>, String> {
        if !config.enabled {
            return Ok(None);
        }
        let key = keys::load_or_make(&db).await?;
        let mut client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.timeout)
            .timeout(config.timeout)
            .user_agent("OnAir-Push/1");
        if !config.allow_private {
            client = client.dns_resolver(Arc::new(crate::outbound::PublicOnly));
        }
        let client = client
            .build()
            .map_err(|err| format!("the Web Push HTTP client: {err}"))?;
        Ok(Some(Self {
            inner: Arc::new(Inner {
                db,
                public_key: vapid::public_key(&key),
                key,
                config,
                client,
            }),
        }))
    }

    /// The VAPID public key browsers subscribe with (base64url).
    pub fn public_key(&self) -> &str {
        &self.inner.public_key
    }

    /// Keeps `user`'s browser's `subscription`, once checked.
    pub async fn subscribe(
        &self,
        user: &SignedIn,
        subscription: Subscription,
    ) -> Result<(), AppError> {
        let stored = self.check(subscription).await.map_err(AppError::Invalid)?;
        store::keep(&self.inner.db, user.user_id, &stored, PER_USER_MAX).await?;
        tracing::info!(user = %user.username, "push subscription kept");
        Ok(())
    }

    pub async fn unsubscribe(&self, user: &SignedIn, endpoint: &str) -> Result<(), AppError> {
        if !store::drop_one(&self.inner.db, user.user_id, endpoint).await? {
            return Err(AppError::NotFound("This browser is not subscribed.".into()));
        }
        Ok(())
    }

    /// A subscription as stored, or what is wrong with it.
    async fn check(&self, subscription: Subscription) -> Result<Stored, String> {
        let Subscription { endpoint, keys } = subscription;
        if endpoint.len() > ENDPOINT_MAX {
            return Err("That push address is too long.".into());
        }
        let url =
            url::Url::parse(&endpoint).map_err(|_| "That push address is not one.".to_string())?;
        let allowed_scheme =
            url.scheme() == "https" || (self.inner.config.allow_private && url.scheme() == "http");
        if !allowed_scheme || !url.username().is_empty() || url.password().is_some() {
            return Err("A push address starts with https:// and has no credentials.".into());
        }
        let host = url
            .host()
            .ok_or_else(|| "That push address has no host.".to_string())?;
        if !self.inner.config.allow_private {
            match ensure_public(host, url.port_or_known_default().unwrap_or(443)).await {
                Ok(()) => {}
                Err(Refused::Unknown) => return Err("That push service cannot be found.".into()),
                Err(Refused::Private) => {
                    return Err("A push address on a private network is not taken.".into());
                }
            }
        }
        ua_public(&keys.p256dh)
            .ok_or_else(|| "The browser's push key is not a P-256 key.".to_string())?;
        ua_auth(&keys.auth)
            .ok_or_else(|| "The browser's push secret is not 16 bytes.".to_string())?;
        Ok(Stored {
            endpoint,
            p256dh: keys.p256dh,
            auth: keys.auth,
        })
    }

    /// Tells `channel`'s followers' browsers that `broadcaster` went live there with `title`,
    /// in the background.
    pub fn went_live(&self, channel: &str, broadcaster: &str, title: &str) {
        let notice = LiveNotice {
            title: format!("{broadcaster} is live"),
            body: title.to_string(),
            url: format!("/watch/{channel}"),
            tag: format!("onair-live-{channel}"),
        };
        let (push, channel) = (self.clone(), channel.to_string());
        tokio::spawn(async move {
            let Ok(payload) = serde_json::to_vec(&notice) else {
                return;
            };
            let (mut sent, mut after) = (0, String::new());
            for _ in 0..PER_BROADCAST_MAX / PAGE {
                let page = match store::of_followers(&push.inner.db, &channel, &after, PAGE).await {
                    Ok(page) => page,
                    Err(err) => {
                        tracing::warn!(%channel, %err, "push: the followers' browsers could not be read");
                        break;
                    }
                };
                let Some(last) = page.last() else { break };
                after = last.endpoint.clone();
                let full = page.len() == PAGE;
                sent += futures::stream::iter(page)
                    .map(|sub| {
                        let (push, payload) = (push.clone(), payload.clone());
                        async move { push.send(&sub, payload).await }
                    })
                    .buffer_unordered(SENDING_AT_ONCE)
                    .filter(|delivered| std::future::ready(*delivered))
                    .count()
                    .await;
                if !full {
                    break;
                }
            }
            tracing::info!(%channel, sent, "push: went live, told the followers' browsers");
            metrics::counter!("onair_push_sent_total").increment(sent as u64);
        });
    }

    /// Sends `payload` to one browser; whether the push service took it. One it says is gone
    /// is dropped.
    async fn send(&self, sub: &Stored, payload: Vec<u8>) -> bool {
        let built = (|| {
            let url = url::Url::parse(&sub.endpoint).ok()?;
            let endpoint: axum::http::Uri = sub.endpoint.parse().ok()?;
            let request = web_push_native::WebPushBuilder::new(
                endpoint,
                ua_public(&sub.p256dh)?,
                ua_auth(&sub.auth)?,
            )
            .with_valid_duration(TTL)
            .build(payload)
            .ok()?;
            let mut request = reqwest::Request::try_from(request).ok()?;
            let now_secs = crate::clock::now_ms() / 1000;
            let signed =
                vapid::authorization(&self.inner.key, &url, &self.inner.config.contact, now_secs);
            request
                .headers_mut()
                .insert(axum::http::header::AUTHORIZATION, signed.parse().ok()?);
            request
                .headers_mut()
                .insert("Urgency", axum::http::HeaderValue::from_static("high"));
            Some(request)
        })();
        let Some(request) = built else {
            tracing::warn!("push: a stored subscription cannot be sent to; dropped");
            let _ = store::forget(&self.inner.db, &sub.endpoint).await;
            return false;
        };
        match self.inner.client.execute(request).await {
            Ok(answer) if answer.status().is_success() => true,
            Ok(answer) if matches!(answer.status().as_u16(), 404 | 410) => {
                tracing::info!(status = %answer.status(), "push: a browser's subscription is gone; dropped");
                let _ = store::forget(&self.inner.db, &sub.endpoint).await;
                false
            }
            Ok(answer) => {
                tracing::warn!(status = %answer.status(), "push: the push service refused a message");
                false
            }
            Err(err) => {
                tracing::warn!(err = %err.without_url(), "push: a push service could not be reached");
                false
            }
        }
    }
}

/// A browser's public key (base64url of an uncompressed P-256 point).
fn ua_public(text: &str) -> Option<p256::PublicKey> {
    let bytes = URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()?;
    p256::PublicKey::from_sec1_bytes(&bytes).ok()
}

/// A browser's 16-byte secret (base64url).
fn ua_auth(text: &str) -> Option<web_push_native::Auth> {
    let bytes = URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()?;
    (bytes.len() == 16).then(|| web_push_native::Auth::clone_from_slice(&bytes))
}
