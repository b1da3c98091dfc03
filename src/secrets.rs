//! Random secrets handed to people and programs (stream keys, remembered devices, API tokens,
//! webhook secrets), written in lower-case hex, and the SHA-256 some are stored as, where a
//! presented secret only has to be found again.

use sha2::{Digest, Sha256};

/// `bytes` random bytes from the operating system, in hex.
pub fn random_hex(bytes: usize) -> Result<String, getrandom::Error> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer)?;
    Ok(hex::encode(buffer))
}

/// The SHA-256 of `text`, in hex.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_hex_and_hashes_are_sha256() {
        let one = random_hex(20).unwrap();
        assert_eq!(one.len(), 40);
        assert!(
            one.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_ne!(one, random_hex(20).unwrap());
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
