//! Where Lanyard may connect when it fetches or posts to a URL someone else named — a client's `jwks_uri`,
//! `sector_identifier_uri` or `request_uri`, an app's `backchannel_logout_uri`: one policy for every such request.
//!
//! By default only public internet addresses: never loopback, private (RFC 1918, unique local), link-local,
//! shared (CGNAT), reserved, documentation, multicast or unspecified addresses, in any of their spellings (an
//! IPv4-mapped or -compatible IPv6 address, NAT64 and 6to4 prefixes are judged by the IPv4 address they hold; a
//! decimal `http://2130706433/` is parsed to its address before it is judged). A name is judged by every address it
//! resolves to. An operator may allow networks explicitly (`--outbound-allow`), for labs and tests.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// The networks allowed beyond the public internet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboundPolicy {
    allowed: Vec<Net>,
}

/// An address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Net {
    addr: IpAddr,
    prefix: u8,
}

impl Net {
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

impl fmt::Display for Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl FromStr for OutboundPolicy {
    type Err = String;

    /// A comma-separated list of networks (`127.0.0.0/8`, `10.1.2.3`, `::1/128`); `loopback` stands for both
    /// loopback networks. Empty: nothing beyond the public internet.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut allowed = Vec::new();
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            if item == "loopback" {
                allowed.push(Net {
                    addr: IpAddr::V4(Ipv4Addr::new(127, 0, 0, 0)),
                    prefix: 8,
                });
                allowed.push(Net {
                    addr: IpAddr::V6(Ipv6Addr::LOCALHOST),
                    prefix: 128,
                });
                continue;
            }
            let (addr, prefix) = match item.split_once('/') {
                Some((a, p)) => (a, Some(p)),
                None => (item, None),
            };
            let addr: IpAddr = addr
                .parse()
                .map_err(|_| format!("{item:?} is not an address or network (e.g. 10.0.0.0/8)"))?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                None => max,
                Some(p) => p
                    .parse::<u8>()
                    .ok()
                    .filter(|p| *p <= max)
                    .ok_or_else(|| format!("{item:?}: the prefix length must be 0 to {max}"))?,
            };
            allowed.push(Net {
                addr: canonical(addr),
                prefix,
            });
        }
        Ok(OutboundPolicy { allowed })
    }
}

impl fmt::Display for OutboundPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list: Vec<String> = self.allowed.iter().map(ToString::to_string).collect();
        f.write_str(&list.join(","))
    }
}

impl OutboundPolicy {
    /// Whether Lanyard may connect to `ip`.
    pub fn permits(&self, ip: IpAddr) -> bool {
        is_public(ip) || self.allowed.iter().any(|n| n.contains(ip))
    }

    /// Whether anything beyond the public internet is allowed.
    pub fn is_default(&self) -> bool {
        self.allowed.is_empty()
    }
}

/// The address an IPv6 address stands for when it holds an IPv4 one (mapped `::ffff:a.b.c.d`, compatible
/// `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`, 6to4 `2002:AABB:CCDD::`), else the address itself.
fn canonical(ip: IpAddr) -> IpAddr {
    let IpAddr::V6(v6) = ip else { return ip };
    if let Some(v4) = v6.to_ipv4_mapped() {
        return IpAddr::V4(v4);
    }
    let s = v6.segments();
    let embedded =
        |hi: u16, lo: u16| IpAddr::V4(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)));
    if s[..6] == [0; 6] && !(s[6] == 0 && s[7] <= 1) {
        return embedded(s[6], s[7]);
    }
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0; 4] {
        return embedded(s[6], s[7]);
    }
    if s[0] == 0x2002 {
        return embedded(s[1], s[2]);
    }
    ip
}

/// Whether an address is on the public internet: not loopback, private, link-local, shared, reserved,
/// documentation, multicast or unspecified, in whatever form it is written.
pub fn is_public(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || (o[0] == 198 && (18..20).contains(&o[1]))
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] & 0xffc0) == 0xfec0
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0x2001 && s[1] == 0)
                || (s[0] == 0x0100 && s[1..4] == [0; 3]))
        }
    }
}

/// The address a URL's host is written as, if it is an address (however spelt: `url` parses `2130706433`,
/// `0x7f.1` and `127.1` to 127.0.0.1); `None` for a name.
pub fn literal_host(url: &url::Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        url::Host::Domain(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn inside_addresses_in_every_spelling_are_refused_by_default() {
        let policy = OutboundPolicy::default();
        for inside in [
            "127.0.0.1",
            "127.8.9.10",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "2002:c0a8:0101::1",
            "2001:db8::1",
        ] {
            assert!(!policy.permits(ip(inside)), "{inside}");
        }
        for public in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:2800:220:1::1",
            "2002:5db8:d822::1",
        ] {
            assert!(policy.permits(ip(public)), "{public}");
        }
    }

    #[test]
    fn url_hosts_in_odd_spellings_are_addresses() {
        for spelling in [
            "http://2130706433/",
            "http://0x7f.1/",
            "http://127.1/",
            "http://017700000001/",
            "http://[::ffff:7f00:1]/",
        ] {
            let u = url::Url::parse(spelling).unwrap();
            let addr = literal_host(&u).unwrap_or_else(|| panic!("{spelling}"));
            assert!(!is_public(addr), "{spelling} → {addr}");
        }
        assert_eq!(
            literal_host(&url::Url::parse("https://rp.example/jwks").unwrap()),
            None
        );
    }

    #[test]
    fn operators_allow_networks_explicitly() {
        let p: OutboundPolicy = "10.0.0.0/8, 192.168.1.5, fd00::/8".parse().unwrap();
        assert!(p.permits(ip("10.200.1.1")));
        assert!(p.permits(ip("::ffff:10.200.1.1")), "mapped forms too");
        assert!(p.permits(ip("192.168.1.5")));
        assert!(!p.permits(ip("192.168.1.6")));
        assert!(p.permits(ip("fd12::1")));
        assert!(!p.permits(ip("127.0.0.1")));
        let lo: OutboundPolicy = "loopback".parse().unwrap();
        assert!(lo.permits(ip("127.0.0.1")) && lo.permits(ip("::1")));
        assert!(!lo.permits(ip("10.0.0.1")));
        assert!("".parse::<OutboundPolicy>().unwrap().is_default());
        for bad in ["10.0.0.0/33", "nope", "::1/129", "10.0.0.0/x"] {
            assert!(bad.parse::<OutboundPolicy>().is_err(), "{bad}");
        }
        assert_eq!(p.to_string(), "10.0.0.0/8,192.168.1.5/32,fd00::/8");
    }
}
