//! Cross-site requests are refused: a request that can change something (any method but GET,
//! HEAD, OPTIONS) whose `Origin` names another site, or that a browser marks
//! `Sec-Fetch-Site: cross-site`, answers 403 before any handler runs. Requests without either
//! header come from programs, not from a page a signed-in user was lured to, and pass.
//! Only the host and port are compared, so a TLS-terminating proxy in front changes nothing.

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

pub async fn refuse_cross_site(request: Request<Body>, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || same_site(request.headers()) {
        return next.run(request).await;
    }
    let refusal = AppError::Forbidden("Requests from other sites are refused.".into());
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_string(&refusal).unwrap_or_default(),
    )
        .into_response()
}

/// Whether the request comes from a page of this site (or from no page at all).
pub fn same_site(headers: &HeaderMap) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    match text(header::ORIGIN.as_str()) {
        Some(origin) => {
            let authority = origin.split_once("://").map(|(_, rest)| rest);
            authority.is_some() && authority == text(header::HOST.as_str())
        }
        None => text("sec-fetch-site") != Some("cross-site"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (header::HeaderName::from_static(k), v.parse().unwrap()))
            .collect()
    }

    #[test]
    fn only_this_site_or_no_page_at_all_may_change_things() {
        let host = ("host", "onair.example:8080");
        assert!(same_site(&headers(&[
            host,
            ("origin", "https://onair.example:8080")
        ])));
        assert!(same_site(&headers(&[host])), "a program, not a page");
        assert!(same_site(&headers(&[
            host,
            ("sec-fetch-site", "same-origin")
        ])));
        for foreign in [
            "https://evil.example",
            "https://onair.example",
            "https://onair.example:8080.evil.example",
            "null",
            "onair.example:8080",
        ] {
            let pairs = [host, ("origin", foreign)];
            assert!(!same_site(&headers(&pairs)), "{foreign}");
        }
        assert!(!same_site(&headers(&[
            host,
            ("sec-fetch-site", "cross-site")
        ])));
        assert!(
            !same_site(&headers(&[("origin", "https://onair.example:8080")])),
            "no Host"
        );
    }
}
