//! Where deliveries may go: never to loopback, private, link-local (cloud metadata services
//! included), shared, multicast or unspecified addresses unless
//! `webhooks.allow_private_networks` is set, so a subscription cannot turn the service into
//! a way into its own network.
//!
//! The check is made on the addresses a host name resolves to when the HTTP client connects
//! ([`CheckedResolver`], reqwest's resolver hook), not when the subscription is made: a name
//! that resolved to a public address then and to an internal one now is refused now. A URL
//! that names an address directly is checked before sending ([`refused_host`]). Redirects
//! are not followed and no proxy is used, so neither can lead elsewhere.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Host;

/// Why an address is refused, if it is.
pub fn refused_address(address: IpAddr) -> Option<&'static str> {
    match address {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => refused_v4(v4),
            None => refused_v6(v6),
        },
    }
}

fn refused_v4(address: Ipv4Addr) -> Option<&'static str> {
    let [first, second, ..] = address.octets();
    if address.is_loopback() {
        Some("a loopback address")
    } else if address.is_private() {
        Some("a private address")
    } else if address.is_link_local() {
        Some("a link-local address (cloud metadata services live there)")
    } else if first == 100 && (64..128).contains(&second) {
        Some("a shared (carrier-grade NAT) address")
    } else if address.is_unspecified() || address.is_broadcast() || address.is_multicast() {
        Some("not a unicast address")
    } else if first == 0 || first >= 240 {
        Some("a reserved address")
    } else {
        None
    }
}

fn refused_v6(address: Ipv6Addr) -> Option<&'static str> {
    let first = address.segments()[0];
    if address.is_loopback() {
        Some("a loopback address")
    } else if address.is_unspecified() || address.is_multicast() {
        Some("not a unicast address")
    } else if first & 0xfe00 == 0xfc00 {
        Some("a private (unique local) address")
    } else if first & 0xffc0 == 0xfe80 {
        Some("a link-local address")
    } else if address.to_ipv4().is_some() {
        // The deprecated IPv4-compatible form (::a.b.c.d).
        Some("an IPv4-compatible address")
    } else {
        None
    }
}

/// Why a URL's host is refused as written, if it is an address that is ([`refused_address`]).
/// A name is checked when connecting.
pub fn refused_host(host: &Host<&str>) -> Option<String> {
    let address = match host {
        Host::Ipv4(v4) => IpAddr::V4(*v4),
        Host::Ipv6(v6) => IpAddr::V6(*v6),
        Host::Domain(name) => {
            return name
                .eq_ignore_ascii_case("localhost")
                .then(|| "`localhost` is a loopback address".to_owned());
        }
    };
    refused_address(address).map(|reason| format!("{address} is {reason}"))
}

/// reqwest's resolver hook: the system's resolution, with refused addresses left out; a name
/// left with none fails to connect, saying why.
#[derive(Debug, Clone, Copy)]
pub struct CheckedResolver;

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refusal = None;
            let allowed: Vec<SocketAddr> = resolved
                .into_iter()
                .filter(|address| match refused_address(address.ip()) {
                    Some(reason) => {
                        refusal = Some(format!("{host} resolves to {}, {reason}", address.ip()));
                        false
                    }
                    None => true,
                })
                .collect();
            if allowed.is_empty() {
                let reason = refusal.unwrap_or_else(|| format!("{host} resolves to no address"));
                return Err(reason.into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_refused_and_public_ones_pass() {
        for refused in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            let address: IpAddr = refused.parse().expect("address");
            assert!(
                refused_address(address).is_some(),
                "{refused} must be refused"
            );
        }
        for allowed in ["93.184.216.34", "1.1.1.1", "2606:4700::1111"] {
            let address: IpAddr = allowed.parse().expect("address");
            assert_eq!(refused_address(address), None, "{allowed}");
        }
    }

    #[test]
    fn a_host_written_as_a_private_address_or_localhost_is_refused_as_written() {
        assert!(refused_host(&Host::Ipv4(Ipv4Addr::LOCALHOST)).is_some());
        assert!(refused_host(&Host::Domain("LocalHost")).is_some());
        assert_eq!(refused_host(&Host::Domain("example.com")), None);
    }
}
