//! Where whole files live once written: the local folder, or an S3-compatible object store.
//! Names are relative paths made of numbers we chose (`7/init-1.mp4`): nothing a user sends
//! becomes one.

use std::io;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use object_store::{GetOptions, GetRange, ObjectStore, PutPayload};
use tokio::fs::{self, File};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// A file's bytes as they are read.
pub type ByteStream = BoxStream<'static, io::Result<Bytes>>;

#[derive(Clone)]
pub enum Home {
    /// Files under this folder.
    Folder(PathBuf),
    /// Objects in this store (a bucket, under a prefix).
    Objects(Arc<dyn ObjectStore>),
}

/// What a request with an HTTP `Range` gets.
pub enum Ranged {
    /// The whole file (no range asked for, or several: a server may answer those whole).
    Whole { body: ByteStream, len: u64 },
    /// The one range asked for, of a file of `total` bytes.
    Part {
        body: ByteStream,
        range: RangeInclusive<u64>,
        total: u64,
    },
    /// A range outside the file's `total` bytes.
    Unsatisfiable { total: u64 },
}

fn key(name: &str) -> object_store::path::Path {
    object_store::path::Path::from(name)
}

/// An object store's failure as an I/O error that says where it came from.
fn failed(err: object_store::Error) -> io::Error {
    match err {
        object_store::Error::NotFound { .. } => {
            io::Error::new(io::ErrorKind::NotFound, err.to_string())
        }
        err => io::Error::other(format!("the object store: {err}")),
    }
}

fn found<T>(result: io::Result<T>) -> io::Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err),
    }
}

/// `file` from `start`, `len` bytes of it.
async fn file_stream(mut file: File, start: u64, len: u64) -> io::Result<ByteStream> {
    if start > 0 {
        file.seek(io::SeekFrom::Start(start)).await?;
    }
    Ok(tokio_util::io::ReaderStream::new(file.take(len)).boxed())
}

impl Home {
    fn path(dir: &Path, name: &str) -> PathBuf {
        dir.join(name)
    }

    /// Keeps `data` as `name`: whole, or (in the folder, after a crash) not at all.
    pub async fn put(&self, name: &str, data: Bytes) -> io::Result<()> {
        match self {
            Home::Folder(dir) => {
                let path = Self::path(dir, name);
                if let Some(parent) = path.parent() {
                    fs::create_dir_all(parent).await?;
                }
                let partial = path.with_extension("part");
                let mut file = File::create(&partial).await?;
                file.write_all(&data).await?;
                file.flush().await?;
                file.sync_data().await?;
                fs::rename(&partial, &path).await
            }
            Home::Objects(store) => store
                .put(&key(name), PutPayload::from_bytes(data))
                .await
                .map(drop)
                .map_err(failed),
        }
    }

    /// Copies the local file `local` to `name` (an object store only: in the folder a file
    /// is home where it is written).
    pub async fn upload(&self, name: &str, local: &Path) -> io::Result<()> {
        match self {
            Home::Folder(_) => Ok(()),
            Home::Objects(store) => {
                let mut file = File::open(local).await?;
                let mut upload = object_store::buffered::BufWriter::new(store.clone(), key(name));
                let copied = tokio::io::copy(&mut file, &mut upload).await;
                match copied {
                    Ok(_) => upload.shutdown().await,
                    Err(err) => {
                        let _ = upload.abort().await;
                        Err(err)
                    }
                }
            }
        }
    }

    /// Moves the local file `local` to `name`.
    pub async fn take_file(&self, name: &str, local: &Path) -> io::Result<()> {
        match self {
            Home::Folder(dir) => {
                let path = Self::path(dir, name);
                if let Some(parent) = path.parent() {
                    fs::create_dir_all(parent).await?;
                }
                fs::rename(local, &path).await
            }
            Home::Objects(_) => {
                self.upload(name, local).await?;
                super::remove_file(local).await
            }
        }
    }

