//! Who a trusted proxy forwards for: its `X-Forwarded-For` chain, read from the right. Each
//! proxy appends the address it saw, so the rightmost entries are the trusted proxies' own
//! doing and the first one that is not a trusted proxy is the client; anything further left is
//! whatever the client claimed, never read. An entry that cannot be read where the client
//! should be, or a chain with no client in it, names an unknown client ([`UNKNOWN`]) — never
//! the proxy, whose address would lend every such request the proxy's standing (loopback's, for
//! a proxy on this machine) and one shared count.

use std::net::{IpAddr, SocketAddr};

use crate::client_key::UNKNOWN;

/// The client behind a trusted proxy.
pub fn client(headers: &hyper::HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let mut entries: Vec<&str> = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        let Ok(text) = value.to_str() else {
            return UNKNOWN;
        };
        entries.extend(text.split(','));
    }
    for entry in entries.iter().rev() {
        match parse(entry.trim()) {
            Some(ip) if trusted.contains(&ip) => continue,
            Some(ip) => return ip,
            None => return UNKNOWN,
        }
    }
    UNKNOWN
}

/// An address as proxies write it: bare, with a port, or bracketed IPv6 with a port.
fn parse(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> hyper::HeaderMap {
        let mut headers = hyper::HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn the_client_is_the_first_address_from_the_right_that_is_not_a_trusted_proxy() {
        let trusted: Vec<IpAddr> = vec!["10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap()];
        let client = |values: &[&str]| client(&headers(values), &trusted).to_string();
        // What the client claims comes first; the proxies append what they saw.
        assert_eq!(client(&["6.6.6.6, 203.0.113.7, 10.0.0.2"]), "203.0.113.7");
        assert_eq!(client(&["6.6.6.6", "203.0.113.7"]), "203.0.113.7");
        assert_eq!(client(&["203.0.113.7:4321"]), "203.0.113.7");
        assert_eq!(client(&["[2001:db8::7]:443"]), "2001:db8::7");
        // A made-up entry left of the client is never read.
        assert_eq!(client(&["x, 203.0.113.7"]), "203.0.113.7");
    }

    /// Issue 25, item 9: an unreadable entry where the client should be, or no entry at all,
    /// is an unknown client: not the proxy, and never loopback.
    #[test]
    fn an_unreadable_or_missing_client_is_unknown_never_the_proxy() {
        let trusted: Vec<IpAddr> = vec!["127.0.0.1".parse().unwrap()];
        for values in [
            &["x"][..],
            &["203.0.113.7, x"],
            &[],
            &["127.0.0.1"],
            &["", ""],
        ] {
            let found = client(&headers(values), &trusted);
            assert_eq!(found, UNKNOWN, "{values:?}");
            assert!(!found.is_loopback());
        }
    }
}
