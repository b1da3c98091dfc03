//! The recordings capability on the server: its settings, database and storage; starting a
//! broadcast's recording; and what viewers and owners may do with recordings, visibility
//! checked at every call.

use std::path::PathBuf;
use std::sync::Arc;

use super::api::{CLIP_MAX_SECS, CLIP_MIN_SECS, ClipSummary, LIVE_CLIP_SECS, PAST_BROADCASTS_PAGE};
use super::api::{
    RecordingSetting, RecordingState, RecordingSummary, ReplayChatLine, ReplayIndex, Visibility,
};
use super::clips;
use super::recorder::Recording;
use super::recovery;
use super::retention::{Kept, Retention};
use super::storage::objects::{self, ObjectsConfig};
use super::storage::{ByteStream, Ranged, Storage};
use super::store::{self, RecordingRow};
use crate::accounts::session::SignedIn;
use crate::child_process::ChildLimits;
use crate::db::Db;
use crate::error::AppError;

/// What the recordings capability starts with (`[recordings]` settings).
#[derive(Clone, Debug)]
pub struct RecordingsConfig {
    /// Whether broadcasts are recorded at all (an owner may still turn it off per channel).
    pub enabled: bool,
    /// The folder recordings are written to (with an object store, only until they go there).
    pub dir: PathBuf,
    /// The S3-compatible object store they are kept in, if not the folder.
    pub objects: Option<ObjectsConfig>,
    /// The ffmpeg that makes their pictures, and its limits.
    pub ffmpeg: String,
    pub limits: ChildLimits,
    /// How long they are kept.
    pub retention: Retention,
    /// Channels never recorded (the demo, unless `[demo] record`).
    pub unrecorded: Vec<String>,
}

/// Most chat lines a replay carries.
const REPLAY_CHAT_LINES: u32 = 20_000;
/// Pictures and clips made at once (each a short ffmpeg run); more wait their turn.
const SHORT_RUNS_AT_ONCE: usize = 2;
/// How long a request waits for its turn to have a picture or a clip made.
const SHORT_RUN_WAIT: std::time::Duration = std::time::Duration::from_secs(5);
/// Processor seconds one picture's ffmpeg may use.
const PICTURE_CPU_SECS: u64 = 10;
/// A recording's poster: the picture this far in (or its first, when shorter).
const POSTER_AT_MS: i64 = 10_000;

#[derive(Clone)]
pub struct Recordings {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    storage: Storage,
    enabled: bool,
    ffmpeg: String,
    limits: ChildLimits,
    /// Short ffmpeg runs (pictures, clips) at once, at most `SHORT_RUNS_AT_ONCE`.
    short_runs: tokio::sync::Semaphore,
    /// Users cutting a clip now (one at a time each).
    cutting: std::sync::Mutex<std::collections::HashSet<String>>,
    retention: Retention,
    unrecorded: Vec<String>,
    /// Who is told of clips made.
    webhooks: std::sync::OnceLock<crate::webhooks::Webhooks>,
}

/// The signed-in user of this server-function call, if any.
pub async fn asking() -> Result<Option<SignedIn>, AppError> {
    let accounts = crate::error::state::<crate::accounts::Accounts>()?;
    let session = crate::accounts::session::from_request().await?;
    crate::accounts::session::signed_in(&session, &accounts).await
}

fn not_found() -> AppError {
    AppError::NotFound("There is no such recording.".into())
}

/// Whether `viewer` owns `row`'s channel, or operates the server.
fn controls(row: &RecordingRow, viewer: Option<&SignedIn>) -> bool {
    viewer.is_some_and(|v| v.operator || v.channel == row.channel)
}

impl Recordings {
    /// The recordings in `config.dir` (or its object store), indexed in `db`.
    pub fn new(db: Db, config: RecordingsConfig) -> Result<Self, String> {
        let storage = match &config.objects {
            None => Storage::new(config.dir),
            Some(objects) => Storage::with_objects(config.dir, objects::open(objects)?),
        };
        Ok(Self {
            inner: Arc::new(Inner {
                db,
                storage,
                enabled: config.enabled,
                ffmpeg: config.ffmpeg,
                limits: config.limits,
                short_runs: tokio::sync::Semaphore::new(SHORT_RUNS_AT_ONCE),
                cutting: std::sync::Mutex::default(),
                retention: config.retention,
                unrecorded: config.unrecorded,
                webhooks: std::sync::OnceLock::new(),
            }),
        })
    }

