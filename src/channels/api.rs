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

/// Channels per directory page.
pub const DIRECTORY_PAGE: usize = 24;
/// Offline channels stay in the directory this long after their last broadcast (30 days).
pub const RECENT_MS: u64 = 30 * 24 * 3600 * 1000;

/// One page of the directory: live channels first (longest live first), then those live in
/// the last 30 days (most recent first). Channels that have not been live lately are not
/// listed (their pages still work).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DirectoryPage {
    pub channels: Vec<ChannelSummary>,
    /// This page's number, from 0.
    pub page: usize,
    /// Whether another page follows.
    pub more: bool,
}

/// The longest search the directory takes, in characters.
pub const SEARCH_MAX: usize = 100;

/// Page `page` (from 0) of the directory; with a `search`, the channels whose name, title or
/// broadcaster contains it (whatever the case), live or not, that have ever been on air.
#[server(endpoint = "directory")]
pub async fn directory(page: usize, search: String) -> Result<DirectoryPage, AppError> {
    crate::error::reply(async {
        let search = search.trim();
        if search.chars().count() > SEARCH_MAX {
            return Err(AppError::Invalid(format!(
                "Search with at most {SEARCH_MAX} characters."
            )));
        }
        Ok(crate::error::state::<super::Channels>()?.directory(page, DIRECTORY_PAGE, search))
    })
    .await
}

/// One channel, or `None` when there is no such channel.
#[server(endpoint = "channel_info")]
pub async fn channel_info(name: String) -> Result<Option<ChannelSummary>, AppError> {
    Ok(crate::error::state::<super::Channels>()?
        .find(&name)
        .await?
        .map(|channel| channel.summary()))
}
