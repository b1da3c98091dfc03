//! Avatars' server functions and the numbers the studio's form shows.

use leptos::prelude::*;

use crate::error::AppError;

/// The largest side an avatar is kept at, in pixels.
pub const SIDE_PX: u32 = 256;
/// The largest upload taken (the picture is made small on the server).
pub const UPLOAD_MAX_BYTES: usize = 512 << 10;

/// Where `channel`'s avatar is served (404 when it has none).
pub fn avatar_url(channel: &str) -> String {
    format!("/avatars/{channel}")
}

/// Whether `channel` has an avatar.
#[server(endpoint = "has_avatar")]
pub async fn has_avatar(channel: String) -> Result<bool, AppError> {
    crate::error::reply(async {
        let avatars = crate::error::state::<super::Avatars>()?;
        Ok(avatars.png(&channel).await?.is_some())
    })
    .await
}

/// Removes `channel`'s avatar. Owner or operator.
#[server(endpoint = "remove_avatar")]
pub async fn remove_avatar(channel: String) -> Result<(), AppError> {
    crate::error::reply(async {
        let avatars = crate::error::state::<super::Avatars>()?;
        let user = crate::accounts::session::require_user().await?;
        avatars.remove_by(&user, &channel).await
    })
    .await
}
