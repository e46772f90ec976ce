//! Go's `fmt.Sprintf` for template values: verbs `%v %s %d %f %F %e %E %g %G
//! %x %X %o %b %c %q %t %T %%`, flags `+ - # space 0`, width and precision
//! (also `*`), and Go's `%!verb(type=value)` notes for mismatches.

use super::super::units::format_go_float;
use super::value::Value;

#[derive(Default, Clone, Copy)]
struct Spec {
    plus: bool,
    minus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// `fmt.Sprintf(format, args...)`.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut argi = 0usize;
    let mut chars = format.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        // Flags.
        while let Some(&(_, f)) = chars.peek() {
            match f {
                '+' => spec.plus = true,
                '-' => spec.minus = true,
                '#' => spec.sharp = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                _ => break,
            }
            chars.next();
        }
        // Width.
        if chars.peek().map(|&(_, c)| c) == Some('*') {
            chars.next();
            let w = args.get(argi).map(Value::to_i64).unwrap_or(0);
            argi += 1;
            if w < 0 {
                spec.minus = true;
            }
            spec.width = Some(w.unsigned_abs().min(1 << 16) as usize);
        } else {
            spec.width = read_num(&mut chars);
        }
        // Precision.
        if chars.peek().map(|&(_, c)| c) == Some('.') {
            chars.next();
            if chars.peek().map(|&(_, c)| c) == Some('*') {
                chars.next();
                let p = args.get(argi).map(Value::to_i64).unwrap_or(0);
                argi += 1;
                spec.prec = (p >= 0).then_some(p.min(1 << 16) as usize);
            } else {
                spec.prec = Some(read_num(&mut chars).unwrap_or(0));
            }
        }
        let Some((_, verb)) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(argi) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        argi += 1;
        out.push_str(&format_one(verb, spec, arg));
    }
    if argi < args.len() {
        out.push_str("%!(EXTRA ");
        let extra: Vec<String> = args[argi..].iter().map(|a| format!("{}={}", a.type_name(), a.print())).collect();
        out.push_str(&extra.join(", "));
        out.push(')');
    }
    out
}

fn read_num(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>) -> Option<usize> {
    let mut n: Option<usize> = None;
    while let Some(&(_, d)) = chars.peek() {
        let Some(v) = d.to_digit(10) else { break };
        n = Some((n.unwrap_or(0) * 10 + v as usize).min(1 << 16));
        chars.next();
    }
    n
}

fn bad(verb: char, arg: &Value) -> String {
    format!("%!{verb}({}={})", arg.type_name(), arg.print())
}

fn format_one(verb: char, spec: Spec, arg: &Value) -> String {
    let body = match (verb, arg) {
        ('v', Value::Float(f)) => return pad_num(&float_g(*f, spec.prec, spec.sharp), spec),
        ('v', Value::Int(i)) => return pad_num(&int_signed(*i, 10, false, spec), spec),
        ('v', v) => v.print(),
        ('s', Value::Str(s)) => truncate(s, spec.prec),
        ('s', v @ (Value::Time(_) | Value::Map(_))) => truncate(&v.print(), spec.prec),
        ('d', Value::Int(i)) => return pad_num(&int_signed(*i, 10, false, spec), spec),
        ('x' | 'X' | 'o' | 'b', Value::Int(i)) => {
            let radix = match verb {
                'x' | 'X' => 16,
                'o' => 8,
                _ => 2,
            };
            return pad_num(&int_signed(*i, radix, verb == 'X', spec), spec);
        }
        ('x' | 'X', Value::Str(s)) => {
            let mut h: String = s.bytes().map(|b| format!("{b:02x}")).collect();
            if verb == 'X' {
                h = h.to_uppercase();
            }
            h
        }
        ('c', Value::Int(i)) => u32::try_from(*i).ok().and_then(char::from_u32).unwrap_or('\u{FFFD}').to_string(),
        ('q', Value::Str(s)) => go_quote(s),
        ('q', Value::Int(i)) => format!("'{}'", u32::try_from(*i).ok().and_then(char::from_u32).unwrap_or('\u{FFFD}')),
        ('t', Value::Bool(b)) => b.to_string(),
        ('T', v) => v.type_name().to_string(),
        ('f' | 'F', Value::Float(f)) => return pad_num(&with_sign(&format!("{:.*}", spec.prec.unwrap_or(6), f), *f, spec), spec),
        ('e' | 'E', Value::Float(f)) => {
            let s = float_e(*f, spec.prec.unwrap_or(6));
            let s = if verb == 'E' { s.to_uppercase() } else { s };
            return pad_num(&with_sign(&s, *f, spec), spec);
        }
        ('g' | 'G', Value::Float(f)) => {
            let s = float_g(*f, spec.prec, spec.sharp);
            let s = if verb == 'G' { s.to_uppercase() } else { s };
            return pad_num(&with_sign(&s, *f, spec), spec);
        }
        _ => bad(verb, arg),
    };
    pad(&body, spec)
}

