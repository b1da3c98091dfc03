//! A token's secret: `onair_` and 192 random bits in hex. Only its SHA-256 is stored: a token
//! is random enough that a fast hash leaves nothing to guess, and a request is looked up by its
//! hash (no comparison of secrets to time). Like a password it is never logged (`Debug` hides
//! it) and shown once.

use std::fmt;

const PREFIX: &str = "onair_";
const SECRET_BYTES: usize = 24;
/// Characters of a token its owner is shown later, to tell tokens apart.
const HINT_CHARS: usize = PREFIX.len() + 4;

pub struct Secret(String);

impl Secret {
    pub fn generate() -> Result<Self, getrandom::Error> {
        let secret = crate::secrets::random_hex(SECRET_BYTES)?;
        Ok(Self(format!("{PREFIX}{secret}")))
    }

    /// The token itself, for its owner's eyes, once.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// Its first characters ("onair_3fa9…").
    pub fn hint(&self) -> String {
        format!("{}…", &self.0[..HINT_CHARS])
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<hidden>)")
    }
}

/// Whether `presented` has a token's shape (checked before any lookup).
pub fn well_formed(presented: &str) -> bool {
    presented.strip_prefix(PREFIX).is_some_and(|hex| {
        hex.len() == SECRET_BYTES * 2 && hex.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// What is stored of a token, and what a presented one is looked up by.
pub fn hash(presented: &str) -> String {
    crate::secrets::sha256_hex(presented)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_random_well_formed_hidden_and_stored_hashed() {
        let one = Secret::generate().unwrap();
        let two = Secret::generate().unwrap();
        assert_ne!(one.reveal(), two.reveal());
        assert!(well_formed(one.reveal()));
        assert!(!well_formed(&one.reveal()[1..]));
        assert!(!well_formed("onair_zz"));
        assert!(!well_formed(&format!("{}0", one.reveal())));
        assert!(!format!("{one:?}").contains(&one.reveal()[PREFIX.len()..]));
        assert_eq!(hash(one.reveal()), hash(one.reveal()));
        assert_ne!(hash(one.reveal()), hash(two.reveal()));
        assert_eq!(hash(one.reveal()).len(), 64);
        assert!(one.hint().starts_with("onair_") && one.hint().ends_with('…'));
        assert!(!hash(one.reveal()).contains(&one.reveal()[PREFIX.len()..]));
    }
}
