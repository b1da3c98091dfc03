//! `Tokens`: a user's API tokens made, listed and revoked; a presented token turned into the
//! user it acts for ([`Bearer`]), within its request rate.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, Quota};

use super::api::{MadeToken, TOKEN_NAME_MAX, TOKENS_PER_USER, TokenSummary};
use super::scope::{self, Scope};
use super::secret::{self, Secret};
use super::store;
use crate::accounts::rules::channel_name;
use crate::accounts::session::SignedIn;
use crate::client_key::client_key;
use crate::clock::now_ms;
use crate::db::Db;
use crate::error::AppError;

/// Requests one token may make: a burst of 30, then one every 500 ms (120 a minute).
const REQUESTS_BURST: u32 = 30;
const REQUEST_EVERY: Duration = Duration::from_millis(500);
/// Requests with a token that is no token, per client: a burst of 10, then one every 6 s.
const REFUSALS_BURST: u32 = 10;
const REFUSAL_EVERY: Duration = Duration::from_secs(6);
/// A token's last use is written at most this often.
const USE_NOTED_EVERY_MS: u64 = 60_000;

#[derive(Clone)]
pub struct Tokens {
    db: Db,
    requests: Arc<DefaultKeyedRateLimiter<i64>>,
    refusals: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

/// The user a request acts for through its token, and what the token grants.
#[derive(Clone, Debug)]
pub struct Bearer {
    pub user: SignedIn,
    pub scopes: Vec<Scope>,
}

impl Bearer {
    /// 403 unless the token grants `scope`.
    pub fn ensure(&self, scope: Scope) -> Result<(), AppError> {
        if self.scopes.contains(&scope) {
            return Ok(());
        }
        Err(AppError::Forbidden(format!(
            "This token does not grant `{}`: make a token with that scope in the studio.",
            scope.name()
        )))
    }
}

fn limiter<K: std::hash::Hash + Eq + Clone>(
    burst: u32,
    every: Duration,
) -> DefaultKeyedRateLimiter<K> {
    let quota = Quota::with_period(every)
        .expect("period is not zero")
        .allow_burst(NonZeroU32::new(burst).expect("burst is not zero"));
    DefaultKeyedRateLimiter::keyed(quota)
}

impl Tokens {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            requests: Arc::new(limiter(REQUESTS_BURST, REQUEST_EVERY)),
            refusals: Arc::new(limiter(REFUSALS_BURST, REFUSAL_EVERY)),
        }
    }

    /// The user's tokens, newest first.
    pub async fn list(&self, user: &SignedIn) -> Result<Vec<TokenSummary>, AppError> {
        Ok(store::list(&self.db, user.user_id)
            .await?
            .into_iter()
            .map(|row| TokenSummary {
                id: row.id,
                name: row.name,
                scopes: scope::split(&row.scopes),
                hint: row.hint,
                created_ms: row.created_ms as u64,
                last_used_ms: row.last_used_ms.map(|ms| ms as u64),
            })
            .collect())
    }

    /// A new token for `user`, named `name`, granting `scopes`.
    pub async fn make(
        &self,
        user: &SignedIn,
        name: &str,
        scopes: &[Scope],
    ) -> Result<MadeToken, AppError> {
        let name = check_name(name).map_err(AppError::Invalid)?;
        if scopes.is_empty() {
            return Err(AppError::Invalid(
                "Choose at least one thing the token may do.".into(),
            ));
        }
        if store::count(&self.db, user.user_id).await? >= TOKENS_PER_USER {
            return Err(AppError::Conflict(format!(
                "You have {TOKENS_PER_USER} tokens, the most one account may hold: revoke one \
                 you no longer use first."
            )));
        }
        let secret = Secret::generate().map_err(|err| {
            tracing::error!(%err, "no randomness for a token");
            AppError::Server("no randomness".into())
        })?;
        let stored = scope::join(scopes);
        let now = now_ms();
        let hint = secret.hint();
        let id = store::insert(
            &self.db,
            user.user_id,
            &name,
            &stored,
            &secret::hash(secret.reveal()),
            &hint,
            now,
        )
        .await?;
        tracing::info!(user = %user.username, token = id, scopes = %stored, "API token made");
        Ok(MadeToken {
            summary: TokenSummary {
                id,
                name,
                scopes: scope::split(&stored),
                hint,
                created_ms: now,
                last_used_ms: None,
            },
            token: secret.reveal().to_string(),
        })
    }

    /// Revokes the user's token `id`.
    pub async fn revoke(&self, user: &SignedIn, id: i64) -> Result<(), AppError> {
        if !store::delete(&self.db, user.user_id, id).await? {
            return Err(AppError::NotFound("You have no such token.".into()));
        }
        tracing::info!(user = %user.username, token = id, "API token revoked");
        Ok(())
    }

    /// The user `presented` acts for (`client`: where the request came from). 401 for what is
    /// not a token of anyone's (revoked, mistyped); 429 when the token, or the client with
    /// tokens that are not, asks too often.
    pub async fn bearer(&self, presented: &str, client: IpAddr) -> Result<Bearer, AppError> {
        let refused = || {
            if self.refusals.check_key(&client_key(client)).is_err() {
                return AppError::TooManyAttempts(
                    "Too many requests with tokens that do not work: wait a minute.".into(),
                );
            }
            if self.refusals.len() > 10_000 {
                self.refusals.retain_recent();
            }
            AppError::Unauthorized(
                "This token does not work: it was revoked or mistyped. Make a new one in the \
                 studio."
                    .into(),
            )
        };
        if !secret::well_formed(presented) {
            return Err(refused());
        }
        let Some(found) = store::find(&self.db, &secret::hash(presented)).await? else {
            return Err(refused());
        };
        if self.requests.check_key(&found.id).is_err() {
            return Err(AppError::TooManyAttempts(format!(
                "Slow down: a token may make {} requests a minute.",
                60_000 / REQUEST_EVERY.as_millis()
            )));
        }
        if self.requests.len() > 10_000 {
            self.requests.retain_recent();
        }
        let now = now_ms();
        let last = found.last_used_ms.unwrap_or(0) as u64;
        if now.saturating_sub(last) >= USE_NOTED_EVERY_MS {
            store::used(&self.db, found.id, now).await?;
        }
        Ok(Bearer {
            user: SignedIn {
                user_id: found.user_id,
                channel: channel_name(&found.username),
                username: found.username,
                generation: 0,
                operator: found.operator,
            },
            scopes: scope::split(&found.scopes),
        })
    }
}

/// A token's name: 1–60 characters of one line.
fn check_name(name: &str) -> Result<String, String> {
    let too_long = || format!("A token's name has at most {TOKEN_NAME_MAX} characters.");
    if name.len() > TOKEN_NAME_MAX * 8 {
        return Err(too_long());
    }
    let name = crate::text::visible(name);
    if name.is_empty() {
        return Err("Name the token after what will use it (\"chat bot\").".into());
    }
    if name.chars().count() > TOKEN_NAME_MAX {
        return Err(too_long());
    }
    if name.chars().any(char::is_control) {
        return Err("A token's name is one line of text.".into());
    }
    Ok(name)
}