fn with_sign(s: &str, v: f64, spec: Spec) -> String {
    if v.is_sign_negative() || s.starts_with('-') || s.starts_with('+') {
        s.to_string()
    } else if spec.plus {
        format!("+{s}")
    } else if spec.space {
        format!(" {s}")
    } else {
        s.to_string()
    }
}

fn int_signed(i: i64, radix: u32, upper: bool, spec: Spec) -> String {
    let mag = i.unsigned_abs();
    let mut digits = match radix {
        16 => format!("{mag:x}"),
        8 => format!("{mag:o}"),
        2 => format!("{mag:b}"),
        _ => mag.to_string(),
    };
    if upper {
        digits = digits.to_uppercase();
    }
    if let Some(p) = spec.prec {
        while digits.len() < p {
            digits.insert(0, '0');
        }
        if p == 0 && mag == 0 {
            digits.clear();
        }
    }
    if spec.sharp {
        match radix {
            16 => digits.insert_str(0, if upper { "0X" } else { "0x" }),
            8 => digits.insert(0, '0'),
            _ => {}
        }
    }
    if i < 0 {
        format!("-{digits}")
    } else if spec.plus {
        format!("+{digits}")
    } else if spec.space {
        format!(" {digits}")
    } else {
        digits
    }
}

/// `%e` with Go's two-digit exponent.
fn float_e(v: f64, prec: usize) -> String {
    if !v.is_finite() {
        return format_go_float(v);
    }
    let s = format!("{:.*e}", prec, v);
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
}

/// `%g`: shortest when no precision, else `prec` significant digits.
fn float_g(v: f64, prec: Option<usize>, sharp: bool) -> String {
    let Some(p) = prec else { return format_go_float(v) };
    if !v.is_finite() {
        return format_go_float(v);
    }
    let p = p.max(1);
    let e_form = float_e(v, p - 1);
    let (mant, exp) = e_form.split_once('e').unwrap_or((&e_form, "+00"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= p as i32 {
        let mant = if sharp { mant.to_string() } else { trim_zeros(mant) };
        format!("{mant}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        let s = format!("{:.*}", decimals, v);
        if sharp { s } else { trim_zeros(&s) }
    }
}

fn trim_zeros(s: &str) -> String {
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s.to_string() }
}

fn truncate(s: &str, prec: Option<usize>) -> String {
    match prec {
        Some(p) => s.chars().take(p).collect(),
        None => s.to_string(),
    }
}

fn pad(s: &str, spec: Spec) -> String {
    let n = s.chars().count();
    let Some(w) = spec.width.filter(|&w| w > n) else { return s.to_string() };
    let fill = " ".repeat(w - n);
    if spec.minus { format!("{s}{fill}") } else { format!("{fill}{s}") }
}

/// Numbers pad with zeros after the sign when `0` is given (not with `-`).
fn pad_num(s: &str, spec: Spec) -> String {
    let n = s.chars().count();
    let Some(w) = spec.width.filter(|&w| w > n) else { return s.to_string() };
    if spec.zero && !spec.minus {
        let (sign, rest) = match s.chars().next() {
            Some(c @ ('+' | '-' | ' ')) => (c.to_string(), &s[1..]),
            _ => (String::new(), s),
        };
        return format!("{sign}{}{rest}", "0".repeat(w - n));
    }
    pad(s, spec)
}

/// `strconv.Quote`.
pub fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::Str(v.into())
    }

    #[test]
    fn verbs() {
        assert_eq!(sprintf("%s-%d", &[s("a"), Value::Int(5)]), "a-5");
        assert_eq!(sprintf("%5s|%-5s|", &[s("ab"), s("cd")]), "   ab|cd   |");
        assert_eq!(sprintf("%05d %+d %x %X %o", &[Value::Int(42), Value::Int(3), Value::Int(255), Value::Int(255), Value::Int(8)]), "00042 +3 ff FF 10");
        assert_eq!(sprintf("%.2f %8.3f %e", &[Value::Float(1.23456), Value::Float(2.5), Value::Float(1234.5)]), "1.23    2.500 1.234500e+03");
        assert_eq!(sprintf("%g %g %.3g", &[Value::Float(100000.0), Value::Float(1e6), Value::Float(1.23456)]), "100000 1e+06 1.23");
        assert_eq!(sprintf("%v %v %v", &[Value::Float(0.5), Value::Bool(true), s("x")]), "0.5 true x");
        assert_eq!(sprintf("%.3s %q %%", &[s("abcdef"), s("a\"b")]), "abc \"a\\\"b\" %");
    }

    #[test]
    fn mismatches_like_go() {
        assert_eq!(sprintf("%d", &[s("abc")]), "%!d(string=abc)");
        assert_eq!(sprintf("%d %d", &[Value::Int(1)]), "1 %!d(MISSING)");
        assert_eq!(sprintf("%d", &[Value::Int(1), s("x")]), "1%!(EXTRA string=x)");
        assert_eq!(sprintf("%s", &[Value::Int(7)]), "%!s(int=7)");
    }
}
