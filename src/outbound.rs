//! Where this server may connect on a user's behalf (webhooks, restream destinations): hosts
//! on the public internet only, never loopback, private networks, link-local (cloud metadata
//! included), carrier-grade NAT, multicast, documentation or other reserved ranges, unless an
//! operator allows private ones for that use. A name is checked by every address it resolves
//! to; an HTTP client checks again at every connection through [`PublicOnly`], so a name that
//! later resolves inside (DNS rebinding) cannot reach there.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

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

/// Why a host may not be connected to.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// The name resolves to nothing.
    Unknown,
    /// It is, or resolves to, an address off the public internet.
    Private,
}

/// Whether `host` (a URL's, with the `port` to be used) is on the public internet.
pub async fn ensure_public(host: url::Host<&str>, port: u16) -> Result<(), Refused> {
    let addresses: Vec<IpAddr> = match host {
        url::Host::Ipv4(ip) => vec![IpAddr::V4(ip)],
        url::Host::Ipv6(ip) => vec![IpAddr::V6(ip)],
        url::Host::Domain(name) => tokio::net::lookup_host((name, port))
            .await
            .map_err(|_| Refused::Unknown)?
            .map(|addr| addr.ip())
            .collect(),
    };
    if addresses.is_empty() {
        return Err(Refused::Unknown);
    }
    if addresses.iter().any(|ip| !is_public(*ip)) {
        return Err(Refused::Private);
    }
    Ok(())
}

/// An HTTP client's resolver that finds a name's public addresses only; none is an error.
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
    async fn a_host_is_checked_by_every_address_it_has() {
        assert_eq!(
            ensure_public(url::Host::Domain("localhost"), 80).await,
            Err(Refused::Private)
        );
        assert_eq!(
            ensure_public(url::Host::Ipv4("10.0.0.1".parse().unwrap()), 80).await,
            Err(Refused::Private)
        );
        assert_eq!(
            ensure_public(url::Host::Ipv4("93.184.216.34".parse().unwrap()), 80).await,
            Ok(())
        );
        assert_eq!(
            ensure_public(url::Host::Domain("no-such-host.invalid"), 80).await,
            Err(Refused::Unknown)
        );
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
