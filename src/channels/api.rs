//! Channel summaries and the server functions that read them.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::live::wire::ChannelState;

/// A channel as the directory and the watch page show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChannelSummary {
    /// The URL name: `/watch/{name}`.
    pub name: String,
    pub title: String,
    pub broadcaster: String,
    pub state: ChannelState,
    /// Unix milliseconds at which the channel went live (or offline).
    pub since_ms: u64,
    /// Distinct viewers watching now.
    pub viewers: usize,
    /// Unix ms when its last broadcast ended, if it ever was on air.
    pub last_live_ms: Option<u64>,
    /// The server's clock when this summary was made (for "live for 5 min" on any clock).
    pub as_of_ms: u64,
}

/// Every channel, live ones first.
#[server]
pub async fn list_channels() -> Result<Vec<ChannelSummary>, AppError> {
    Ok(expect_context::<super::Channels>().summaries())
}

/// One channel, or `None` when there is no such channel.
#[server]
pub async fn channel_info(name: String) -> Result<Option<ChannelSummary>, AppError> {
    Ok(expect_context::<super::Channels>()
        .get(&name)
        .map(|channel| channel.summary()))
}
