//! Headers every response carries so browsers treat it safely: no content-type sniffing, no
//! framing by other sites (clickjacking on the studio's buttons) except of the embeds made for
//! it (`sharing::framable`), and no full address sent to other sites in `Referer`. Pages carry their own fuller policy with a script nonce (set
//! while rendering, `app::shell`); this one only fills in where none was set. A site served
//! over HTTPS (`secure_cookies`) also tells browsers to use nothing else for a year. The site's
//! own assets (`/pkg/…`) are kept by browsers for a year when their names carry their content's
//! hash, and revalidated on each use when they do not.

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Request, header};
use axum::middleware::Next;
use axum::response::Response;

const SAFETY: [(HeaderName, &str); 4] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "same-origin"),
];

/// What an embed carries instead of the policy against framing: any site may frame it.
const FRAMABLE_POLICY: &str = "frame-ancestors *";

pub async fn add_safety_headers(request: Request<Body>, next: Next) -> Response {
    let framable = crate::sharing::framable(request.uri().path());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in SAFETY {
        let value = if !framable {
            value
        } else if name == header::X_FRAME_OPTIONS {
            continue;
        } else if name == header::CONTENT_SECURITY_POLICY {
            FRAMABLE_POLICY
        } else {
            value
        };
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

/// Cache lifetimes for the WebAssembly, script and style under `/pkg/`: a year and immutable
/// when `hashed` (a new build has new names), else revalidate every time.
pub async fn cache_assets(hashed: bool, request: Request<Body>, next: Next) -> Response {
    let asset = request.uri().path().starts_with("/pkg/");
    let mut response = next.run(request).await;
    if asset && response.status().is_success() {
        let policy = if hashed {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    response
}
