//! The follows table.

use crate::db::Db;

/// `user_id` follows `channel` from `now_ms` on (following again keeps the first time).
pub async fn insert(db: &Db, user_id: i64, channel: &str, now_ms: u64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO follows (user_id, channel, since_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, channel) DO NOTHING",
    )
    .bind(user_id)
    .bind(channel)
    .bind(now_ms as i64)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn delete(db: &Db, user_id: i64, channel: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM follows WHERE user_id = $1 AND channel = $2")
        .bind(user_id)
        .bind(channel)
        .execute(db)
        .await?;
    Ok(())
}

/// How many follow `channel`.
pub async fn count(db: &Db, channel: &str) -> Result<u64, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM follows WHERE channel = $1")
        .bind(channel)
        .fetch_one(db)
        .await?;
    Ok(n.max(0) as u64)
}

/// Since when (Unix ms) `user_id` follows `channel`, if they do.
pub async fn since(db: &Db, user_id: i64, channel: &str) -> Result<Option<u64>, sqlx::Error> {
    let since: Option<i64> =
        sqlx::query_scalar("SELECT since_ms FROM follows WHERE user_id = $1 AND channel = $2")
            .bind(user_id)
            .bind(channel)
            .fetch_optional(db)
            .await?;
    Ok(since.map(|ms| ms.max(0) as u64))
}

/// The channels `user_id` follows, by name.
pub async fn channels_of(db: &Db, user_id: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT channel FROM follows WHERE user_id = $1 ORDER BY channel")
        .bind(user_id)
        .fetch_all(db)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::store::create;

    #[tokio::test]
    async fn follows_count_once_keep_their_first_time_and_go_with_the_account() {
        for test_db in crate::db::testing::each().await {
            let db = test_db.db().clone();
            let fan = create(&db, "fan", "x").await.unwrap();
            let other = create(&db, "other", "x").await.unwrap();
            create(&db, "star", "x").await.unwrap();
            insert(&db, fan.id, "star", 1_000).await.unwrap();
            insert(&db, fan.id, "star", 2_000).await.unwrap();
            insert(&db, other.id, "star", 3_000).await.unwrap();
            insert(&db, fan.id, "other", 4_000).await.unwrap();
            assert_eq!(count(&db, "star").await.unwrap(), 2);
            assert_eq!(since(&db, fan.id, "star").await.unwrap(), Some(1_000));
            assert_eq!(channels_of(&db, fan.id).await.unwrap(), ["other", "star"]);
            delete(&db, fan.id, "star").await.unwrap();
            assert_eq!(since(&db, fan.id, "star").await.unwrap(), None);
            assert_eq!(count(&db, "star").await.unwrap(), 1);
            // A deleted account's follows go with it.
            sqlx::query("DELETE FROM users WHERE id = $1")
                .bind(other.id)
                .execute(&db)
                .await
                .unwrap();
            assert_eq!(count(&db, "star").await.unwrap(), 0);
        }
    }
}
