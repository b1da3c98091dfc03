//! Password hashing with argon2id (the argon2 crate's defaults: 19 MiB, 2 passes, 1 lane, a
//! random salt per password), stored as a PHC string. Hashing is deliberately slow, so it runs
//! on the blocking pool.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::AppError;

fn argon2id() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// The PHC string for `password` with a fresh salt.
pub fn hash(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2id()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| {
            tracing::error!(%err, "password hashing");
            AppError::Server("could not store the password".into())
        })
}

/// Whether `password` matches the stored PHC string (false for a malformed one).
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|parsed| {
        argon2id()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// [`hash`] on the blocking pool.
pub async fn hash_blocking(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|err| AppError::Server(err.to_string()))?
}

/// [`verify`] on the blocking pool. With no stored hash (unknown user) it still does the same
/// work against a throwaway hash, so timing does not tell which usernames exist.
pub async fn verify_blocking(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || match stored {
        Some(stored) => verify(&password, &stored),
        None => {
            let _ = hash(&password);
            false
        }
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_argon2id_salted_and_verifies_only_its_password() {
        let first = hash("correct horse battery").unwrap();
        let second = hash("correct horse battery").unwrap();
        assert!(first.starts_with("$argon2id$v=19$"), "{first}");
        assert_ne!(first, second, "each hash has its own salt");
        assert!(verify("correct horse battery", &first));
        assert!(verify("correct horse battery", &second));
        assert!(!verify("correct horse batterY", &first));
        assert!(!verify("", &first));
        assert!(!verify("correct horse battery", "not a hash"));
    }
}
