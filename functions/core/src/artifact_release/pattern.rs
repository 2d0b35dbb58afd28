//! Key patterns with named captures: `connectors/{name}/{version}/plugin.zip`.
//!
//! - `{name}` captures one or more characters within one path segment (never `/`);
//! - a name used twice must capture the same text both times (`apps/{app}/{app}-{version}.jar`
//!   matches `apps/pay/pay-1.0.jar`, not `apps/pay/other-1.0.jar`);
//! - everything else is literal, compared exactly (no globbing, case-sensitive);
//! - when several splits are possible, earlier captures take the longest text
//!   (`{name}-{version}.jar` on `debezium-postgres-2.7.1.jar` gives `debezium-postgres` and
//!   `2.7.1`).
//!
//! Keys are untrusted, so matching is bounded: failed positions are memoized and a step budget
//! turns a pathological key into a clear error instead of a stuck Lambda.

use std::collections::HashSet;

/// Capture names: identifiers, so they are valid pipeline variable and environment names as-is.
pub const MAX_CAPTURE_NAME: usize = 64;

/// Matching work allowed for one key against one pattern.
const STEP_BUDGET: usize = 200_000;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(String),
    /// Index into `KeyPattern::names`.
    Capture(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPattern {
    source: String,
    tokens: Vec<Token>,
    /// Distinct capture names, in order of first use.
    names: Vec<String>,
    /// `memoizable[t]`: matching from token `t` on does not depend on earlier captures, so a
    /// failure at (t, position) can be remembered.
    memoizable: Vec<bool>,
}

/// The captured values, in the order of [`KeyPattern::captures`].
pub type Captures = Vec<(String, String)>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("key pattern {pattern:?} is too ambiguous for this key (more than {STEP_BUDGET} matching steps); make the literals between captures more distinctive")]
pub struct TooAmbiguous {
    pub pattern: String,
}

pub fn is_capture_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_CAPTURE_NAME
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Characters a pattern's literal text may not contain: braces are syntax; control characters
/// can never be in a valid key; private-use characters are reserved for [`KeyPattern::witness`].
fn forbidden_literal(c: char) -> bool {
    c.is_control() || ('\u{E000}'..='\u{F8FF}').contains(&c)
}

