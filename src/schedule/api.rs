//! The schedule's server functions and the types both sides share.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// One announced broadcast.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Announced {
    pub id: i64,
    pub channel: String,
    pub broadcaster: String,
    pub title: String,
    /// Unix ms, UTC.
    pub starts_ms: u64,
}

/// Announcements, with the server's clock when they were listed (for countdowns on any
/// clock).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Upcoming {
    pub announced: Vec<Announced>,
    pub as_of_ms: u64,
}

/// `channel`'s upcoming broadcasts, soonest first.
#[server(endpoint = "schedule_of", input = Json)]
pub async fn schedule_of(channel: String) -> Result<Upcoming, AppError> {
    crate::error::reply(async {
        let schedule = crate::error::state::<super::Schedule>()?;
        schedule.of(&channel).await
    })
    .await
}

/// The soonest upcoming broadcasts of channels not on air now, for the home page.
#[server(endpoint = "upcoming_broadcasts", input = Json)]
pub async fn upcoming_broadcasts() -> Result<Upcoming, AppError> {
    crate::error::reply(async {
        let schedule = crate::error::state::<super::Schedule>()?;
        schedule.upcoming(super::state::HOME_ROW).await
    })
    .await
}

/// The owner announces a broadcast on `channel`: `title`, starting at `starts_ms` (Unix ms).
#[server(endpoint = "announce", input = Json)]
pub async fn announce(
    channel: String,
    title: String,
    starts_ms: i64,
) -> Result<Announced, AppError> {
    crate::error::reply(async {
        let schedule = crate::error::state::<super::Schedule>()?;
        let user = crate::accounts::session::require_user().await?;
        user.ensure_owns(&channel)?;
        schedule.announce(&channel, &title, starts_ms).await
    })
    .await
}

/// The owner takes announcement `id` off `channel`'s schedule.
#[server(endpoint = "cancel_announced", input = Json)]
pub async fn cancel_announced(channel: String, id: i64) -> Result<(), AppError> {
    crate::error::reply(async {
        let schedule = crate::error::state::<super::Schedule>()?;
        let user = crate::accounts::session::require_user().await?;
        user.ensure_owns(&channel)?;
        schedule.cancel(&channel, id).await
    })
    .await
}
