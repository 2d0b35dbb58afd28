//! Include / exclude glob filters for ref names, and allow-lists for repositories.
//!
//! Globs are git-style: `*` stays within one path component, `**` crosses them, so
//! `feature/*` matches `feature/x` but not `feature/x/y`, and `feature/**` matches both.

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

#[derive(Debug, Clone)]
pub struct RefFilter {
    include: GlobSet,
    include_patterns: Vec<String>,
    exclude: GlobSet,
    exclude_patterns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid glob pattern {pattern:?}: {message}")]
pub struct PatternError {
    pub pattern: String,
    pub message: String,
}

fn glob(pattern: &str) -> Result<Glob, PatternError> {
    // Refs carrying such characters are refused before any filter sees them; a pattern that
    // carries one would look like another pattern in the configuration.
    if let Some(invisible) = crate::text::first_invisible(pattern) {
        return Err(PatternError {
            pattern: pattern.escape_unicode().to_string(),
            message: invisible.to_string(),
        });
    }
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| PatternError {
            pattern: pattern.to_owned(),
            message: e.kind().to_string(),
        })
}

fn set(patterns: &[String]) -> Result<GlobSet, PatternError> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        b.add(glob(p)?);
    }
    b.build().map_err(|e| PatternError {
        pattern: patterns.join(","),
        message: e.to_string(),
    })
}

impl RefFilter {
    /// An empty include list means "everything".
    pub fn new(include: &[String], exclude: &[String]) -> Result<Self, PatternError> {
        let include_patterns = if include.is_empty() {
            vec!["**".to_owned()]
        } else {
            include.to_vec()
        };
        Ok(RefFilter {
            include: set(&include_patterns)?,
            include_patterns,
            exclude: set(exclude)?,
            exclude_patterns: exclude.to_vec(),
        })
    }

    /// `Err` carries the reason the name is filtered out.
    pub fn check(&self, name: &str) -> Result<(), String> {
        if let Some(i) = self.exclude.matches(name).first() {
            return Err(format!(
                "{name:?} matches exclude pattern {:?}",
                self.exclude_patterns[*i]
            ));
        }
        if !self.include.is_match(name) {
            return Err(format!(
                "{name:?} matches no include pattern ({})",
                self.include_patterns.join(", ")
            ));
        }
        Ok(())
    }
}

/// Which repositories a function acts for: an explicit list, or every repository (`*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowList {
    Any,
    Only(Vec<String>),
}

impl AllowList {
    /// `["*"]` is "any"; an empty list is refused by the caller (no implicit "allow all").
    pub fn new(entries: Vec<String>) -> Self {
        if entries.iter().any(|e| e == "*") {
            AllowList::Any
        } else {
            AllowList::Only(entries)
        }
    }

    pub fn allows(&self, name: &str) -> bool {
        match self {
            AllowList::Any => true,
            AllowList::Only(list) => list.iter().any(|e| e == name),
        }
    }
}

/// As configured: `*`, or the names comma-separated.
impl std::fmt::Display for AllowList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AllowList::Any => f.write_str("*"),
            AllowList::Only(list) => f.write_str(&list.join(", ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn include_and_exclude() {
        let f = RefFilter::new(
            &strings(&["feature/**", "bugfix/*"]),
            &strings(&["dependabot/**", "feature/wip-*"]),
        )
        .unwrap();
        assert!(f.check("feature/a").is_ok());
        assert!(f.check("feature/a/b").is_ok());
        assert!(f.check("bugfix/a").is_ok());
        assert!(f
            .check("bugfix/a/b")
            .unwrap_err()
            .contains("no include pattern"));
        assert!(f
            .check("feature/wip-x")
            .unwrap_err()
            .contains("feature/wip-*"));
        assert!(f.check("dependabot/npm/x").unwrap_err().contains("exclude"));
        let all = RefFilter::new(&[], &[]).unwrap();
        assert!(all.check("anything/at/all").is_ok());
        assert!(RefFilter::new(&strings(&["a[b"]), &[]).is_err());
    }

    #[test]
    fn allow_list() {
        assert!(AllowList::new(strings(&["*"])).allows("x"));
        let only = AllowList::new(strings(&["acme/app"]));
        assert!(only.allows("acme/app"));
        assert!(!only.allows("acme/other"));
    }

    #[test]
    fn patterns_with_invisible_characters_are_refused() {
        let err = RefFilter::new(&strings(&["feature/\u{202E}*"]), &[]).unwrap_err();
        assert!(err.message.contains("U+202E"), "{err}");
        assert!(
            !err.pattern.contains('\u{202E}'),
            "the pattern is shown escaped: {err}"
        );
    }
}
