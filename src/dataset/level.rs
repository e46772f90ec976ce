//! Level normalisation: WARNING, WARN, W -> warn; Info -> info; and so on.
//!
//! The canonical levels are Loki's: trace, debug, info, warn, error, critical,
//! and `unknown` for anything the map does not name.

use std::collections::BTreeMap;

/// The canonical levels, least to most severe.
pub const LEVELS: [&str; 7] = ["unknown", "trace", "debug", "info", "warn", "error", "critical"];

/// The map every dataset starts from; a dataset's `[levels.map]` adds to it and overrides it.
pub fn default_map() -> BTreeMap<String, String> {
    let pairs: &[(&str, &[&str])] = &[
        // Numbers: Bunyan's and Pino's (10 to 60) and syslog severities
        // (journald's PRIORITY, 0 to 7).
        ("trace", &["TRACE", "T", "VERBOSE", "V", "FINEST", "FINER", "10"]),
        ("debug", &["DEBUG", "D", "DBG", "FINE", "20", "7"]),
        ("info", &["INFO", "I", "INFORMATION", "NOTICE", "NOTE", "N", "CONFIG", "30", "6", "5"]),
        ("warn", &["WARN", "WARNING", "W", "40", "4"]),
        ("error", &["ERROR", "ERR", "E", "SEVERE", "FAILURE", "50", "3"]),
        ("critical", &["CRITICAL", "CRIT", "FATAL", "F", "PANIC", "EMERG", "EMERGENCY", "ALERT", "A", "60", "2", "1", "0"]),
    ];
    let mut m = BTreeMap::new();
    for (canon, names) in pairs {
        for n in *names {
            m.insert((*n).to_string(), (*canon).to_string());
        }
    }
    m
}

/// The id (index into [`LEVELS`]) of a canonical level name, any case.
pub fn canonical(name: &str) -> Option<u8> {
    let n = name.trim().to_ascii_lowercase();
    LEVELS.iter().position(|l| *l == n).map(|i| i as u8)
}

/// The id of `warn` in [`LEVELS`]: levels at or above it are warnings or errors.
pub const WARN: u8 = 4;

/// A compiled level map; lookups ignore ASCII case.
#[derive(Debug, Clone)]
pub struct LevelMap {
    map: BTreeMap<String, u8>,
}

impl LevelMap {
    /// Builds the map from the defaults plus a dataset's overrides.
    /// Errors name the entry whose target is not a canonical level.
    pub fn new(overrides: &BTreeMap<String, String>) -> Result<Self, String> {
        let mut all = default_map();
        for (k, v) in overrides {
            all.insert(k.to_ascii_uppercase(), v.to_ascii_lowercase());
        }
        let mut map = BTreeMap::new();
        for (k, v) in all {
            let id = LEVELS
                .iter()
                .position(|l| *l == v.as_str())
                .ok_or_else(|| format!("level {k:?} maps to {v:?}, which is not one of {}", LEVELS.join(", ")))?;
            map.insert(k.to_ascii_uppercase(), id as u8);
        }
        Ok(Self { map })
    }

    /// The canonical level id (index into [`LEVELS`]) of a raw level text.
    pub fn normalise(&self, raw: &str) -> u8 {
        let t = raw.trim();
        if t.len() > 16 {
            return 0;
        }
        let mut buf = [0u8; 16];
        let b = &mut buf[..t.len()];
        b.copy_from_slice(t.as_bytes());
        b.make_ascii_uppercase();
        std::str::from_utf8(b).ok().and_then(|k| self.map.get(k)).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let mut o = BTreeMap::new();
        o.insert("combo".to_string(), "info".to_string());
        let m = LevelMap::new(&o).unwrap();
        assert_eq!(LEVELS[m.normalise("WARNING") as usize], "warn");
        assert_eq!(LEVELS[m.normalise("W") as usize], "warn");
        assert_eq!(LEVELS[m.normalise("Info") as usize], "info");
        assert_eq!(LEVELS[m.normalise("COMBO") as usize], "info");
        assert_eq!(LEVELS[m.normalise("whatever") as usize], "unknown");
        let mut bad = BTreeMap::new();
        bad.insert("X".to_string(), "loud".to_string());
        assert!(LevelMap::new(&bad).unwrap_err().contains("loud"));
    }
}
