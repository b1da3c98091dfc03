//! The homes storage is tested on: a temporary folder, and the S3-compatible server that
//! `scripts/services` starts (`s3s-fs` on `ONAIR_TEST_S3_ENDPOINT`, by default
//! http://127.0.0.1:8014, bucket `onair-test`), each test under a prefix of its own.

use std::sync::atomic::{AtomicU64, Ordering};

use super::Storage;
use super::objects::{self, ObjectsConfig};

/// The test bucket and the keys `scripts/services` starts the S3-compatible server with.
pub const BUCKET: &str = "onair-test";
pub const ACCESS_KEY: &str = "onair-test";
pub const SECRET_KEY: &str = "onair-test-secret";

pub fn endpoint() -> String {
    std::env::var("ONAIR_TEST_S3_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:8014".into())
}

/// A prefix of the test bucket no other test uses.
pub fn fresh_objects() -> ObjectsConfig {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    ObjectsConfig {
        url: format!(
            "s3://{BUCKET}/t{}-{}-{n}",
            crate::clock::now_ms(),
            std::process::id()
        ),
        endpoint: endpoint(),
        region: "us-east-1".into(),
        access_key: ACCESS_KEY.into(),
        secret_key: SECRET_KEY.into(),
    }
}

/// A storage to test, with the folder it writes to.
pub struct TestStorage {
    pub name: &'static str,
    pub storage: Storage,
    pub dir: tempfile::TempDir,
    /// The object store it keeps recordings in, if any.
    pub objects: Option<ObjectsConfig>,
}

/// The folder, then the object store.
pub fn each() -> Vec<TestStorage> {
    let folder = tempfile::tempdir().unwrap();
    let spool = tempfile::tempdir().unwrap();
    let config = fresh_objects();
    let store = objects::open(&config).expect("the test object store's settings");
    vec![
        TestStorage {
            name: "folder",
            storage: Storage::new(folder.path()),
            dir: folder,
            objects: None,
        },
        TestStorage {
            name: "object store",
            storage: Storage::with_objects(spool.path(), store),
            dir: spool,
            objects: Some(config),
        },
    ]
}
