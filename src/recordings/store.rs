//! The recordings tables: one row per recording, one per encoder run's init segment, one per
//! segment (the index a replay seeks with). Nothing about a recording is found by listing
//! files.

use super::api::{RecordingState, SegmentEntry, Visibility};
use crate::db::Db;

/// A recording's row, with its broadcast's peak audience.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordingRow {
    pub id: i64,
    pub channel: String,
    pub title: String,
    pub started_ms: i64,
    pub duration_ms: i64,
    pub bytes: i64,
    pub state: RecordingState,
    pub problem: Option<String>,
    pub visibility: Visibility,
    pub peak_viewers: i64,
    /// Encoder runs it holds (each a separate part to download).
    pub parts: i64,
}

type Row = (
    i64,
    String,
    String,
    i64,
    i64,
    i64,
    String,
    Option<String>,
    String,
    Option<i64>,
    i64,
);

const COLUMNS: &str = "r.id, r.channel, r.title, r.started_ms, r.duration_ms, r.bytes, r.state, \
                       r.problem, r.visibility, b.peak_viewers, \
                       (SELECT COUNT(*) FROM recording_inits i WHERE i.recording = r.id) \
                       FROM recordings r LEFT JOIN broadcasts b ON b.id = r.id";

fn row(
    (id, channel, title, started_ms, duration_ms, bytes, state, problem, visibility, peak, parts): Row,
) -> RecordingRow {
    RecordingRow {
        id,
        channel,
        title,
        started_ms,
        duration_ms,
        bytes,
        state: RecordingState::from_words(&state).unwrap_or(RecordingState::Cut),
        problem,
        visibility: Visibility::from_words(&visibility).unwrap_or(Visibility::Private),
        peak_viewers: peak.unwrap_or(0),
        parts,
    }
}

/// Broadcast `id` on `channel` starts being recorded.
pub async fn begin(
    db: &Db,
    id: i64,
    channel: &str,
    title: &str,
    started_ms: u64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO recordings (id, channel, title, started_ms, state) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(channel)
    .bind(title)
    .bind(started_ms as i64)
    .bind(RecordingState::Recording.words())
    .execute(db)
    .await?;
    Ok(())
}

pub async fn add_init(db: &Db, recording: i64, run: i64, mime: &str) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO recording_inits (recording, run, mime) VALUES ($1, $2, $3)")
        .bind(recording)
        .bind(run)
        .bind(mime)
        .execute(db)
        .await?;
    Ok(())
}

/// Indexes a segment written whole, and counts it in the recording's length and size.
pub async fn add_segment(
    db: &Db,
    recording: i64,
    segment: SegmentEntry,
    bytes: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO recording_segments \
         (recording, seq, run, at_ms, duration_ms, media_us, wall_ms, bytes) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(recording)
    .bind(segment.seq())
    .bind(segment.run())
    .bind(segment.at_ms())
    .bind(segment.duration_ms())
    .bind(segment.media_us())
    .bind(segment.wall_ms())
    .bind(bytes)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE recordings SET duration_ms = $1, bytes = bytes + $2 WHERE id = $3")
        .bind(segment.end_ms())
        .bind(bytes)
        .bind(recording)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// The recording is written as far as it will be: `state`, with why when it stopped early.
pub async fn finish(
    db: &Db,
    recording: i64,
    state: RecordingState,
    problem: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE recordings SET state = $1, problem = $2 WHERE id = $3")
        .bind(state.words())
        .bind(problem)
        .bind(recording)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn get(db: &Db, id: i64) -> Result<Option<RecordingRow>, sqlx::Error> {
    let found: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    Ok(found.map(row))
}

/// `channel`'s recordings with something in them, newest first; only the public ones unless
/// `all`; after recording `before` in that order, if given (the next page).
pub async fn by_channel(
    db: &Db,
    channel: &str,
    all: bool,
    limit: u32,
    before: Option<i64>,
) -> Result<Vec<RecordingRow>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} WHERE r.channel = $1 AND r.duration_ms > 0 \
         AND ($2 = 1 OR r.visibility = 'public') \
         AND ($4 = 0 OR r.started_ms < (SELECT started_ms FROM recordings WHERE id = $4) \
              OR (r.started_ms = (SELECT started_ms FROM recordings WHERE id = $4) AND r.id < $4)) \
         ORDER BY r.started_ms DESC, r.id DESC LIMIT $3"
    ))
    .bind(channel)
    .bind(all as i64)
    .bind(limit as i64)
    .bind(before.unwrap_or(0))
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(row).collect())
}

/// Every init of `recording`: `(run, mime)`, in order.
pub async fn inits(db: &Db, recording: i64) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as("SELECT run, mime FROM recording_inits WHERE recording = $1 ORDER BY run")
        .bind(recording)
        .fetch_all(db)
        .await
}

/// Every indexed segment of `recording`, in order of time.
pub async fn segments(db: &Db, recording: i64) -> Result<Vec<SegmentEntry>, sqlx::Error> {
    let rows: Vec<(i64, i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT seq, run, at_ms, duration_ms, media_us, wall_ms FROM recording_segments \
         WHERE recording = $1 ORDER BY seq",
    )
    .bind(recording)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(a, b, c, d, e, f)| SegmentEntry(a, b, c, d, e, f))
        .collect())
}

