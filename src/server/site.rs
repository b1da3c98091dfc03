//! Which site a request is for, and whether it comes from it.
//!
//! A request must name one of this site's hosts in `Host` (`[server] public_hosts`, and any
//! IP address or `localhost`, which no other site can make a browser send): otherwise it
//! answers 421 before anything runs. That stops DNS rebinding, where an attacker's own name,
//! resolved to this server, makes the attacker's pages "same-origin" with it.
//!
//! Cross-site requests are refused: a request that can change something (any method but GET,
//! HEAD, OPTIONS) whose `Origin` is not this site's scheme and host, or that a browser marks
//! `Sec-Fetch-Site: cross-site`, answers 403. Requests without either header come from
//! programs, not from a page a signed-in user was lured to, and pass.

use std::net::IpAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRef, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

/// This site: the host names it answers to, and the scheme its pages are served over.
#[derive(Clone, Debug)]
pub struct Site {
    /// Lower-case names, without a port; IP addresses and `localhost` are always this site.
    hosts: Arc<[String]>,
    /// "https" when browsers reach the site over HTTPS (here or through a proxy), else "http".
    scheme: &'static str,
}

impl Site {
    /// `public_hosts`: names separated by commas (a port, if given, is ignored).
    pub fn new(public_hosts: &str, https: bool) -> Self {
        let hosts = public_hosts
            .split(',')
            .map(|name| host_name(name.trim()).to_ascii_lowercase())
            .filter(|name| !name.is_empty())
            .collect();
        Self {
            hosts,
            scheme: if https { "https" } else { "http" },
        }
    }

    /// Whether a `Host` value names this site.
    pub fn answers_to(&self, host: &str) -> bool {
        let name = host_name(host).to_ascii_lowercase();
        let name = name.strip_suffix('.').unwrap_or(&name);
        name == "localhost"
            || name
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .is_ok()
            || self.hosts.iter().any(|h| h == name)
    }

    /// This site as a request addressed it (`https://name:port`), for addresses handed to
    /// others (link previews, iframe code); None when the request names no host of this site.
    /// The host is the request's `Host`, or over HTTP/2 its `:authority`.
    pub fn origin(&self, headers: &HeaderMap, uri: &axum::http::Uri) -> Option<String> {
        let host = match headers.get(header::HOST) {
            Some(value) => value.to_str().ok()?,
            None => uri.authority()?.as_str(),
        };
        let plain = host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
        (plain && self.answers_to(host)).then(|| format!("{}://{host}", self.scheme))
    }

    /// Whether the request comes from a page of this site (or from no page at all).
    pub fn same_site(&self, headers: &HeaderMap) -> bool {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        match text(header::ORIGIN.as_str()) {
            Some(origin) => {
                let Some(host) = text(header::HOST.as_str()) else {
                    return false;
                };
                self.answers_to(host) && origin == format!("{}://{host}", self.scheme)
            }
            None => text("sec-fetch-site") != Some("cross-site"),
        }
    }

    /// Why a request from `origin` was refused, in words its operator can act on.
    fn refusal(&self, headers: &HeaderMap) -> String {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let other_scheme = if self.scheme == "https" {
            "http"
        } else {
            "https"
        };
        match (text(header::ORIGIN.as_str()), text(header::HOST.as_str())) {
            (Some(origin), Some(host)) if origin == format!("{other_scheme}://{host}") => format!(
                "This page came over {other_scheme}, but the server expects {}: behind an HTTPS \
                 proxy, set [server] secure_cookies = true.",
                self.scheme
            ),
            _ => "Requests from other sites are refused.".into(),
        }
    }
}

/// The host part of a `Host` value (`name`, `name:port`, `[v6]:port`).
fn host_name(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or_default();
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !name.contains(':') => {
            name
        }
        _ => host,
    }
}

/// A request from a page of this site (or from no page at all); others are refused with 403
/// before the handler runs. For handlers that act on a GET (the publish socket's upgrade).
pub struct FromThisSite;

impl<S: Send + Sync> FromRequestParts<S> for FromThisSite
where
    Site: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let site = Site::from_ref(state);
        if site.same_site(&parts.headers) {
            return Ok(FromThisSite);
        }
        Err(forbidden(&site, &parts.headers))
    }
}

