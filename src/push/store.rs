//! Push subscriptions: a user's browsers, each by its push service endpoint, with its keys.

use crate::clock::now_ms;
use crate::db::Db;

/// A stored subscription: where to send, and the browser's keys (base64url).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Stored {
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

/// Keeps a subscription of `user_id` (an endpoint seen again is theirs now, with its new
/// keys), then drops their oldest beyond `keep`.
pub async fn keep(db: &Db, user_id: i64, sub: &Stored, keep: usize) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO push_subscriptions (endpoint, user_id, p256dh, auth, created_ms) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (endpoint) DO UPDATE SET \
         user_id = excluded.user_id, p256dh = excluded.p256dh, auth = excluded.auth, \
         created_ms = excluded.created_ms",
    )
    .bind(&sub.endpoint)
    .bind(user_id)
    .bind(&sub.p256dh)
    .bind(&sub.auth)
    .bind(now_ms() as i64)
    .execute(db)
    .await?;
    sqlx::query(
        "DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint NOT IN \
         (SELECT endpoint FROM push_subscriptions WHERE user_id = $1 \
          ORDER BY created_ms DESC, endpoint LIMIT $2)",
    )
    .bind(user_id)
    .bind(keep as i64)
    .execute(db)
    .await?;
    Ok(())
}

/// Drops `user_id`'s subscription at `endpoint`; false if they had none there.
pub async fn drop_one(db: &Db, user_id: i64, endpoint: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2")
        .bind(user_id)
        .bind(endpoint)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Drops the subscription at `endpoint`, whoever's (the push service says it is gone).
pub async fn forget(db: &Db, endpoint: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM push_subscriptions WHERE endpoint = $1")
        .bind(endpoint)
        .execute(db)
        .await?;
    Ok(())
}

/// The subscriptions of `channel`'s followers whose endpoints come after `after` (in byte
/// order), at most `limit`: one page, the next starting after its last endpoint.
pub async fn of_followers(
    db: &Db,
    channel: &str,
    after: &str,
    limit: usize,
) -> Result<Vec<Stored>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.endpoint, s.p256dh, s.auth FROM push_subscriptions s \
         JOIN follows f ON f.user_id = s.user_id WHERE f.channel = $1 AND s.endpoint > $2 \
         ORDER BY s.endpoint LIMIT $3",
    )
    .bind(channel)
    .bind(after)
    .bind(limit as i64)
    .fetch_all(db)
    .await
}

/// Every subscription of `user_id`.
pub async fn of_user(db: &Db, user_id: i64) -> Result<Vec<Stored>, sqlx::Error> {
    sqlx::query_as(
        "SELECT endpoint, p256dh, auth FROM push_subscriptions WHERE user_id = $1 ORDER BY created_ms",
    )
    .bind(user_id)
    .fetch_all(db)
    .await
}
