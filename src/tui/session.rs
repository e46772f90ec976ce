//! The session: the questions asked, the LogQL run and an excerpt of each
//! result, kept in order; exported as Markdown into the results folder.
//! Also the clipboard (OSC 52) and Grafana Explore links for a query.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One step of the session.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Question(String),
    Query { logql: String, excerpt: Vec<String> },
    /// The pipeline's answer to the question before it.
    Answer(String),
}

#[derive(Debug, Default)]
pub struct Session {
    pub steps: Vec<Step>,
    /// Text to put on the clipboard at the next draw (OSC 52).
    pub clipboard: Option<String>,
}

impl Session {
    pub fn ask(&mut self, q: &str) {
        self.steps.push(Step::Question(q.to_owned()));
    }

    pub fn answered(&mut self, answer: &str) {
        self.steps.push(Step::Answer(answer.to_owned()));
    }

    pub fn ran(&mut self, logql: &str, excerpt: &[String]) {
        self.steps.push(Step::Query { logql: logql.to_owned(), excerpt: excerpt.to_vec() });
    }

    /// The session as Markdown; `answer` is the answer pane's text.
    pub fn markdown(&self, app: &str, answer: &str) -> String {
        let mut md = format!("# logcopilot session: {app}\n");
        for s in &self.steps {
            match s {
                Step::Question(q) => {
                    let _ = write!(md, "\n## Question\n\n{q}\n");
                }
                Step::Query { logql, excerpt } => {
                    let _ = write!(md, "\n### LogQL\n\n```logql\n{logql}\n```\n");
                    if !excerpt.is_empty() {
                        md.push_str("\nResults (excerpt):\n\n```\n");
                        for l in excerpt {
                            md.push_str(&crate::terminal::sanitize(l));
                            md.push('\n');
                        }
                        md.push_str("```\n");
                    }
                }
                Step::Answer(a) => {
                    let clean: Vec<_> = a.split('\n').map(crate::terminal::sanitize).collect();
                    let _ = write!(md, "\n### Answer\n\n{}\n", clean.join("\n"));
                }
            }
        }
        // The answer pane's text, unless the pipeline's answers are already in.
        let answered = self.steps.iter().any(|s| matches!(s, Step::Answer(_)));
        if !answered && !answer.trim().is_empty() {
            let _ = write!(md, "\n## Answer\n\n{answer}\n");
        }
        md
    }

    /// Writes `<results>/<app>/session-<time>.md`; its path.
    pub fn export(&self, results: &Path, app: &str, answer: &str) -> std::io::Result<PathBuf> {
        let dir = results.join(app);
        std::fs::create_dir_all(&dir)?;
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let path = dir.join(format!("session-{stamp}.md"));
        let tmp = dir.join(format!(".session-{stamp}.md.tmp"));
        std::fs::write(&tmp, self.markdown(app, answer))?;
        std::fs::rename(&tmp, &path)?;
        Ok(path)
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= c.len() {
                out.push(B64[(n >> shift) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The OSC 52 sequence that puts `text` on the terminal's clipboard.
pub fn osc52(text: &str) -> String {
    format!("\x1b]52;c;{}\x07", base64(text.as_bytes()))
}

fn percent(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A Grafana Explore link running `logql` over the range on its default
/// Loki data source (`schemaVersion=1` panes form, Grafana 10+).
pub fn grafana_explore_url(base: &str, logql: &str, start_ns: i64, end_ns: i64) -> String {
    let panes = serde_json::json!({
        "lc": {
            "queries": [{"refId": "A", "expr": logql, "queryType": "range"}],
            "range": {"from": (start_ns / 1_000_000).to_string(), "to": (end_ns / 1_000_000).to_string()},
        }
    });
    format!("{}/explore?schemaVersion=1&orgId=1&panes={}", base.trim_end_matches('/'), percent(&panes.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_keeps_the_order_and_strips_escapes() {
        let mut s = Session::default();
        s.ask("how many blocks?");
        s.ran("{app=\"hdfs\"}", &["2008 line \x1b[31mred".into()]);
        let md = s.markdown("hdfs", "many");
        let q = md.find("## Question").unwrap();
        let l = md.find("```logql\n{app=\"hdfs\"}\n```").unwrap();
        let a = md.find("## Answer\n\nmany").unwrap();
        assert!(q < l && l < a, "{md}");
        assert!(md.contains("2008 line red"));
        let dir = tempfile::tempdir().unwrap();
        let p = s.export(dir.path(), "hdfs", "").unwrap();
        assert!(p.starts_with(dir.path().join("hdfs")));
        assert!(std::fs::read_to_string(p).unwrap().contains("how many blocks?"));
    }

    #[test]
    fn osc52_and_grafana_links() {
        assert_eq!(base64(b"hello"), "aGVsbG8=");
        assert_eq!(base64(b"hi"), "aGk=");
        assert_eq!(base64(b"abc"), "YWJj");
        assert_eq!(osc52("hi"), "\x1b]52;c;aGk=\x07");
        let u = grafana_explore_url("http://g:3000/", "{app=\"x\"}", 1_000_000_000, 2_000_000_000);
        assert!(u.starts_with("http://g:3000/explore?schemaVersion=1&orgId=1&panes=%7B%22lc%22"), "{u}");
        assert!(u.contains("%7Bapp%3D%5C%22x%5C%22%7D"), "{u}");
        assert!(u.contains("%22from%22%3A%221000%22"), "{u}");
    }
}
