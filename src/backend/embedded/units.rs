//! Go's number and unit conversions as Loki uses them: `time.ParseDuration`,
//! go-humanize's `ParseBytes`, `strconv.ParseFloat`, and `%v`/`%g` printing
//! of floats (shortest digits, exponent form outside 1e-4..1e21).

/// `time.ParseDuration`: `"1h30m"`, `"-1.5s"`, `"300ms"`, `"0"`. Nanoseconds.
pub fn parse_go_duration(s: &str) -> Result<i64, String> {
    let orig = s;
    let bad = || format!("time: invalid duration {:?}", orig);
    let mut s = s;
    let mut neg = false;
    if let Some(r) = s.strip_prefix('-') {
        neg = true;
        s = r;
    } else if let Some(r) = s.strip_prefix('+') {
        s = r;
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(bad());
    }
    let mut total: u128 = 0;
    while !s.is_empty() {
        // Leading number: digits, optional '.', digits.
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let int_part = &s[..i];
        let mut frac_part = "";
        if i < b.len() && b[i] == b'.' {
            let fs = i + 1;
            let mut j = fs;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            frac_part = &s[fs..j];
            i = j;
        }
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(bad());
        }
        // Unit: everything up to the next digit or '.'.
        let us = i;
        while i < b.len() && !(b[i].is_ascii_digit() || b[i] == b'.') {
            i += 1;
        }
        let unit = &s[us..i];
        if unit.is_empty() {
            return Err(format!("time: missing unit in duration {:?}", orig));
        }
        let scale: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return Err(format!("time: unknown unit {:?} in duration {:?}", unit, orig)),
        };
        let iv: u128 = if int_part.is_empty() { 0 } else { int_part.parse().map_err(|_| bad())? };
        let mut v = iv.checked_mul(scale).ok_or_else(bad)?;
        if !frac_part.is_empty() {
            // Fraction digits, as many as matter.
            let mut f: u128 = 0;
            let mut div: u128 = 1;
            for c in frac_part.bytes().take(18) {
                f = f * 10 + u128::from(c - b'0');
                div *= 10;
            }
            v += f * scale / div;
        }
        total = total.checked_add(v).ok_or_else(bad)?;
        if total > i64::MAX as u128 + u128::from(neg) {
            return Err(bad());
        }
        s = &s[i..];
    }
    let t = total as i128;
    Ok(if neg { (-t) as i64 } else { t as i64 })
}

/// go-humanize `ParseBytes`: `"10KB"` = 10000, `"1.5 MiB"`, `"42"`.
pub fn parse_humanize_bytes(s: &str) -> Result<u64, String> {
    let mut last = 0;
    let mut has_comma = false;
    for (i, c) in s.char_indices() {
        if !(c.is_numeric() || c == '.' || c == ',') {
            break;
        }
        if c == ',' {
            has_comma = true;
        }
        last = i + c.len_utf8();
    }
    let mut num = s[..last].to_string();
    if has_comma {
        num = num.replace(',', "");
    }
    let f: f64 = parse_go_float(&num).map_err(|_| format!("strconv.ParseFloat: parsing {:?}: invalid syntax", num))?;
    let extra = s[last..].trim().to_ascii_lowercase();
    let m: f64 = match extra.as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "ki" | "kib" => 1024.0,
        "m" | "mb" => 1e6,
        "mi" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" => 1e9,
        "gi" | "gib" => 1024f64.powi(3),
        "t" | "tb" => 1e12,
        "ti" | "tib" => 1024f64.powi(4),
        "p" | "pb" => 1e15,
        "pi" | "pib" => 1024f64.powi(5),
        "e" | "eb" => 1e18,
        "ei" | "eib" => 1024f64.powi(6),
        _ => return Err(format!("unhandled size name: {extra}")),
    };
    let v = f * m;
    if v >= u64::MAX as f64 {
        return Err(format!("too large: {s}"));
    }
    Ok(v as u64)
}

