//! Which addresses an endpoint may reach. A webhook service sends requests to URLs its tenants type in, so
//! without this rule any tenant could make kurir call the operator's own network or a cloud metadata service.
//! The check runs when an endpoint is saved (for IP literals) and on every DNS answer at send time.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether `ip` is one that endpoints may not reach unless the operator allows private targets: loopback,
/// private, shared (CGNAT), link-local (which holds the 169.254.169.254 metadata service), unspecified,
/// multicast, broadcast and the IPv6 equivalents, including IPv4 addresses wrapped in IPv6.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_forbidden_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_forbidden_v4(v4),
            None => is_forbidden_v6(v6),
        },
    }
}

fn is_forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space, RFC 6598
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
}

fn is_forbidden_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local, fc00::/7
        || (first & 0xffc0) == 0xfe80 // link-local, fe80::/10
        || (first == 0x0064 && ip.segments()[1] == 0xff9b) // NAT64 can reach private IPv4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_and_allowed_addresses() {
        let forbidden = [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a00:1",
        ];
        for text in forbidden {
            let ip: IpAddr = text.parse().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
            assert!(is_forbidden(ip), "{text} should be forbidden");
        }
        for text in ["93.184.216.34", "1.1.1.1", "2606:4700::1111", "100.128.0.1"] {
            let ip: IpAddr = text.parse().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
            assert!(!is_forbidden(ip), "{text} should be allowed");
        }
    }
}