/// 403, as the server functions' own error.
fn forbidden(site: &Site, headers: &HeaderMap) -> Response {
    let refusal = AppError::Forbidden(site.refusal(headers));
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_string(&refusal).unwrap_or_default(),
    )
        .into_response()
}

/// 421 for a request naming a host this site is not.
pub async fn check_host(State(site): State<Site>, request: Request<Body>, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .map(|v| v.to_str().unwrap_or("?"));
    match host {
        Some(host) if !site.answers_to(host) => {
            let shown: String = host.chars().take(100).collect();
            (
                StatusCode::MISDIRECTED_REQUEST,
                format!(
                    "This server does not answer to the host name {shown:?}. Use one of its \
                     addresses, or add the name to [server] public_hosts."
                ),
            )
                .into_response()
        }
        _ => next.run(request).await,
    }
}

pub async fn refuse_cross_site(
    State(site): State<Site>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || site.same_site(request.headers()) {
        return next.run(request).await;
    }
    forbidden(&site, request.headers())
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
    fn the_origin_handed_out_is_the_sites_as_the_request_named_it() {
        let site = Site::new("onair.example", true);
        let uri: axum::http::Uri = "/watch/ana".parse().unwrap();
        let origin = |pairs: &[(&'static str, &'static str)]| site.origin(&headers(pairs), &uri);
        assert_eq!(
            origin(&[("host", "onair.example:8443")]).as_deref(),
            Some("https://onair.example:8443")
        );
        assert_eq!(origin(&[("host", "evil.example")]), None);
        assert_eq!(origin(&[("host", "onair.example\"x")]), None);
        let h2: axum::http::Uri = "https://127.0.0.1:9/watch/ana".parse().unwrap();
        assert_eq!(
            site.origin(&HeaderMap::new(), &h2).as_deref(),
            Some("https://127.0.0.1:9")
        );
    }

    #[test]
    fn only_this_site_or_no_page_at_all_may_change_things() {
        let site = Site::new("onair.example", true);
        let host = ("host", "onair.example:8080");
        assert!(site.same_site(&headers(&[host, ("origin", "https://onair.example:8080")])));
        assert!(site.same_site(&headers(&[host])), "a program, not a page");
        assert!(site.same_site(&headers(&[host, ("sec-fetch-site", "same-origin")])));
        for foreign in [
            "https://evil.example",
            "https://onair.example",
            "https://onair.example:8080.evil.example",
            "http://onair.example:8080",
            "null",
            "onair.example:8080",
        ] {
            let pairs = [host, ("origin", foreign)];
            assert!(!site.same_site(&headers(&pairs)), "{foreign}");
        }
        assert!(!site.same_site(&headers(&[host, ("sec-fetch-site", "cross-site")])));
        assert!(
            !site.same_site(&headers(&[("origin", "https://onair.example:8080")])),
            "no Host"
        );
        // The scheme mix-up of a proxy set up without secure_cookies is explained.
        let plain = Site::new("", false);
        let behind_proxy = headers(&[("host", "10.0.0.5"), ("origin", "https://10.0.0.5")]);
        assert!(!plain.same_site(&behind_proxy));
        assert!(plain.refusal(&behind_proxy).contains("secure_cookies"));
    }

    /// Issue 25, item 10: DNS rebinding. The attacker's name resolves to this server, so its
    /// page's Origin equals its Host; the Host is not this site's, so it is refused.
    #[test]
    fn a_host_name_that_is_not_this_sites_is_refused_even_when_origin_matches_it() {
        let site = Site::new("onair.example, live.example:8443", false);
        for ours in [
            "onair.example",
            "ONAIR.example:3000",
            "live.example",
            "onair.example.",
            "localhost:3000",
            "127.0.0.1:3000",
            "[::1]:3000",
            "192.0.2.10",
        ] {
            assert!(site.answers_to(ours), "{ours}");
        }
        for theirs in [
            "rebind.attacker.example",
            "onair.example.attacker.example",
            "",
        ] {
            assert!(!site.answers_to(theirs), "{theirs}");
        }
        let rebinding = headers(&[
            ("host", "rebind.attacker.example:3000"),
            ("origin", "http://rebind.attacker.example:3000"),
        ]);
        assert!(!site.same_site(&rebinding));
    }
}
