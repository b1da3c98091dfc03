//! The stream_keys table: each channel's current key.

use crate::db::Db;

use super::key::StreamKey;
use crate::clock::now_ms;

/// The channel's key, if it has one.
pub async fn key(db: &Db, channel: &str) -> Result<Option<StreamKey>, sqlx::Error> {
    let key: Option<String> =
        sqlx::query_scalar("SELECT stream_key FROM stream_keys WHERE channel = $1")
            .bind(channel)
            .fetch_optional(db)
            .await?;
    Ok(key.map(StreamKey::from_stored))
}

/// Makes `key` the channel's key; the one before stops working at once.
pub async fn replace(db: &Db, channel: &str, key: &StreamKey) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO stream_keys (channel, stream_key, created_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (channel) DO UPDATE SET stream_key = excluded.stream_key, \
         created_ms = excluded.created_ms",
    )
    .bind(channel)
    .bind(key.reveal())
    .bind(now_ms() as i64)
    .execute(db)
    .await?;
    Ok(())
}

/// Stores `key` unless the channel has one already; returns the one it has now.
pub async fn key_or_insert(
    db: &Db,
    channel: &str,
    key: &StreamKey,
) -> Result<StreamKey, sqlx::Error> {
    sqlx::query(
        "INSERT INTO stream_keys (channel, stream_key, created_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (channel) DO NOTHING",
    )
    .bind(channel)
    .bind(key.reveal())
    .bind(now_ms() as i64)
    .execute(db)
    .await?;
    Ok(self::key(db, channel).await?.unwrap_or_else(|| key.clone()))
}
