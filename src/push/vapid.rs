//! VAPID (RFC 8292): the `Authorization` header that tells a push service which server sends
//! a message: a JWT (ES256) for the endpoint's origin, valid 12 hours, naming the operator's
//! contact, and the server's public key.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};

/// How long a signature holds (push services take at most 24 hours).
pub const VALID_SECS: u64 = 12 * 3600;

/// The `Authorization` header for a message to `endpoint`, signed with `key` at `now_secs`.
pub fn authorization(
    key: &SigningKey,
    endpoint: &url::Url,
    contact: &str,
    now_secs: u64,
) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
    let claims = serde_json::json!({
        "aud": endpoint.origin().ascii_serialization(),
        "exp": now_secs + VALID_SECS,
        "sub": contact,
    });
    let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signed = format!("{header}.{claims}");
    let signature: Signature = key.sign(signed.as_bytes());
    format!(
        "vapid t={signed}.{}, k={}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes()),
        public_key(key)
    )
}

/// `key`'s public key as browsers and push services take it: the uncompressed point, base64url.
pub fn public_key(key: &SigningKey) -> String {
    URL_SAFE_NO_PAD.encode(key.verifying_key().to_encoded_point(false).as_bytes())
}
