//! Git ref names are untrusted input: they arrive in webhook bodies and events that anyone who can
//! push a branch controls. This module is the one gate they pass: a ref is accepted only if `git
//! check-ref-format --branch` would accept it, and only then wrapped in [`RefName`].
//!
//! A valid ref may still contain `$`, `;`, `|`, `(`, quotes and unicode: git allows them. That is why
//! a ref never reaches a shell or a buildspec as text, only as an environment variable, and why the
//! names derived from it go through [`crate::naming`].

use std::fmt;

use crate::text::truncate_for_message;

/// Longest ref accepted, in bytes. Git itself has no limit, but every ref becomes a file path
/// and an environment variable; nothing legitimate comes close to this.
pub const MAX_REF_BYTES: usize = 1024;

/// A short ref name (`feature/x`, `prod_eu-west-1/payments/2.4.0`), validated by git's rules.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RefName(String);

/// Which namespace a full ref lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefKind {
    Branch,
    Tag,
}

impl RefKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RefKind::Branch => "branch",
            RefKind::Tag => "tag",
        }
    }

    fn full_prefix(self) -> &'static str {
        match self {
            RefKind::Branch => "refs/heads/",
            RefKind::Tag => "refs/tags/",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefError {
    #[error("ref is empty")]
    Empty,
    #[error("ref is {0} bytes long; the limit is {MAX_REF_BYTES}")]
    TooLong(usize),
    #[error("ref contains {0}, which git does not allow in a ref name")]
    ForbiddenCharacter(&'static str),
    #[error("ref contains {0:?}, which git does not allow in a ref name")]
    ForbiddenSequence(&'static str),
    #[error("ref {0}")]
    BadShape(&'static str),
    #[error("ref {0}")]
    Invisible(crate::text::InvisibleCharacter),
    #[error("{full:?} is not a {kind} ref (expected it to start with {prefix:?})")]
    WrongNamespace {
        full: String,
        kind: &'static str,
        prefix: &'static str,
    },
}

impl RefName {
    /// Validates a short ref name with the rules of `git check-ref-format --branch`.
    pub fn parse(name: &str) -> Result<Self, RefError> {
        validate(name)?;
        Ok(RefName(name.to_owned()))
    }

    /// Validates a full ref (`refs/heads/x`) of the given kind and returns its short name.
    pub fn parse_full(full: &str, kind: RefKind) -> Result<Self, RefError> {
        match full.strip_prefix(kind.full_prefix()) {
            Some(short) => Self::parse(short),
            None => Err(RefError::WrongNamespace {
                full: truncate_for_message(full),
                kind: kind.as_str(),
                prefix: kind.full_prefix(),
            }),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RefName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RefName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RefName({:?})", self.0)
    }
}

/// Which kind a full ref belongs to, if any.
pub fn kind_of_full_ref(full: &str) -> Option<RefKind> {
    if full.starts_with(RefKind::Branch.full_prefix()) {
        Some(RefKind::Branch)
    } else if full.starts_with(RefKind::Tag.full_prefix()) {
        Some(RefKind::Tag)
    } else {
        None
    }
}

fn validate(name: &str) -> Result<(), RefError> {
    if name.is_empty() {
        return Err(RefError::Empty);
    }
    if name.len() > MAX_REF_BYTES {
        return Err(RefError::TooLong(name.len()));
    }
    for c in name.chars() {
        let what = match c {
            c if c.is_ascii_control() => "a control character",
            ' ' => "a space",
            '~' => "'~'",
            '^' => "'^'",
            ':' => "':'",
            '?' => "'?'",
            '*' => "'*'",
            '[' => "'['",
            '\\' => "'\\'",
            _ => continue,
        };
        return Err(RefError::ForbiddenCharacter(what));
    }
    // Git allows them; we do not: see `text::first_invisible`.
    if let Some(invisible) = crate::text::first_invisible(name) {
        return Err(RefError::Invisible(invisible));
    }
    for seq in ["..", "@{", "//"] {
        if name.contains(seq) {
            return Err(RefError::ForbiddenSequence(seq));
        }
    }
    if name == "@" {
        return Err(RefError::BadShape("may not be the single character '@'"));
    }
    if name.starts_with('-') {
        return Err(RefError::BadShape("may not start with '-'"));
    }
    if name.starts_with('/') || name.ends_with('/') {
        return Err(RefError::BadShape("may not start or end with '/'"));
    }
    if name.ends_with('.') {
        return Err(RefError::BadShape("may not end with '.'"));
    }
    if name == "HEAD" {
        return Err(RefError::BadShape("may not be HEAD"));
    }
    for component in name.split('/') {
        if component.starts_with('.') {
            return Err(RefError::BadShape("has a component starting with '.'"));
        }
        if component.ends_with(".lock") {
            return Err(RefError::BadShape("has a component ending with '.lock'"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_what_git_accepts() {
        for ok in [
            "main",
            "feature/ABC-1_x",
            "feature/$(rm${IFS}-rf)",
            "a;b|c",
            "ünïcødé/分支",
            "release/1.2.x",
            "x@y",
            "a.b",
        ] {
            assert!(RefName::parse(ok).is_ok(), "{ok} should be valid");
        }
    }

    #[test]
    fn rejects_what_git_rejects_with_a_reason() {
        let cases = [
            ("", "empty"),
            ("a..b", "\"..\""),
            ("a b", "space"),
            ("a\nb", "control"),
            ("a\0b", "control"),
            ("a~1", "'~'"),
            ("a^", "'^'"),
            ("a:b", "':'"),
            ("a?", "'?'"),
            ("a*", "'*'"),
            ("a[b", "'['"),
            ("a\\b", "'\\'"),
            ("a@{1}", "\"@{\""),
            ("@", "'@'"),
            ("-x", "'-'"),
            ("/x", "'/'"),
            ("x/", "'/'"),
            ("a//b", "\"//\""),
            ("x.", "'.'"),
            (".x", "'.'"),
            ("a/.x", "'.'"),
            ("x.lock", ".lock"),
            ("a/x.lock/b", ".lock"),
            ("HEAD", "HEAD"),
            // Git allows these; Switchyard does not (see `text::first_invisible`).
            (
                "feature/\u{202E}gpj.exe",
                "U+202E (a format character) at character 9",
            ),
            ("fix\u{200B}", "U+200B"),
            ("a\u{2028}b", "U+2028 (a line separator)"),
            ("\u{2069}x", "U+2069"),
        ];
        for (bad, why) in cases {
            let err = RefName::parse(bad).expect_err(bad).to_string();
            assert!(err.contains(why), "{bad:?}: {err:?} should mention {why}");
        }
    }

    #[test]
    fn rejects_huge_refs_without_echoing_them() {
        let huge = "a".repeat(100 * 1024);
        let err = RefName::parse(&huge).unwrap_err();
        assert_eq!(err, RefError::TooLong(100 * 1024));
        let err = RefName::parse_full(&format!("refs/x/{huge}"), RefKind::Branch).unwrap_err();
        assert!(err.to_string().len() < 300);
    }

    #[test]
    fn full_refs_are_namespace_checked() {
        assert_eq!(
            RefName::parse_full("refs/heads/feature/x", RefKind::Branch)
                .unwrap()
                .as_str(),
            "feature/x"
        );
        assert!(RefName::parse_full("refs/tags/v1", RefKind::Branch).is_err());
        assert_eq!(kind_of_full_ref("refs/tags/v1"), Some(RefKind::Tag));
        assert_eq!(kind_of_full_ref("refs/notes/x"), None);
    }

    proptest! {
        #[test]
        fn never_panics_and_accepted_refs_have_no_forbidden_bytes(s in "\\PC{0,64}|[ -~\\n\\t]{0,64}") {
            if let Ok(r) = RefName::parse(&s) {
                let r = r.as_str();
                prop_assert!(!r.is_empty());
                prop_assert!(!r.chars().any(|c| c.is_ascii_control() || " ~^:?*[\\".contains(c)));
                prop_assert!(!r.contains(".."));
            }
        }
    }
}
