//! The database: one SQLite file by default (WAL mode), or PostgreSQL when `[database] url`
//! names one (cluster mode: every instance shares it). Either way the capabilities see one
//! [`Db`] pool and write portable SQL (`$1` parameters, which SQLite reads too; no
//! back-end-only functions); each back end has its own migrations (`migrations/sqlite`,
//! `migrations/postgres`), applied at start, and its own session store ([`sessions`]).

pub mod sessions;
#[cfg(test)]
pub mod testing;

use std::path::Path;
use std::time::Duration;

use sqlx::Executor;
use sqlx::any::AnyPoolOptions;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub use sessions::Sessions;

/// The pool every store queries, whichever back end it reaches.
pub type Db = sqlx::AnyPool;

/// Which database OnAir keeps its data in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// One file, this instance's own.
    Sqlite,
    /// Shared by every instance of a cluster.
    Postgres,
}

/// The database, opened and up to date, with its session store.
pub struct Opened {
    pub db: Db,
    pub backend: Backend,
    pub sessions: Sessions,
}

/// Makes the SQLite file readable and writable by this user only (0600), creating it empty if
/// it is missing: it holds password hashes, sessions and stream keys. SQLite gives its WAL and
/// shared-memory files the same permissions as the database file.
fn owner_only(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot create the folder for the database {0}: {1}")]
    Folder(String, std::io::Error),
    #[error("cannot open the database {0}: {1}")]
    Open(String, sqlx::Error),
    #[error("cannot bring the database {0} up to date: {1}")]
    Migrate(String, sqlx::migrate::MigrateError),
    #[error(
        "[database] url must start with postgres:// or postgresql:// (empty: SQLite at `path`)"
    )]
    Scheme,
}

/// Opens the database `url` names (PostgreSQL), or else the SQLite file at `path` (created if
/// missing), up to date.
pub async fn open(url: &str, path: &Path) -> Result<Opened, DbError> {
    sqlx::any::install_default_drivers();
    if url.is_empty() {
        return open_sqlite(path).await;
    }
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(DbError::Scheme);
    }
    open_postgres(url).await
}

async fn open_sqlite(path: &Path) -> Result<Opened, DbError> {
    let shown = path.display().to_string();
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder).map_err(|err| DbError::Folder(shown.clone(), err))?;
    }
    owner_only(path).map_err(|err| DbError::Folder(shown.clone(), err))?;
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    // The native pool makes the file (WAL mode stays with it), migrates it, and keeps sessions.
    let native = SqlitePoolOptions::new()
        .max_connections(2)
        .connect_with(options.clone())
        .await
        .map_err(|err| DbError::Open(shown.clone(), err))?;
    sqlx::migrate!("migrations/sqlite")
        .run(&native)
        .await
        .map_err(|err| DbError::Migrate(shown.clone(), err))?;
    let sessions = Sessions::sqlite(native)
        .await
        .map_err(|err| DbError::Open(shown.clone(), err))?;
    let db = AnyPoolOptions::new()
        .max_connections(4)
        .after_connect(|conn, _| {
            Box::pin(async move {
                // Per connection: sqlx's defaults already turn foreign keys on and wait 5 s
                // for a busy file.
                conn.execute("PRAGMA synchronous = NORMAL").await?;
                Ok(())
            })
        })
        .connect(&sqlite_url(path))
        .await
        .map_err(|err| DbError::Open(shown, err))?;
    Ok(Opened {
        db,
        backend: Backend::Sqlite,
        sessions,
    })
}

async fn open_postgres(url: &str) -> Result<Opened, DbError> {
    // Never the password, which the URL may hold.
    let shown = shown(url);
    let options: PgConnectOptions = url
        .parse()
        .map_err(|err| DbError::Open(shown.clone(), err))?;
    let native = PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options.clone())
        .await
        .map_err(|err| DbError::Open(shown.clone(), err))?;
    // Instances starting together take turns: sqlx locks the migrations with an advisory lock.
    sqlx::migrate!("migrations/postgres")
        .run(&native)
        .await
        .map_err(|err| DbError::Migrate(shown.clone(), err))?;
    let sessions = Sessions::postgres(native)
        .await
        .map_err(|err| DbError::Open(shown.clone(), err))?;
    let db = AnyPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await
        .map_err(|err| DbError::Open(shown, err))?;
    Ok(Opened {
        db,
        backend: Backend::Postgres,
        sessions,
    })
}

/// `url` with any password hidden, for messages and logs.
fn shown(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => "the [database] url".to_string(),
    }
}

/// The `sqlite://` URL of `path`, escaped so sqlx reads the same file name back.
fn sqlite_url(path: &Path) -> String {
    let mut url = String::from("sqlite://");
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => url.push_str("%25"),
            '?' => url.push_str("%3F"),
            '#' => url.push_str("%23"),
            c => url.push(c),
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_shown_in_a_message_hides_its_password() {
        assert_eq!(
            shown("postgres://onair:s3cret@db.example:5432/onair"),
            "postgres://onair:***@db.example:5432/onair"
        );
        assert!(!shown("postgres://a:b c@/").contains("b c"));
    }

    #[tokio::test]
    async fn a_file_name_with_url_characters_opens_that_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("odd %20?#name.db");
        let opened = open("", &path).await.unwrap();
        sqlx::query("SELECT count(*) FROM users")
            .fetch_one(&opened.db)
            .await
            .unwrap();
        assert!(path.exists());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            3,
            "db, -wal and -shm only"
        );
    }

    /// Issue 25: the database holds password hashes, sessions and stream keys: only the
    /// server's user may read it, its WAL and shared-memory files too, and a file made readable
    /// by others before is tightened at start.
    #[tokio::test]
    async fn the_database_file_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("onair.db");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let opened = open("", &path).await.unwrap();
        sqlx::query("INSERT INTO chat_bans (channel, username, banned_ms) VALUES ('a', 'b', 1)")
            .execute(&opened.db)
            .await
            .ok();
        for file in ["onair.db", "onair.db-wal", "onair.db-shm"] {
            assert_eq!(mode(&dir.path().join(file)), 0o600, "{file}");
        }
        drop(opened);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let _again = open("", &path).await.unwrap();
        assert_eq!(mode(&path), 0o600);
    }

    #[tokio::test]
    async fn anything_but_postgres_in_the_url_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = open("mysql://x", &dir.path().join("a.db"))
            .await
            .err()
            .unwrap();
        assert!(matches!(err, DbError::Scheme), "{err}");
    }
}
