//! Where recordings' bytes live. Each recording holds each encoder run's init segment
//! (`{id}/init-{run}.mp4`), its segments (`{id}/{seq}.m4s`, a keyframe and the fragments after
//! it) and the pictures made of them (`{id}/thumbnail-{seq}.jpg`); clips are `clips/{id}.mp4`
//! and `.jpg`. They live in a [`Home`]: the local folder, or an S3-compatible object store that
//! every instance of a cluster reads.
//!
//! A segment is written fragment by fragment to the local folder, and each fragment reaches the
//! disk before the next is taken (`sync_data`), so a crash or a power cut loses at most the one
//! being written. With an object store the folder is only the spool: a segment is uploaded
//! whole once the next keyframe closes it, indexed, and then dropped from the spool. What a
//! recording holds is found through the database's index, never by listing (see `store`).

mod home;
pub mod objects;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use tokio::fs::{self, File, OpenOptions};
use tokio::io::AsyncWriteExt;

pub use home::{ByteStream, Home, Ranged};

/// The recordings' storage: the local folder (the spool, with an object store) and their home.
#[derive(Clone)]
pub struct Storage {
    dir: PathBuf,
    home: Home,
}

/// A segment being written.
pub struct SegmentFile {
    file: File,
    written: u64,
}

impl SegmentFile {
    /// Appends one fragment and waits until it is on disk. (tokio's file reports a failed
    /// write, a full disk say, at the next flush: `sync_data` alone would not tell.)
    pub async fn append(&mut self, data: &[u8]) -> io::Result<()> {
        self.file.write_all(data).await?;
        self.file.flush().await?;
        self.file.sync_data().await?;
        self.written += data.len() as u64;
        Ok(())
    }

    pub fn written(&self) -> u64 {
        self.written
    }
}

fn init_name(recording: i64, run: i64) -> String {
    format!("{recording}/init-{run}.mp4")
}

fn segment_name(recording: i64, seq: i64) -> String {
    format!("{recording}/{seq}.m4s")
}

fn thumbnail_name(recording: i64, seq: i64) -> String {
    format!("{recording}/thumbnail-{seq}.jpg")
}

/// Clip `id`'s video, or its picture.
fn clip_name(id: i64, picture: bool) -> String {
    let kind = if picture { "jpg" } else { "mp4" };
    format!("clips/{id}.{kind}")
}