    /// Tells `webhooks` of every clip made from now on.
    pub fn tell(&self, webhooks: crate::webhooks::Webhooks) {
        let _ = self.inner.webhooks.set(webhooks);
    }

    /// Closes the recordings a stopped server left open (run once broadcasts have closed
    /// theirs): what was written plays, and says it was cut.
    pub async fn close_left_open(&self) -> Result<(), sqlx::Error> {
        let closed = recovery::close_left_open(&self.inner.db, &self.inner.storage).await?;
        if closed > 0 {
            tracing::info!(closed, "recordings cut by the last stop were closed");
        }
        Ok(())
    }

    /// Starts recording broadcast `id` of `channel`, unless recording is off here or for the
    /// channel. A recording that cannot start is logged; the broadcast goes on.
    pub async fn start(
        &self,
        id: i64,
        channel: &str,
        title: &str,
        started_ms: u64,
    ) -> Option<Recording> {
        if !self.inner.enabled || self.inner.unrecorded.iter().any(|c| c == channel) {
            return None;
        }
        let db = &self.inner.db;
        match store::channel_records(db, channel).await {
            Ok(true) => {}
            Ok(false) => return None,
            Err(err) => {
                tracing::error!(%channel, %err, "cannot tell whether the channel records; not recording");
                return None;
            }
        }
        if let Err(err) = store::begin(db, id, channel, title, started_ms).await {
            tracing::error!(%channel, %err, "cannot start the recording; the broadcast goes on");
            return None;
        }
        Some(Recording::start(
            db.clone(),
            self.inner.storage.clone(),
            id,
            channel.to_string(),
        ))
    }

    /// Removes the recordings past the retention's limits, oldest first; returns how many.
    pub async fn sweep(&self) -> Result<usize, sqlx::Error> {
        let db = &self.inner.db;
        let finished: Vec<Kept> = store::finished_oldest_first(db)
            .await?
            .into_iter()
            .map(|(id, started_ms, bytes)| Kept {
                id,
                started_ms: started_ms.max(0) as u64,
                bytes: bytes.max(0) as u64,
            })
            .collect();
        let total = store::total_bytes(db).await?.max(0) as u64;
        let doomed = self
            .inner
            .retention
            .doomed(&finished, total, crate::clock::now_ms());
        for &id in &doomed {
            store::delete(db, id).await?;
            if let Err(err) = self.inner.storage.remove(id).await {
                tracing::error!(recording = id, %err, "an expired recording's files could not be removed");
            }
            tracing::info!(
                recording = id,
                "recording removed: past the retention's limits"
            );
        }
        Ok(doomed.len())
    }

