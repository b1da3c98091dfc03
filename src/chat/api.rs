//! Chat's server functions: the latest messages for the page, posting (signed-in users; the
//! author comes from the session), and the owner's moderation (delete, ban).

use leptos::prelude::*;

use crate::error::AppError;
use crate::live::wire::ChatEvent;

/// How many messages the watch page shows when it loads.
pub const RECENT: u32 = 50;

/// The channel's latest messages, oldest first.
#[server(endpoint = "recent_chat")]
pub async fn recent_chat(channel: String) -> Result<Vec<ChatEvent>, AppError> {
    let state = expect_context::<crate::server::AppState>();
    Ok(super::store::recent(&state.db, &channel, RECENT).await?)
}

/// Posts `text` to `channel`'s chat as the signed-in user.
#[server(endpoint = "post_chat")]
pub async fn post_chat(channel: String, text: String) -> Result<(), AppError> {
    let user = crate::accounts::session::require_user().await?;
    let state = expect_context::<crate::server::AppState>();
    let Some(found) = state.channels.get(&channel) else {
        return Err(AppError::NotFound(format!(
            "There is no channel {channel}."
        )));
    };
    let text = super::rules::clean_message(&text).map_err(AppError::Invalid)?;
    if super::store::is_banned(&state.db, &channel, &user.username).await? {
        return Err(AppError::Forbidden(
            "You are banned from this channel's chat.".into(),
        ));
    }
    state
        .chat_limit
        .allow(&user.username)
        .map_err(AppError::TooManyAttempts)?;
    // Store and publish one message at a time, so every viewer sees the stored order.
    let _in_order = state.chat_order.lock().await;
    let message = super::store::insert(&state.db, &channel, &user.username, &text).await?;
    found.hub.publish_chat(&message);
    Ok(())
}

/// Deletes message `id` from `channel`'s chat, for every viewer. Owner only.
#[server(endpoint = "delete_chat")]
pub async fn delete_chat(channel: String, id: u64) -> Result<(), AppError> {
    let user = crate::accounts::session::require_user().await?;
    user.ensure_owns(&channel)?;
    let state = expect_context::<crate::server::AppState>();
    let _in_order = state.chat_order.lock().await;
    if !super::store::delete(&state.db, &channel, id).await? {
        return Err(AppError::NotFound("That message is already gone.".into()));
    }
    if let Some(found) = state.channels.get(&channel) {
        found.hub.publish_chat_deleted(id);
    }
    Ok(())
}

/// Bans `username` from `channel`'s chat. Owner only.
#[server(endpoint = "ban_from_chat")]
pub async fn ban_from_chat(channel: String, username: String) -> Result<(), AppError> {
    let user = crate::accounts::session::require_user().await?;
    user.ensure_owns(&channel)?;
    if username.eq_ignore_ascii_case(&user.username) {
        return Err(AppError::Invalid("You cannot ban yourself.".into()));
    }
    let state = expect_context::<crate::server::AppState>();
    super::store::ban(&state.db, &channel, &username).await?;
    tracing::info!(%channel, %username, "banned from chat");
    Ok(())
}
