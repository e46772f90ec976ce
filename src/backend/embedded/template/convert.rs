//! Conversions behind some template functions: sprig's decimal float
//! arithmetic, URL query escaping, base64.

use super::value::Value;

/// sprig's decimal float ops: operands through their shortest decimal form
/// and exact decimal arithmetic (so `addf 0.1 0.2` is 0.3); `divf` rounds to
/// 16 decimal places as shopspring/decimal does.
pub fn decimal_op(name: &str, a: &[Value]) -> Result<Value, String> {
    let vals: Vec<f64> = a.iter().map(Value::to_f64).collect();
    let Some(&first) = vals.first() else { return Ok(Value::Float(0.0)) };
    let (mut acc, rest): (Option<Dec>, &[f64]) = if name == "addf" { (Some(Dec(0, 0)), &vals[..]) } else { (Dec::from_f64(first), &vals[1..]) };
    let mut fallback = if name == "addf" { 0.0 } else { first };
    for &v in rest {
        fallback = match name {
            "addf" => fallback + v,
            "subf" => fallback - v,
            "mulf" => fallback * v,
            _ => {
                if v == 0.0 {
                    return Err("error calling divf: decimal division by 0".into());
                }
                let q = fallback / v;
                format!("{q:.16}").parse().unwrap_or(q)
            }
        };
        acc = match (acc, Dec::from_f64(v)) {
            (Some(x), Some(y)) => match name {
                "addf" => x.add(y),
                "subf" => x.add(Dec(-y.0, y.1)),
                "mulf" => x.mul(y),
                _ => None,
            },
            _ => None,
        };
    }
    Ok(Value::Float(acc.map_or(fallback, Dec::to_f64)))
}

/// mantissa × 10^exp.
#[derive(Clone, Copy)]
struct Dec(i128, i32);

impl Dec {
    fn from_f64(v: f64) -> Option<Dec> {
        if !v.is_finite() {
            return None;
        }
        let t = format!("{v:e}");
        let (m, e) = t.split_once('e')?;
        let e: i32 = e.parse().ok()?;
        let neg = m.starts_with('-');
        let m = m.trim_start_matches('-');
        let (ip, fp) = m.split_once('.').unwrap_or((m, ""));
        let digits = format!("{ip}{fp}");
        let mant: i128 = digits.parse().ok()?;
        Some(Dec(if neg { -mant } else { mant }, e - fp.len() as i32))
    }

    fn align(self, o: Dec) -> Option<(i128, i128, i32)> {
        let e = self.1.min(o.1);
        let scale = |d: Dec| -> Option<i128> { d.0.checked_mul(10i128.checked_pow(u32::try_from(d.1 - e).ok()?)?) };
        Some((scale(self)?, scale(o)?, e))
    }

    fn add(self, o: Dec) -> Option<Dec> {
        let (a, b, e) = self.align(o)?;
        Some(Dec(a.checked_add(b)?, e))
    }

    fn mul(self, o: Dec) -> Option<Dec> {
        Some(Dec(self.0.checked_mul(o.0)?, self.1.checked_add(o.1)?))
    }

    fn to_f64(self) -> f64 {
        format!("{}e{}", self.0, self.1).parse().unwrap_or(f64::NAN)
    }
}

pub fn query_escape(src: &str) -> String {
    let mut out = String::new();
    for b in src.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub fn query_unescape(src: &str) -> Result<String, String> {
    let b = src.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let h = src.get(i + 1..i + 3).ok_or_else(|| format!("invalid URL escape {:?}", &src[i..]))?;
                out.push(u8::from_str_radix(h, 16).map_err(|_| format!("invalid URL escape \"%{h}\""))?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn b64enc(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk.len();
        let v = (u32::from(chunk[0]) << 16) | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8) | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= n {
                out.push(B64[((v >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn b64dec(src: &str) -> Result<String, String> {
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in src.bytes().filter(|&c| c != b'=') {
        let v = B64.iter().position(|&x| x == c).ok_or_else(|| format!("illegal base64 data at input byte {}", 0))? as u32;
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

