//! Web Push's server functions: the server's public key for a browser to subscribe with, and
//! keeping or dropping the signed-in user's subscriptions.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A browser's push subscription, as `PushSubscription.toJSON()` gives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// The push service's address for this browser.
    pub endpoint: String,
    pub keys: SubscriptionKeys,
}

/// The browser's keys: its P-256 public key and its 16-byte secret, base64url.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionKeys {
    pub p256dh: String,
    pub auth: String,
}

/// The message a browser is pushed when a followed channel goes live (its service worker
/// shows it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveNotice {
    pub title: String,
    pub body: String,
    /// Opened on a click: the channel's page.
    pub url: String,
    /// One notification per channel, however many times it goes live.
    pub tag: String,
}

/// The server's VAPID public key (an uncompressed P-256 point, base64url), the
/// `applicationServerKey` a browser subscribes with; None when Web Push is off.
#[server(endpoint = "push_key")]
pub async fn push_key() -> Result<Option<String>, AppError> {
    crate::error::reply(async {
        Ok(use_context::<super::Push>().map(|push| push.public_key().to_string()))
    })
    .await
}

/// Keeps `subscription` for the signed-in user: their followed channels going live are pushed
/// to it.
#[server(endpoint = "subscribe_push", input = leptos::server_fn::codec::Json)]
pub async fn subscribe_push(subscription: Subscription) -> Result<(), AppError> {
    crate::error::reply(async {
        let push = crate::error::state::<super::Push>()?;
        let user = crate::accounts::session::require_user().await?;
        push.subscribe(&user, subscription).await
    })
    .await
}

/// Drops the signed-in user's subscription at `endpoint`.
#[server(endpoint = "unsubscribe_push", input = leptos::server_fn::codec::Json)]
pub async fn unsubscribe_push(endpoint: String) -> Result<(), AppError> {
    crate::error::reply(async {
        let push = crate::error::state::<super::Push>()?;
        let user = crate::accounts::session::require_user().await?;
        push.unsubscribe(&user, &endpoint).await
    })
    .await
}
