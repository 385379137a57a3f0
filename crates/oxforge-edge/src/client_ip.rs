//! Who the client is, for rate limiting: the peer address, or — only behind proxies the operator
//! named (`OXFORGE_TRUSTED_PROXIES`) — the right-most address of `X-Forwarded-For` that is not
//! one of them. Addresses are bucketed: IPv4 as is, IPv6 by its /64 (one host usually owns a
//! whole /64, so per-address limits would be trivial to dodge otherwise).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use axum::http::HeaderMap;

/// An address block (`10.0.0.0/8`, `fd00::/8`, or one address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Block {
    network: IpAddr,
    prefix: u8,
}

impl Block {
    fn parse(raw: &str) -> Result<Block, String> {
        let raw = raw.trim();
        let (addr, prefix) = match raw.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (raw, None),
        };
        let network: IpAddr = addr
            .parse()
            .map_err(|_| format!("{raw:?} is not an IP address or CIDR block"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{raw:?}: the prefix length must be 0 to {max}"))?,
        };
        match (network, canonical(network)) {
            // `::ffff:a.b.c.d/n` is the IPv4 block `a.b.c.d/(n - 96)`.
            (IpAddr::V6(_), v4 @ IpAddr::V4(_)) => Ok(Block {
                network: v4,
                prefix: prefix
                    .checked_sub(96)
                    .ok_or_else(|| format!("{raw:?}: an IPv4-mapped block needs a prefix of at least 96"))?,
            }),
            _ => Ok(Block { network, prefix }),
        }
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                same_prefix(u32::from(net).into(), u32::from(ip).into(), self.prefix, 32)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => same_prefix(u128::from(net), u128::from(ip), self.prefix, 128),
            _ => false,
        }
    }
}

fn same_prefix(a: u128, b: u128, prefix: u8, bits: u32) -> bool {
    let host_bits = bits - u32::from(prefix);
    a.checked_shr(host_bits).unwrap_or(0) == b.checked_shr(host_bits).unwrap_or(0)
}

/// An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The proxies whose `X-Forwarded-For` is believed. Empty (the default): the header is ignored.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    blocks: Vec<Block>,
}

impl TrustedProxies {
    /// From a list of addresses and CIDR blocks; each item may itself be comma-separated.
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<TrustedProxies, String> {
        let blocks = items
            .iter()
            .flat_map(|item| item.as_ref().split(','))
            .filter(|s| !s.trim().is_empty())
            .map(Block::parse)
            .collect::<Result<_, _>>()?;
        Ok(TrustedProxies { blocks })
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.blocks.iter().any(|b| b.contains(ip))
    }

    /// The client's address: the peer, unless the peer is a trusted proxy; then, walking
    /// `X-Forwarded-For` from the right, the first address that is not a trusted proxy (an
    /// unreadable entry stops the walk at the last trusted hop).
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = canonical(peer);
        if !self.trusts(client) {
            return client;
        }
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect();
        for hop in hops.iter().rev() {
            let Some(ip) = parse_hop(hop) else { break };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or `[2001:db8::1]:5678`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(canonical)
}

/// The rate-limiting bucket of an address: IPv4 whole, IPv6 by its /64.
pub fn bucket(ip: IpAddr) -> String {
    match canonical(ip) {
        IpAddr::V4(v4) => Ipv4Addr::to_string(&v4),
        IpAddr::V6(v6) => {
            let network = Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX));
            format!("{network}/64")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append("x-forwarded-for", v.parse().unwrap());
        }
        headers
    }

    #[test]
    fn ipv6_is_bucketed_by_its_64() {
        assert_eq!(bucket(ip("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
        assert_eq!(bucket(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")), "2001:db8:1:2::/64");
        assert_ne!(bucket(ip("2001:db8:1:3::1")), bucket(ip("2001:db8:1:2::1")));
        assert_eq!(bucket(ip("203.0.113.7")), "203.0.113.7");
        assert_ne!(bucket(ip("203.0.113.7")), bucket(ip("203.0.113.8")));
        assert_eq!(bucket(ip("::ffff:203.0.113.7")), "203.0.113.7", "IPv4-mapped is IPv4");
    }

    #[test]
    fn forwarded_for_is_ignored_without_trusted_proxies() {
        let none = TrustedProxies::default();
        let headers = forwarded(&["198.51.100.9"]);
        assert_eq!(none.client(ip("127.0.0.1"), &headers), ip("127.0.0.1"));
        // Trusting another proxy does not make the peer's header believable either.
        let other = TrustedProxies::parse(&["10.0.0.1"]).unwrap();
        assert_eq!(other.client(ip("127.0.0.1"), &headers), ip("127.0.0.1"));
    }

    #[test]
    fn right_most_untrusted_hop_is_the_client() {
        let proxies = TrustedProxies::parse(&["127.0.0.1, 10.0.0.0/8", "fd00::/8"]).unwrap();
        // The client forged the left-most entry; the proxies appended the real ones.
        let headers = forwarded(&["6.6.6.6, 198.51.100.9", "10.1.2.3"]);
        assert_eq!(proxies.client(ip("127.0.0.1"), &headers), ip("198.51.100.9"));
        // Only trusted hops: the left-most of them.
        assert_eq!(
            proxies.client(ip("127.0.0.1"), &forwarded(&["10.0.0.7"])),
            ip("10.0.0.7")
        );
        // No header: the peer.
        assert_eq!(proxies.client(ip("127.0.0.1"), &HeaderMap::new()), ip("127.0.0.1"));
        // Ports and brackets; an unreadable hop stops at the last trusted one.
        assert_eq!(
            proxies.client(ip("fd00::1"), &forwarded(&["[2001:db8::5]:443"])),
            ip("2001:db8::5")
        );
        assert_eq!(
            proxies.client(ip("127.0.0.1"), &forwarded(&["garbage, 10.9.9.9"])),
            ip("10.9.9.9")
        );
        // A peer outside the list is the client whatever it forwards.
        assert_eq!(proxies.client(ip("192.0.2.1"), &headers), ip("192.0.2.1"));
    }

    #[test]
    fn blocks_parse_and_match() {
        let p = TrustedProxies::parse(&["192.168.0.0/16", "2001:db8::/32", "0.0.0.0/0"]).unwrap();
        assert!(p.trusts(ip("192.168.44.1")) && p.trusts(ip("2001:db8:ffff::1")) && p.trusts(ip("8.8.8.8")));
        assert!(!p.trusts(ip("2001:db9::1")));
        assert!(TrustedProxies::parse(&["::/0"]).unwrap().trusts(ip("2001:db9::1")));
        assert!(
            TrustedProxies::parse(&["::ffff:10.0.0.1"])
                .unwrap()
                .trusts(ip("10.0.0.1"))
        );
        for bad in ["nope", "10.0.0.0/33", "::/129", "10.0.0.0/x"] {
            assert!(TrustedProxies::parse(&[bad]).is_err(), "{bad}");
        }
        assert!(TrustedProxies::parse::<&str>(&[]).unwrap().blocks.is_empty());
        assert!(TrustedProxies::parse(&[" "]).unwrap().blocks.is_empty());
    }
}
