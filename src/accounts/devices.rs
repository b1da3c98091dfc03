//! Known devices: browsers an account has signed in (or signed up) from, each remembered by a
//! random token in an HttpOnly cookie that only the sign-in endpoint receives. The throttle
//! lets a known device sign in while the account is held up for everyone else. The table keeps
//! a SHA-256 of each token, so a copy of the database does not hold working tokens.

use crate::clock::now_ms;
use crate::db::Db;
use crate::secrets::{random_hex, sha256_hex};

/// The cookie's name, and where the browser sends it.
pub const COOKIE: &str = "onair_device";
pub const COOKIE_PATH: &str = "/api/sign_in";
/// How long a browser stays known (a year), and how many an account keeps (the newest).
const LIFETIME_SECS: u64 = 365 * 24 * 3600;
const KEPT_PER_ACCOUNT: i64 = 20;
const TOKEN_BYTES: usize = 32;

/// The known device (its row id) of account `user_id` that `token` names, if it is one.
pub async fn find(db: &Db, user_id: i64, token: &str) -> Result<Option<i64>, sqlx::Error> {
    if token.len() != TOKEN_BYTES * 2 {
        return Ok(None);
    }
    let oldest = now_ms().saturating_sub(LIFETIME_SECS * 1000) as i64;
    sqlx::query_scalar(
        "SELECT id FROM known_devices WHERE user_id = $1 AND token_hash = $2 AND created_ms > $3",
    )
    .bind(user_id)
    .bind(sha256_hex(token))
    .bind(oldest)
    .fetch_optional(db)
    .await
}

/// Remembers a new device for `user_id`: its token, for the cookie. The account's oldest
/// devices past the newest `KEPT_PER_ACCOUNT` are forgotten.
pub async fn remember(db: &Db, user_id: i64) -> Result<String, sqlx::Error> {
    let token = random_hex(TOKEN_BYTES).map_err(|err| sqlx::Error::Protocol(err.to_string()))?;
    sqlx::query("INSERT INTO known_devices (user_id, token_hash, created_ms) VALUES ($1, $2, $3)")
        .bind(user_id)
        .bind(sha256_hex(&token))
        .bind(now_ms() as i64)
        .execute(db)
        .await?;
    sqlx::query(
        "DELETE FROM known_devices WHERE user_id = $1 AND id NOT IN \
         (SELECT id FROM known_devices WHERE user_id = $2 ORDER BY created_ms DESC, id DESC LIMIT $3)",
    )
    .bind(user_id)
    .bind(user_id)
    .bind(KEPT_PER_ACCOUNT)
    .execute(db)
    .await?;
    Ok(token)
}

/// The Set-Cookie value that makes this browser a known device.
pub fn cookie(token: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={token}; Path={COOKIE_PATH}; Max-Age={LIFETIME_SECS}; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The device token a request's Cookie header carries, if any.
pub fn from_cookie_header(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_remembered_device_is_found_for_its_account_only() {
        for test_db in crate::db::testing::each().await {
            let db = test_db.db().clone();
            let ana = crate::accounts::store::create(&db, "ana", "hash")
                .await
                .unwrap();
            let bob = crate::accounts::store::create(&db, "bob", "hash")
                .await
                .unwrap();
            let token = remember(&db, ana.id).await.unwrap();
            assert!(find(&db, ana.id, &token).await.unwrap().is_some());
            assert!(find(&db, bob.id, &token).await.unwrap().is_none());
            assert!(find(&db, ana.id, &"0".repeat(64)).await.unwrap().is_none());
            assert!(find(&db, ana.id, "short").await.unwrap().is_none());
            // The account keeps its newest devices only.
            for _ in 0..KEPT_PER_ACCOUNT {
                remember(&db, ana.id).await.unwrap();
            }
            assert!(find(&db, ana.id, &token).await.unwrap().is_none());
        }
    }

    #[test]
    fn the_token_is_read_from_the_cookie_header() {
        let header = format!("onair_session=abc; {COOKIE}=f00d; other=1");
        assert_eq!(from_cookie_header(&header), Some("f00d"));
        assert_eq!(from_cookie_header("onair_session=abc"), None);
        assert!(cookie("f00d", true).ends_with("SameSite=Strict; Secure"));
    }
}
