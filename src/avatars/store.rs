//! Channels' avatars, as the PNG we made of each upload (a column of the channels table).

use crate::db::Db;

/// `channel`'s avatar.
pub async fn png(db: &Db, channel: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
    let found: Option<Option<Vec<u8>>> =
        sqlx::query_scalar("SELECT avatar FROM channels WHERE name = $1")
            .bind(channel)
            .fetch_optional(db)
            .await?;
    Ok(found.flatten())
}

/// Sets (or, None, removes) `channel`'s avatar.
pub async fn set(db: &Db, channel: &str, png: Option<&[u8]>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE channels SET avatar = $1 WHERE name = $2")
        .bind(png)
        .bind(channel)
        .execute(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_avatar_is_kept_per_channel_until_removed() {
        for test_db in crate::db::testing::each().await {
            let db = test_db.db().clone();
            crate::accounts::store::create(&db, "ana", "x")
                .await
                .unwrap();
            crate::accounts::store::create(&db, "bob", "x")
                .await
                .unwrap();
            assert_eq!(png(&db, "ana").await.unwrap(), None);
            set(&db, "ana", Some(b"png")).await.unwrap();
            assert_eq!(png(&db, "ana").await.unwrap().as_deref(), Some(&b"png"[..]));
            assert_eq!(png(&db, "bob").await.unwrap(), None);
            set(&db, "ana", None).await.unwrap();
            assert_eq!(png(&db, "ana").await.unwrap(), None);
        }
    }
}
