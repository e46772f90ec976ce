//! Suppression of repeated anomalies: once a type is reported, the same type
//! (compared as `snake_case` words) is not reported again for the configured
//! time, in log time (the window's start), unless it comes back more severe.

use std::collections::HashMap;

use super::report::Severity;

/// What to do with an anomaly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Report,
    /// Reported at `since_ns` (window start) with a severity at least as high.
    Suppressed { since_ns: i64 },
}

/// The types reported, with when and how severe.
#[derive(Debug, Clone, Default)]
pub struct Suppressor {
    for_ns: i64,
    last: HashMap<String, (i64, Severity)>,
}

/// A type as a key: lower case, runs of other characters than letters and
/// digits made one `_` (`Brute-force login` -> `brute_force_login`).
pub fn type_key(kind: &str) -> String {
    let mut out = String::with_capacity(kind.len());
    for c in kind.trim().chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

impl Suppressor {
    /// Suppresses for `for_ns` (0: never).
    pub fn new(for_ns: i64) -> Self {
        Self { for_ns: for_ns.max(0), last: HashMap::new() }
    }

    /// The verdict on an anomaly of `kind` and `severity` in the window starting at `at_ns`.
    pub fn check(&mut self, kind: &str, severity: Severity, at_ns: i64) -> Verdict {
        if self.for_ns == 0 {
            return Verdict::Report;
        }
        let key = type_key(kind);
        if let Some(&(since, sev)) = self.last.get(&key)
            && at_ns >= since
            && at_ns < since.saturating_add(self.for_ns)
            && severity <= sev
        {
            return Verdict::Suppressed { since_ns: since };
        }
        self.last.insert(key, (at_ns, severity));
        Verdict::Report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000_000_000;

    #[test]
    fn same_type_is_suppressed_for_the_time_unless_more_severe() {
        let mut s = Suppressor::new(30 * MIN);
        assert_eq!(s.check("brute_force", Severity::High, 0), Verdict::Report);
        assert_eq!(s.check("Brute-Force", Severity::High, 5 * MIN), Verdict::Suppressed { since_ns: 0 });
        assert_eq!(s.check("brute force", Severity::Low, 29 * MIN), Verdict::Suppressed { since_ns: 0 });
        assert_eq!(s.check("disk_full", Severity::Low, 6 * MIN), Verdict::Report, "another type");
        // More severe breaks through, and restarts the clock at its severity.
        assert_eq!(s.check("brute_force", Severity::Critical, 10 * MIN), Verdict::Report);
        assert_eq!(s.check("brute_force", Severity::High, 35 * MIN), Verdict::Suppressed { since_ns: 10 * MIN });
        // After the time, reported again.
        assert_eq!(s.check("brute_force", Severity::High, 40 * MIN), Verdict::Report);
        let mut never = Suppressor::new(0);
        assert_eq!(never.check("x", Severity::Low, 0), Verdict::Report);
        assert_eq!(never.check("x", Severity::Low, 0), Verdict::Report);
        assert_eq!(type_key("  __Disk  Full!! "), "disk_full");
    }
}
