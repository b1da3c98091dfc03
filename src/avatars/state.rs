//! `Avatars`: a channel's owner (or an operator) sets and removes its avatar; anyone fetches it.

use super::api::{SIDE_PX, UPLOAD_MAX_BYTES};
use super::store;
use crate::accounts::session::SignedIn;
use crate::channels::Channels;
use crate::db::Db;
use crate::error::AppError;
use crate::pictures::Pictures;

#[derive(Clone)]
pub struct Avatars {
    db: Db,
    channels: Channels,
    pictures: Pictures,
}

impl Avatars {
    pub fn new(db: Db, channels: Channels, pictures: Pictures) -> Self {
        Self {
            db,
            channels,
            pictures,
        }
    }

    /// `channel`'s avatar as the PNG we made; None when it has none.
    pub async fn png(&self, channel: &str) -> Result<Option<Vec<u8>>, AppError> {
        Ok(store::png(&self.db, channel).await?)
    }

    /// `user` (in charge of `channel`) sets its avatar from `upload`, a PNG, GIF or WebP.
    pub async fn set_by(
        &self,
        user: &SignedIn,
        channel: &str,
        upload: Vec<u8>,
    ) -> Result<(), AppError> {
        user.ensure_in_charge(channel)?;
        let found = self.channels.require(channel).await?;
        crate::pictures::check_size(&upload, UPLOAD_MAX_BYTES, "An avatar")?;
        let png = self.pictures.reencode(upload, SIDE_PX).await?;
        store::set(&self.db, &found.name, Some(&png)).await?;
        tracing::info!(%channel, bytes = png.len(), by = %user.username, "avatar set");
        Ok(())
    }

    pub async fn remove_by(&self, user: &SignedIn, channel: &str) -> Result<(), AppError> {
        user.ensure_in_charge(channel)?;
        let found = self.channels.require(channel).await?;
        store::set(&self.db, &found.name, None).await?;
        Ok(())
    }
}
