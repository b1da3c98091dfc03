//! Chat's server functions: the latest messages for the page, posting (signed-in users; the
//! author comes from the session), the moderators' work (delete, time out, ban, blocked
//! terms), and the owner's (chat rules, appointing moderators).

use leptos::prelude::*;

use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::live::wire::{ChatEvent, ChatRole};

/// Someone banned from a channel's chat, or timed out of it, and since when (ms since the
/// epoch).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Banned {
    pub username: String,
    pub banned_ms: u64,
    /// When a timeout ends; None for a ban.
    #[serde(default)]
    pub until_ms: Option<u64>,
}

/// A channel's chat rules (its owner's settings). Neither holds for its owner, operators or
/// moderators.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatRules {
    /// Slow mode: one message per person every this many seconds; 0: off.
    pub slow_secs: u64,
    /// Followers-only: posts need to have followed the channel this many minutes; None: off.
    pub followers_only_min: Option<u64>,
}

/// Someone the owner appointed to keep a channel's chat, and since when (ms since the epoch).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Moderator {
    pub username: String,
    pub since_ms: u64,
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

/// Posts `text` to `channel`'s chat as the signed-in user; with `reply_to`, as a reply to
/// that message of the channel.
#[server(endpoint = "post_chat")]
pub async fn post_chat(
    channel: String,
    text: String,
    reply_to: Option<u64>,
) -> Result<(), AppError> {
    crate::error::reply(async {
        let chat = crate::error::state::<super::Chat>()?;
        let user = crate::accounts::session::require_user().await?;
        chat.post(&channel, &user, &text, false, reply_to)
            .await
            .map(drop)
    })
    .await
}

/// What the signed-in user is in `channel`'s chat: a role (owner, operator, moderator) if
/// they moderate it; None for a viewer or someone signed out.
#[server(endpoint = "chat_role")]
pub async fn my_chat_role(channel: String) -> Result<Option<ChatRole>, AppError> {
    crate::error::reply(async {
        let chat = crate::error::state::<super::Chat>()?;
        match crate::accounts::session::maybe_user().await? {
            Some(user) => chat.role_of(&user, &channel).await,
            None => Ok(None),
        }
    })
    .await
}

/// Deletes message `id` from `channel`'s chat, for every viewer. Owner, operators, moderators.
#[server(endpoint = "delete_chat")]
pub async fn delete_chat(channel: String, id: u64) -> Result<(), AppError> {
    crate::error::reply(async {
        let chat = crate::error::state::<super::Chat>()?;
        let user = crate::accounts::session::require_user().await?;
        chat.delete_by(&user, &channel, id).await
    })
    .await
}

/// Bans `username` from `channel`'s chat. Owner, operators, moderators.
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

/// Lifts `username`'s ban from `channel`'s chat. Owner, operators, moderators.
#[server(endpoint = "unban_from_chat")]
pub async fn unban_from_chat(channel: String, username: String) -> Result<(), AppError> {
    crate::error::reply(async {
        let chat = crate::error::state::<super::Chat>()?;
        let user = crate::accounts::session::require_user().await?;
        chat.unban_by(&user, &channel, &username).await
    })
    .await
}

/// Who is banned from `channel`'s chat, newest first. Owner, operators, moderators.
#[server(endpoint = "chat_bans")]
pub async fn chat_bans(channel: String) -> Result<Vec<Banned>, AppError> {
    crate::error::reply(async {
        let chat = crate::error::state::<super::Chat>()?;
        let user = crate::accounts::session::require_user().await?;
        chat.bans_by(&user, &channel).await
    })
    .await
}

/// Times `username` out of `channel`'s chat for `secs` seconds. Owner, operators, moderators.
#[server(endpoint = "timeout_in_chat")]
pub async fn timeout_in_chat(channel: String, username: String, secs: u64) -> Result<(), AppError> {
    crate::error::reply(async {
        let chat = crate::error::state::<super::Chat>()?;
        let accounts = crate::error::state::<crate::accounts::Accounts>()?;
        let user = crate::accounts::session::require_user().await?;
        chat.timeout_by(&accounts, &user, &channel, &username, secs)
            .await
    })
    .await
}

/// `channel`'s chat rules, for anyone (the chat says them).
#[server(endpoint = "chat_rules", input = leptos::server_fn::codec::Json)]
pub async fn chat_rules_of(channel: String) -> Result<ChatRules, AppError> {
    crate::error::reply(async {
        let chat = crate::error::state::<super::Chat>()?;
        chat.rules(&channel).await
    })
    .await
}

/// Sets `channel`'s chat rules. Owner or operator.
#[server(endpoint = "set_chat_rules", input = leptos::server_fn::codec::Json)]
pub async fn set_chat_rules(channel: String, rules: ChatRules) -> Result<(), AppError> {
    crate::error::reply(async {
        let chat = crate::error::state::<super::Chat>()?;
        let user = crate::accounts::session::require_user().await?;
        chat.set_rules_by(&user, &channel, rules).await
    })
    .await
}

/// `channel`'s appointed moderators, longest-serving first. Owner or operator.
#[server(endpoint = "chat_moderators")]
pub async fn chat_moderators(channel: String) -> Result<Vec<Moderator>, AppError> {
    crate::error::reply(async {
        let chat = crate::error::state::<super::Chat>()?;
        let user = crate::accounts::session::require_user().await?;
        chat.moderators_by(&user, &channel).await
    })
    .await
}

/// Appoints `username` a moderator of `channel`'s chat. Owner or operator.
#[server(endpoint = "appoint_moderator")]
pub async fn appoint_moderator(channel: String, username: String) -> Result<(), AppError> {
    crate::error::reply(async {
        let chat = crate::error::state::<super::Chat>()?;
        let accounts = crate::error::state::<crate::accounts::Accounts>()?;
        let user = crate::accounts::session::require_user().await?;
        chat.appoint_by(&accounts, &user, &channel, &username).await
    })
    .await
}

/// Dismisses `username` as a moderator of `channel`'s chat. Owner or operator.
#[server(endpoint = "dismiss_moderator")]
pub async fn dismiss_moderator(channel: String, username: String) -> Result<(), AppError> {
    crate::error::reply(async {
        let chat = crate::error::state::<super::Chat>()?;
        let user = crate::accounts::session::require_user().await?;
        chat.dismiss_by(&user, &channel, &username).await
    })
    .await
}

/// `channel`'s blocked terms, one per line. Owner, operators, moderators.
#[server(endpoint = "blocked_terms")]
pub async fn blocked_terms(channel: String) -> Result<String, AppError> {
    crate::error::reply(async {
        let chat = crate::error::state::<super::Chat>()?;
        let user = crate::accounts::session::require_user().await?;
        chat.blocked_terms_by(&user, &channel).await
    })
    .await
}

/// Replaces `channel`'s blocked terms with `terms`, one per line; how many it keeps. Owner,
/// operators, moderators.
#[server(endpoint = "set_blocked_terms")]
pub async fn set_blocked_terms(channel: String, terms: String) -> Result<usize, AppError> {
    crate::error::reply(async {
        let chat = crate::error::state::<super::Chat>()?;
        let user = crate::accounts::session::require_user().await?;
        chat.set_blocked_terms_by(&user, &channel, &terms).await
    })
    .await
}
