//! The SQLite database: one file, opened in WAL mode with our migrations (`migrations/`)
//! applied at start; and the session store kept in the same file.

use std::path::Path;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tower_sessions_sqlx_store::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot create the folder for the database {0}: {1}")]
    Folder(String, std::io::Error),
    #[error("cannot open the database {0}: {1}")]
    Open(String, sqlx::Error),
    #[error("cannot bring the database {0} up to date: {1}")]
    Migrate(String, sqlx::migrate::MigrateError),
}

/// Opens (creating if missing) the database at `path`, up to date.
pub async fn open(path: &Path) -> Result<SqlitePool, DbError> {
    let shown = path.display().to_string();
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder).map_err(|err| DbError::Folder(shown.clone(), err))?;
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .map_err(|err| DbError::Open(shown.clone(), err))?;
    sqlx::migrate!()
        .run(&pool)
        .await
        .map_err(|err| DbError::Migrate(shown, err))?;
    Ok(pool)
}

/// The session store, its table created if missing.
pub async fn session_store(pool: &SqlitePool) -> Result<SqliteStore, sqlx::Error> {
    let store = SqliteStore::new(pool.clone());
    store.migrate().await?;
    Ok(store)
}
