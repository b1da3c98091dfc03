//! Databases for tests, on both back ends: a fresh SQLite file, and a fresh schema in the
//! PostgreSQL database at `$ONAIR_TEST_POSTGRES` (default: the `test` database on
//! 127.0.0.1:5432, which `scripts/services` starts), so tests never see each other's rows.

use sqlx::Connection;

use super::{Opened, open};

/// The PostgreSQL database tests make their schemas in.
pub fn postgres_base() -> String {
    std::env::var("ONAIR_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/test".to_string())
}

/// A database for one test; the SQLite file goes with it.
pub struct TestDb {
    pub opened: Opened,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub fn db(&self) -> &super::Db {
        &self.opened.db
    }
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let opened = open("", &dir.path().join("test.db")).await.unwrap();
    TestDb {
        opened,
        _dir: Some(dir),
    }
}

pub async fn postgres() -> TestDb {
    let url = fresh_postgres_schema().await;
    let opened = open(&url, std::path::Path::new("unused")).await.unwrap();
    TestDb { opened, _dir: None }
}

/// One database of each back end, for tests of behaviour both must share.
pub async fn each() -> [TestDb; 2] {
    [sqlite().await, postgres().await]
}

/// The URL of a new, empty schema in the test database (its `search_path`), for a test that
/// starts servers on PostgreSQL.
pub async fn fresh_postgres_schema() -> String {
    let base = postgres_base();
    static MADE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let schema = format!(
        "onair_test_{}_{}_{}",
        crate::clock::now_ms(),
        std::process::id(),
        MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let mut conn = sqlx::PgConnection::connect(&base)
        .await
        .unwrap_or_else(|err| panic!("PostgreSQL at {base} (run scripts/services): {err}"));
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .await
        .unwrap();
    drop_old_schemas(&mut conn).await;
    let _ = conn.close().await;
    let joiner = if base.contains('?') { '&' } else { '?' };
    format!("{base}{joiner}options[search_path]={schema}")
}

/// Drops test schemas made over an hour ago (by runs long finished), so the test database
/// does not grow run after run.
async fn drop_old_schemas(conn: &mut sqlx::PgConnection) {
    let hour_ago = crate::clock::now_ms().saturating_sub(3_600_000);
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT schema_name::text FROM information_schema.schemata \
         WHERE schema_name LIKE 'onair_test_%'",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap_or_default();
    for name in names {
        let made_ms = name
            .strip_prefix("onair_test_")
            .and_then(|rest| rest.split('_').next())
            .and_then(|ms| ms.parse::<u64>().ok());
        if made_ms.is_some_and(|ms| ms < hour_ago) {
            let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                .execute(&mut *conn)
                .await;
        }
    }
}
