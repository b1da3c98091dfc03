//! The users table, and each user's channel row created with the account.

use sqlx::SqlitePool;

use super::rules::channel_name;
use crate::clock::now_ms;

/// A stored account. Never sent to a browser: it holds the password hash.
#[derive(Debug, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    /// Sessions signed in under an older generation are signed out.
    pub session_generation: i64,
}

impl User {
    pub fn channel(&self) -> String {
        channel_name(&self.username)
    }
}

/// A new channel's title, until its owner sets one.
pub fn first_title(username: &str) -> String {
    format!("{username}'s channel")
}

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("that username is taken")]
    Taken,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Creates the account and its channel (titled after the user), in one transaction.
pub async fn create(
    pool: &SqlitePool,
    username: &str,
    password_hash: &str,
) -> Result<User, CreateError> {
    let mut tx = pool.begin().await?;
    let inserted = sqlx::query_scalar::<_, i64>(
        "INSERT INTO users (username, password_hash, created_ms) VALUES (?, ?, ?) RETURNING id",
    )
    .bind(username)
    .bind(password_hash)
    .bind(now_ms() as i64)
    .fetch_one(&mut *tx)
    .await;
    let id = match inserted {
        Ok(id) => id,
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
            return Err(CreateError::Taken);
        }
        Err(err) => return Err(err.into()),
    };
    let channel = channel_name(username);
    let inserted = sqlx::query("INSERT INTO channels (name, owner_id, title) VALUES (?, ?, ?)")
        .bind(&channel)
        .bind(id)
        .bind(first_title(username))
        .execute(&mut *tx)
        .await;
    match inserted {
        Ok(_) => {}
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
            return Err(CreateError::Taken);
        }
        Err(err) => return Err(err.into()),
    }
    tx.commit().await?;
    Ok(User {
        id,
        username: username.to_string(),
        password_hash: password_hash.to_string(),
        session_generation: 0,
    })
}

/// The account named `username`, whatever its case.
pub async fn find(pool: &SqlitePool, username: &str) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as::<_, User>(
        "SELECT id, username, password_hash, session_generation FROM users WHERE username = ?",
    )
    .bind(username)
    .fetch_optional(pool)
    .await
}

/// The session generation of account `id`; None if there is no such account.
pub async fn session_generation(pool: &SqlitePool, id: i64) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT session_generation FROM users WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// Signs account `id` out everywhere: every session signed in before now stops working.
pub async fn next_session_generation(pool: &SqlitePool, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET session_generation = session_generation + 1 WHERE id = ?")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}
