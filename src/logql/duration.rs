//! Durations and byte sizes as LogQL writes them: Prometheus durations
//! (`1h30m`, `5d`, `1w`), Go durations (`1.5s`, `250us`, `-1h`), their
//! canonical printed form, and humanized byte sizes (`20KB`, `1MiB`).

const NS_PER_MS: i128 = 1_000_000;

/// Parses a duration into nanoseconds, the way Loki's lexer does: a
/// Prometheus duration first (`1y2w3d4h5m6s7ms`, units in that order, each at
/// most once), then a Go duration (`1.5s`, `1h30m`, `500us`, `-2m`).
/// `None` if neither accepts the text or the value overflows.
pub fn parse_duration(s: &str) -> Option<i64> {
    parse_prometheus_duration(s).or_else(|| parse_go_duration(s))
}

/// A Prometheus duration only (what Loki accepts inside `[...]`): no sign,
/// no fractions, units `y w d h m s ms` in that order.
pub fn parse_prometheus_duration(s: &str) -> Option<i64> {
    if s == "0" {
        return Some(0);
    }
    if s.is_empty() {
        return None;
    }
    // Units in the only order Prometheus allows, with their length in ms.
    const UNITS: [(&str, i128); 7] = [
        ("y", 365 * 24 * 3_600_000),
        ("w", 7 * 24 * 3_600_000),
        ("d", 24 * 3_600_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ];
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut next_unit = 0;
    let mut total_ms: i128 = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
        let value: i128 = s.get(start..i)?.parse().ok()?;
        let unit_start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let unit = s.get(unit_start..i)?;
        let idx = UNITS.iter().position(|(name, _)| *name == unit)?;
        if idx < next_unit {
            return None;
        }
        next_unit = idx + 1;
        total_ms = total_ms.checked_add(value.checked_mul(UNITS[idx].1)?)?;
        if total_ms > i64::MAX as i128 {
            return None;
        }
    }
    i64::try_from(total_ms.checked_mul(NS_PER_MS)?).ok()
}

