//! Who is signed in, kept in the server-side session (tower-sessions, stored in the database:
//! SQLite, or PostgreSQL in a cluster; the cookie holds only the session id). Signing in issues a
//! new id; signing out deletes the session from the store. A session in use rolls forward (its 30
//! idle days restart, at most once a day) but never past its lifetime from sign-in (`[accounts]
//! session_lifetime_secs`, 30 days as OWASP ASVS level 1 asks); "sign out everywhere" raises the
//! account's generation, and a session from an older one is ended at its next request.

use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::error::AppError;

const SIGNED_IN: &str = "signed_in";
/// When the session was last renewed (ms since the epoch).
const RENEWED: &str = "renewed_ms";
const RENEW_EVERY_MS: u64 = 24 * 3600 * 1000;
/// When the user signed in (ms since the epoch).
const SIGNED_IN_AT: &str = "signed_in_ms";

/// The signed-in user as the session remembers them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignedIn {
    pub user_id: i64,
    pub username: String,
    pub channel: String,
    /// The account's session generation at sign-in.
    #[serde(default)]
    pub generation: i64,
    /// An operator, as the account stands now (read at every request, not kept in the session).
    #[serde(skip)]
    pub operator: bool,
}

impl From<super::store::User> for SignedIn {
    fn from(user: super::store::User) -> Self {
        Self {
            user_id: user.id,
            channel: user.channel(),
            username: user.username,
            generation: user.session_generation,
            operator: false,
        }
    }
}

impl SignedIn {
    /// A channel is in the charge of its owner and of the operators: they end its broadcast,
    /// delete its clips, set its chat's rules and appoint its chat's moderators.
    pub fn ensure_in_charge(&self, channel: &str) -> Result<(), AppError> {
        if self.operator {
            return Ok(());
        }
        self.ensure_owns(channel).map_err(|_| {
            AppError::Forbidden(format!(
                "Only the owner of the channel {channel} or an operator can do that."
            ))
        })
    }

    /// Only a channel's owner may control it.
    pub fn ensure_owns(&self, channel: &str) -> Result<(), AppError> {
        if self.channel == channel {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "Only the owner of the channel {channel} can control it."
            )))
        }
    }
}

/// The user the session says is signed in, if any, as stored (see [`signed_in`]).
pub async fn current(session: &Session) -> Result<Option<SignedIn>, AppError> {
    Ok(session.get(SIGNED_IN).await?)
}

/// The signed-in user, if the session still holds (else it is ended now); renews the
/// session's lifetime at most once a day.
pub async fn signed_in(
    session: &Session,
    accounts: &super::Accounts,
) -> Result<Option<SignedIn>, AppError> {
    let Some(mut user) = current(session).await? else {
        return Ok(None);
    };
    let now = crate::clock::now_ms();
    // A session from before sign-in times were kept counts from its first use since.
    let signed_in_at = match session.get::<u64>(SIGNED_IN_AT).await? {
        Some(at) => at,
        None => {
            session.insert(SIGNED_IN_AT, now).await?;
            now
        }
    };
    let standing = match accounts.session_outlived(signed_in_at, now) {
        true => None,
        false => accounts.standing(&user).await?,
    };
    let Some(operator) = standing else {
        end(session).await?;
        return Ok(None);
    };
    user.operator = operator;
    let renewed: u64 = session.get(RENEWED).await?.unwrap_or(0);
    if now.saturating_sub(renewed) >= RENEW_EVERY_MS {
        // Modified, so saved with a fresh expiry.
        session.insert(RENEWED, now).await?;
    }
    Ok(Some(user))
}

/// Starts a signed-in session under a new id (so an id known before sign-in is worthless).
pub async fn begin(session: &Session, user: &SignedIn) -> Result<(), AppError> {
    session.cycle_id().await?;
    session.insert(SIGNED_IN, user).await?;
    session.insert(SIGNED_IN_AT, crate::clock::now_ms()).await?;
    Ok(())
}

/// Ends the session: it is deleted from the store, and the browser's cookie is cleared.
pub async fn end(session: &Session) -> Result<(), AppError> {
    session.flush().await?;
    Ok(())
}

/// The request's session, inside a server function.
pub async fn from_request() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(|err| AppError::Server(format!("no session: {err}")))
}

/// The signed-in user of this server-function call, if there is one.
pub async fn maybe_user() -> Result<Option<SignedIn>, AppError> {
    let accounts = crate::error::state::<super::Accounts>()?;
    signed_in(&from_request().await?, &accounts).await
}

/// The signed-in user of this server-function call, or [`AppError::SignInRequired`].
pub async fn require_user() -> Result<SignedIn, AppError> {
    let accounts = crate::error::state::<super::Accounts>()?;
    signed_in(&from_request().await?, &accounts)
        .await?
        .ok_or(AppError::SignInRequired)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tower_sessions::SessionStore;

    use super::*;

    fn ana() -> SignedIn {
        SignedIn {
            user_id: 1,
            username: "Ana".into(),
            channel: "ana".into(),
            generation: 0,
            operator: false,
        }
    }

    #[test]
    fn only_the_owner_controls_a_channel() {
        assert_eq!(ana().ensure_owns("ana"), Ok(()));
        for other in ["bob", "demo", "Ana", "ana ", ""] {
            assert!(
                matches!(ana().ensure_owns(other), Err(AppError::Forbidden(_))),
                "{other:?}"
            );
        }
    }

    #[tokio::test]
    async fn sign_in_issues_a_new_id_and_sign_out_deletes_the_session() {
        for test_db in crate::db::testing::each().await {
            let store = Arc::new(test_db.opened.sessions.clone());

            // A visitor's session exists before sign-in (someone could know its id).
            let visitor = Session::new(None, store.clone(), None);
            visitor.insert("seen", true).await.unwrap();
            visitor.save().await.unwrap();
            let before = visitor.id().expect("saved session has an id");
            assert_eq!(current(&visitor).await.unwrap(), None);

            begin(&visitor, &ana()).await.unwrap();
            visitor.save().await.unwrap();
            let after = visitor.id().expect("still has an id");
            assert_ne!(before, after, "sign-in must issue a new session id");
            assert!(
                store.load(&before).await.unwrap().is_none(),
                "the old id no longer works"
            );

            // A later request with the new id is signed in, from the store.
            let later = Session::new(Some(after), store.clone(), None);
            assert_eq!(current(&later).await.unwrap(), Some(ana()));

            end(&later).await.unwrap();
            assert!(
                store.load(&after).await.unwrap().is_none(),
                "sign-out deletes the session server-side"
            );
            let replayed = Session::new(Some(after), store.clone(), None);
            assert_eq!(current(&replayed).await.unwrap(), None);
        }
    }
}
