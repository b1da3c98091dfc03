//! `Accounts`: creating accounts and checking sign-ins, with the throttle on failed guesses.
//! Sessions (who is signed in on a request) are `session`'s; this is what happens before one.

use std::sync::Arc;
use std::time::Instant;

use crate::db::Db;

use super::devices;
use super::password::Hasher;
use super::rules;
use super::signup_limit::SignUpLimit;
use super::store::{self, CreateError, User};
use super::throttle::{self, SignInThrottle};
use crate::error::AppError;

#[derive(Clone)]
pub struct Accounts {
    db: Db,
    throttle: Arc<SignInThrottle>,
    hasher: Arc<Hasher>,
    signups: Arc<SignUpLimit>,
    secure_cookies: bool,
    /// How long a sign-in lasts however much it is used (then the user signs in again).
    session_lifetime_ms: u64,
}

/// A successful sign-up or sign-in: the account, and the Set-Cookie value that makes this
/// browser one of its known devices (when it was not already).
pub struct Admitted {
    pub user: User,
    pub device_cookie: Option<String>,
}

impl Accounts {
    /// `signups_per_hour`: new accounts one address may create per hour (0: no limit);
    /// `secure_cookies`: the device cookie is marked Secure (served over HTTPS).
    pub fn new(db: Db, signups_per_hour: u32, secure_cookies: bool) -> Self {
        Self {
            db,
            throttle: Arc::default(),
            hasher: Arc::new(Hasher::per_core()),
            signups: Arc::new(SignUpLimit::per_hour(signups_per_hour)),
            secure_cookies,
            session_lifetime_ms: u64::MAX,
        }
    }

    /// A sign-in lasts at most `lifetime`, however much it is used.
    pub fn with_session_lifetime(mut self, lifetime: std::time::Duration) -> Self {
        self.session_lifetime_ms = lifetime.as_millis().try_into().unwrap_or(u64::MAX);
        self
    }

    /// Whether a sign-in made at `signed_in_ms` has outlived its lifetime at `now_ms`.
    pub fn session_outlived(&self, signed_in_ms: u64, now_ms: u64) -> bool {
        now_ms.saturating_sub(signed_in_ms) >= self.session_lifetime_ms
    }

    /// This browser becomes a known device of `user` (failing that, it simply is not one).
    async fn remember_device(&self, user: &User) -> Option<String> {
        match devices::remember(&self.db, user.id).await {
            Ok(token) => Some(devices::cookie(&token, self.secure_cookies)),
            Err(err) => {
                tracing::error!(%err, "cannot remember a device");
                None
            }
        }
    }

    /// Creates the account `username` (trimmed) with its channel row, for a visitor at
    /// `address`. The caller opens the channel and signs the user in. Everything that can
    /// refuse it cheaply (the form, a taken name, the address's sign-ups) does so before the
    /// password's guessability is estimated and it is hashed, both on the blocking pool and in
    /// turn.
    pub async fn sign_up(
        &self,
        username: &str,
        password: String,
        address: &str,
    ) -> Result<Admitted, AppError> {
        let username = username.trim();
        rules::check_username(username).map_err(AppError::Invalid)?;
        rules::check_password(&password, username).map_err(AppError::Invalid)?;
        if store::find(&self.db, username).await?.is_some() {
            return Err(taken(username));
        }
        self.signups
            .allow(address)
            .map_err(AppError::TooManyAttempts)?;
        self.hasher
            .check_guessable(password.clone(), username.to_string())
            .await?;
        let hash = self.hasher.hash(password).await?;
        match store::create(&self.db, username, &hash).await {
            Ok(user) => {
                tracing::info!(username = %user.username, "account created");
                let device_cookie = self.remember_device(&user).await;
                Ok(Admitted {
                    user,
                    device_cookie,
                })
            }
            Err(CreateError::Taken) => Err(taken(username)),
            Err(CreateError::Database(err)) => Err(err.into()),
        }
    }

    /// Whether a session signed in as `user` still holds (the account exists and has not
    /// signed out everywhere since) and, if it does, whether the account is an operator now
    /// (moderates every channel, ends any broadcast; granted with `onair operator add`).
    pub async fn standing(
        &self,
        user: &super::session::SignedIn,
    ) -> Result<Option<bool>, AppError> {
        Ok(match store::standing(&self.db, user.user_id).await? {
            Some((generation, operator)) if generation == user.generation => Some(operator),
            _ => None,
        })
    }

