//! The api_tokens table: a user's tokens by the hash of their secret.

use crate::db::Db;

/// A token as its owner's list shows it.
pub struct Row {
    pub id: i64,
    pub name: String,
    pub scopes: String,
    pub hint: String,
    pub created_ms: i64,
    pub last_used_ms: Option<i64>,
}

/// A presented token's record and its user, as they stand.
pub struct Found {
    pub id: i64,
    pub scopes: String,
    pub last_used_ms: Option<i64>,
    pub user_id: i64,
    pub username: String,
    pub operator: bool,
}

pub async fn insert(
    db: &Db,
    user_id: i64,
    name: &str,
    scopes: &str,
    secret_hash: &str,
    hint: &str,
    now_ms: u64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO api_tokens (user_id, name, scopes, secret_hash, hint, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(user_id)
    .bind(name)
    .bind(scopes)
    .bind(secret_hash)
    .bind(hint)
    .bind(now_ms as i64)
    .fetch_one(db)
    .await
}

/// How many tokens the user has.
pub async fn count(db: &Db, user_id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(db)
        .await
}

/// The user's tokens, newest first.
pub async fn list(db: &Db, user_id: i64) -> Result<Vec<Row>, sqlx::Error> {
    let rows: Vec<(i64, String, String, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, name, scopes, hint, created_ms, last_used_ms FROM api_tokens \
         WHERE user_id = $1 ORDER BY id DESC",
    )
    .bind(user_id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, scopes, hint, created_ms, last_used_ms)| Row {
            id,
            name,
            scopes,
            hint,
            created_ms,
            last_used_ms,
        })
        .collect())
}

/// Deletes the user's token `id`; false when they have no such token.
pub async fn delete(db: &Db, user_id: i64, id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The token whose secret hashes to `secret_hash`, with its user.
pub async fn find(db: &Db, secret_hash: &str) -> Result<Option<Found>, sqlx::Error> {
    let row: Option<(i64, String, Option<i64>, i64, String, i64)> = sqlx::query_as(
        "SELECT t.id, t.scopes, t.last_used_ms, u.id, u.username, u.operator \
         FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.secret_hash = $1",
    )
    .bind(secret_hash)
    .fetch_optional(db)
    .await?;
    Ok(row.map(
        |(id, scopes, last_used_ms, user_id, username, operator)| Found {
            id,
            scopes,
            last_used_ms,
            user_id,
            username,
            operator: operator != 0,
        },
    ))
}

/// Notes that token `id` was used at `now_ms`.
pub async fn used(db: &Db, id: i64, now_ms: u64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE api_tokens SET last_used_ms = $1 WHERE id = $2")
        .bind(now_ms as i64)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}
