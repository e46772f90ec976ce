//! Label names and label values of the streams a metadata request found
//! (streams with at least one line in the time range).

use std::collections::BTreeSet;

use crate::logql::value::Labels;

/// Sorted distinct label names.
pub fn label_names(streams: &[Labels]) -> Vec<String> {
    let set: BTreeSet<&String> = streams.iter().flat_map(|s| s.keys()).collect();
    set.into_iter().cloned().collect()
}

/// Sorted distinct values of `name`.
pub fn label_values(streams: &[Labels], name: &str) -> Vec<String> {
    let set: BTreeSet<&String> = streams.iter().filter_map(|s| s.get(name)).collect();
    set.into_iter().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values() {
        let a: Labels = [("app".to_string(), "x".to_string()), ("level".to_string(), "INFO".to_string())].into();
        let b: Labels = [("app".to_string(), "y".to_string())].into();
        assert_eq!(label_names(&[a.clone(), b.clone()]), ["app", "level"]);
        assert_eq!(label_values(&[a, b], "app"), ["x", "y"]);
    }
}
