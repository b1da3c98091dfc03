//! Password hashing with argon2id (the argon2 crate's defaults: 19 MiB, 2 passes, 1 lane, a
//! random salt per password), stored as a PHC string. Hashing is deliberately slow and costly, so
//! it runs on the blocking pool, a bounded number at a time (`Hasher`).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

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

/// Runs [`hash`] and [`verify`] on the blocking pool, a bounded number at a time: each takes
/// 19 MiB and a core for a moment, so a burst of sign-ups or guesses waits its turn instead of
/// holding hundreds of hashes in memory at once.
pub struct Hasher {
    permits: Semaphore,
}

impl Hasher {
    /// At most `at_once` hashes at a time.
    pub fn new(at_once: usize) -> Self {
        Self {
            permits: Semaphore::new(at_once.max(1)),
        }
    }

    /// One hash at a time per core.
    pub fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }

    /// [`hash`], in turn.
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        self.run(move || hash(&password)).await?
    }

    /// Whether a new password is guessable ([`super::guessable::check`]), in turn: zxcvbn's
    /// estimate of a long password takes a while, so it runs like a hash, off the async
    /// threads and a bounded number at a time.
    pub async fn check_guessable(
        &self,
        password: String,
        username: String,
    ) -> Result<(), AppError> {
        self.run(move || super::guessable::check(&password, &username))
            .await?
            .map_err(|msg| AppError::Invalid(msg.into()))
    }

    /// [`verify`], in turn. With no stored hash (unknown user) it still does the same work
    /// against a throwaway hash, so timing does not tell which usernames exist.
    pub async fn verify(&self, password: String, stored: Option<String>) -> bool {
        self.run(move || match stored {
            Some(stored) => verify(&password, &stored),
            None => {
                let _ = hash(&password);
                false
            }
        })
        .await
        .unwrap_or(false)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let _turn = self
            .permits
            .acquire()
            .await
            .map_err(|err| AppError::Server(err.to_string()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|err| AppError::Server(err.to_string()))
    }
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_burst_of_hashes_runs_a_few_at_a_time_and_every_one_completes() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};

        let hasher = Arc::new(Hasher::new(2));
        let (running, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let burst: Vec<_> = (0..8)
            .map(|i| {
                let (hasher, running, peak) = (hasher.clone(), running.clone(), peak.clone());
                tokio::spawn(async move {
                    // The same path as `Hasher::hash`, counting how many run at once.
                    hasher
                        .run(move || {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            peak.fetch_max(now, Ordering::SeqCst);
                            let hashed = hash(&format!("password {i}"));
                            running.fetch_sub(1, Ordering::SeqCst);
                            hashed
                        })
                        .await?
                })
            })
            .collect();
        for (i, done) in burst.into_iter().enumerate() {
            let hash = done.await.unwrap().expect("every hash completes");
            assert!(verify(&format!("password {i}"), &hash));
        }
        let peak = peak.load(Ordering::SeqCst);
        assert!(peak <= 2, "ran {peak} at once");
        assert!(peak >= 1);
        let hashed = hasher.hash("password 0".into()).await.unwrap();
        assert!(hasher.verify("password 0".into(), Some(hashed)).await);
        assert!(
            !hasher.verify("password 0".into(), None).await,
            "no stored hash: no match"
        );
    }
}
