//! Known templates from a dataset's `templates.csv` (`EventId,EventTemplate`).

use std::path::Path;

/// A known template.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownTemplate {
    pub id: String,
    pub text: String,
}

/// Errors reading templates.csv.
#[derive(Debug, thiserror::Error)]
pub enum TemplatesError {
    #[error("{path}: {message}")]
    Bad { path: String, message: String },
}

/// Reads `EventId,EventTemplate` rows (other columns ignored). Blank templates are skipped.
pub fn load(path: &Path) -> Result<Vec<KnownTemplate>, TemplatesError> {
    let bad = |message: String| TemplatesError::Bad { path: path.display().to_string(), message };
    let mut r = csv::ReaderBuilder::new().flexible(true).from_path(path).map_err(|e| bad(e.to_string()))?;
    let headers = r.headers().map_err(|e| bad(e.to_string()))?.clone();
    let id_col = headers.iter().position(|h| h == "EventId").ok_or_else(|| bad("no EventId column".into()))?;
    let t_col = headers.iter().position(|h| h == "EventTemplate").ok_or_else(|| bad("no EventTemplate column".into()))?;
    let mut out: Vec<KnownTemplate> = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| bad(format!("row {}: {e}", i + 2)))?;
        let id = rec.get(id_col).unwrap_or("").trim().to_string();
        let text = rec.get(t_col).unwrap_or("").trim().to_string();
        if id.is_empty() || text.is_empty() {
            continue;
        }
        if out.iter().any(|t| t.id == id) {
            return Err(bad(format!("row {}: EventId {id} appears twice", i + 2)));
        }
        out.push(KnownTemplate { id, text });
    }
    Ok(out)
}