/// Segment `seq` of `recording`, if it is indexed (written whole).
pub async fn segment(
    db: &Db,
    recording: i64,
    seq: i64,
) -> Result<Option<SegmentEntry>, sqlx::Error> {
    let found: Option<(i64, i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT seq, run, at_ms, duration_ms, media_us, wall_ms FROM recording_segments \
         WHERE recording = $1 AND seq = $2",
    )
    .bind(recording)
    .bind(seq)
    .fetch_optional(db)
    .await?;
    Ok(found.map(|(a, b, c, d, e, f)| SegmentEntry(a, b, c, d, e, f)))
}

/// The segment playing `at_ms` into `recording` (the last one, past its end).
pub async fn segment_at(db: &Db, recording: i64, at_ms: i64) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT seq FROM recording_segments WHERE recording = $1 AND at_ms <= $2 \
         ORDER BY at_ms DESC LIMIT 1",
    )
    .bind(recording)
    .bind(at_ms)
    .fetch_optional(db)
    .await
}

/// Recordings still marked as being written whose broadcast has ended: the server that wrote
/// them stopped without closing them.
pub async fn left_open(db: &Db) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT r.id FROM recordings r JOIN broadcasts b ON b.id = r.id \
         WHERE r.state = $1 AND b.ended_ms IS NOT NULL",
    )
    .bind(RecordingState::Recording.words())
    .fetch_all(db)
    .await
}

pub async fn set_visibility(db: &Db, id: i64, visibility: Visibility) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE recordings SET visibility = $1 WHERE id = $2")
        .bind(visibility.words())
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Removes the recording and its index (the rows cascade).
pub async fn delete(db: &Db, id: i64) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM recording_segments WHERE recording = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM recording_inits WHERE recording = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM recordings WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// Whether `channel`'s broadcasts are recorded (its owner may turn it off).
pub async fn channel_records(db: &Db, channel: &str) -> Result<bool, sqlx::Error> {
    let on: Option<i64> = sqlx::query_scalar("SELECT record FROM channels WHERE name = $1")
        .bind(channel)
        .fetch_optional(db)
        .await?;
    Ok(on.unwrap_or(1) != 0)
}

pub async fn set_channel_records(db: &Db, channel: &str, on: bool) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE channels SET record = $1 WHERE name = $2")
        .bind(on as i64)
        .bind(channel)
        .execute(db)
        .await?;
    Ok(())
}

/// Finished recordings (not being written), oldest first: `(id, started_ms, bytes)`.
pub async fn finished_oldest_first(db: &Db) -> Result<Vec<(i64, i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, started_ms, bytes FROM recordings WHERE state <> $1 ORDER BY started_ms, id",
    )
    .bind(RecordingState::Recording.words())
    .fetch_all(db)
    .await
}

/// Bytes every recording holds, those being written included.
pub async fn total_bytes(db: &Db) -> Result<i64, sqlx::Error> {
    let total: Option<i64> =
        sqlx::query_scalar("SELECT CAST(SUM(bytes) AS BIGINT) FROM recordings")
            .fetch_one(db)
            .await?;
    Ok(total.unwrap_or(0))
}

/// A clip's row.
#[derive(Clone, Debug, PartialEq)]
pub struct ClipRow {
    pub id: i64,
    pub recording: i64,
    pub channel: String,
    pub title: String,
    pub from_ms: i64,
    pub duration_ms: i64,
    pub made_by: String,
    pub made_ms: i64,
    pub bytes: i64,
}

/// Records a clip cut; returns its id.
pub async fn add_clip(db: &Db, clip: &ClipRow, poster_seq: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO clips (recording, channel, title, from_ms, duration_ms, made_by, made_ms, \
         bytes, poster_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(clip.recording)
    .bind(&clip.channel)
    .bind(&clip.title)
    .bind(clip.from_ms)
    .bind(clip.duration_ms)
    .bind(&clip.made_by)
    .bind(clip.made_ms)
    .bind(clip.bytes)
    .bind(poster_seq)
    .fetch_one(db)
    .await
}

/// A clip's row as it is read: id, recording, channel, title, from, duration, by, made, bytes.
type ClipColumns = (i64, i64, String, String, i64, i64, String, i64, i64);

pub async fn clip(db: &Db, id: i64) -> Result<Option<ClipRow>, sqlx::Error> {
    let row: Option<ClipColumns> = sqlx::query_as(
        "SELECT id, recording, channel, title, from_ms, duration_ms, made_by, made_ms, bytes \
         FROM clips WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(
        |(id, recording, channel, title, from_ms, duration_ms, made_by, made_ms, bytes)| ClipRow {
            id,
            recording,
            channel,
            title,
            from_ms,
            duration_ms,
            made_by,
            made_ms,
            bytes,
        },
    ))
}

pub async fn delete_clip(db: &Db, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM clips WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}
