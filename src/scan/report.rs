//! A window's anomaly report: the JSON the model must write, its validation
//! (shape, then severities and health as words we know), and the evidence
//! check: a quoted line that is not in the window is flagged `unsupported`.

use serde::{Deserialize, Serialize};

use crate::llm::Shape;

/// How bad an anomaly is, least severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Severity::Low, Severity::Medium, Severity::High, Severity::Critical];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// A severity word in any case.
    pub fn parse(s: &str) -> Option<Severity> {
        let s = s.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// The state of a window as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    Normal,
    Degraded,
    Critical,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Normal => "normal",
            Health::Degraded => "degraded",
            Health::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Health> {
        match s.trim().to_ascii_lowercase().as_str() {
            "normal" => Some(Health::Normal),
            "degraded" => Some(Health::Degraded),
            "critical" => Some(Health::Critical),
            _ => None,
        }
    }
}

/// A line the model quotes as evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub line: String,
    /// The line is not in the window (the model invented or mangled it).
    pub unsupported: bool,
}

/// One anomaly, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anomaly {
    pub severity: Severity,
    /// The model's kind of anomaly (`brute_force_login`); suppression groups by it.
    #[serde(rename = "type")]
    pub kind: String,
    pub summary: String,
    pub evidence: Vec<Evidence>,
    pub recommended_action: String,
}

impl Anomaly {
    pub fn unsupported(&self) -> usize {
        self.evidence.iter().filter(|e| e.unsupported).count()
    }
}

/// The report as the model writes it (checked by [`shape`] and [`check`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RawReport {
    pub anomalies: Vec<RawAnomaly>,
    pub window_health: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RawAnomaly {
    pub severity: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub summary: String,
    pub evidence: Vec<String>,
    pub recommended_action: String,
}

/// The JSON shape asked for.
pub fn shape() -> Shape {
    Shape::object([
        (
            "anomalies",
            Shape::array(Shape::object([
                ("severity", Shape::Text),
                ("type", Shape::Text),
                ("summary", Shape::Text),
                ("evidence", Shape::array(Shape::String)),
                ("recommended_action", Shape::String),
            ])),
        ),
        ("window_health", Shape::Text),
    ])
}

/// What the shape cannot say: severities and health are words we know.
pub fn check(r: &RawReport) -> Result<(), String> {
    if Health::parse(&r.window_health).is_none() {
        return Err(format!("$.window_health: expected one of normal, degraded, critical, got {:?}", r.window_health));
    }
    for (i, a) in r.anomalies.iter().enumerate() {
        if Severity::parse(&a.severity).is_none() {
            return Err(format!("$.anomalies[{i}].severity: expected one of low, medium, high, critical, got {:?}", a.severity));
        }
    }
    Ok(())
}

/// Evidence lines kept per anomaly.
pub const MAX_EVIDENCE: usize = 10;
/// A quote at least this long may be part of a line (the model dropped the header).
pub const MIN_SUBSTRING_CHARS: usize = 20;

/// White space trimmed and runs of it made one space.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `quote` is one of `lines`: equal after trimming (and squashing
/// white space), or, when at least [`MIN_SUBSTRING_CHARS`] long, part of one
/// (or one whole line of at least that length inside the quote, e.g. a quote
/// with "line 3:" before it).
pub fn supported(quote: &str, lines: &[&str]) -> bool {
    let q = squash(quote);
    if q.is_empty() {
        return false;
    }
    let long = q.chars().count() >= MIN_SUBSTRING_CHARS;
    lines.iter().any(|l| {
        let l = squash(l);
        l == q || (long && l.contains(&q)) || (l.chars().count() >= MIN_SUBSTRING_CHARS && q.contains(&l))
    })
}

