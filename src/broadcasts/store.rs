//! The broadcasts table, the record of every broadcast: channel, title, source, start, end, how it ended, peak
//! viewers.

use crate::db::Db;

use super::api::{EndReason, PastBroadcast};
use crate::clock::now_ms;

/// Records a broadcast going on air; returns its id.
pub async fn begin(db: &Db, channel: &str, title: &str, source: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO broadcasts (channel, title, source, started_ms) VALUES ($1, $2, $3, $4) \
         RETURNING id",
    )
    .bind(channel)
    .bind(title)
    .bind(source)
    .bind(now_ms() as i64)
    .fetch_one(db)
    .await
}

/// Records how broadcast `id` ended (with what failed, when it failed).
pub async fn end(
    db: &Db,
    id: i64,
    reason: EndReason,
    failure: Option<&str>,
    peak_viewers: usize,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE broadcasts SET ended_ms = $1, end_reason = $2, failure = $3, peak_viewers = $4 \
         WHERE id = $5",
    )
    .bind(now_ms() as i64)
    .bind(reason.words())
    .bind(failure)
    .bind(peak_viewers as i64)
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

/// While broadcast `id` is on air: it was still on air now, with `peak_viewers` so far.
pub async fn touch(db: &Db, id: i64, peak_viewers: usize) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE broadcasts SET seen_ms = $1, peak_viewers = CASE WHEN peak_viewers > $2 THEN peak_viewers ELSE $2 END \
         WHERE id = $3 AND ended_ms IS NULL",
    )
    .bind(now_ms() as i64)
    .bind(peak_viewers as i64)
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

/// Broadcasts a crash left open, last seen on air before `seen_before_ms`, are closed as
/// interrupted, ending when they were last seen, with the peak recorded by then.
pub async fn close_interrupted(db: &Db, seen_before_ms: u64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE broadcasts SET ended_ms = COALESCE(seen_ms, started_ms), \
         end_reason = 'interrupted' WHERE ended_ms IS NULL \
         AND COALESCE(seen_ms, started_ms) < $1",
    )
    .bind(seen_before_ms.min(i64::MAX as u64) as i64)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// `channel`'s latest broadcast still open on record that started before `before_ms`: its
/// id, title and source.
pub async fn open_before(
    db: &Db,
    channel: &str,
    before_ms: u64,
) -> Result<Option<(i64, String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, title, source FROM broadcasts \
         WHERE channel = $1 AND ended_ms IS NULL AND started_ms < $2 \
         ORDER BY started_ms DESC, id DESC LIMIT 1",
    )
    .bind(channel)
    .bind(before_ms as i64)
    .fetch_optional(db)
    .await
}

/// Closes broadcast `id`, if still open, as interrupted (its instance died), ending when it
/// was last seen on air.
pub async fn close_interrupted_one(db: &Db, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE broadcasts SET ended_ms = COALESCE(seen_ms, started_ms), \
         end_reason = 'interrupted' WHERE id = $1 AND ended_ms IS NULL",
    )
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

/// A finished broadcast's row: title, source, started, ended, reason, failure, peak viewers.
type PastRow = (String, String, i64, i64, String, Option<String>, i64);

/// The channel's most recent finished broadcast.
pub async fn last(db: &Db, channel: &str) -> Result<Option<PastBroadcast>, sqlx::Error> {
    let row: Option<PastRow> = sqlx::query_as(
        "SELECT title, source, started_ms, ended_ms, end_reason, failure, peak_viewers \
         FROM broadcasts WHERE channel = $1 AND ended_ms IS NOT NULL \
         ORDER BY ended_ms DESC, id DESC LIMIT 1",
    )
    .bind(channel)
    .fetch_optional(db)
    .await?;
    Ok(row.map(
        |(title, source, started_ms, ended_ms, end_reason, failure, peak)| PastBroadcast {
            title,
            source,
            started_ms: started_ms as u64,
            ended_ms: ended_ms as u64,
            end_reason: EndReason::from_words(&end_reason).unwrap_or_else(|| {
                tracing::warn!(%end_reason, "an end reason this version does not know");
                EndReason::Interrupted
            }),
            failure,
            peak_viewers: peak as u32,
        },
    ))
}

/// When each channel was last on air (the end of its latest broadcast).
pub async fn last_live(db: &Db) -> Result<Vec<(String, u64)>, sqlx::Error> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT channel, MAX(ended_ms) FROM broadcasts WHERE ended_ms IS NOT NULL \
         GROUP BY channel",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(channel, ms)| (channel, ms as u64))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_broadcast_cut_by_a_crash_ends_when_last_seen_with_its_peak() {
        for test_db in crate::db::testing::each().await {
            let db = test_db.db().clone();
            let cut = begin(&db, "ana", "Live", "test pattern").await.unwrap();
            touch(&db, cut, 3).await.unwrap();
            touch(&db, cut, 2).await.unwrap();
            let seen: i64 = sqlx::query_scalar("SELECT seen_ms FROM broadcasts WHERE id = $1")
                .bind(cut)
                .fetch_one(&db)
                .await
                .unwrap();
            let ended = begin(&db, "bob", "Earlier", "test pattern").await.unwrap();
            end(&db, ended, EndReason::Stopped, None, 1).await.unwrap();
            // The process dies here; at the next start:
            assert_eq!(
                close_interrupted(&db, seen as u64).await.unwrap(),
                0,
                "seen on air since: another instance may still run it"
            );
            assert_eq!(close_interrupted(&db, u64::MAX).await.unwrap(), 1);
            let last = last(&db, "ana").await.unwrap().expect("on record");
            assert_eq!(last.end_reason, EndReason::Interrupted);
            assert_eq!(last.ended_ms, seen as u64);
            assert_eq!(
                last.peak_viewers, 3,
                "the highest peak seen, not the latest count"
            );
            let bob = super::last(&db, "bob").await.unwrap().unwrap();
            assert_eq!(
                bob.end_reason,
                EndReason::Stopped,
                "finished broadcasts are left alone"
            );
        }
    }
}