/// A Go duration (`time.ParseDuration`): optional sign, then one or more
/// `<number><unit>` with units `ns us µs ms s m h` and decimal fractions.
pub fn parse_go_duration(s: &str) -> Option<i64> {
    let (negative, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if body == "0" {
        return Some(0);
    }
    if body.is_empty() {
        return None;
    }
    let mut rest = body;
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let int_part = &rest[..int_len];
        rest = &rest[int_len..];
        let mut frac_part = "";
        if let Some(after_dot) = rest.strip_prefix('.') {
            let frac_len = after_dot.bytes().take_while(u8::is_ascii_digit).count();
            frac_part = &after_dot[..frac_len];
            rest = &after_dot[frac_len..];
        }
        if int_part.is_empty() && frac_part.is_empty() {
            return None;
        }
        let unit_len = rest
            .char_indices()
            .find(|(_, c)| *c == '.' || c.is_ascii_digit())
            .map_or(rest.len(), |(i, _)| i);
        let unit: i128 = match &rest[..unit_len] {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        rest = &rest[unit_len..];
        let int_value: i128 = if int_part.is_empty() {
            0
        } else {
            // More than 30 digits overflows anyway.
            if int_part.len() > 30 {
                return None;
            }
            int_part.parse().ok()?
        };
        total = total.checked_add(int_value.checked_mul(unit)?)?;
        if !frac_part.is_empty() {
            // Keep at most 18 fractional digits: beyond that nothing changes a
            // nanosecond count.
            let digits = &frac_part[..frac_part.len().min(18)];
            let frac: i128 = digits.parse().ok()?;
            let scale = 10i128.pow(digits.len() as u32);
            total = total.checked_add(frac * unit / scale)?;
        }
        if total > (i64::MAX as i128) + 1 {
            return None;
        }
    }
    let signed = if negative { -total } else { total };
    i64::try_from(signed).ok()
}

/// Prints nanoseconds as a duration that [`parse_duration`] reads back to the
/// same value: Prometheus style for whole milliseconds (`1h30m`, `500ms`,
/// `2d`, `1w`), Go units otherwise (`1s500us`, `-1h`).
pub fn format_duration(ns: i64) -> String {
    if ns == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    if ns > 0 && (ns as i128) % NS_PER_MS == 0 {
        let mut ms = (ns as i128) / NS_PER_MS;
        let units: [(&str, i128, bool); 7] = [
            ("y", 365 * 24 * 3_600_000, true),
            ("w", 7 * 24 * 3_600_000, true),
            ("d", 24 * 3_600_000, false),
            ("h", 3_600_000, false),
            ("m", 60_000, false),
            ("s", 1_000, false),
            ("ms", 1, false),
        ];
        for (name, len, exact) in units {
            if exact && ms % len != 0 {
                continue;
            }
            let v = ms / len;
            if v > 0 {
                out.push_str(&format!("{v}{name}"));
                ms -= v * len;
            }
        }
        return out;
    }
    let mut rest = (ns as i128).abs();
    if ns < 0 {
        out.push('-');
    }
    let units: [(&str, i128); 6] = [
        ("h", 3_600_000_000_000),
        ("m", 60_000_000_000),
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
        ("us", 1_000),
        ("ns", 1),
    ];
    for (name, len) in units {
        let v = rest / len;
        if v > 0 {
            out.push_str(&format!("{v}{name}"));
            rest -= v * len;
        }
    }
    out
}

/// Parses a humanized byte size the way Loki does (go-humanize's
/// `ParseBytes`): a decimal number (commas allowed) then an optional unit,
/// case-insensitive: `B`, `kB`/`KB`/`K`, `KiB`/`Ki`, `MB`, `MiB`, ... up to
/// `EB`/`EiB`. Spaces between number and unit are allowed.
pub fn parse_bytes(s: &str) -> Option<u64> {
    let num_len = s
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.' || *b == b',')
        .count();
    let number: String = s[..num_len].chars().filter(|c| *c != ',').collect();
    if number.is_empty() || number == "." {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    let unit = s[num_len..].trim().to_ascii_lowercase();
    let mult: f64 = match unit.as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "ki" | "kib" => 1024.0,
        "m" | "mb" => 1e6,
        "mi" | "mib" => 1024f64.powi(2),
        "g" | "gb" => 1e9,
        "gi" | "gib" => 1024f64.powi(3),
        "t" | "tb" => 1e12,
        "ti" | "tib" => 1024f64.powi(4),
        "p" | "pb" => 1e15,
        "pi" | "pib" => 1024f64.powi(5),
        "e" | "eb" => 1e18,
        "ei" | "eib" => 1024f64.powi(6),
        _ => return None,
    };
    let bytes = value * mult;
    // 2^64 as f64: anything at or above it does not fit.
    if !bytes.is_finite() || bytes >= 18_446_744_073_709_551_615.0 {
        return None;
    }
    Some(bytes as u64)
}

/// Prints a byte count so that [`parse_bytes`] (and the lexer) read back the
/// same value: the largest decimal or binary unit that divides it exactly.
pub fn format_bytes(b: u64) -> String {
    if b == 0 {
        return "0B".to_string();
    }
    let units: [(&str, u64); 10] = [
        ("EiB", 1 << 60),
        ("EB", 1_000_000_000_000_000_000),
        ("PiB", 1 << 50),
        ("PB", 1_000_000_000_000_000),
        ("TiB", 1 << 40),
        ("TB", 1_000_000_000_000),
        ("GiB", 1 << 30),
        ("GB", 1_000_000_000),
        ("MiB", 1 << 20),
        ("MB", 1_000_000),
    ];
    for (name, len) in units {
        if b.is_multiple_of(len) {
            return format!("{}{name}", b / len);
        }
    }
    if b.is_multiple_of(1024) {
        return format!("{}KiB", b / 1024);
    }
    if b.is_multiple_of(1000) {
        return format!("{}KB", b / 1000);
    }
    format!("{b}B")
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    #[test]
    fn prometheus_units() {
        assert_eq!(parse_duration("5m"), Some(300 * S));
        assert_eq!(parse_duration("1h30m"), Some(5400 * S));
        assert_eq!(parse_duration("500ms"), Some(S / 2));
        assert_eq!(parse_duration("1d"), Some(86_400 * S));
        assert_eq!(parse_duration("1w"), Some(7 * 86_400 * S));
        assert_eq!(parse_duration("1y"), Some(365 * 86_400 * S));
        assert_eq!(parse_duration("0"), Some(0));
        assert_eq!(
            parse_prometheus_duration("1y2w3d4h5m6s7ms"),
            Some((365 + 14 + 3) * 86_400 * S + 4 * 3600 * S + 5 * 60 * S + 6 * S + 7_000_000)
        );
    }

    #[test]
    fn prometheus_rejects_out_of_order_and_fractions() {
        assert_eq!(parse_prometheus_duration("5m1h"), None);
        assert_eq!(parse_prometheus_duration("1.5s"), None);
        assert_eq!(parse_prometheus_duration("-1h"), None);
        assert_eq!(parse_prometheus_duration(""), None);
        assert_eq!(parse_prometheus_duration("5"), None);
        assert_eq!(parse_prometheus_duration("1m1m"), None);
    }

    #[test]
    fn go_units_and_fractions() {
        assert_eq!(parse_duration("1.5s"), Some(1_500_000_000));
        assert_eq!(parse_duration("250us"), Some(250_000));
        assert_eq!(parse_duration("250µs"), Some(250_000));
        assert_eq!(parse_duration("3ns"), Some(3));
        assert_eq!(parse_duration("-1h"), Some(-3600 * S));
        assert_eq!(parse_duration("+2m"), Some(120 * S));
        assert_eq!(parse_duration(".5h"), Some(1800 * S));
        assert_eq!(parse_duration("1h0.5m"), Some(3630 * S));
        assert_eq!(parse_duration("1h1d"), None);
        assert_eq!(parse_duration("1d2h"), Some(26 * 3600 * S));
        assert_eq!(parse_duration("5"), None);
        assert_eq!(parse_duration("."), None);
        assert_eq!(parse_duration("1x"), None);
        assert_eq!(parse_duration("s"), None);
    }

    #[test]
    fn overflow_is_refused() {
        assert_eq!(parse_duration("300y"), None);
        assert_eq!(parse_duration("9999999999999999999999h"), None);
        assert_eq!(parse_duration("2562047h"), Some(2_562_047 * 3600 * S));
        assert_eq!(parse_duration("2562048h"), None);
    }

    #[test]
    fn format_is_prometheus_style() {
        assert_eq!(format_duration(5400 * S), "1h30m");
        assert_eq!(format_duration(S / 2), "500ms");
        assert_eq!(format_duration(2 * 86_400 * S), "2d");
        assert_eq!(format_duration(7 * 86_400 * S), "1w");
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(-3600 * S), "-1h");
        assert_eq!(format_duration(1_500_000), "1ms500us");
        assert_eq!(format_duration(-86_400 * S), "-24h");
    }

    #[test]
    fn format_then_parse_round_trips() {
        for ns in [
            1,
            999,
            1_000_000,
            S,
            86_400 * S + 1,
            -5,
            -86_400 * S,
            i64::MAX,
            i64::MIN,
            400 * 86_400 * S,
        ] {
            assert_eq!(parse_duration(&format_duration(ns)), Some(ns), "{ns}");
        }
    }

    #[test]
    fn bytes_units() {
        assert_eq!(parse_bytes("20KB"), Some(20_000));
        assert_eq!(parse_bytes("20kb"), Some(20_000));
        assert_eq!(parse_bytes("1MiB"), Some(1 << 20));
        assert_eq!(parse_bytes("1.5KiB"), Some(1536));
        assert_eq!(parse_bytes("42"), Some(42));
        assert_eq!(parse_bytes("42 B"), Some(42));
        assert_eq!(parse_bytes("1,000B"), Some(1000));
        assert_eq!(parse_bytes("5M"), Some(5_000_000));
        assert_eq!(parse_bytes("KB"), None);
        assert_eq!(parse_bytes("5XB"), None);
        assert_eq!(parse_bytes("-5B"), None);
        assert_eq!(parse_bytes("100EiB"), None);
    }

    #[test]
    fn bytes_format_round_trips() {
        for b in [
            0,
            1,
            999,
            1000,
            1024,
            20_000,
            1 << 20,
            3 * (1 << 40),
            123_456_789,
        ] {
            assert_eq!(parse_bytes(&format_bytes(b)), Some(b), "{b}");
        }
        assert_eq!(format_bytes(20_000), "20KB");
        assert_eq!(format_bytes(1 << 20), "1MiB");
    }
}