impl Storage {
    /// Recordings kept in the folder `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        Self {
            home: Home::Folder(dir.clone()),
            dir,
        }
    }

    /// Recordings kept in `objects`, written through the spool folder `dir`.
    pub fn with_objects(
        dir: impl Into<PathBuf>,
        objects: Arc<dyn object_store::ObjectStore>,
    ) -> Self {
        Self {
            dir: dir.into(),
            home: Home::Objects(objects),
        }
    }

    pub fn home(&self) -> &Home {
        &self.home
    }

    /// Whether the segments live elsewhere than where they are written.
    fn spooled(&self) -> bool {
        matches!(self.home, Home::Objects(_))
    }

    fn folder(&self, recording: i64) -> PathBuf {
        self.dir.join(recording.to_string())
    }

    /// Where segment `seq` is written.
    fn segment_path(&self, recording: i64, seq: i64) -> PathBuf {
        self.dir.join(segment_name(recording, seq))
    }

    /// Stores run `run`'s init segment of `recording`, kept for good when this returns.
    pub async fn put_init(&self, recording: i64, run: i64, data: Bytes) -> io::Result<()> {
        self.home.put(&init_name(recording, run), data).await
    }

    pub async fn init(&self, recording: i64, run: i64) -> io::Result<Bytes> {
        self.home
            .get(&init_name(recording, run))
            .await?
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such init segment"))
    }

    /// Starts segment `seq` of `recording` (empty; an earlier attempt's bytes are dropped).
    pub async fn create_segment(&self, recording: i64, seq: i64) -> io::Result<SegmentFile> {
        fs::create_dir_all(self.folder(recording)).await?;
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(self.segment_path(recording, seq))
            .await?;
        Ok(SegmentFile { file, written: 0 })
    }

    /// Segment `seq` is written whole: it goes home (with an object store, uploaded; in the
    /// folder it is there already). Index it after this, then [`Self::release_segment`].
    pub async fn seal_segment(&self, recording: i64, seq: i64) -> io::Result<()> {
        if !self.spooled() {
            return Ok(());
        }
        self.home
            .upload(
                &segment_name(recording, seq),
                &self.segment_path(recording, seq),
            )
            .await
    }

    /// Segment `seq` is home and indexed: the spool's copy goes.
    pub async fn release_segment(&self, recording: i64, seq: i64) -> io::Result<()> {
        if !self.spooled() {
            return Ok(());
        }
        remove_file(&self.segment_path(recording, seq)).await
    }

    /// Everything `recording` left in the spool (after its recovery, or its deletion).
    pub async fn release_spool(&self, recording: i64) -> io::Result<()> {
        if !self.spooled() {
            return Ok(());
        }
        remove_dir(&self.folder(recording)).await
    }

    /// Opens indexed segment `seq` for reading, with its length.
    pub async fn open_segment(&self, recording: i64, seq: i64) -> io::Result<(ByteStream, u64)> {
        self.home.stream(&segment_name(recording, seq)).await
    }

    /// Indexed segment `seq`, whole.
    pub async fn segment(&self, recording: i64, seq: i64) -> io::Result<Option<Bytes>> {
        self.home.get(&segment_name(recording, seq)).await
    }

    /// Segment `seq` as written, if it is (recovery after a crash).
    pub async fn written_segment(&self, recording: i64, seq: i64) -> io::Result<Option<Bytes>> {
        match fs::read(self.segment_path(recording, seq)).await {
            Ok(data) => Ok(Some(Bytes::from(data))),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Cuts written segment `seq` to its first `len` bytes (a fragment half written by a crash).
    pub async fn truncate_segment(&self, recording: i64, seq: i64, len: u64) -> io::Result<()> {
        let file = OpenOptions::new()
            .write(true)
            .open(self.segment_path(recording, seq))
            .await?;
        file.set_len(len).await?;
        file.sync_all().await
    }

    /// Removes written segment `seq` (nothing in it could be played).
    pub async fn remove_segment(&self, recording: i64, seq: i64) -> io::Result<()> {
        remove_file(&self.segment_path(recording, seq)).await
    }

    /// Segment `seq`'s picture, if one was made.
    pub async fn thumbnail(&self, recording: i64, seq: i64) -> io::Result<Option<Bytes>> {
        self.home.get(&thumbnail_name(recording, seq)).await
    }

    /// Keeps segment `seq`'s picture (written whole or not at all).
    pub async fn put_thumbnail(&self, recording: i64, seq: i64, jpeg: Bytes) -> io::Result<()> {
        self.home.put(&thumbnail_name(recording, seq), jpeg).await
    }

    /// A new file in the local folder to cut a clip into (its folder made if missing).
    pub async fn clip_scratch(&self, recording: i64) -> io::Result<PathBuf> {
        let dir = self.dir.join("clips");
        fs::create_dir_all(&dir).await?;
        Ok(dir.join(format!("cut-{recording}-{}.part", crate::clock::now_ms())))
    }

    /// Keeps the clip cut into `scratch` as clip `id` (the scratch file goes).
    pub async fn keep_clip(&self, id: i64, scratch: &Path) -> io::Result<()> {
        self.home.take_file(&clip_name(id, false), scratch).await
    }

    /// Keeps clip `id`'s picture.
    pub async fn put_clip_picture(&self, id: i64, jpeg: Bytes) -> io::Result<()> {
        self.home.put(&clip_name(id, true), jpeg).await
    }

    /// Clip `id`'s video (`picture`: its JPEG), as much of it as `range` asks for.
    pub async fn clip(
        &self,
        id: i64,
        picture: bool,
        range: Option<&str>,
    ) -> io::Result<Option<Ranged>> {
        self.home.ranged(&clip_name(id, picture), range).await
    }

    /// Removes clip `id`'s files.
    pub async fn remove_clip(&self, id: i64) -> io::Result<()> {
        for picture in [false, true] {
            self.home.delete(&clip_name(id, picture)).await?;
        }
        Ok(())
    }

    /// Removes everything of `recording`.
    pub async fn remove(&self, recording: i64) -> io::Result<()> {
        self.home.delete_all(&recording.to_string()).await?;
        self.release_spool(recording).await
    }
}

/// Removes `path`; it being gone already is fine.
pub(super) async fn remove_file(path: &Path) -> io::Result<()> {
    match fs::remove_file(path).await {
        Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
        _ => Ok(()),
    }
}

/// Removes the folder `path` and all in it; it being gone already is fine.
pub(super) async fn remove_dir(path: &Path) -> io::Result<()> {
    match fs::remove_dir_all(path).await {
        Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
        _ => Ok(()),
    }
}

#[cfg(test)]
pub mod testing;

#[cfg(test)]
mod tests;
