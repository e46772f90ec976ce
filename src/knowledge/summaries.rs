//! What the LLM wrote about the knowledge: one [`Summary`] per template, per
//! parameter (slot of a template) and per workflow, stored in
//! `storage/<app>/<kind>_<chat-model>.json` (see `storage::summaries`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::documents::DocKind;

/// The model's words about one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// `E5`, `E5#0` (slot 0 of E5), `W3`.
    pub id: String,
    /// The cache key of the reply: a hash of the prompt (the item's data), model and prompt version.
    pub source_hash: String,
    /// What the item means (for a parameter: what its value is).
    pub summary: String,
    /// A name the model gave it (parameters, workflows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Search words (templates).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
}

/// Summaries by kind and id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summaries {
    pub templates: BTreeMap<String, Summary>,
    pub parameters: BTreeMap<String, Summary>,
    pub workflows: BTreeMap<String, Summary>,
}

impl Summaries {
    pub fn of(&self, kind: DocKind) -> &BTreeMap<String, Summary> {
        match kind {
            DocKind::Template => &self.templates,
            DocKind::Parameter => &self.parameters,
            DocKind::Workflow => &self.workflows,
        }
    }

    pub fn of_mut(&mut self, kind: DocKind) -> &mut BTreeMap<String, Summary> {
        match kind {
            DocKind::Template => &mut self.templates,
            DocKind::Parameter => &mut self.parameters,
            DocKind::Workflow => &mut self.workflows,
        }
    }

    pub fn get(&self, kind: DocKind, id: &str) -> Option<&Summary> {
        self.of(kind).get(id)
    }

    pub fn len(&self) -> usize {
        self.templates.len() + self.parameters.len() + self.workflows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The id of slot `index` of template `template_id`: `E5#0`.
pub fn parameter_id(template_id: &str, index: usize) -> String {
    format!("{template_id}#{index}")
}
