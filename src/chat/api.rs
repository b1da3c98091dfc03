//! Chat's server functions: the latest messages for the page, posting (signed-in users; the
//! author comes from the session), and the owner's moderation (delete, ban).

use leptos::prelude::*;

use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::live::wire::ChatEvent;

/// Someone banned from a channel's chat, and since when (ms since the epoch).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Banned {
    pub username: String,
    pub banned_ms: u64,
}

/// How many messages the watch page shows when it loads.
pub const RECENT: u32 = 50;

/// The channel's latest messages, oldest first.
#[server(endpoint = "recent_chat")]
pub async fn recent_chat(channel: String) -> Result<Vec<ChatEvent>, AppError> {
    crate::error::reply(async {
        let chat = crate::error::state::<super::Chat>()?;
        chat.recent(&channel, RECENT).await
    })
    .await
}

/// Posts `text` to `channel`'s chat as the signed-in user.
#[server(endpoint = "post_chat")]
pub async fn post_chat(channel: String, text: String) -> Result<(), AppError> {
    crate::error::reply(async {
        let chat = crate::error::state::<super::Chat>()?;
        let user = crate::accounts::session::require_user().await?;
        chat.post(&channel, &user.username, &text, false)
            .await
            .map(drop)
    })
    .await
}

/// Deletes message `id` from `channel`'s chat, for every viewer. Owner or operator.
#[server(endpoint = "delete_chat")]
pub async fn delete_chat(channel: String, id: u64) -> Result<(), AppError> {
    crate::error::reply(async {
        let chat = crate::error::state::<super::Chat>()?;
        let user = crate::accounts::session::require_user().await?;
        chat.delete_by(&user, &channel, id).await
    })
    .await
}

/// Bans `username` from `channel`'s chat. Owner or operator.
#[server(endpoint = "ban_from_chat")]
pub async fn ban_from_chat(channel: String, username: String) -> Result<(), AppError> {
    crate::error::reply(async {
        let chat = crate::error::state::<super::Chat>()?;
        let accounts = crate::error::state::<crate::accounts::Accounts>()?;
        let user = crate::accounts::session::require_user().await?;
        chat.ban_by(&accounts, &user, &channel, &username).await
    })
    .await
}

/// Lifts `username`'s ban from `channel`'s chat. Owner or operator.
#[server(endpoint = "unban_from_chat")]
pub async fn unban_from_chat(channel: String, username: String) -> Result<(), AppError> {
    crate::error::reply(async {
        let chat = crate::error::state::<super::Chat>()?;
        let user = crate::accounts::session::require_user().await?;
        chat.unban_by(&user, &channel, &username).await
    })
    .await
}

/// Who is banned from `channel`'s chat, newest first. Owner or operator.
#[server(endpoint = "chat_bans")]
pub async fn chat_bans(channel: String) -> Result<Vec<Banned>, AppError> {
    crate::error::reply(async {
        let chat = crate::error::state::<super::Chat>()?;
        let user = crate::accounts::session::require_user().await?;
        user.ensure_moderates(&channel)?;
        chat.bans(&channel).await
    })
    .await
}
