//! The studio's server functions for webhooks and the types both sides share: list, add (the
//! secret shown once), remove, send a test event, read the latest deliveries. A channel's
//! hooks are its owner's; the server's (every channel) are the operators'.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use super::HookEvent;
use crate::error::AppError;

/// A hook as its list shows it (never its secret).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HookSummary {
    pub id: i64,
    /// None: every channel's events (an operator's hook).
    pub channel: Option<String>,
    pub url: String,
    pub events: Vec<HookEvent>,
    pub created_ms: u64,
}

/// A hook just added, with its secret, shown this once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AddedHook {
    pub summary: HookSummary,
    pub secret: String,
}

/// One attempt to deliver an event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeliveryAttempt {
    /// Names the event delivered (the same on its retries): `X-OnAir-Delivery`.
    pub delivery: String,
    pub event: String,
    /// 1 for the first try.
    pub attempt: u32,
    /// The receiver's HTTP status; None when there was none (`error` says why).
    pub status: Option<u16>,
    pub error: Option<String>,
    pub at_ms: u64,
    pub took_ms: u64,
}

/// Hooks a channel (or the server) may have at once.
pub const HOOKS_PER_CHANNEL: i64 = 10;
/// Attempts each hook's log keeps.
pub const ATTEMPTS_KEPT: i64 = 50;

/// The hooks of `channel` (its owner), or of the whole server (`None`: operators).
#[server(endpoint = "webhooks", input = Json)]
pub async fn webhooks(channel: Option<String>) -> Result<Vec<HookSummary>, AppError> {
    crate::error::reply(async {
        let hooks = crate::error::state::<super::Webhooks>()?;
        let user = crate::accounts::session::require_user().await?;
        hooks.list(&user, channel.as_deref()).await
    })
    .await
}

/// Adds a hook telling `url` of `events` on `channel` (or every channel: `None`).
#[server(endpoint = "add_webhook", input = Json)]
pub async fn add_webhook(
    channel: Option<String>,
    url: String,
    events: Vec<HookEvent>,
) -> Result<AddedHook, AppError> {
    crate::error::reply(async {
        let hooks = crate::error::state::<super::Webhooks>()?;
        let user = crate::accounts::session::require_user().await?;
        hooks.add(&user, channel.as_deref(), &url, &events).await
    })
    .await
}

#[server(endpoint = "remove_webhook", input = Json)]
pub async fn remove_webhook(id: i64) -> Result<(), AppError> {
    crate::error::reply(async {
        let hooks = crate::error::state::<super::Webhooks>()?;
        let user = crate::accounts::session::require_user().await?;
        hooks.remove(&user, id).await
    })
    .await
}

/// Sends hook `id` a test event now (it is delivered like any other).
#[server(endpoint = "test_webhook", input = Json)]
pub async fn test_webhook(id: i64) -> Result<(), AppError> {
    crate::error::reply(async {
        let hooks = crate::error::state::<super::Webhooks>()?;
        let user = crate::accounts::session::require_user().await?;
        hooks.test(&user, id).await
    })
    .await
}

/// Hook `id`'s latest delivery attempts, newest first.
#[server(endpoint = "webhook_deliveries", input = Json)]
pub async fn webhook_deliveries(id: i64) -> Result<Vec<DeliveryAttempt>, AppError> {
    crate::error::reply(async {
        let hooks = crate::error::state::<super::Webhooks>()?;
        let user = crate::accounts::session::require_user().await?;
        hooks.deliveries(&user, id).await
    })
    .await
}
