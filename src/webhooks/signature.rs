//! How a receiver knows a webhook request is ours: `X-OnAir-Signature: t=<unix seconds>,v1=<hex>`,
//! the HMAC-SHA256 of `"{t}.{body}"` under the hook's secret. The time in it lets a receiver
//! refuse an old request replayed (docs/api.md shows how to check it).

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const HEADER: &str = "x-onair-signature";

type HmacSha256 = Hmac<Sha256>;

/// The header's value for `body` sent at `unix_secs`.
pub fn sign(secret: &str, unix_secs: u64, body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(unix_secs.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!(
        "t={unix_secs},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_covers_time_and_body_under_the_secret() {
        let one = sign("whsec_a", 1_700_000_000, b"{}");
        assert!(one.starts_with("t=1700000000,v1="));
        assert_eq!(one.len(), "t=1700000000,v1=".len() + 64);
        assert_eq!(one, sign("whsec_a", 1_700_000_000, b"{}"));
        assert_ne!(one, sign("whsec_b", 1_700_000_000, b"{}"));
        assert_ne!(one, sign("whsec_a", 1_700_000_001, b"{}"));
        assert_ne!(one, sign("whsec_a", 1_700_000_000, b"{ }"));
        // RFC 4231 test case 2, as a check that this is HMAC-SHA256 itself.
        let mut mac = HmacSha256::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
