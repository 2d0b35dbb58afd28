//! Configuration comes from environment variables, read once at cold start into typed values.
//! Every error names the variable that is wrong.

use std::collections::HashMap;

/// Where variables come from: the process environment in Lambda, an env file merged over it in
/// the CLI, a map in tests.
pub trait Vars {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Vars for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl Vars for HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {var}: {message}")]
pub struct ConfigError {
    pub var: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(var: &str, message: impl Into<String>) -> Self {
        ConfigError {
            var: var.to_owned(),
            message: message.into(),
        }
    }
}

/// A set, non-blank variable, trimmed.
pub fn optional(vars: &dyn Vars, name: &str) -> Option<String> {
    vars.var(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

pub fn required(vars: &dyn Vars, name: &str) -> Result<String, ConfigError> {
    optional(vars, name).ok_or_else(|| ConfigError::new(name, "is not set"))
}

/// A comma-separated list; blank entries are ignored.
pub fn list(vars: &dyn Vars, name: &str) -> Vec<String> {
    optional(vars, name)
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

pub fn boolean(vars: &dyn Vars, name: &str, default: bool) -> Result<bool, ConfigError> {
    match optional(vars, name).as_deref() {
        None => Ok(default),
        Some("true" | "1" | "yes") => Ok(true),
        Some("false" | "0" | "no") => Ok(false),
        Some(other) => Err(ConfigError::new(
            name,
            format!("expected true or false, got {other:?}"),
        )),
    }
}

/// A whole number in `range`, `default` when unset. Every numeric variable is read here, so
/// every one is refused in the same words.
pub fn number<T>(
    vars: &dyn Vars,
    name: &str,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display,
{
    let Some(text) = optional(vars, name) else {
        return Ok(default);
    };
    match text.parse::<T>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(ConfigError::new(
            name,
            format!(
                "expected a whole number from {} to {}, got {text:?}",
                range.start(),
                range.end()
            ),
        )),
    }
}

/// One of `choices` (each a word and its value), `default` when unset.
pub fn choice<T: Copy>(
    vars: &dyn Vars,
    name: &str,
    default: T,
    choices: &[(&str, T)],
) -> Result<T, ConfigError> {
    match optional(vars, name) {
        None => Ok(default),
        Some(value) => one_of(name, &value, choices),
    }
}

/// `value` (read from the variable `name`) as one of `choices`.
pub fn one_of<T: Copy>(name: &str, value: &str, choices: &[(&str, T)]) -> Result<T, ConfigError> {
    if let Some((_, v)) = choices.iter().find(|(word, _)| *word == value) {
        return Ok(*v);
    }
    let words: Vec<&str> = choices.iter().map(|(word, _)| *word).collect();
    let expected = match words.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => "nothing".to_owned(),
    };
    Err(ConfigError::new(
        name,
        format!("expected {expected}, got {value:?}"),
    ))
}

/// A JSON document, parsed into `T`; `None` when unset.
pub fn json<T: serde::de::DeserializeOwned>(
    vars: &dyn Vars,
    name: &str,
) -> Result<Option<T>, ConfigError> {
    optional(vars, name)
        .map(|text| {
            serde_json::from_str(&text)
                .map_err(|e| ConfigError::new(name, format!("invalid JSON: {e}")))
        })
        .transpose()
}

/// Parses `KEY=VALUE` lines (blank lines and `#` comments ignored, optional `export `, optional
/// surrounding quotes). Used by `switchyard replay --env-file`.
pub fn parse_env_file(text: &str) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!("line {}: expected KEY=VALUE", n + 1));
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("line {}: invalid variable name {key:?}", n + 1));
        }
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(value);
        out.insert(key.to_owned(), value.to_owned());
    }
    Ok(out)
}

/// A variable map for tests: `vars(&[("NAME", "value")])`.
#[cfg(test)]
pub(crate) fn test_vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_file_and_helpers() {
        let vars = parse_env_file("# c\nexport A=1\nB = \"x, y,,z\"\n\nC=\nD='true'\n").unwrap();
        assert_eq!(required(&vars, "A").unwrap(), "1");
        assert_eq!(list(&vars, "B"), ["x", "y", "z"]);
        assert_eq!(optional(&vars, "C"), None);
        assert!(boolean(&vars, "D", false).unwrap());
        let err = required(&vars, "MISSING").unwrap_err().to_string();
        assert_eq!(err, "invalid configuration: MISSING: is not set");
        assert!(parse_env_file("nonsense").unwrap_err().contains("line 1"));
    }

    #[test]
    fn numbers_choices_and_json_name_the_variable() {
        let vars = test_vars(&[("N", "7"), ("BIG", "99"), ("C", "pass"), ("J", "[1,")]);
        assert_eq!(number(&vars, "N", 1u32, 1..=10).unwrap(), 7);
        assert_eq!(number(&vars, "UNSET", 3u64, 1..=10).unwrap(), 3);
        let err = number(&vars, "BIG", 1u32, 1..=10).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid configuration: BIG: expected a whole number from 1 to 10, got \"99\""
        );
        let choices = [("fail", false), ("pass", true)];
        assert!(choice(&vars, "C", false, &choices).unwrap());
        let err = one_of("X", "maybe", &[("a", 1), ("b", 2), ("c", 3)]).unwrap_err();
        assert_eq!(err.message, "expected a, b or c, got \"maybe\"");
        assert!(json::<Vec<u8>>(&vars, "J")
            .unwrap_err()
            .message
            .starts_with("invalid JSON"));
    }
}
