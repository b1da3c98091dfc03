//! Where sessions are kept: tower-sessions' SQLite or PostgreSQL store (tower-sessions-sqlx-
//! store), whichever back end holds the rest, behind one type the session layer can take.

use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{ExpiredDeletion, Result, SessionStore};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

#[derive(Clone, Debug)]
pub enum Sessions {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl Sessions {
    /// The store in the SQLite file `pool` opens, its table made if missing.
    pub async fn sqlite(pool: sqlx::SqlitePool) -> sqlx::Result<Self> {
        let store = SqliteStore::new(pool);
        store.migrate().await?;
        Ok(Self::Sqlite(store))
    }

    /// The store in PostgreSQL (schema `tower_sessions`), made if missing.
    pub async fn postgres(pool: sqlx::PgPool) -> sqlx::Result<Self> {
        let store = PostgresStore::new(pool);
        // Instances starting at once race to make the table; the loser finds it made.
        let mut tries = 0;
        while let Err(err) = store.migrate().await {
            tries += 1;
            if tries == 3 {
                return Err(err);
            }
            tokio::time::sleep(std::time::Duration::from_millis(200 * tries)).await;
        }
        Ok(Self::Postgres(store))
    }
}

#[async_trait::async_trait]
impl SessionStore for Sessions {
    async fn create(&self, record: &mut Record) -> Result<()> {
        match self {
            Self::Sqlite(store) => store.create(record).await,
            Self::Postgres(store) => store.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> Result<()> {
        match self {
            Self::Sqlite(store) => store.save(record).await,
            Self::Postgres(store) => store.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        match self {
            Self::Sqlite(store) => store.load(id).await,
            Self::Postgres(store) => store.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        match self {
            Self::Sqlite(store) => store.delete(id).await,
            Self::Postgres(store) => store.delete(id).await,
        }
    }
}

#[async_trait::async_trait]
impl ExpiredDeletion for Sessions {
    async fn delete_expired(&self) -> Result<()> {
        match self {
            Self::Sqlite(store) => store.delete_expired().await,
            Self::Postgres(store) => store.delete_expired().await,
        }
    }
}
