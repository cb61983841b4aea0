//! The address a request comes from, for sign-in throttling. Behind a reverse proxy every
//! request arrives from the proxy, so 30 failures from anyone would block everyone: when the
//! peer is one of the `trusted_proxies` (`CHORUS_TRUSTED_PROXIES`), the client is read from
//! `X-Forwarded-For`, right to left, skipping the trusted hops. A peer that is not trusted is
//! the client, whatever headers it sends (they are trivially forged).

use std::net::IpAddr;

use axum::http::HeaderMap;

/// One trusted proxy: an address, or a network in CIDR form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Network {
    base: IpAddr,
    prefix: u8,
}

impl Network {
    fn parse(text: &str) -> Option<Network> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let base: IpAddr = address.trim().parse().ok()?;
        let max = if base.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.trim().parse().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(Network { base, prefix })
    }

    fn contains(self, address: IpAddr) -> bool {
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
            v4 @ IpAddr::V4(_) => v4,
        };
        match (self.base, address) {
            (IpAddr::V4(base), IpAddr::V4(address)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(base) & mask == u32::from(address) & mask
            }
            (IpAddr::V6(base), IpAddr::V6(address)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(base) & mask == u128::from(address) & mask
            }
            _ => false,
        }
    }
}

/// The reverse proxies whose `X-Forwarded-For` Chorus believes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Network>);

impl TrustedProxies {
    /// Parses a comma-separated list of addresses and CIDR networks
    /// (`10.0.0.5, 192.168.0.0/16, ::1`); empty trusts none.
    ///
    /// # Errors
    /// The first entry that is neither.
    pub fn parse(text: &str) -> Result<TrustedProxies, String> {
        text.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| Network::parse(entry).ok_or_else(|| entry.to_owned()))
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(address))
    }

    /// The client's address: `peer`, unless `peer` is a trusted proxy, in which case the
    /// right-most address of `X-Forwarded-For` that is not itself a trusted proxy.
    #[must_use]
    pub fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let hops: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map_while(|hop| hop.trim().parse().ok())
            .collect();
        hops.iter()
            .rev()
            .copied()
            .find(|hop| !self.trusts(*hop))
            .or_else(|| hops.first().copied())
            .unwrap_or(peer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(forwarded: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", forwarded.parse().unwrap());
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn only_a_trusted_proxy_is_believed_and_its_own_hops_are_skipped() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, ::1").unwrap();
        let forwarded = headers("203.0.113.7, 198.51.100.2, 10.1.2.3");
        assert_eq!(
            proxies.client_address(ip("10.0.0.5"), &forwarded),
            ip("198.51.100.2"),
            "the right-most hop the proxies did not add"
        );
        assert_eq!(
            proxies.client_address(ip("203.0.113.9"), &forwarded),
            ip("203.0.113.9"),
            "a peer that is not a proxy is the client, whatever it claims"
        );
        assert_eq!(
            proxies.client_address(ip("::ffff:10.0.0.5"), &headers("192.0.2.1")),
            ip("192.0.2.1"),
            "IPv4-mapped peers match IPv4 networks"
        );
        assert_eq!(
            proxies.client_address(ip("::1"), &HeaderMap::new()),
            ip("::1"),
            "no header: the peer"
        );
        assert_eq!(
            TrustedProxies::default().client_address(ip("10.0.0.5"), &forwarded),
            ip("10.0.0.5"),
            "nothing trusted by default"
        );
    }

    #[test]
    fn a_bad_entry_is_named() {
        assert_eq!(
            TrustedProxies::parse("10.0.0.1, proxy.local"),
            Err("proxy.local".to_owned())
        );
        assert_eq!(
            TrustedProxies::parse("10.0.0.0/33"),
            Err("10.0.0.0/33".to_owned())
        );
        assert_eq!(TrustedProxies::parse(""), Ok(TrustedProxies::default()));
    }
}
