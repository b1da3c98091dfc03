//! The server's VAPID key: made at the first start and kept in the database, so every
//! instance of a cluster (one shared database) signs with the same one, and browsers
//! subscribed once stay subscribed across restarts.

use p256::ecdsa::SigningKey;

use crate::db::Db;

/// The key in the database, made now if there is none (the first instance to store one wins).
pub async fn load_or_make(db: &Db) -> Result<SigningKey, String> {
    if let Some(key) = stored(db).await? {
        return Ok(key);
    }
    let mut secret = [0u8; 32];
    let made = loop {
        getrandom::fill(&mut secret).map_err(|err| format!("no randomness for a key: {err}"))?;
        if let Ok(key) = SigningKey::from_slice(&secret) {
            break key;
        }
    };
    sqlx::query("INSERT INTO push_keys (id, secret_hex) VALUES (1, $1) ON CONFLICT DO NOTHING")
        .bind(hex::encode(made.to_bytes()))
        .execute(db)
        .await
        .map_err(|err| format!("the Web Push key could not be stored: {err}"))?;
    stored(db)
        .await?
        .ok_or_else(|| "the Web Push key was not stored".to_string())
}

async fn stored(db: &Db) -> Result<Option<SigningKey>, String> {
    let found: Option<String> = sqlx::query_scalar("SELECT secret_hex FROM push_keys WHERE id = 1")
        .fetch_optional(db)
        .await
        .map_err(|err| format!("the Web Push key could not be read: {err}"))?;
    found
        .map(|secret| {
            hex::decode(secret)
                .ok()
                .and_then(|bytes| SigningKey::from_slice(&bytes).ok())
                .ok_or_else(|| "the stored Web Push key is damaged".to_string())
        })
        .transpose()
}
