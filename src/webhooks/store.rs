//! The webhooks and webhook_deliveries tables. A server-wide hook has no channel; the lists
//! key it as the empty name, which no channel has.

use super::api::{ATTEMPTS_KEPT, DeliveryAttempt};
use super::event::{self, HookEvent};
use crate::db::Db;

/// A hook as deliveries need it.
#[derive(Clone, Debug)]
pub struct Hook {
    pub id: i64,
    pub channel: Option<String>,
    pub url: String,
    pub events: Vec<HookEvent>,
    pub secret: String,
    pub created_ms: u64,
}

type Row = (i64, Option<String>, String, String, String, i64);

fn hook((id, channel, url, events, secret, created_ms): Row) -> Hook {
    Hook {
        id,
        channel,
        url,
        events: event::split(&events),
        secret,
        created_ms: created_ms as u64,
    }
}

const COLUMNS: &str = "id, channel, url, events, secret, created_ms";

pub async fn insert(
    db: &Db,
    channel: Option<&str>,
    url: &str,
    events: &str,
    secret: &str,
    created_by: &str,
    now_ms: u64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO webhooks (channel, url, events, secret, created_by, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(channel)
    .bind(url)
    .bind(events)
    .bind(secret)
    .bind(created_by)
    .bind(now_ms as i64)
    .fetch_one(db)
    .await
}

/// The hooks of `channel` (None: the server's), oldest first.
pub async fn list(db: &Db, channel: Option<&str>) -> Result<Vec<Hook>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM webhooks WHERE COALESCE(channel, '') = $1 ORDER BY id"
    ))
    .bind(channel.unwrap_or_default())
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(hook).collect())
}

/// The hooks told of `channel`'s events: its own and the server's.
pub async fn told_of(db: &Db, channel: &str) -> Result<Vec<Hook>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM webhooks WHERE channel = $1 OR channel IS NULL ORDER BY id"
    ))
    .bind(channel)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(hook).collect())
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Hook>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM webhooks WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    Ok(row.map(hook))
}

pub async fn delete(db: &Db, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM webhook_deliveries WHERE hook_id = $1")
        .bind(id)
        .execute(db)
        .await?;
    sqlx::query("DELETE FROM webhooks WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Notes an attempt in `hook_id`'s log, which keeps the latest `ATTEMPTS_KEPT`.
pub async fn add_attempt(
    db: &Db,
    hook_id: i64,
    attempt: &DeliveryAttempt,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO webhook_deliveries (hook_id, delivery, event, attempt, status, error, at_ms, \
         took_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(hook_id)
    .bind(&attempt.delivery)
    .bind(&attempt.event)
    .bind(i64::from(attempt.attempt))
    .bind(attempt.status.map(i64::from))
    .bind(attempt.error.as_deref())
    .bind(attempt.at_ms as i64)
    .bind(attempt.took_ms as i64)
    .execute(db)
    .await?;
    sqlx::query(
        "DELETE FROM webhook_deliveries WHERE hook_id = $1 AND id NOT IN \
         (SELECT id FROM webhook_deliveries WHERE hook_id = $1 ORDER BY id DESC LIMIT $2)",
    )
    .bind(hook_id)
    .bind(ATTEMPTS_KEPT)
    .execute(db)
    .await?;
    Ok(())
}

/// `hook_id`'s logged attempts, newest first.
pub async fn attempts(db: &Db, hook_id: i64) -> Result<Vec<DeliveryAttempt>, sqlx::Error> {
    type AttemptRow = (String, String, i64, Option<i64>, Option<String>, i64, i64);
    let rows: Vec<AttemptRow> = sqlx::query_as(
        "SELECT delivery, event, attempt, status, error, at_ms, took_ms FROM webhook_deliveries \
         WHERE hook_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(hook_id)
    .bind(ATTEMPTS_KEPT)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(delivery, event, attempt, status, error, at_ms, took_ms)| DeliveryAttempt {
                delivery,
                event,
                attempt: attempt as u32,
                status: status.map(|s| s as u16),
                error,
                at_ms: at_ms as u64,
                took_ms: took_ms as u64,
            },
        )
        .collect())
}
