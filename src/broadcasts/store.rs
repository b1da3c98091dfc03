//! The broadcasts table, the record of every broadcast: channel, title, source, start, end, how it ended, peak
//! viewers.

use sqlx::SqlitePool;

use super::api::PastBroadcast;
use crate::clock::now_ms;

/// How a broadcast ended, as recorded.
#[derive(Clone, Debug, PartialEq)]
pub enum Ending {
    Stopped,
    Failed(String),
    ServerShutdown,
    /// A pushed source's publisher left and did not come back within the grace period.
    PublisherLeft,
}

impl Ending {
    fn reason(&self) -> &'static str {
        match self {
            Ending::Stopped => "stopped",
            Ending::Failed(_) => "failed",
            Ending::ServerShutdown => "server shutdown",
            Ending::PublisherLeft => "publisher left",
        }
    }
}

/// Records a broadcast going on air; returns its id.
pub async fn begin(
    db: &SqlitePool,
    channel: &str,
    title: &str,
    source: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO broadcasts (channel, title, source, started_ms) VALUES (?, ?, ?, ?) \
         RETURNING id",
    )
    .bind(channel)
    .bind(title)
    .bind(source)
    .bind(now_ms() as i64)
    .fetch_one(db)
    .await
}

/// Records how broadcast `id` ended.
pub async fn end(
    db: &SqlitePool,
    id: i64,
    ending: &Ending,
    peak_viewers: usize,
) -> Result<(), sqlx::Error> {
    let failure = match ending {
        Ending::Failed(why) => Some(why.as_str()),
        _ => None,
    };
    sqlx::query(
        "UPDATE broadcasts SET ended_ms = ?, end_reason = ?, failure = ?, peak_viewers = ? \
         WHERE id = ?",
    )
    .bind(now_ms() as i64)
    .bind(ending.reason())
    .bind(failure)
    .bind(peak_viewers as i64)
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

/// At start: broadcasts a crash left open are closed as ended by the server going down.
pub async fn close_interrupted(db: &SqlitePool) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE broadcasts SET ended_ms = started_ms, end_reason = 'server shutdown' \
         WHERE ended_ms IS NULL",
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// A finished broadcast's row: title, source, started, ended, reason, failure, peak viewers.
type PastRow = (String, String, i64, i64, String, Option<String>, i64);

/// The channel's most recent finished broadcast.
pub async fn last(db: &SqlitePool, channel: &str) -> Result<Option<PastBroadcast>, sqlx::Error> {
    let row: Option<PastRow> = sqlx::query_as(
        "SELECT title, source, started_ms, ended_ms, end_reason, failure, peak_viewers \
         FROM broadcasts WHERE channel = ? AND ended_ms IS NOT NULL \
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
            end_reason,
            failure,
            peak_viewers: peak as u32,
        },
    ))
}

/// When each channel was last on air (the end of its latest broadcast).
pub async fn last_live(db: &SqlitePool) -> Result<Vec<(String, u64)>, sqlx::Error> {
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
