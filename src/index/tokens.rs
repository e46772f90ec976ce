//! Whitespace tokenisation of message content, as byte spans.

/// A token's byte range inside the content.
pub type Span = (u32, u32);

/// Splits `s` on ASCII whitespace into spans (appended to `out`, which is cleared first).
pub fn split(s: &str, out: &mut Vec<Span>) {
    out.clear();
    let b = s.as_bytes();
    let mut i = 0;
    let n = b.len();
    while i < n {
        while i < n && is_sep(b[i]) {
            i += 1;
        }
        if i >= n {
            break;
        }
        let start = i;
        while i < n && !is_sep(b[i]) {
            i += 1;
        }
        out.push((start as u32, i as u32));
    }
}

#[inline]
fn is_sep(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c)
}

/// The text of a span.
#[inline]
pub fn text(s: &str, sp: Span) -> &str {
    &s[sp.0 as usize..sp.1 as usize]
}

#[cfg(test)]
mod tests {
    #[test]
    fn splits() {
        let mut v = Vec::new();
        super::split("  a bb\tc  ", &mut v);
        assert_eq!(v, [(2, 3), (4, 6), (7, 8)]);
        super::split("", &mut v);
        assert!(v.is_empty());
    }
}
