//! The emotes table: each channel's emotes by name, with the PNG we made of each upload.

use crate::clock::now_ms;
use crate::db::Db;

/// Adds emote `name` to `channel`; false if the channel has one by that name already.
pub async fn insert(db: &Db, channel: &str, name: &str, png: &[u8]) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO emotes (channel, name, png, added_ms) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING",
    )
    .bind(channel)
    .bind(name)
    .bind(png)
    .bind(now_ms() as i64)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// `channel`'s emotes' names, in the order they were added.
pub async fn names(db: &Db, channel: &str) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT name FROM emotes WHERE channel = $1 ORDER BY added_ms, name")
        .bind(channel)
        .fetch_all(db)
        .await
}

/// Emote `name` of `channel`, as the PNG we made.
pub async fn png(db: &Db, channel: &str, name: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
    sqlx::query_scalar("SELECT png FROM emotes WHERE channel = $1 AND name = $2")
        .bind(channel)
        .bind(name)
        .fetch_optional(db)
        .await
}

/// Deletes emote `name` of `channel`; false if there was none.
pub async fn delete(db: &Db, channel: &str, name: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM emotes WHERE channel = $1 AND name = $2")
        .bind(channel)
        .bind(name)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn emotes_are_kept_per_channel_by_name_and_go_with_the_channel() {
        for test_db in crate::db::testing::each().await {
            let db = test_db.db().clone();
            let ana = crate::accounts::store::create(&db, "ana", "x")
                .await
                .unwrap();
            crate::accounts::store::create(&db, "bob", "x")
                .await
                .unwrap();
            assert!(insert(&db, "ana", "wave", b"png one").await.unwrap());
            assert!(
                !insert(&db, "ana", "wave", b"png two").await.unwrap(),
                "one by a name"
            );
            assert!(
                insert(&db, "ana", "Wave", b"png three").await.unwrap(),
                "names keep their case"
            );
            assert!(insert(&db, "bob", "wave", b"png four").await.unwrap());
            // Added in the same millisecond, their order is the database's for names.
            let mut listed = names(&db, "ana").await.unwrap();
            listed.sort();
            assert_eq!(listed, ["Wave", "wave"]);
            assert_eq!(
                png(&db, "ana", "wave").await.unwrap().as_deref(),
                Some(&b"png one"[..])
            );
            assert_eq!(png(&db, "ana", "nope").await.unwrap(), None);
            assert!(delete(&db, "ana", "wave").await.unwrap());
            assert!(!delete(&db, "ana", "wave").await.unwrap());
            assert_eq!(names(&db, "ana").await.unwrap(), ["Wave"]);

            sqlx::query("DELETE FROM users WHERE id = $1")
                .bind(ana.id)
                .execute(&db)
                .await
                .unwrap();
            assert!(
                names(&db, "ana").await.unwrap().is_empty(),
                "gone with the channel"
            );
            assert_eq!(names(&db, "bob").await.unwrap(), ["wave"]);
        }
    }
}