    /// Sweeps now and then every `every` until `stop`.
    pub async fn keep_within_limits(
        &self,
        every: std::time::Duration,
        stop: tokio_util::sync::CancellationToken,
    ) {
        let mut tick = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tick.tick() => {
                    if let Err(err) = self.sweep().await {
                        tracing::warn!(%err, "could not apply the recordings' retention");
                    }
                }
            }
        }
    }

    /// `channel`'s recording setting, and why its latest recording stopped early, if it did
    /// (asked by `owner`).
    pub async fn setting(
        &self,
        channel: &str,
        owner: &SignedIn,
    ) -> Result<RecordingSetting, AppError> {
        let db = &self.inner.db;
        let latest = store::by_channel(db, channel, true, 1, None).await?;
        let problem = latest
            .into_iter()
            .next()
            .filter(|r| r.state == RecordingState::Stopped && r.channel == owner.channel)
            .and_then(|r| r.problem);
        Ok(RecordingSetting {
            server_records: self.inner.enabled,
            on: store::channel_records(db, channel).await?,
            problem,
        })
    }

    pub async fn set_channel_records(&self, channel: &str, on: bool) -> Result<(), AppError> {
        Ok(store::set_channel_records(&self.inner.db, channel, on).await?)
    }

    /// Recording `id` if `viewer` may watch it (private ones are their owner's alone).
    async fn visible(&self, id: i64, viewer: Option<&SignedIn>) -> Result<RecordingRow, AppError> {
        let row = store::get(&self.inner.db, id)
            .await?
            .ok_or_else(not_found)?;
        if row.visibility == Visibility::Private && !controls(&row, viewer) {
            return Err(not_found());
        }
        Ok(row)
    }

    async fn controlled(&self, id: i64, user: &SignedIn) -> Result<RecordingRow, AppError> {
        let row = self.visible(id, Some(user)).await?;
        if !controls(&row, Some(user)) {
            return Err(AppError::Forbidden(format!(
                "Only the owner of the channel {} can change its recordings.",
                row.channel
            )));
        }
        Ok(row)
    }

    fn summary_of(row: RecordingRow, viewer: Option<&SignedIn>) -> RecordingSummary {
        RecordingSummary {
            yours: controls(&row, viewer),
            id: row.id,
            channel: row.channel,
            title: row.title,
            started_ms: row.started_ms as u64,
            duration_ms: row.duration_ms as u64,
            state: row.state,
            problem: row.problem,
            visibility: row.visibility,
            peak_viewers: row.peak_viewers as u32,
            parts: row.parts as u32,
        }
    }

    /// `channel`'s recordings, newest first: the public ones, or all for its owner.
    /// A page of `channel`'s recordings, newest first: the first, or the one after `before`.
    pub async fn list(
        &self,
        channel: &str,
        before: Option<i64>,
        viewer: Option<&SignedIn>,
    ) -> Result<Vec<RecordingSummary>, AppError> {
        let all = viewer.is_some_and(|v| v.operator || v.channel == channel);
        let rows =
            store::by_channel(&self.inner.db, channel, all, PAST_BROADCASTS_PAGE, before).await?;
        Ok(rows
            .into_iter()
            .map(|row| Self::summary_of(row, viewer))
            .collect())
    }

    pub async fn summary(
        &self,
        id: i64,
        viewer: Option<&SignedIn>,
    ) -> Result<RecordingSummary, AppError> {
        let row = self.visible(id, viewer).await?;
        Ok(Self::summary_of(row, viewer))
    }

    /// The index a replay plays from, with the recording's visibility.
    pub async fn index(
        &self,
        id: i64,
        viewer: Option<&SignedIn>,
    ) -> Result<(ReplayIndex, Visibility), AppError> {
        let row = self.visible(id, viewer).await?;
        let db = &self.inner.db;
        let index = ReplayIndex {
            id,
            state: row.state,
            duration_ms: row.duration_ms as u64,
            inits: store::inits(db, id).await?,
            segments: store::segments(db, id).await?,
        };
        Ok((index, row.visibility))
    }

    /// Run `run`'s init segment.
    pub async fn init(
        &self,
        id: i64,
        run: i64,
        viewer: Option<&SignedIn>,
    ) -> Result<(bytes::Bytes, Visibility), AppError> {
        let row = self.visible(id, viewer).await?;
        let data = self
            .inner
            .storage
            .init(id, run)
            .await
            .map_err(|_| not_found())?;
        Ok((data, row.visibility))
    }

    /// Segment `seq`, once written whole: its bytes as they are read, and its length.
    pub async fn segment(
        &self,
        id: i64,
        seq: i64,
        viewer: Option<&SignedIn>,
    ) -> Result<(ByteStream, u64, Visibility), AppError> {
        let row = self.visible(id, viewer).await?;
        if store::segment(&self.inner.db, id, seq).await?.is_none() {
            return Err(AppError::NotFound(
                "There is no such segment in the recording.".into(),
            ));
        }
        let (file, len) = self
            .inner
            .storage
            .open_segment(id, seq)
            .await
            .map_err(|err| {
                tracing::error!(recording = id, seq, %err, "an indexed segment cannot be read");
                AppError::Server("the recording's storage failed".into())
            })?;
        Ok((file, len, row.visibility))
    }

    /// Segment `seq`'s first picture as a JPEG, made once and kept beside the recording;
    /// `seq` None: the recording's poster.
    pub async fn picture(
        &self,
        id: i64,
        seq: Option<i64>,
        viewer: Option<&SignedIn>,
    ) -> Result<(bytes::Bytes, Visibility), AppError> {
        let row = self.visible(id, viewer).await?;
        let db = &self.inner.db;
        let seq = match seq {
            Some(seq) => seq,
            None => store::segment_at(db, id, POSTER_AT_MS.min(row.duration_ms / 2))
                .await?
                .ok_or_else(|| {
                    AppError::NotFound("Nothing of this broadcast was recorded.".into())
                })?,
        };
        let segment = store::segment(db, id, seq).await?.ok_or_else(|| {
            AppError::NotFound("There is no such segment in the recording.".into())
        })?;
        let storage = &self.inner.storage;
        let failed = |err: std::io::Error| {
            tracing::error!(recording = id, seq, %err, "the recording's storage failed");
            AppError::Server("the recording's storage failed".into())
        };
        if let Some(jpeg) = storage.thumbnail(id, seq).await.map_err(failed)? {
            return Ok((jpeg, row.visibility));
        }
        let _turn = self.short_run_turn().await?;
        // Made while this one waited.
        if let Some(jpeg) = storage.thumbnail(id, seq).await.map_err(failed)? {
            return Ok((jpeg, row.visibility));
        }
        let init = storage.init(id, segment.run()).await.map_err(failed)?;
        if !has_picture(&init) {
            return Err(AppError::NotFound(
                "This recording is sound alone: it has no picture.".into(),
            ));
        }
        let media = storage
            .segment(id, seq)
            .await
            .map_err(failed)?
            .unwrap_or_default();
        let limits = self.inner.limits.with_cpu_secs(PICTURE_CPU_SECS);
        let jpeg = crate::channels::thumbnail::encode(&self.inner.ffmpeg, limits, init, media)
            .await
            .map_err(|err| {
                tracing::warn!(recording = id, seq, %err, "no picture of a recording");
                AppError::Server("no picture could be made of this moment".into())
            })?;
        if let Err(err) = storage.put_thumbnail(id, seq, jpeg.clone()).await {
            tracing::warn!(recording = id, seq, %err, "a recording's picture could not be kept");
        }
        Ok((jpeg, row.visibility))
    }

    /// Part `part` (an encoder run, from 1) of a recording for its owner to download as one
    /// MP4: its init segment, its segments in order, and a file name.
    pub async fn download(
        &self,
        id: i64,
        part: i64,
        user: &SignedIn,
    ) -> Result<(bytes::Bytes, Vec<i64>, String), AppError> {
        let row = self.controlled(id, user).await?;
        let db = &self.inner.db;
        if !store::inits(db, id)
            .await?
            .iter()
            .any(|(run, _)| *run == part)
        {
            return Err(AppError::NotFound(format!(
                "This recording has {} part(s); there is no part {part}.",
                row.parts
            )));
        }
        let seqs: Vec<i64> = store::segments(db, id)
            .await?
            .into_iter()
            .filter(|s| s.run() == part)
            .map(|s| s.seq())
            .collect();
        let init = self.inner.storage.init(id, part).await.map_err(|err| {
            tracing::error!(recording = id, part, %err, "the recording's storage failed");
            AppError::Server("the recording's storage failed".into())
        })?;
        let day = crate::components::moment::date(row.started_ms.max(0) as u64);
        let suffix = if row.parts > 1 {
            format!("-part{part}")
        } else {
            String::new()
        };
        let name = format!("{}-{}{suffix}.mp4", row.channel, &day[..10]);
        Ok((init, seqs, name))
    }

    /// Opens segment `seq` of a recording whose access was checked already (a download).
    pub async fn open_checked_segment(&self, id: i64, seq: i64) -> std::io::Result<ByteStream> {
        self.inner
            .storage
            .open_segment(id, seq)
            .await
            .map(|(body, _)| body)
    }

    async fn short_run_turn(&self) -> Result<tokio::sync::SemaphorePermit<'_>, AppError> {
        tokio::time::timeout(SHORT_RUN_WAIT, self.inner.short_runs.acquire())
            .await
            .map_err(|_| {
                AppError::Busy(
                    "The server is busy making pictures and clips; try again in a moment.".into(),
                )
            })?
            .map_err(|_| AppError::Server("the server is stopping".into()))
    }

    /// Clips the last `LIVE_CLIP_SECS` of `channel`'s broadcast on air.
    pub async fn clip_live(&self, channel: &str, user: &SignedIn) -> Result<i64, AppError> {
        let on_air = store::by_channel(&self.inner.db, channel, true, 1, None)
            .await?
            .into_iter()
            .find(|r| r.state == RecordingState::Recording)
            .ok_or_else(|| {
                AppError::Conflict(format!(
                    "{channel} is not live and recorded now: clip a past broadcast from its replay."
                ))
            })?;
        let to = on_air.duration_ms.max(0) as u64;
        let from = to.saturating_sub(LIVE_CLIP_SECS * 1000);
        self.clip_range(on_air.id, from, to, user).await
    }

    /// Clips `from_ms..to_ms` of recording `id` for `user`; returns the clip's id.
    pub async fn clip_range(
        &self,
        id: i64,
        from_ms: u64,
        to_ms: u64,
        user: &SignedIn,
    ) -> Result<i64, AppError> {
        let length = to_ms.saturating_sub(from_ms);
        if !(CLIP_MIN_SECS * 1000..=CLIP_MAX_SECS * 1000).contains(&length) {
            return Err(AppError::Invalid(format!(
                "A clip is {CLIP_MIN_SECS} to {CLIP_MAX_SECS} seconds long."
            )));
        }
        let row = self.visible(id, Some(user)).await?;
        let db = &self.inner.db;
        let segments = store::segments(db, id).await?;
        let plan = clips::plan(
            &segments,
            from_ms.min(i64::MAX as u64) as i64,
            to_ms.min(i64::MAX as u64) as i64,
        )
        .filter(|plan| plan.duration_ms >= (CLIP_MIN_SECS * 1000) as i64)
        .ok_or_else(|| {
            AppError::Invalid(format!(
                "That part of the recording is shorter than {CLIP_MIN_SECS} seconds."
            ))
        })?;
        let _one = OneCut::take(&self.inner.cutting, &user.username)?;
        let _turn = self.short_run_turn().await?;
        let storage = &self.inner.storage;
        let failed = |err: String| {
            tracing::error!(recording = id, %err, "a clip could not be cut");
            AppError::Server("the clip could not be cut".into())
        };
        let scratch = storage
            .clip_scratch(id)
            .await
            .map_err(|e| failed(e.to_string()))?;
        let limits = self.inner.limits;
        let cut = clips::cut(&self.inner.ffmpeg, limits, storage, id, &plan, &scratch).await;
        let bytes = match cut.and_then(|()| std::fs::metadata(&scratch).map_err(|e| e.to_string()))
        {
            Ok(meta) => meta.len(),
            Err(err) => {
                let _ = tokio::fs::remove_file(&scratch).await;
                return Err(failed(err));
            }
        };
        let clip = store::ClipRow {
            id: 0,
            recording: id,
            channel: row.channel.clone(),
            title: row.title.clone(),
            from_ms: plan.from_ms,
            duration_ms: plan.duration_ms,
            made_by: user.username.clone(),
            made_ms: crate::clock::now_ms() as i64,
            bytes: bytes as i64,
        };
        let first = plan.seqs[0];
        let clip_id = store::add_clip(db, &clip, first).await?;
        if let Err(err) = storage.keep_clip(clip_id, &scratch).await {
            let _ = tokio::fs::remove_file(&scratch).await;
            let _ = store::delete_clip(db, clip_id).await;
            return Err(failed(err.to_string()));
        }
        // Its picture: the first frame.
        let init = storage
            .init(id, plan.run)
            .await
            .map_err(|e| failed(e.to_string()))?;
        let media = storage
            .segment(id, first)
            .await
            .map_err(|e| failed(e.to_string()))?
            .unwrap_or_default();
        match crate::channels::thumbnail::encode(
            &self.inner.ffmpeg,
            limits.with_cpu_secs(PICTURE_CPU_SECS),
            init,
            media,
        )
        .await
        {
            Ok(jpeg) => {
                if let Err(err) = storage.put_clip_picture(clip_id, jpeg).await {
                    tracing::warn!(clip = clip_id, %err, "a clip's picture could not be kept");
                }
            }
            Err(err) => tracing::warn!(clip = clip_id, %err, "no picture of a clip"),
        }
        tracing::info!(clip = clip_id, recording = id, channel = %row.channel, by = %user.username, ms = plan.duration_ms, "clip cut");
        if let Some(webhooks) = self.inner.webhooks.get() {
            webhooks.emit(
                &row.channel,
                crate::webhooks::HookEvent::ClipMade,
                serde_json::json!({
                    "clip": clip_id,
                    "recording": id,
                    "title": row.title,
                    "duration_ms": plan.duration_ms,
                    "by": user.username,
                    "path": format!("/clip/{clip_id}"),
                }),
            );
        }
        Ok(clip_id)
    }

    pub async fn clip(&self, id: i64, viewer: Option<&SignedIn>) -> Result<ClipSummary, AppError> {
        let row = store::clip(&self.inner.db, id)
            .await?
            .ok_or_else(|| AppError::NotFound("There is no such clip.".into()))?;
        Ok(ClipSummary {
            yours: viewer.is_some_and(|v| v.operator || v.channel == row.channel),
            id: row.id,
            recording: row.recording,
            from_ms: row.from_ms.max(0) as u64,
            channel: row.channel,
            title: row.title,
            duration_ms: row.duration_ms.max(0) as u64,
            made_by: row.made_by,
            made_ms: row.made_ms.max(0) as u64,
        })
    }

    /// Clip `id`'s video (`picture`: its JPEG), or the part of it an HTTP `Range` asks for.
    pub async fn clip_file(
        &self,
        id: i64,
        picture: bool,
        range: Option<&str>,
    ) -> Result<Ranged, AppError> {
        let gone = || AppError::NotFound("There is no such clip.".into());
        store::clip(&self.inner.db, id).await?.ok_or_else(gone)?;
        self.inner
            .storage
            .clip(id, picture, range)
            .await
            .map_err(|err| {
                tracing::error!(clip = id, %err, "the clips' storage failed");
                AppError::Server("the clip's storage failed".into())
            })?
            .ok_or_else(gone)
    }

    /// Deletes clip `id`: the channel's owner or an operator.
    pub async fn delete_clip(&self, id: i64, user: &SignedIn) -> Result<(), AppError> {
        let row = store::clip(&self.inner.db, id)
            .await?
            .ok_or_else(|| AppError::NotFound("There is no such clip.".into()))?;
        user.ensure_in_charge(&row.channel)?;
        store::delete_clip(&self.inner.db, id).await?;
        if let Err(err) = self.inner.storage.remove_clip(id).await {
            tracing::error!(clip = id, %err, "a deleted clip's files could not be removed");
        }
        Ok(())
    }

    /// The broadcast's chat, each line where it falls on the recording's timeline.
    pub async fn chat(
        &self,
        id: i64,
        viewer: Option<&SignedIn>,
    ) -> Result<Vec<ReplayChatLine>, AppError> {
        let (index, _) = self.index(id, viewer).await?;
        let channel = store::get(&self.inner.db, id)
            .await?
            .ok_or_else(not_found)?
            .channel;
        let (Some(first), Some(last)) = (index.segments.first(), index.segments.last()) else {
            return Ok(Vec::new());
        };
        let from = first.wall_ms().max(0) as u64;
        let to = (last.wall_ms() + last.duration_ms()).max(0) as u64;
        let messages =
            crate::chat::store::between(&self.inner.db, &channel, from, to, REPLAY_CHAT_LINES)
                .await?;
        Ok(messages
            .into_iter()
            .filter_map(|message| {
                let at_ms = index.at_for_wall(message.sent_at as i64)?;
                Some(ReplayChatLine { at_ms, message })
            })
            .collect())
    }

    pub async fn set_visibility(
        &self,
        id: i64,
        user: &SignedIn,
        visibility: Visibility,
    ) -> Result<(), AppError> {
        self.controlled(id, user).await?;
        Ok(store::set_visibility(&self.inner.db, id, visibility).await?)
    }

    /// Deletes a finished recording: its index first (it stops being served), then its files.
    pub async fn delete(&self, id: i64, user: &SignedIn) -> Result<(), AppError> {
        let row = self.controlled(id, user).await?;
        if row.state == RecordingState::Recording {
            return Err(AppError::Conflict(
                "The broadcast is still being recorded: stop it first, then delete its recording."
                    .into(),
            ));
        }
        store::delete(&self.inner.db, id).await?;
        if let Err(err) = self.inner.storage.remove(id).await {
            tracing::error!(recording = id, %err, "a deleted recording's files could not be removed");
        }
        Ok(())
    }
}

