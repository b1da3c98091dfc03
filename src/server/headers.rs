//! Headers every response carries so browsers treat it safely: no content-type sniffing, no
//! framing by other sites (clickjacking on the studio's buttons), and no full address sent to
//! other sites in `Referer`. Pages carry their own fuller policy with a script nonce (set
//! while rendering, `app::shell`); this one only fills in where none was set. A site served
//! over HTTPS (`secure_cookies`) also tells browsers to use nothing else for a year.

use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;

const SAFETY: [(HeaderName, &str); 4] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "same-origin"),
];

pub async fn add_safety_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in SAFETY {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    response
}

/// For a site served over HTTPS only: browsers refuse plain HTTP to it for a year (HSTS).
pub async fn add_https_only(mut response: Response) -> Response {
    response
        .headers_mut()
        .entry(header::STRICT_TRANSPORT_SECURITY)
        .or_insert(HeaderValue::from_static("max-age=31536000"));
    response
}
