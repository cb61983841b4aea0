//! Which network addresses Chorus may reach when it fetches a page for an editor: the public
//! internet only, checked for IP-literal hosts before connecting and for names after DNS
//! resolution, so that neither a link nor a redirect nor a DNS answer can point the server at
//! itself, its private network or a cloud metadata service.

use std::error::Error as StdError;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

use super::PreviewError;

/// The set of addresses a [`PreviewFetcher`](super::PreviewFetcher) may connect to.
///
/// Production code uses [`AddressGuard::public_only`] (also the `Default`). The two
/// `_for_tests` constructors exist so that tests can talk to servers on 127.0.0.1.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AddressGuard {
    scope: Scope,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Scope {
    /// Only addresses for which [`is_public_address`] holds.
    #[default]
    PublicOnly,
    /// Any address at all: tests against local servers.
    Anything,
    /// Public addresses plus `127.0.0.1` on this one port, and only when written as an IP literal.
    PublicAndLoopbackPort(u16),
}

impl AddressGuard {
    /// Public internet addresses only: the guard for production.
    pub const fn public_only() -> Self {
        Self {
            scope: Scope::PublicOnly,
        }
    }

    /// Every address, private and loopback included. Never use outside tests.
    pub const fn allow_private_for_tests() -> Self {
        Self {
            scope: Scope::Anything,
        }
    }

    /// Like [`AddressGuard::public_only`], but also `http://127.0.0.1:{port}/` (the IP literal;
    /// names are still refused when they resolve to loopback). Lets a test start at a local
    /// server and show that a redirect to any other internal address is refused.
    pub const fn allow_loopback_port_for_tests(port: u16) -> Self {
        Self {
            scope: Scope::PublicAndLoopbackPort(port),
        }
    }

    /// Whether a connection to `ip` on `port` is permitted.
    pub fn permits(self, ip: IpAddr, port: u16) -> bool {
        match self.scope {
            Scope::Anything => true,
            Scope::PublicOnly => is_public_address(ip),
            Scope::PublicAndLoopbackPort(allowed) => {
                is_public_address(ip)
                    || (ip.to_canonical() == IpAddr::V4(Ipv4Addr::LOCALHOST) && port == allowed)
            }
        }
    }

    /// Whether a DNS answer may be used. The resolver does not know the port, so the loopback
    /// exception of the test guard does not apply to names.
    fn permits_resolved(self, ip: IpAddr) -> bool {
        match self.scope {
            Scope::Anything => true,
            Scope::PublicOnly | Scope::PublicAndLoopbackPort(_) => is_public_address(ip),
        }
    }

    /// Checks one hop before any connection is made: the scheme, and the address when the host
    /// is an IP literal (reqwest does not call the resolver for those). Names are checked by
    /// [`GuardedResolver`] once resolved.
    ///
    /// # Errors
    /// [`PreviewError::NotHttp`], [`PreviewError::InvalidUrl`] or
    /// [`PreviewError::ForbiddenAddress`].
    pub fn check_url(self, url: &Url) -> Result<(), PreviewError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(PreviewError::NotHttp);
        }
        let port = url.port_or_known_default().unwrap_or(0);
        let ip = match url.host() {
            None => return Err(PreviewError::InvalidUrl),
            Some(Host::Domain(_)) => return Ok(()),
            Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
        };
        if self.permits(ip, port) {
            Ok(())
        } else {
            Err(PreviewError::ForbiddenAddress {
                host: url.host_str().unwrap_or_default().to_owned(),
            })
        }
    }
}

/// Whether `ip` is an ordinary address on the public internet.
///
/// Refused: unspecified and "this network" (0.0.0.0/8, ::), loopback (127.0.0.0/8, ::1),
/// private (10/8, 172.16/12, 192.168/16, fc00::/7), carrier-grade NAT (100.64/10), link-local
/// (169.254/16 with the 169.254.169.254 metadata service, fe80::/10), site-local (fec0::/10),
/// IETF protocol assignments (192.0.0/24, 2001::/23), documentation (192.0.2/24, 198.51.100/24,
/// 203.0.113/24, 2001:db8::/32, 3fff::/20), benchmarking (198.18/15), the 6to4 relay
/// (192.88.99/24), multicast, reserved and broadcast (224/3), discard-only (100::/64), every IPv6
/// address outside global unicast 2000::/3, and IPv6 forms that embed an IPv4 address (mapped
/// `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) whenever the
/// embedded address is refused.
pub fn is_public_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_public_v4(ip),
        IpAddr::V6(ip) => is_public_v6(ip),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let refused = a == 0
        || a == 10
        || (a == 100 && (b & 0xc0) == 64)
        || a == 127
        || (a == 169 && b == 254)
        || (a == 172 && (b & 0xf0) == 16)
        || (a == 192 && b == 0 && (c == 0 || c == 2))
        || (a == 192 && b == 88 && c == 99)
        || (a == 192 && b == 168)
        || (a == 198 && (b & 0xfe) == 18)
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
        || a >= 224;
    !refused
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    let embedded = |high: u16, low: u16| Ipv4Addr::from((u32::from(high) << 16) | u32::from(low));
    // 64:ff9b::/96 is NAT64: the packet really goes to the embedded IPv4 address.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(embedded(s[6], s[7]));
    }
    // Only 2000::/3 is global unicast; this also refuses ::/96 (::, ::1, IPv4-compatible),
    // 100::/64, fc00::/7, fe80::/10, fec0::/10, ff00::/8 and 64:ff9b:1::/48.
    if s[0] & 0xe000 != 0x2000 {
        return false;
    }
    match s[0] {
        0x2001 => s[1] >= 0x0200 && s[1] != 0x0db8,
        0x2002 => is_public_v4(embedded(s[1], s[2])),
        0x3fff => s[1] >= 0x1000,
        _ => true,
    }
}

