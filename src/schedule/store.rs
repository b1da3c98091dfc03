//! The schedule table.

use super::api::Announced;
use crate::db::Db;

type Row = (i64, String, String, String, i64);

fn announced((id, channel, broadcaster, title, starts_ms): Row) -> Announced {
    Announced {
        id,
        channel,
        broadcaster,
        title,
        starts_ms: starts_ms.max(0) as u64,
    }
}

const SELECT: &str = "SELECT schedule.id, schedule.channel, users.username, schedule.title, \
     schedule.starts_ms FROM schedule JOIN channels ON channels.name = schedule.channel \
     JOIN users ON users.id = channels.owner_id";

pub async fn insert(
    db: &Db,
    channel: &str,
    title: &str,
    starts_ms: u64,
    now_ms: u64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO schedule (channel, title, starts_ms, created_ms) VALUES ($1, $2, $3, $4) \
         RETURNING id",
    )
    .bind(channel)
    .bind(title)
    .bind(starts_ms as i64)
    .bind(now_ms as i64)
    .fetch_one(db)
    .await
}

/// Removes announcement `id` of `channel`; whether there was one.
pub async fn delete(db: &Db, channel: &str, id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM schedule WHERE id = $1 AND channel = $2")
        .bind(id)
        .bind(channel)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// `channel`'s announcements starting from `after_ms` on, soonest first, at most `limit`.
pub async fn of(
    db: &Db,
    channel: &str,
    after_ms: u64,
    limit: usize,
) -> Result<Vec<Announced>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE schedule.channel = $1 AND schedule.starts_ms >= $2 \
         ORDER BY schedule.starts_ms, schedule.id LIMIT $3"
    ))
    .bind(channel)
    .bind(after_ms as i64)
    .bind(limit as i64)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(announced).collect())
}

/// Every channel's announcements starting from `after_ms` on, soonest first, at most `limit`.
pub async fn all(db: &Db, after_ms: u64, limit: usize) -> Result<Vec<Announced>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE schedule.starts_ms >= $1 ORDER BY schedule.starts_ms, schedule.id LIMIT $2"
    ))
    .bind(after_ms as i64)
    .bind(limit as i64)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(announced).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::store::create;

    #[tokio::test]
    async fn announcements_list_soonest_first_from_a_time_on() {
        for test_db in crate::db::testing::each().await {
            let db = test_db.db().clone();
            create(&db, "ana", "x").await.unwrap();
            create(&db, "bob", "x").await.unwrap();
            let late = insert(&db, "ana", "Late", 9_000, 1).await.unwrap();
            let early = insert(&db, "ana", "Early", 5_000, 1).await.unwrap();
            insert(&db, "ana", "Past", 1_000, 1).await.unwrap();
            let bobs = insert(&db, "bob", "Bob's", 7_000, 1).await.unwrap();
            let ids = |list: Vec<Announced>| list.into_iter().map(|a| a.id).collect::<Vec<_>>();
            assert_eq!(ids(of(&db, "ana", 2_000, 10).await.unwrap()), [early, late]);
            assert_eq!(ids(of(&db, "ana", 2_000, 1).await.unwrap()), [early]);
            assert_eq!(ids(all(&db, 2_000, 10).await.unwrap()), [early, bobs, late]);
            let first = &of(&db, "bob", 0, 10).await.unwrap()[0];
            assert_eq!(
                (
                    first.broadcaster.as_str(),
                    first.title.as_str(),
                    first.starts_ms
                ),
                ("bob", "Bob's", 7_000)
            );
            assert!(
                !delete(&db, "bob", early).await.unwrap(),
                "only the channel's own"
            );
            assert!(delete(&db, "ana", early).await.unwrap());
            assert_eq!(ids(of(&db, "ana", 2_000, 10).await.unwrap()), [late]);
        }
    }
}
