//! The studio's server functions for restreaming and the types both sides share: list the
//! channel's destinations with their state, add one, switch one on or off, remove one. Owner
//! only.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// How a destination's push is doing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum PushState {
    /// Switched off.
    Off,
    /// On, and the channel is not live.
    Waiting,
    /// Its ffmpeg is connecting to the destination.
    Connecting,
    /// Sending, at this bitrate (kbit/s, as ffmpeg reports it).
    Live { kbps: Option<f64> },
    /// It failed (`reason`); trying again in `in_secs`.
    Retrying { reason: String, in_secs: u64 },
    /// Given up on for this broadcast (`reason`).
    Failed { reason: String },
}

/// A destination as the studio shows it (never its whole key).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DestinationSummary {
    pub id: i64,
    pub name: String,
    pub url: String,
    /// The key's last characters ("…a1b2").
    pub key_hint: String,
    pub enabled: bool,
    pub state: PushState,
}

#[server(endpoint = "restream_destinations", input = Json)]
pub async fn restream_destinations(channel: String) -> Result<Vec<DestinationSummary>, AppError> {
    crate::error::reply(async {
        let restream = crate::error::state::<super::Restream>()?;
        let user = crate::accounts::session::require_user().await?;
        user.ensure_owns(&channel)?;
        restream.list(&channel).await
    })
    .await
}

/// Adds a destination (switched on) to `channel`: from its next broadcast, or at once when live.
#[server(endpoint = "add_restream", input = Json)]
pub async fn add_restream(
    channel: String,
    name: String,
    url: String,
    key: String,
) -> Result<DestinationSummary, AppError> {
    crate::error::reply(async {
        let restream = crate::error::state::<super::Restream>()?;
        let user = crate::accounts::session::require_user().await?;
        user.ensure_owns(&channel)?;
        restream.add(&channel, &name, &url, &key).await
    })
    .await
}

/// Switches destination `id` on or off (from the next broadcast).
#[server(endpoint = "switch_restream", input = Json)]
pub async fn switch_restream(channel: String, id: i64, on: bool) -> Result<(), AppError> {
    crate::error::reply(async {
        let restream = crate::error::state::<super::Restream>()?;
        let user = crate::accounts::session::require_user().await?;
        user.ensure_owns(&channel)?;
        restream.switch(&channel, id, on).await
    })
    .await
}

#[server(endpoint = "remove_restream", input = Json)]
pub async fn remove_restream(channel: String, id: i64) -> Result<(), AppError> {
    crate::error::reply(async {
        let restream = crate::error::state::<super::Restream>()?;
        let user = crate::accounts::session::require_user().await?;
        user.ensure_owns(&channel)?;
        restream.remove(&channel, id).await
    })
    .await
}