/// `strconv.ParseFloat(s, 64)`: decimal, exponent, `Inf`/`NaN` (any case).
pub fn parse_go_float(s: &str) -> Result<f64, String> {
    let err = || format!("strconv.ParseFloat: parsing {:?}: invalid syntax", s);
    let t = s.strip_prefix('+').unwrap_or(s);
    let body = t.strip_prefix('-').unwrap_or(t);
    let lower = body.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Ok(if t.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY });
    }
    if lower == "nan" {
        return Ok(f64::NAN);
    }
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-')) {
        return Err(err());
    }
    s.parse::<f64>().map_err(|_| err())
}

/// Shortest decimal digits and decimal-point position of `v` (finite, > 0):
/// `v = 0.d1d2d3... × 10^dp`.
fn shortest_digits(v: f64) -> (String, i32) {
    let e = format!("{v:e}"); // "1.2345e6"
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let digits = digits.trim_end_matches('0').to_string();
    let digits = if digits.is_empty() { "0".to_string() } else { digits };
    (digits, exp + 1)
}

/// Go's `%v` for a float: `strconv.FormatFloat(v, 'g', -1, 64)`, shortest
/// digits, exponent form when the exponent is below -4 or at least 6
/// (`1e+06`, `1.234567e+06`, `123456`).
pub fn format_go_float(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    let (digits, dp) = shortest_digits(v.abs());
    let exp = dp - 1;
    let mut out = String::new();
    if v < 0.0 {
        out.push('-');
    }
    if !(-4..6).contains(&exp) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.abs()));
    } else if dp <= 0 {
        out.push_str("0.");
        for _ in 0..(-dp) {
            out.push('0');
        }
        out.push_str(&digits);
    } else if dp as usize >= digits.len() {
        out.push_str(&digits);
        for _ in 0..(dp as usize - digits.len()) {
            out.push('0');
        }
    } else {
        out.push_str(&digits[..dp as usize]);
        out.push('.');
        out.push_str(&digits[dp as usize..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_like_go() {
        assert_eq!(parse_go_duration("1h30m"), Ok(5_400_000_000_000));
        assert_eq!(parse_go_duration("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_go_duration("-300ms"), Ok(-300_000_000));
        assert_eq!(parse_go_duration("0"), Ok(0));
        assert_eq!(parse_go_duration("2µs"), Ok(2_000));
        assert!(parse_go_duration("5").is_err());
        assert!(parse_go_duration("").is_err());
        assert!(parse_go_duration("1d").is_err());
        assert!(parse_go_duration("99999999999999h").is_err());
    }

    #[test]
    fn bytes_like_humanize() {
        assert_eq!(parse_humanize_bytes("42"), Ok(42));
        assert_eq!(parse_humanize_bytes("10KB"), Ok(10_000));
        assert_eq!(parse_humanize_bytes("1.5 KiB"), Ok(1536));
        assert_eq!(parse_humanize_bytes("1,000 b"), Ok(1000));
        assert_eq!(parse_humanize_bytes("2M"), Ok(2_000_000));
        assert!(parse_humanize_bytes("12 parsecs").is_err());
        assert!(parse_humanize_bytes("KB").is_err());
    }

    #[test]
    fn floats_print_like_go() {
        assert_eq!(format_go_float(1.0), "1");
        assert_eq!(format_go_float(0.5), "0.5");
        assert_eq!(format_go_float(1e21), "1e+21");
        assert_eq!(format_go_float(123456789.0), "1.23456789e+08");
        assert_eq!(format_go_float(0.00001), "1e-05");
        assert_eq!(format_go_float(0.0001), "0.0001");
        assert_eq!(format_go_float(-2.25), "-2.25");
        assert_eq!(format_go_float(1e6), "1e+06");
        assert_eq!(format_go_float(123456.0), "123456");
        assert_eq!(format_go_float(1234567.0), "1.234567e+06");
        assert_eq!(parse_go_float("1e3"), Ok(1000.0));
        assert!(parse_go_float("1_000").is_err());
        assert!(parse_go_float("0x10").is_err());
        assert!(parse_go_float("-Inf").unwrap().is_infinite());
    }
}