/// A checked report made typed; evidence checked against the lines the model saw.
pub fn validate(r: RawReport, lines: &[&str]) -> (Health, Vec<Anomaly>) {
    let health = Health::parse(&r.window_health).unwrap_or(Health::Degraded);
    let anomalies = r
        .anomalies
        .into_iter()
        .map(|a| Anomaly {
            severity: Severity::parse(&a.severity).unwrap_or(Severity::Medium),
            kind: a.kind.trim().to_owned(),
            summary: a.summary.trim().to_owned(),
            evidence: a
                .evidence
                .into_iter()
                .filter(|e| !e.trim().is_empty())
                .take(MAX_EVIDENCE)
                .map(|e| Evidence { unsupported: !supported(&e, lines), line: e })
                .collect(),
            recommended_action: a.recommended_action.trim().to_owned(),
        })
        .collect();
    (health, anomalies)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn raw(v: serde_json::Value) -> Result<RawReport, String> {
        shape().check(&v)?;
        let r: RawReport = serde_json::from_value(v).map_err(|e| e.to_string())?;
        check(&r)?;
        Ok(r)
    }

    #[test]
    fn the_shape_and_words_are_checked() {
        let ok = json!({"anomalies": [{"severity": "High", "type": "brute_force", "summary": "many failures",
            "evidence": ["x"], "recommended_action": "block"}], "window_health": "degraded"});
        assert!(raw(ok).is_ok());
        assert!(raw(json!({"anomalies": [], "window_health": "normal"})).is_ok());
        let e = raw(json!({"anomalies": [], "window_health": "fine"})).unwrap_err();
        assert!(e.contains("$.window_health") && e.contains("\"fine\""), "{e}");
        let e = raw(json!({"anomalies": [{"severity": "severe", "type": "t", "summary": "s", "evidence": [], "recommended_action": ""}], "window_health": "normal"})).unwrap_err();
        assert!(e.contains("$.anomalies[0].severity"), "{e}");
        let e = raw(json!({"anomalies": [{"severity": "low", "type": "t", "summary": "s", "recommended_action": ""}], "window_health": "normal"})).unwrap_err();
        assert!(e.contains("evidence"), "{e}");
        assert!(raw(json!({"window_health": "normal"})).unwrap_err().contains("anomalies"));
        assert!(raw(json!({"anomalies": {}, "window_health": "normal"})).is_err());
    }

    #[test]
    fn evidence_must_be_in_the_window() {
        let lines = [
            "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186",
            "Dec 10 07:07:38 LabSZ sshd[24206]: pam_unix(sshd:auth): authentication failure; logname= uid=0  user=root",
        ];
        // Exact, with other white space, a long part, a line with a prefix.
        assert!(supported("  Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186 ", &lines));
        assert!(supported("pam_unix(sshd:auth): authentication failure; logname= uid=0 user=root", &lines));
        assert!(supported("Invalid user webmaster from 173.234.31.186", &lines));
        assert!(supported(&format!("line 1: {}", lines[0]), &lines));
        // Invented, too short to be a part, altered, empty.
        assert!(!supported("Dec 10 06:55:46 LabSZ sshd[24200]: Accepted password for root", &lines));
        assert!(!supported("Invalid user", &lines));
        assert!(!supported("Invalid user admin from 173.234.31.186", &lines));
        assert!(!supported("   ", &lines));
        let r = RawReport {
            anomalies: vec![RawAnomaly {
                severity: "HIGH".into(),
                kind: " brute_force ".into(),
                summary: "s".into(),
                evidence: vec![lines[0].into(), "made up line that is long enough".into(), "".into()],
                recommended_action: "a".into(),
            }],
            window_health: "Critical".into(),
        };
        let (h, a) = validate(r, &lines);
        assert_eq!(h, Health::Critical);
        assert_eq!((a[0].severity, a[0].kind.as_str(), a[0].evidence.len(), a[0].unsupported()), (Severity::High, "brute_force", 2, 1));
        assert!(a[0].evidence[1].unsupported && !a[0].evidence[0].unsupported);
    }
}
