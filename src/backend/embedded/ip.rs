//! `ip("…")` matching, as Loki's `pkg/logql/log/ip.go` does it: a pattern is
//! one address, a CIDR prefix or an `a-b` range (IPv4 or IPv6); a line filter
//! (`|= ip(…)`, `!= ip(…)`) looks for any address in the line that the
//! pattern contains, a label filter (`| addr = ip(…)`) for one in the value.
//!
//! The scan follows Loki's: at each byte, a short look-ahead hints at an IPv4
//! (`d.`, `dd.`, `ddd.`) or IPv6 (`::h`, `h:` … `hhhh:`) start, the longest run
//! of address characters there is parsed as one address, and the scan goes on
//! after that run. So `a1.2.3.4` does not hold `1.2.3.4` (the hint starts at
//! `1`, fine) but `11.2.3.4.5` holds no address (the run does not parse).

use std::net::IpAddr;

use crate::backend::BackendError;

const V4: &[u8] = b"0123456789.";
const V6: &[u8] = b"0123456789abcdefABCDEF:.";

/// A compiled `ip()` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IpPattern {
    One(IpAddr),
    /// A network and its prefix length (the address need not be masked).
    Prefix(IpAddr, u8),
    /// Inclusive, both ends of one family, `from <= to`.
    Range(IpAddr, IpAddr),
}

impl IpPattern {
    /// Reads a pattern; Loki's 400 message when it is none of the three forms.
    pub fn parse(pattern: &str) -> Result<Self, BackendError> {
        let bad = || BackendError::BadParam { param: "query", message: format!("ip: invalid pattern: {pattern:?}") };
        if let Some(a) = addr(pattern) {
            return Ok(Self::One(a));
        }
        if let Some((a, bits)) = pattern.split_once('/') {
            let a = addr(a).ok_or_else(bad)?;
            let max = if a.is_ipv4() { 32 } else { 128 };
            let bits: u8 = bits.parse().ok().filter(|b| *b <= max && !bits.starts_with('+')).ok_or_else(bad)?;
            return Ok(Self::Prefix(a, bits));
        }
        if let Some((a, b)) = pattern.split_once('-') {
            let (a, b) = (addr(a).ok_or_else(bad)?, addr(b).ok_or_else(bad)?);
            if a.is_ipv4() != b.is_ipv4() || key(a) > key(b) {
                return Err(bad());
            }
            return Ok(Self::Range(a, b));
        }
        Err(bad())
    }

    /// Whether the pattern holds `ip` (never across families, as Go's netip).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match *self {
            Self::One(a) => a == ip,
            Self::Prefix(net, bits) => {
                if net.is_ipv4() != ip.is_ipv4() {
                    return false;
                }
                let width = if net.is_ipv4() { 32 } else { 128 };
                let shift = width - u32::from(bits);
                let (n, x) = (key(net), key(ip));
                shift >= 128 || (n >> shift) == (x >> shift)
            }
            Self::Range(a, b) => a.is_ipv4() == ip.is_ipv4() && key(a) <= key(ip) && key(ip) <= key(b),
        }
    }

    /// Whether some address in `text` is held by the pattern.
    pub fn found_in(&self, text: &[u8]) -> bool {
        let n = text.len();
        let mut i = 0;
        while i < n {
            let charset = if i + 3 < n && v4_hint(&text[i..i + 4]) {
                Some(V4)
            } else if i + 4 < n && v6_hint(&text[i..i + 5]) {
                Some(V6)
            } else {
                None
            };
            if let Some(set) = charset {
                let len = text[i..].iter().take_while(|b| set.contains(b)).count();
                let parsed = std::str::from_utf8(&text[i..i + len]).ok().and_then(addr);
                if parsed.is_some_and(|a| self.contains(a)) {
                    return true;
                }
                i += len;
            }
            i += 1;
        }
        false
    }
}

/// An address as Go's `netip.ParseAddr` reads one (no zone here: `%` is not
/// an address character of the scan, and a pattern with a zone is rejected).
fn addr(s: &str) -> Option<IpAddr> {
    s.parse().ok()
}

fn key(a: IpAddr) -> u128 {
    match a {
        IpAddr::V4(v) => u128::from(u32::from(v)),
        IpAddr::V6(v) => u128::from(v),
    }
}

fn v4_hint(p: &[u8]) -> bool {
    p[0].is_ascii_digit() && (p[1] == b'.' || p[2] == b'.' || p[3] == b'.')
}

fn v6_hint(p: &[u8]) -> bool {
    let h = |b: u8| b.is_ascii_hexdigit();
    (p[0] == b':' && p[1] == b':' && h(p[2]))
        || (h(p[0]) && p[1] == b':')
        || (h(p[0]) && h(p[1]) && p[2] == b':')
        || (h(p[0]) && h(p[1]) && h(p[2]) && p[3] == b':')
        || (h(p[0]) && h(p[1]) && h(p[2]) && h(p[3]) && p[4] == b':')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> IpPattern {
        IpPattern::parse(s).unwrap()
    }

    #[test]
    fn patterns_of_three_forms() {
        assert!(p("10.0.0.1").found_in(b"from 10.0.0.1 port 22"));
        assert!(!p("10.0.0.1").found_in(b"from 10.0.0.12 port 22"), "a longer address is another");
        assert!(p("10.0.0.0/8").found_in(b"rhost=10.200.3.4 user=x"));
        assert!(!p("10.0.0.0/8").found_in(b"rhost=11.200.3.4"));
        assert!(p("192.168.0.1/16").contains("192.168.9.9".parse().unwrap()), "an unmasked prefix");
        assert!(p("1.2.3.0-1.2.3.9").found_in(b"x 1.2.3.9:50010 y"));
        assert!(!p("1.2.3.0-1.2.3.9").found_in(b"x 1.2.3.10 y"));
        assert!(p("0.0.0.0/0").found_in(b"a 8.8.8.8"));
        assert!(p("2001:db8::/32").found_in(b"client [2001:db8::1]:443"));
        assert!(p("::1").found_in(b"listening on ::1 port 80"));
        assert!(!p("::ffff:1.2.3.4").found_in(b"1.2.3.4"), "no match across families");
        assert!(!p("1.2.3.4").found_in(b""), "an empty line holds nothing");
        assert!(!p("1.2.3.4").found_in(b"11.2.3.4.5"), "the run does not parse");
        for bad in ["not-an-ip", "1.2.3.4/33", "1.2.3.9-1.2.3.0", "1.2.3.4-::1", "1.2.3", "01.2.3.4", " 1.2.3.4", ""] {
            let e = IpPattern::parse(bad).unwrap_err().to_string();
            assert!(e.contains("ip: invalid pattern"), "{bad}: {e}");
        }
    }

    #[test]
    fn hints_need_room() {
        // `1.2` at the very end: no four bytes left for the hint.
        assert!(!p("1.2.3.4").found_in(b"1.2"));
        assert!(p("1.2.3.4").found_in(b"1.2.3.4"));
        assert!(p("1.2.3.4").found_in("é 1.2.3.4 ü".as_bytes()), "non-ASCII around it");
    }
}
