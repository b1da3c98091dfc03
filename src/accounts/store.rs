//! The users table, and each user's channel row created with the account.

use crate::db::Db;

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
pub async fn create(pool: &Db, username: &str, password_hash: &str) -> Result<User, CreateError> {
    let mut tx = pool.begin().await?;
    let inserted = sqlx::query_scalar::<_, i64>(
        "INSERT INTO users (username, password_hash, created_ms) VALUES ($1, $2, $3) RETURNING id",
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
    let inserted = sqlx::query("INSERT INTO channels (name, owner_id, title) VALUES ($1, $2, $3)")
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
pub async fn find(pool: &Db, username: &str) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as::<_, User>(
        "SELECT id, username, password_hash, session_generation FROM users WHERE lower(username) = lower($1)",
    )
    .bind(username)
    .fetch_optional(pool)
    .await
}

/// Where account `id` stands now: its session generation, and whether it is an operator.
/// None if there is no such account.
pub async fn standing(pool: &Db, id: i64) -> Result<Option<(i64, bool)>, sqlx::Error> {
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT session_generation, operator FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|(generation, operator)| (generation, operator != 0)))
}

/// Makes the account named `username` (whatever its case) an operator, or not; false if no
/// account has that name.
pub async fn set_operator(pool: &Db, username: &str, operator: bool) -> Result<bool, sqlx::Error> {
    let changed = sqlx::query("UPDATE users SET operator = $1 WHERE lower(username) = lower($2)")
        .bind(i64::from(operator))
        .bind(username)
        .execute(pool)
        .await?;
    Ok(changed.rows_affected() > 0)
}

/// The operators' usernames, in name order.
pub async fn operators(pool: &Db) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT username FROM users WHERE operator <> 0 ORDER BY lower(username)")
        .fetch_all(pool)
        .await
}

/// The colour account `id` picked for its name in chat.
pub async fn name_colour(pool: &Db, id: i64) -> Result<Option<String>, sqlx::Error> {
    let found: Option<Option<String>> =
        sqlx::query_scalar("SELECT name_colour FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?;
    Ok(found.flatten())
}

/// Sets (or, None, clears) the colour of account `id`'s name in chat.
pub async fn set_name_colour(pool: &Db, id: i64, colour: Option<&str>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET name_colour = $1 WHERE id = $2")
        .bind(colour)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Signs account `id` out everywhere: every session signed in before now stops working.
pub async fn next_session_generation(pool: &Db, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET session_generation = session_generation + 1 WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_username_is_one_account_whatever_its_case_on_both_back_ends() {
        for test_db in crate::db::testing::each().await {
            let db = test_db.db();
            let ana = create(db, "Ana", "hash").await.unwrap();
            assert!(matches!(
                create(db, "ANA", "other").await,
                Err(CreateError::Taken)
            ));
            let found = find(db, "aNa")
                .await
                .unwrap()
                .expect("found whatever the case");
            assert_eq!((found.id, found.username.as_str()), (ana.id, "Ana"));
            assert_eq!(found.channel(), "ana");
            assert_eq!(standing(db, ana.id).await.unwrap(), Some((0, false)));
            next_session_generation(db, ana.id).await.unwrap();
            assert_eq!(standing(db, ana.id).await.unwrap(), Some((1, false)));
            assert!(find(db, "bob").await.unwrap().is_none());
        }
    }

    /// Issue 25: an operator is an existing account granted explicitly; a name alone is
    /// nobody's, and signing up later with it grants nothing.
    #[tokio::test]
    async fn operators_are_granted_to_existing_accounts_only_on_both_back_ends() {
        for test_db in crate::db::testing::each().await {
            let db = test_db.db();
            assert!(
                !set_operator(db, "olga", true).await.unwrap(),
                "no such account"
            );
            let olga = create(db, "Olga", "hash").await.unwrap();
            assert_eq!(standing(db, olga.id).await.unwrap(), Some((0, false)));
            assert!(set_operator(db, "OLGA", true).await.unwrap());
            assert_eq!(standing(db, olga.id).await.unwrap(), Some((0, true)));
            assert_eq!(operators(db).await.unwrap(), ["Olga"]);
            assert!(set_operator(db, "olga", false).await.unwrap());
            assert!(operators(db).await.unwrap().is_empty());
        }
    }
}
