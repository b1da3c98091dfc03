//! Emotes' server functions: a channel's emotes for its chat and picker, and deleting one.
//! Uploading is a plain `POST /emotes/{channel}/{name}` with the picture as its body (a
//! server function's form is too small for one); each is served at `GET /emotes/{channel}/{name}`.

use leptos::prelude::*;

use crate::error::AppError;

/// Where emote `name` of `channel` is served.
pub fn emote_url(channel: &str, name: &str) -> String {
    format!("/emotes/{channel}/{name}")
}

/// `channel`'s emotes' names, oldest first.
#[server(endpoint = "emotes")]
pub async fn emotes_of(channel: String) -> Result<Vec<String>, AppError> {
    crate::error::reply(async {
        let emotes = crate::error::state::<super::Emotes>()?;
        emotes.names(&channel).await
    })
    .await
}

/// Deletes `channel`'s emote `name`. Owner or operator.
#[server(endpoint = "delete_emote")]
pub async fn delete_emote(channel: String, name: String) -> Result<(), AppError> {
    crate::error::reply(async {
        let emotes = crate::error::state::<super::Emotes>()?;
        let user = crate::accounts::session::require_user().await?;
        emotes.delete_by(&user, &channel, &name).await
    })
    .await
}