    /// `name` whole, if it exists.
    pub async fn get(&self, name: &str) -> io::Result<Option<Bytes>> {
        match self {
            Home::Folder(dir) => found(fs::read(Self::path(dir, name)).await.map(Bytes::from)),
            Home::Objects(store) => {
                let read = async { store.get(&key(name)).await?.bytes().await };
                found(read.await.map_err(failed))
            }
        }
    }

    /// `name` as it is read, and its length.
    pub async fn stream(&self, name: &str) -> io::Result<(ByteStream, u64)> {
        match self {
            Home::Folder(dir) => {
                let file = File::open(Self::path(dir, name)).await?;
                let len = file.metadata().await?.len();
                Ok((file_stream(file, 0, len).await?, len))
            }
            Home::Objects(store) => {
                let got = store.get(&key(name)).await.map_err(failed)?;
                let len = got.meta.size;
                Ok((got.into_stream().map_err(failed).boxed(), len))
            }
        }
    }

    /// `name`, or the part of it an HTTP `Range` header asks for; None if it does not exist.
    pub async fn ranged(&self, name: &str, range: Option<&str>) -> io::Result<Option<Ranged>> {
        let total = match self {
            Home::Folder(dir) => match found(fs::metadata(Self::path(dir, name)).await)? {
                Some(meta) => meta.len(),
                None => return Ok(None),
            },
            Home::Objects(store) => match found(store.head(&key(name)).await.map_err(failed))? {
                Some(meta) => meta.size,
                None => return Ok(None),
            },
        };
        let asked = match range.map(http_range_header::parse_range_header) {
            Some(Ok(parsed)) => match parsed.validate(total) {
                Ok(ranges) if ranges.len() == 1 => Some(ranges[0].clone()),
                Ok(_) => None,
                Err(_) => return Ok(Some(Ranged::Unsatisfiable { total })),
            },
            // A header we cannot read is ignored, as RFC 9110 allows.
            Some(Err(_)) | None => None,
        };
        let (start, len) = match &asked {
            Some(range) => (*range.start(), range.end() - range.start() + 1),
            None => (0, total),
        };
        let body = match self {
            Home::Folder(dir) => match found(File::open(Self::path(dir, name)).await)? {
                Some(file) => file_stream(file, start, len).await?,
                None => return Ok(None),
            },
            Home::Objects(store) => {
                let options = GetOptions {
                    range: Some(GetRange::Bounded(start..start + len)),
                    ..GetOptions::default()
                };
                match found(store.get_opts(&key(name), options).await.map_err(failed))? {
                    Some(got) => got.into_stream().map_err(failed).boxed(),
                    None => return Ok(None),
                }
            }
        };
        Ok(Some(match asked {
            Some(range) => Ranged::Part { body, range, total },
            None => Ranged::Whole { body, len: total },
        }))
    }

    /// Removes `name`; it being gone already is fine.
    pub async fn delete(&self, name: &str) -> io::Result<()> {
        match self {
            Home::Folder(dir) => super::remove_file(&Self::path(dir, name)).await,
            Home::Objects(store) => match store.delete(&key(name)).await {
                Err(object_store::Error::NotFound { .. }) => Ok(()),
                done => done.map_err(failed),
            },
        }
    }

    /// Removes everything under the folder `prefix`.
    pub async fn delete_all(&self, prefix: &str) -> io::Result<()> {
        match self {
            Home::Folder(dir) => super::remove_dir(&Self::path(dir, prefix)).await,
            Home::Objects(store) => {
                let prefix = key(prefix);
                let names = store
                    .list(Some(&prefix))
                    .map_ok(|meta| meta.location)
                    .boxed();
                store
                    .delete_stream(names)
                    .try_for_each(|_| async { Ok(()) })
                    .await
                    .or_else(|err| match err {
                        object_store::Error::NotFound { .. } => Ok(()),
                        err => Err(err),
                    })
                    .map_err(failed)
            }
        }
    }
}
