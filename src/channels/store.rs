//! The channels table: every user's channel with its title and whether it is made in the
//! quality ladder.

use crate::db::Db;

/// A stored channel: its name, its owner's username, its title.
#[derive(Debug, sqlx::FromRow)]
pub struct StoredChannel {
    pub name: String,
    pub username: String,
    pub title: String,
}

pub async fn all(db: &Db) -> Result<Vec<StoredChannel>, sqlx::Error> {
    sqlx::query_as(
        "SELECT channels.name, users.username, channels.title \
         FROM channels JOIN users ON users.id = channels.owner_id ORDER BY channels.name",
    )
    .fetch_all(db)
    .await
}

/// The channel `name`, if it is stored.
pub async fn one(db: &Db, name: &str) -> Result<Option<StoredChannel>, sqlx::Error> {
    sqlx::query_as(
        "SELECT channels.name, users.username, channels.title \
         FROM channels JOIN users ON users.id = channels.owner_id WHERE channels.name = $1",
    )
    .bind(name)
    .fetch_optional(db)
    .await
}

pub async fn set_title(db: &Db, name: &str, title: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE channels SET title = $1 WHERE name = $2")
        .bind(title)
        .bind(name)
        .execute(db)
        .await?;
    Ok(())
}

/// Whether `name`'s broadcasts are made in the quality ladder (its owner may turn it off);
/// None if there is no such channel.
pub async fn ladder(db: &Db, name: &str) -> Result<Option<bool>, sqlx::Error> {
    let on: Option<i64> = sqlx::query_scalar("SELECT ladder FROM channels WHERE name = $1")
        .bind(name)
        .fetch_optional(db)
        .await?;
    Ok(on.map(|on| on != 0))
}

pub async fn set_ladder(db: &Db, name: &str, on: bool) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE channels SET ladder = $1 WHERE name = $2")
        .bind(i64::from(on))
        .bind(name)
        .execute(db)
        .await?;
    Ok(())
}