/// A `reqwest` DNS resolver that refuses a name as a whole when any of its addresses is
/// forbidden, so a name that resolves (or is rebound) to an internal address cannot be reached.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    guard: AddressGuard,
}

impl GuardedResolver {
    /// A resolver that lets through only what `guard` permits.
    pub const fn new(guard: AddressGuard) -> Self {
        Self { guard }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.guard;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addresses.is_empty() {
                return Err(io::Error::other(format!("{host} has no address")).into());
            }
            if addresses.iter().any(|a| !guard.permits_resolved(a.ip())) {
                return Err(
                    Box::new(ForbiddenResolution { host }) as Box<dyn StdError + Send + Sync>
                );
            }
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

/// The resolver's refusal, found again in the error chain of the failed request.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves to an address outside the public internet")]
pub struct ForbiddenResolution {
    /// The name that was refused.
    pub host: String,
}

/// Finds a [`ForbiddenResolution`] anywhere in the cause chain of a request error.
pub fn forbidden_resolution<'e>(
    error: &'e (dyn StdError + 'static),
) -> Option<&'e ForbiddenResolution> {
    let mut cause = Some(error);
    while let Some(current) = cause {
        if let Some(found) = current.downcast_ref::<ForbiddenResolution>() {
            return Some(found);
        }
        // `io::Error::source` skips the error it wraps, so look inside it explicitly.
        if let Some(found) = current
            .downcast_ref::<io::Error>()
            .and_then(io::Error::get_ref)
            .and_then(|inner| inner.downcast_ref::<ForbiddenResolution>())
        {
            return Some(found);
        }
        cause = current.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(address: &str) -> bool {
        is_public_address(address.parse().unwrap())
    }

    #[test]
    fn ordinary_public_addresses_are_allowed() {
        for address in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.0.1.1",
            "192.169.0.1",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "2606:4700:4700::1111",
            "2a00:1450:4007:80e::200e",
            "2001:4860:4860::8888",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(public(address), "{address} should be public");
        }
    }

    #[test]
    fn internal_ipv4_ranges_are_refused() {
        for address in [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "10.255.255.255",
            "100.64.0.1",
            "100.127.255.255",
            "127.0.0.1",
            "127.255.255.254",
            "169.254.0.1",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert!(!public(address), "{address} should be refused");
        }
    }

    #[test]
    fn internal_ipv6_ranges_are_refused() {
        for address in [
            "::",
            "::1",
            "::127.0.0.1",
            "100::1",
            "fc00::1",
            "fd12:3456:789a::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "ff05::1:3",
            "2001::1",
            "2001:db8::1",
            "3fff::1",
            "64:ff9b:1::1",
        ] {
            assert!(!public(address), "{address} should be refused");
        }
    }

    #[test]
    fn ipv6_forms_of_internal_ipv4_addresses_are_refused() {
        for address in [
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:192.168.0.1",
            "::ffff:100.64.0.1",
            "::ffff:0.0.0.0",
            "::ffff:255.255.255.255",
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::1",
            "2002:c0a8:101::1",
        ] {
            assert!(!public(address), "{address} should be refused");
        }
    }

    #[test]
    fn test_guard_allows_only_its_loopback_port() {
        let guard = AddressGuard::allow_loopback_port_for_tests(4000);
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(guard.permits(loopback, 4000));
        assert!(guard.permits("::ffff:127.0.0.1".parse().unwrap(), 4000));
        assert!(!guard.permits(loopback, 4001));
        assert!(!guard.permits("127.0.0.2".parse().unwrap(), 4000));
        assert!(!guard.permits("10.0.0.1".parse().unwrap(), 4000));
        assert!(!guard.permits_resolved(loopback));
        assert!(guard.permits("8.8.8.8".parse().unwrap(), 80));
    }

    #[test]
    fn every_hop_checks_scheme_and_literal_address() {
        let guard = AddressGuard::public_only();
        let check = |url: &str| guard.check_url(&Url::parse(url).unwrap());
        assert_eq!(check("https://example.com/"), Ok(()));
        assert_eq!(check("http://93.184.216.34/"), Ok(()));
        assert_eq!(check("ftp://example.com/"), Err(PreviewError::NotHttp));
        assert_eq!(check("file:///etc/passwd"), Err(PreviewError::NotHttp));
        for (url, host) in [
            ("http://127.0.0.1/", "127.0.0.1"),
            ("http://2130706433/", "127.0.0.1"),
            ("http://0x7f.1/", "127.0.0.1"),
            ("http://0/", "0.0.0.0"),
            ("http://[::1]/", "[::1]"),
            ("http://[::ffff:127.0.0.1]/", "[::ffff:7f00:1]"),
            (
                "http://169.254.169.254/latest/meta-data/",
                "169.254.169.254",
            ),
            ("https://[fd00::1]:8443/", "[fd00::1]"),
        ] {
            assert_eq!(
                check(url),
                Err(PreviewError::ForbiddenAddress {
                    host: host.to_owned()
                }),
                "{url}"
            );
        }
    }

    #[tokio::test]
    async fn resolver_refuses_names_that_resolve_to_loopback() {
        let resolver = GuardedResolver::new(AddressGuard::public_only());
        let error = resolver
            .resolve("localhost".parse().unwrap())
            .await
            .err()
            .unwrap();
        let refusal = forbidden_resolution(error.as_ref()).unwrap();
        assert_eq!(refusal.host, "localhost");

        let permissive = GuardedResolver::new(AddressGuard::allow_private_for_tests());
        let addresses: Vec<SocketAddr> = permissive
            .resolve("localhost".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert!(addresses.iter().all(|a| a.ip().is_loopback()));
    }
}
