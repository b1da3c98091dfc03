//! `Emotes`: a channel's owner (or an operator) adds and deletes its emotes; anyone lists them
//! and fetches their pictures (made by `pictures`, never the upload).

use super::{rules, store};
use crate::accounts::session::SignedIn;
use crate::channels::Channels;
use crate::db::Db;
use crate::error::AppError;
use crate::pictures::Pictures;

#[derive(Clone)]
pub struct Emotes {
    db: Db,
    channels: Channels,
    pictures: Pictures,
}

impl Emotes {
    pub fn new(db: Db, channels: Channels, pictures: Pictures) -> Self {
        Self {
            db,
            channels,
            pictures,
        }
    }

    /// `channel`'s emotes' names, oldest first.
    pub async fn names(&self, channel: &str) -> Result<Vec<String>, AppError> {
        let found = self.channels.require(channel).await?;
        Ok(store::names(&self.db, &found.name).await?)
    }

    /// Emote `name` of `channel` as the PNG we made of it.
    pub async fn png(&self, channel: &str, name: &str) -> Result<Vec<u8>, AppError> {
        let missing = || AppError::NotFound("This channel has no emote by that name.".into());
        rules::check_name(name).map_err(|_| missing())?;
        store::png(&self.db, channel, name)
            .await?
            .ok_or_else(missing)
    }

    /// `user` (in charge of `channel`) adds emote `name` from `upload`: a PNG, GIF or WebP
    /// that is decoded and re-encoded; at most [`rules::PER_CHANNEL_MAX`] a channel.
    pub async fn add_by(
        &self,
        user: &SignedIn,
        channel: &str,
        name: &str,
        upload: Vec<u8>,
    ) -> Result<(), AppError> {
        user.ensure_in_charge(channel)?;
        let found = self.channels.require(channel).await?;
        rules::check_name(name).map_err(AppError::Invalid)?;
        crate::pictures::check_size(&upload, rules::UPLOAD_MAX_BYTES, "An emote's picture")?;
        let names = store::names(&self.db, &found.name).await?;
        if names.iter().any(|n| n == name) {
            return Err(AppError::Invalid(format!(
                "This channel has an emote called {name} already: delete it first."
            )));
        }
        if names.len() >= rules::PER_CHANNEL_MAX {
            return Err(AppError::Invalid(format!(
                "A channel has at most {} emotes: delete one first.",
                rules::PER_CHANNEL_MAX
            )));
        }
        let png = self.pictures.reencode(upload, rules::SIDE_PX).await?;
        if !store::insert(&self.db, &found.name, name, &png).await? {
            return Err(AppError::Invalid(format!(
                "This channel has an emote called {name} already: delete it first."
            )));
        }
        tracing::info!(%channel, emote = %name, bytes = png.len(), by = %user.username, "emote added");
        Ok(())
    }

    /// `user` (in charge of `channel`) deletes its emote `name`.
    pub async fn delete_by(
        &self,
        user: &SignedIn,
        channel: &str,
        name: &str,
    ) -> Result<(), AppError> {
        user.ensure_in_charge(channel)?;
        if !store::delete(&self.db, channel, name).await? {
            return Err(AppError::NotFound(
                "This channel has no emote by that name.".into(),
            ));
        }
        tracing::info!(%channel, emote = %name, by = %user.username, "emote deleted");
        Ok(())
    }
}
