//! Stream keys: `{channel}_{secret}`, the secret 160 random bits in hex. The channel part
//! says whose key it claims to be; the secret is compared in constant time with the one on
//! record. A key is a password: it is never logged (`Debug` hides it) and only its owner is
//! ever shown it.

use std::fmt;

use subtle::ConstantTimeEq;

/// Random bytes in a secret (160 bits).
const SECRET_BYTES: usize = 20;

#[derive(Clone, PartialEq, Eq)]
pub struct StreamKey(String);

impl StreamKey {
    /// A new random key for `channel`.
    pub fn generate(channel: &str) -> Result<Self, getrandom::Error> {
        let secret = crate::secrets::random_hex(SECRET_BYTES)?;
        Ok(Self(format!("{channel}_{secret}")))
    }

    /// A key as stored.
    pub fn from_stored(key: String) -> Self {
        Self(key)
    }

    /// The channel a presented key claims; None when it does not have a key's shape.
    pub fn claimed_channel(presented: &str) -> Option<&str> {
        let (channel, secret) = presented.rsplit_once('_')?;
        let well_formed = secret.len() == SECRET_BYTES * 2
            && secret.bytes().all(|b| b.is_ascii_hexdigit())
            && !channel.is_empty();
        well_formed.then_some(channel)
    }

    /// Whether `presented` is this key, in time independent of where they differ.
    pub fn matches(&self, presented: &str) -> bool {
        self.0.len() == presented.len() && bool::from(self.0.as_bytes().ct_eq(presented.as_bytes()))
    }

    /// The key itself, for its owner's eyes only.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for StreamKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StreamKey(<hidden>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_names_its_channel_and_matches_only_itself() {
        let key = StreamKey::generate("ada_l").unwrap();
        let text = key.reveal().to_string();
        assert_eq!(StreamKey::claimed_channel(&text), Some("ada_l"));
        assert!(key.matches(&text));
        let other = StreamKey::generate("ada_l").unwrap();
        assert_ne!(key, other, "random");
        assert!(!key.matches(other.reveal()));
        assert!(!key.matches(&text[..text.len() - 1]));
        assert_eq!(StreamKey::claimed_channel("ada"), None);
        assert_eq!(StreamKey::claimed_channel("ada_xyz"), None);
        assert!(!format!("{key:?}").contains(&text[4..]));
    }
}
