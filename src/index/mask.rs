//! Generic masking: which tokens look like variables (numbers, IPs, hex,
//! UUIDs, ids with digits, paths, URLs) without any per-system rule.

/// Whether a whitespace token looks like a variable.
pub fn is_variable(t: &str) -> bool {
    let b = t.as_bytes();
    if b.iter().any(u8::is_ascii_digit) {
        return true;
    }
    // Paths and URLs.
    let core = t.trim_start_matches(['(', '[', '"', '\'']);
    if core.len() > 1 && (core.starts_with('/') || core.starts_with("~/") || core.starts_with("./")) {
        return true;
    }
    if t.contains("://") || t.contains(":\\") {
        return true;
    }
    // Month and weekday names are parts of dates.
    let w = t.trim_matches(|c: char| !c.is_ascii_alphabetic());
    w.len() == 3 && DATE_WORDS.iter().any(|d| d.eq_ignore_ascii_case(w)) && w.as_bytes()[0].is_ascii_uppercase()
}

const DATE_WORDS: [&str; 19] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Mon", "Tue", "Wed", "Thu", "Fri",
    "Sat", "Sun",
];

#[cfg(test)]
mod tests {
    use super::is_variable;

    #[test]
    fn masks() {
        for v in ["Jul", "Mon", "42", "10.0.0.1", "blk_-123", "0x1f", "/usr/lib", "[/tmp/x]", "http://a", "C:\\Windows", "a1b2"] {
            assert!(is_variable(v), "{v}");
        }
        for c in ["user", "Failed", "password", "/", "BLOCK*", "(x)"] {
            assert!(!is_variable(c), "{c}");
        }
    }
}