    /// Ends every session of account `user_id`, on every device.
    pub async fn sign_out_everywhere(&self, user_id: i64) -> Result<(), AppError> {
        store::next_session_generation(&self.db, user_id).await?;
        tracing::info!(user_id, "signed out everywhere");
        Ok(())
    }

    /// Whether an account has this name.
    pub async fn exists(&self, username: &str) -> Result<bool, AppError> {
        Ok(store::find(&self.db, username).await?.is_some())
    }

    /// The account named `username` (whatever its case), as others may know it; None if no
    /// account has that name.
    pub async fn named(&self, username: &str) -> Result<Option<Named>, AppError> {
        let Some(user) = store::find(&self.db, username).await? else {
            return Ok(None);
        };
        Ok(store::standing(&self.db, user.id)
            .await?
            .map(|(_, operator)| Named {
                id: user.id,
                username: user.username,
                operator,
            }))
    }

    /// The colour `user_id` picked for their name in chat; None: the default.
    pub async fn name_colour(&self, user_id: i64) -> Result<Option<String>, AppError> {
        Ok(store::name_colour(&self.db, user_id).await?)
    }

    /// Sets the colour of `user_id`'s name in chat (`colour` as typed; empty: the default),
    /// if it reads well on the site's backgrounds. Messages already sent keep theirs.
    pub async fn set_name_colour(&self, user_id: i64, colour: &str) -> Result<(), AppError> {
        let colour = match colour.trim() {
            "" => None,
            typed => Some(super::name_colour::check(typed).map_err(AppError::Invalid)?),
        };
        store::set_name_colour(&self.db, user_id, colour.as_deref()).await?;
        Ok(())
    }

    /// The account whose password this is, from `address`, in a browser that presents
    /// `device` (its known-device token, if it has one). Refused while the account or the
    /// address has failed too often lately, unless the browser is a known device of the
    /// account, which has its own count (checked before the password is verified; the attempt
    /// counts as failed until it succeeds).
    pub async fn sign_in(
        &self,
        username: &str,
        password: String,
        address: &str,
        device: Option<&str>,
    ) -> Result<Admitted, AppError> {
        let username = username.trim();
        if username.is_empty() || password.is_empty() {
            return Err(AppError::Invalid(
                "Enter your username and password.".into(),
            ));
        }
        // No account has a name like this (nor a password this long): refused before the
        // throttle keeps it or anything hashes it.
        if !rules::could_be_username(username) || password.chars().count() > rules::PASSWORD_MAX {
            return Err(AppError::Invalid("Wrong username or password.".into()));
        }
        let user = store::find(&self.db, username).await?;
        let known = match (&user, device) {
            (Some(user), Some(token)) => devices::find(&self.db, user.id, token).await?,
            _ => None,
        };
        // Counted as a failure from here on, unless it succeeds: parallel guesses cannot all
        // pass before the first one fails.
        let now = Instant::now();
        let attempt = match known {
            Some(device) => self.throttle.begin_known(device, now),
            None => self.throttle.begin(username, address, now),
        }
        .map_err(|wait| AppError::TooManyAttempts(throttle::message(wait)))?;
        let stored = user.as_ref().map(|u| u.password_hash.clone());
        let matches = self.hasher.verify(password, stored).await;
        let Some(user) = user.filter(|_| matches) else {
            metrics::counter!("onair_sign_ins_failed_total").increment(1);
            return Err(AppError::Invalid("Wrong username or password.".into()));
        };
        attempt.succeeded();
        let device_cookie = match known {
            Some(_) => None,
            None => self.remember_device(&user).await,
        };
        Ok(Admitted {
            user,
            device_cookie,
        })
    }
}

fn taken(username: &str) -> AppError {
    AppError::Invalid(format!("The username {username} is taken; choose another."))
}

/// An account as others may know it.
#[derive(Clone, Debug, PartialEq)]
pub struct Named {
    pub id: i64,
    /// As its owner spelled it.
    pub username: String,
    pub operator: bool,
}
