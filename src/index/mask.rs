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
    t.contains("://") || t.contains(":\\")
}

#[cfg(test)]
mod tests {
    use super::is_variable;

    #[test]
    fn masks() {
        for v in ["42", "10.0.0.1", "blk_-123", "0x1f", "/usr/lib", "[/tmp/x]", "http://a", "C:\\Windows", "a1b2"] {
            assert!(is_variable(v), "{v}");
        }
        for c in ["user", "Failed", "password", "/", "BLOCK*", "(x)"] {
            assert!(!is_variable(c), "{c}");
        }
    }
}
