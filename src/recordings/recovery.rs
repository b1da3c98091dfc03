//! Closing recordings a stopped server left open (killed, crashed, the power cut): what was
//! written plays. The index holds every segment closed before the stop; the segment being
//! written then is on disk up to its last whole fragment, so it is read back, cut to its whole
//! fragments, sent home and indexed, and the recording is marked cut. (With an object store,
//! the segment being written is in this instance's spool: an instance of a cluster that closes
//! another's recording finds none, and the recording ends at its last segment sent home.)

use super::api::{RecordingState, SegmentEntry};
use super::storage::Storage;
use super::store;
use crate::db::Db;
use crate::live::splitter::{Piece, Splitter};

/// Closes every recording left open whose broadcast has ended; returns how many.
pub async fn close_left_open(db: &Db, storage: &Storage) -> Result<usize, sqlx::Error> {
    let open = store::left_open(db).await?;
    for &id in &open {
        let why = match recover_tail(db, storage, id).await {
            Ok(()) => "the server stopped while recording".to_string(),
            Err(err) => {
                tracing::warn!(recording = id, %err, "could not read back the end of a cut recording");
                format!("the server stopped while recording; its end could not be read: {err}")
            }
        };
        store::finish(db, id, RecordingState::Cut, Some(&why)).await?;
        tracing::info!(recording = id, "closed a recording cut by a stop");
    }
    Ok(open.len())
}

/// Indexes the segments written after the last one indexed, up to their last whole fragment.
async fn recover_tail(
    db: &Db,
    storage: &Storage,
    id: i64,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let Some((run, _)) = store::inits(db, id).await?.pop() else {
        return Ok(()); // nothing was ever written
    };
    let init = storage.init(id, run).await?;
    let indexed = store::segments(db, id).await?;
    let (mut seq, mut at_ms, mut wall_ms) = indexed
        .last()
        .map(|s| (s.seq(), s.end_ms() as f64, s.wall_ms() + s.duration_ms()))
        .unwrap_or((0, 0.0, 0));
    loop {
        seq += 1;
        let Some(data) = storage.written_segment(id, seq).await? else {
            storage.release_spool(id).await?;
            return Ok(());
        };
        let mut splitter = Splitter::new();
        splitter.push(&init)?;
        let fragments: Vec<_> = splitter
            .push(&data)?
            .into_iter()
            .filter_map(|piece| match piece {
                Piece::Fragment(fragment) => Some(fragment),
                Piece::Init(_) => None,
            })
            .collect();
        let Some(first) = fragments.first() else {
            storage.remove_segment(id, seq).await?;
            storage.release_spool(id).await?;
            return Ok(());
        };
        let whole: u64 = fragments.iter().map(|f| f.data.len() as u64).sum();
        if whole < data.len() as u64 {
            storage.truncate_segment(id, seq, whole).await?;
        }
        let secs: f64 = fragments.iter().filter_map(|f| f.duration_secs).sum();
        let end_ms = at_ms + secs * 1000.0;
        let entry = SegmentEntry(
            seq,
            run,
            at_ms.round() as i64,
            (end_ms.round() - at_ms.round()) as i64,
            first
                .start_secs
                .map(|s| (s * 1e6).round() as i64)
                .unwrap_or(0),
            first.produced_ms.map(|ms| ms as i64).unwrap_or(wall_ms),
        );
        storage.seal_segment(id, seq).await?;
        store::add_segment(db, id, entry, whole as i64).await?;
        storage.release_segment(id, seq).await?;
        at_ms = end_ms;
        wall_ms = entry.wall_ms() + entry.duration_ms();
    }
}