impl KeyPattern {
    pub fn parse(source: &str) -> Result<Self, String> {
        if source.is_empty() {
            return Err("is empty".into());
        }
        let mut tokens = Vec::new();
        let mut names: Vec<String> = Vec::new();
        let mut literal = String::new();
        let mut chars = source.chars();
        while let Some(c) = chars.next() {
            match c {
                '{' => {
                    let rest = chars.as_str();
                    let Some(close) = rest.find('}') else {
                        return Err(format!("`{{{rest}` is not closed by `}}`"));
                    };
                    let name = rest[..close].to_owned();
                    chars = rest[close + 1..].chars();
                    if !is_capture_name(&name) {
                        return Err(format!(
                            "`{{{name}}}`: capture names are letters, digits and `_`, starting with a letter or `_`, at most {MAX_CAPTURE_NAME} characters"
                        ));
                    }
                    if !literal.is_empty() {
                        tokens.push(Token::Literal(std::mem::take(&mut literal)));
                    } else if matches!(tokens.last(), Some(Token::Capture(_))) {
                        return Err(format!(
                            "`{{{name}}}` directly follows another capture; separate captures with literal text"
                        ));
                    }
                    let index = names.iter().position(|n| *n == name).unwrap_or_else(|| {
                        names.push(name);
                        names.len() - 1
                    });
                    tokens.push(Token::Capture(index));
                }
                '}' => return Err("`}` without a matching `{`".into()),
                c if forbidden_literal(c) => {
                    return Err(format!("contains the character U+{:04X}", c as u32))
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            tokens.push(Token::Literal(literal));
        }
        if source.split('/').any(|s| s == "..") {
            return Err("has a `..` segment, which no accepted key can have".into());
        }
        let memoizable = (0..tokens.len())
            .map(|t| {
                tokens[t..].iter().all(|tok| match tok {
                    Token::Capture(i) => !tokens[..t].contains(&Token::Capture(*i)),
                    Token::Literal(_) => true,
                })
            })
            .collect();
        Ok(KeyPattern {
            source: source.to_owned(),
            tokens,
            names,
            memoizable,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The capture names, in order of first use.
    pub fn captures(&self) -> &[String] {
        &self.names
    }

    /// The captures if `key` matches, `None` if it does not.
    pub fn matches(&self, key: &str) -> Result<Option<Captures>, TooAmbiguous> {
        let mut m = Matcher {
            pattern: self,
            key,
            values: vec![None; self.names.len()],
            failed: HashSet::new(),
            steps: 0,
        };
        if !m.from(0, 0)? {
            return Ok(None);
        }
        Ok(Some(
            self.names
                .iter()
                .zip(m.values)
                .map(|(name, value)| (name.clone(), value.unwrap_or_default().to_owned()))
                .collect(),
        ))
    }

    /// A key that stands for every key this pattern matches: each capture is replaced by its own
    /// private-use character, which no literal contains. If another pattern matches the witness,
    /// it matches every key this pattern matches (each capture of the other pattern can only
    /// absorb whole witness characters, whatever text they stand for), which is how rule
    /// shadowing is detected exactly.
    pub fn witness(&self) -> String {
        self.tokens
            .iter()
            .map(|t| match t {
                Token::Literal(l) => l.clone(),
                Token::Capture(i) => char::from_u32(0xE000 + *i as u32)
                    .expect("private-use range")
                    .to_string(),
            })
            .collect()
    }
}

struct Matcher<'a> {
    pattern: &'a KeyPattern,
    key: &'a str,
    values: Vec<Option<&'a str>>,
    failed: HashSet<(usize, usize)>,
    steps: usize,
}

impl<'a> Matcher<'a> {
    /// Does `tokens[t..]` match `key[pos..]`? Binds captures on success.
    fn from(&mut self, t: usize, pos: usize) -> Result<bool, TooAmbiguous> {
        self.steps += 1;
        if self.steps > STEP_BUDGET {
            return Err(TooAmbiguous {
                pattern: self.pattern.source.clone(),
            });
        }
        let tokens = &self.pattern.tokens;
        let Some(token) = tokens.get(t) else {
            return Ok(pos == self.key.len());
        };
        let memo = self.pattern.memoizable[t];
        if memo && self.failed.contains(&(t, pos)) {
            return Ok(false);
        }
        let rest = &self.key[pos..];
        let matched = match token {
            Token::Literal(l) => rest.starts_with(l.as_str()) && self.from(t + 1, pos + l.len())?,
            Token::Capture(i) => match self.values[*i] {
                Some(bound) => rest.starts_with(bound) && self.from(t + 1, pos + bound.len())?,
                None => self.capture(*i, t, pos)?,
            },
        };
        if !matched && memo {
            self.failed.insert((t, pos));
        }
        Ok(matched)
    }

    /// Tries the longest value first, within the current segment, stopping only where the next
    /// literal (or the end of the key) can follow.
    fn capture(&mut self, i: usize, t: usize, pos: usize) -> Result<bool, TooAmbiguous> {
        let key = self.key;
        let segment_end = key[pos..].find('/').map_or(key.len(), |n| pos + n);
        let next_literal = match self.pattern.tokens.get(t + 1) {
            Some(Token::Literal(l)) => Some(l.as_str()),
            _ => None,
        };
        for end in (pos + 1..=segment_end).rev() {
            if !key.is_char_boundary(end) {
                continue;
            }
            let fits = match next_literal {
                Some(l) => key[end..].starts_with(l),
                None => end == key.len(),
            };
            if !fits {
                continue;
            }
            self.values[i] = Some(&key[pos..end]);
            if self.from(t + 1, end)? {
                return Ok(true);
            }
        }
        self.values[i] = None;
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(pattern: &str, key: &str) -> Option<Vec<(String, String)>> {
        KeyPattern::parse(pattern).unwrap().matches(key).unwrap()
    }

    fn pairs(v: &[(&str, &str)]) -> Option<Vec<(String, String)>> {
        Some(
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        )
    }

    #[test]
    fn captures_within_segments() {
        assert_eq!(
            caps(
                "connectors/{name}/{version}/plugin.zip",
                "connectors/debezium-postgres/2.7.1/plugin.zip"
            ),
            pairs(&[("name", "debezium-postgres"), ("version", "2.7.1")])
        );
        assert_eq!(
            caps(
                "connectors/{name}/{version}/plugin.zip",
                "connectors/a/b/c/plugin.zip"
            ),
            None
        );
        assert_eq!(
            caps(
                "connectors/{name}/{version}/plugin.zip",
                "connectors//1/plugin.zip"
            ),
            None
        );
        assert_eq!(
            caps(
                "connectors/{name}/{version}/plugin.zip",
                "connectors/a/1/plugin.zip.bak"
            ),
            None
        );
        assert_eq!(caps("a/{x}", "a/é ü+%"), pairs(&[("x", "é ü+%")]));
        assert_eq!(caps("exact/key.txt", "exact/key.txt"), Some(vec![]));
        assert_eq!(caps("exact/key.txt", "Exact/key.txt"), None);
    }

    #[test]
    fn repeated_captures_must_agree() {
        let p = "apps/{app}/{app}-{version}.jar";
        assert_eq!(
            caps(p, "apps/payments/payments-2.4.0.jar"),
            pairs(&[("app", "payments"), ("version", "2.4.0")])
        );
        assert_eq!(caps(p, "apps/payments/ledger-2.4.0.jar"), None);
        assert_eq!(
            caps(p, "apps/pay-api/pay-api-1.0.0-rc.1.jar"),
            pairs(&[("app", "pay-api"), ("version", "1.0.0-rc.1")])
        );
    }

    #[test]
    fn earlier_captures_take_the_longest_text() {
        assert_eq!(
            caps("{name}-{version}.jar", "debezium-postgres-2.7.1.jar"),
            pairs(&[("name", "debezium-postgres"), ("version", "2.7.1")])
        );
    }

    #[test]
    fn invalid_patterns_say_why() {
        for (p, why) in [
            ("", "empty"),
            ("a/{name", "not closed"),
            ("a/name}", "without a matching"),
            ("a/{1x}", "capture names"),
            ("a/{}", "capture names"),
            ("a/{a}{b}", "directly follows"),
            ("a/../{b}", ".."),
            ("a/\u{1}", "U+0001"),
        ] {
            let err = KeyPattern::parse(p).unwrap_err();
            assert!(err.contains(why), "{p:?}: {err}");
        }
    }

    #[test]
    fn witness_decides_shadowing() {
        let general = KeyPattern::parse("apps/{app}/{file}").unwrap();
        let specific = KeyPattern::parse("apps/{app}/{app}-{version}.jar").unwrap();
        assert!(general.matches(&specific.witness()).unwrap().is_some());
        assert!(specific.matches(&general.witness()).unwrap().is_none());
        let dotted = KeyPattern::parse("apps/{a}.{b}").unwrap();
        let jar = KeyPattern::parse("apps/{x}.jar").unwrap();
        assert!(
            dotted.matches(&jar.witness()).unwrap().is_some(),
            "every .jar key has a dot"
        );
        let same_twice = KeyPattern::parse("{a}-{a}").unwrap();
        let two = KeyPattern::parse("{x}-{y}").unwrap();
        assert!(same_twice.matches(&two.witness()).unwrap().is_none());
        assert!(two.matches(&same_twice.witness()).unwrap().is_some());
    }

    #[test]
    fn hostile_keys_end_in_bounded_time() {
        let p = KeyPattern::parse("{a}-{b}-{c}-{d}-{e}-{f}.x").unwrap();
        let key = "-".repeat(1000);
        // Either no match or a clear error; never minutes of backtracking.
        assert!(!matches!(p.matches(&key), Ok(Some(_))));
        let backref = KeyPattern::parse("{a}-{b}-{c}-{a}.x").unwrap();
        assert!(!matches!(backref.matches(&key), Ok(Some(_))));
    }
}
