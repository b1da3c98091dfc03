//! `Accounts`: creating accounts and checking sign-ins, with the throttle on failed guesses.
//! Sessions (who is signed in on a request) are `session`'s; this is what happens before one.

use std::sync::Arc;
use std::time::Instant;

use sqlx::SqlitePool;

use super::password::Hasher;
use super::rules;
use super::store::{self, CreateError, User};
use super::throttle::{self, SignInThrottle};
use crate::error::AppError;

#[derive(Clone)]
pub struct Accounts {
    db: SqlitePool,
    throttle: Arc<SignInThrottle>,
    hasher: Arc<Hasher>,
}

impl Accounts {
    pub fn new(db: SqlitePool) -> Self {
        Self {
            db,
            throttle: Arc::default(),
            hasher: Arc::new(Hasher::per_core()),
        }
    }

    /// Creates the account `username` (trimmed) with its channel row. The caller opens the
    /// channel and signs the user in.
    pub async fn sign_up(&self, username: &str, password: String) -> Result<User, AppError> {
        let username = username.trim();
        rules::check_username(username).map_err(AppError::Invalid)?;
        rules::check_password(&password, username).map_err(AppError::Invalid)?;
        let hash = self.hasher.hash(password).await?;
        match store::create(&self.db, username, &hash).await {
            Ok(user) => {
                tracing::info!(username = %user.username, "account created");
                Ok(user)
            }
            Err(CreateError::Taken) => Err(AppError::Invalid(format!(
                "The username {username} is taken; choose another."
            ))),
            Err(CreateError::Database(err)) => Err(err.into()),
        }
    }

    /// The account whose password this is, from `address`. Refused while the account or the
    /// address has failed too often lately (checked before the password is verified; the
    /// attempt counts as failed until it succeeds).
    pub async fn sign_in(
        &self,
        username: &str,
        password: String,
        address: &str,
    ) -> Result<User, AppError> {
        let username = username.trim();
        if username.is_empty() || password.is_empty() {
            return Err(AppError::Invalid(
                "Enter your username and password.".into(),
            ));
        }
        // Counted as a failure from here on, unless it succeeds: parallel guesses cannot all
        // pass before the first one fails.
        let attempt = self
            .throttle
            .begin(username, address, Instant::now())
            .map_err(|wait| AppError::TooManyAttempts(throttle::message(wait)))?;
        let user = match store::find(&self.db, username).await {
            Ok(user) => user,
            Err(err) => {
                attempt.withdraw();
                return Err(err.into());
            }
        };
        let stored = user.as_ref().map(|u| u.password_hash.clone());
        let matches = self.hasher.verify(password, stored).await;
        let Some(user) = user.filter(|_| matches) else {
            return Err(AppError::Invalid("Wrong username or password.".into()));
        };
        attempt.succeeded();
        Ok(user)
    }
}
