//! Where a webhook may send: an `http` or `https` address without credentials in it, whose
//! host is not, and never resolves to, an address off the public internet (loopback, private
//! networks, link-local, carrier-grade NAT, multicast, documentation and other reserved
//! ranges), unless `allow_private` (a receiver on this machine or the home network, the tests).
//! Checked when a hook is added, for a clear message, and again at every connection through
//! the HTTP client's resolver ([`PublicOnly`]), so a name that later resolves elsewhere (DNS
//! rebinding) cannot reach inside.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The longest address a hook may have.
pub const URL_MAX: usize = 2000;

/// Whether `ip` is on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => public_v4(v4),
            None => public_v6(v6),
        },
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || a >= 240
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19)))
}

fn public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || first == 0x2001 && ip.segments()[1] == 0x0db8
        || (first == 0x0064 && ip.segments()[1] == 0xff9b)
        || first == 0x0100)
}

/// `text` as a hook's address, or what is wrong with it. A name is resolved now (`resolve`)
/// so a private one is refused at once.
pub async fn check_url(text: &str, allow_private: bool) -> Result<url::Url, String> {
    let text = text.trim();
    if text.len() > URL_MAX {
        return Err(format!(
            "A webhook address has at most {URL_MAX} characters."
        ));
    }
    let url = url::Url::parse(text).map_err(|_| {
        "Give the full address, such as https://example.org/hooks/onair.".to_string()
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("A webhook address starts with https:// (or http://).".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "Leave credentials out of the address: the signature header proves the request is ours."
                .into(),
        );
    }
    let Some(host) = url.host() else {
        return Err("The address has no host.".into());
    };
    if allow_private {
        return Ok(url);
    }
    let port = url.port_or_known_default().unwrap_or(443);
    let addresses: Vec<IpAddr> = match host {
        url::Host::Ipv4(ip) => vec![IpAddr::V4(ip)],
        url::Host::Ipv6(ip) => vec![IpAddr::V6(ip)],
        url::Host::Domain(name) => tokio::net::lookup_host((name, port))
            .await
            .map_err(|_| format!("The host {name} cannot be found."))?
            .map(|addr| addr.ip())
            .collect(),
    };
    if addresses.is_empty() || addresses.iter().any(|ip| !is_public(*ip)) {
        return Err(
            "That address is on this machine or a private network, which webhooks may not \
             reach (the server's operator can allow it: [webhooks] allow_private)."
                .into(),
        );
    }
    Ok(url)
}

/// The HTTP client's resolver for webhooks: a name's public addresses only; none is an error.
pub struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|addr| is_public(addr.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!("{host} has no public address").into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "2001:db8::1",
            "64:ff9b::a00:1",
            "::",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[tokio::test]
    async fn an_address_is_checked_with_a_message_saying_what_to_change() {
        let refused = |url: &'static str| async move { check_url(url, false).await.unwrap_err() };
        assert!(
            refused("http://127.0.0.1:9/hook")
                .await
                .contains("private network")
        );
        assert!(
            refused("http://[::1]/hook")
                .await
                .contains("private network")
        );
        assert!(
            refused("http://localhost/hook")
                .await
                .contains("private network")
        );
        assert!(
            refused("http://10.0.0.1/hook")
                .await
                .contains("private network")
        );
        assert!(refused("ftp://example.org/").await.contains("https://"));
        assert!(
            refused("https://user:pw@example.org/")
                .await
                .contains("credentials")
        );
        assert!(refused("example.org/hook").await.contains("full address"));
        let long = format!("https://example.org/{}", "a".repeat(URL_MAX));
        assert!(
            check_url(&long, true)
                .await
                .unwrap_err()
                .contains("at most")
        );
        assert!(
            check_url("http://127.0.0.1:9/hook", true).await.is_ok(),
            "when allowed"
        );
        assert!(check_url("https://93.184.216.34/hook", false).await.is_ok());
    }

    #[tokio::test]
    async fn the_clients_resolver_finds_no_address_for_a_name_on_this_machine() {
        use reqwest::dns::Resolve;
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        let refused = PublicOnly.resolve(name).await.err().expect("refused");
        assert!(
            refused.to_string().contains("no public address"),
            "{refused}"
        );
    }
}