/// A user's one clip being cut: a second at once is refused, and the mark goes when this does.
struct OneCut<'a> {
    cutting: &'a std::sync::Mutex<std::collections::HashSet<String>>,
    user: String,
}

impl<'a> OneCut<'a> {
    fn take(
        cutting: &'a std::sync::Mutex<std::collections::HashSet<String>>,
        user: &str,
    ) -> Result<Self, AppError> {
        let mut now = cutting.lock().unwrap_or_else(|p| p.into_inner());
        if !now.insert(user.to_string()) {
            return Err(AppError::Conflict(
                "Your last clip is still being cut; wait for it first.".into(),
            ));
        }
        Ok(Self {
            cutting,
            user: user.to_string(),
        })
    }
}

impl Drop for OneCut<'_> {
    fn drop(&mut self) {
        self.cutting
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.user);
    }
}

/// Whether a recorded init segment has a picture to make one of (a broadcast of sound alone
/// has none). One that cannot be read is tried anyway: ffmpeg says why it fails.
fn has_picture(init: &[u8]) -> bool {
    let mut splitter = crate::live::splitter::Splitter::new();
    match splitter.push(init).map(|pieces| pieces.into_iter().next()) {
        Ok(Some(crate::live::splitter::Piece::Init(init))) => init.has_video(),
        _ => true,
    }
}
