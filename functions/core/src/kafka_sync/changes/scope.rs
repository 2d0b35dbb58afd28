//! Ownership. Kafka Connect has no labels, so Switchyard only ever deletes connectors inside an
//! explicit managed scope: names with a configured prefix, or names on an allow-list. A connector
//! outside the scope that is not in Git belongs to someone else: it is reported, never touched.

use std::collections::BTreeSet;

use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ManagedScope {
    /// Connectors whose name starts with one of these are Switchyard's.
    pub prefixes: Vec<String>,
    /// And these, by exact name.
    pub names: BTreeSet<String>,
}

impl ManagedScope {
    pub fn new(prefixes: Vec<String>, names: impl IntoIterator<Item = String>) -> Self {
        ManagedScope {
            prefixes: prefixes.into_iter().filter(|p| !p.is_empty()).collect(),
            names: names.into_iter().filter(|n| !n.is_empty()).collect(),
        }
    }

    /// No scope configured: nothing may be deleted.
    pub fn is_unset(&self) -> bool {
        self.prefixes.is_empty() && self.names.is_empty()
    }

    pub fn contains(&self, name: &str) -> bool {
        self.names.contains(name) || self.prefixes.iter().any(|p| name.starts_with(p.as_str()))
    }

    /// For messages: `prefix "team-a-" or names [x, y]`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.prefixes.is_empty() {
            parts.push(format!("prefix {}", self.prefixes.join(", ")));
        }
        if !self.names.is_empty() {
            let names: Vec<&str> = self.names.iter().map(String::as_str).collect();
            parts.push(format!("names {}", names.join(", ")));
        }
        if parts.is_empty() {
            "no managed scope".into()
        } else {
            parts.join(" or ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_or_allow_list() {
        let s = ManagedScope::new(vec!["sy-".into(), String::new()], ["legacy".to_owned()]);
        assert!(s.contains("sy-orders"));
        assert!(s.contains("legacy"));
        assert!(!s.contains("legacy-2"));
        assert!(!s.contains("other"));
        assert!(!s.is_unset());
        assert!(ManagedScope::new(vec![String::new()], []).is_unset());
        assert_eq!(s.describe(), "prefix sy- or names legacy");
    }
}
