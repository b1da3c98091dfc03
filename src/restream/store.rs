//! The restream_destinations table.

use super::destination::Destination;
use crate::db::Db;

/// A destination as stored.
pub struct Row {
    pub destination: Destination,
    pub enabled: bool,
}

pub async fn insert(
    db: &Db,
    channel: &str,
    name: &str,
    url: &str,
    key: &str,
    now_ms: u64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO restream_destinations (channel, name, url, stream_key, enabled, created_ms) \
         VALUES ($1, $2, $3, $4, 1, $5) RETURNING id",
    )
    .bind(channel)
    .bind(name)
    .bind(url)
    .bind(key)
    .bind(now_ms as i64)
    .fetch_one(db)
    .await
}

/// The channel's destinations, in the order they were added.
pub async fn list(db: &Db, channel: &str) -> Result<Vec<Row>, sqlx::Error> {
    let rows: Vec<(i64, String, String, String, i64)> = sqlx::query_as(
        "SELECT id, name, url, stream_key, enabled FROM restream_destinations \
         WHERE channel = $1 ORDER BY id",
    )
    .bind(channel)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, url, key, enabled)| Row {
            destination: Destination { id, name, url, key },
            enabled: enabled != 0,
        })
        .collect())
}

/// Switches the channel's destination `id`; false when it has none such.
pub async fn switch(db: &Db, channel: &str, id: i64, on: bool) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE restream_destinations SET enabled = $1 WHERE id = $2 AND channel = $3")
            .bind(i64::from(on))
            .bind(id)
            .bind(channel)
            .execute(db)
            .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn delete(db: &Db, channel: &str, id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM restream_destinations WHERE id = $1 AND channel = $2")
        .bind(id)
        .bind(channel)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}
