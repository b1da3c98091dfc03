//! Where recordings' bytes live: a local folder, one folder per recording holding each encoder
//! run's init segment (`init-{run}.mp4`) and each segment (`{seq}.m4s`, a keyframe and the
//! fragments after it). A segment is written fragment by fragment and each fragment reaches the
//! disk before the next is taken (`sync_data`), so a crash or a power cut loses at most the one
//! being written. What the files hold is found through the database's index, never by listing
//! folders (see `store`).

use std::io;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use tokio::fs::{self, File, OpenOptions};
use tokio::io::AsyncWriteExt;

/// The recordings' folder.
#[derive(Clone, Debug)]
pub struct Storage {
    dir: PathBuf,
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

impl Storage {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn folder(&self, recording: i64) -> PathBuf {
        self.dir.join(recording.to_string())
    }

    fn init_path(&self, recording: i64, run: i64) -> PathBuf {
        self.folder(recording).join(format!("init-{run}.mp4"))
    }

    fn segment_path(&self, recording: i64, seq: i64) -> PathBuf {
        self.folder(recording).join(format!("{seq}.m4s"))
    }

    /// Stores run `run`'s init segment of `recording`, on disk when this returns.
    pub async fn put_init(&self, recording: i64, run: i64, data: &[u8]) -> io::Result<()> {
        fs::create_dir_all(self.folder(recording)).await?;
        let mut file = File::create(self.init_path(recording, run)).await?;
        file.write_all(data).await?;
        file.flush().await?;
        file.sync_data().await
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

    pub async fn init(&self, recording: i64, run: i64) -> io::Result<Bytes> {
        fs::read(self.init_path(recording, run))
            .await
            .map(Bytes::from)
    }

    /// Opens segment `seq` for reading, with its length.
    pub async fn open_segment(&self, recording: i64, seq: i64) -> io::Result<(File, u64)> {
        let file = File::open(self.segment_path(recording, seq)).await?;
        let len = file.metadata().await?.len();
        Ok((file, len))
    }

    /// Reads segment `seq` whole, if it exists (recovery after a crash).
    pub async fn segment(&self, recording: i64, seq: i64) -> io::Result<Option<Bytes>> {
        match fs::read(self.segment_path(recording, seq)).await {
            Ok(data) => Ok(Some(Bytes::from(data))),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Cuts segment `seq` to its first `len` bytes (a fragment half written by a crash).
    pub async fn truncate_segment(&self, recording: i64, seq: i64, len: u64) -> io::Result<()> {
        let file = OpenOptions::new()
            .write(true)
            .open(self.segment_path(recording, seq))
            .await?;
        file.set_len(len).await?;
        file.sync_all().await
    }

    /// Removes segment `seq` (nothing in it could be played).
    pub async fn remove_segment(&self, recording: i64, seq: i64) -> io::Result<()> {
        match fs::remove_file(self.segment_path(recording, seq)).await {
            Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        }
    }

    fn thumbnail_path(&self, recording: i64, seq: i64) -> PathBuf {
        self.folder(recording).join(format!("thumbnail-{seq}.jpg"))
    }

    /// Segment `seq`'s picture, if one was made.
    pub async fn thumbnail(&self, recording: i64, seq: i64) -> io::Result<Option<Bytes>> {
        match fs::read(self.thumbnail_path(recording, seq)).await {
            Ok(data) => Ok(Some(Bytes::from(data))),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Keeps segment `seq`'s picture (written whole or not at all).
    pub async fn put_thumbnail(&self, recording: i64, seq: i64, jpeg: &[u8]) -> io::Result<()> {
        let path = self.thumbnail_path(recording, seq);
        let partial = path.with_extension("part");
        fs::write(&partial, jpeg).await?;
        fs::rename(&partial, &path).await
    }

    /// The clips' folder (beside the recordings' numbered ones), made if missing.
    pub async fn clips(&self) -> io::Result<PathBuf> {
        let dir = self.dir.join("clips");
        fs::create_dir_all(&dir).await?;
        Ok(dir)
    }

    /// Clip `id`'s video.
    pub fn clip_path(&self, id: i64) -> PathBuf {
        self.dir.join("clips").join(format!("{id}.mp4"))
    }

    /// Clip `id`'s picture.
    pub fn clip_picture_path(&self, id: i64) -> PathBuf {
        self.dir.join("clips").join(format!("{id}.jpg"))
    }

    /// Removes clip `id`'s files.
    pub async fn remove_clip(&self, id: i64) -> io::Result<()> {
        for path in [self.clip_path(id), self.clip_picture_path(id)] {
            match fs::remove_file(path).await {
                Err(err) if err.kind() != io::ErrorKind::NotFound => return Err(err),
                _ => {}
            }
        }
        Ok(())
    }

    /// Removes everything of `recording`.
    pub async fn remove(&self, recording: i64) -> io::Result<()> {
        match fs::remove_dir_all(self.folder(recording)).await {
            Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_segment_holds_what_was_appended_and_can_be_cut_back() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::new(dir.path());
        storage.put_init(7, 1, b"init").await.unwrap();
        let mut segment = storage.create_segment(7, 1).await.unwrap();
        segment.append(b"one").await.unwrap();
        segment.append(b"two").await.unwrap();
        assert_eq!(segment.written(), 6);
        assert_eq!(&storage.init(7, 1).await.unwrap()[..], b"init");
        assert_eq!(
            storage.segment(7, 1).await.unwrap().as_deref(),
            Some(&b"onetwo"[..])
        );
        storage.truncate_segment(7, 1, 3).await.unwrap();
        let (_, len) = storage.open_segment(7, 1).await.unwrap();
        assert_eq!(len, 3);
        assert_eq!(storage.segment(7, 2).await.unwrap(), None);
        storage.remove(7).await.unwrap();
        assert!(storage.init(7, 1).await.is_err());
        // Removing what is not there is not an error.
        storage.remove(7).await.unwrap();
    }
}
