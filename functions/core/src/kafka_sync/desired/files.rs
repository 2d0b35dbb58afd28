//! What connector files and topic files share ([`super::load`] and
//! [`crate::kafka_sync::topics::desired`]): reading a file as YAML or JSON, rendering a value's
//! `{{ env.x }}` references, the `environments:` filter, and the problems found, each naming the
//! file (and the connector or topic, and the key).

use std::collections::BTreeMap;
use std::fmt;

use crate::kafka_sync::desired::template::{self, TemplateError};
use crate::kafka_sync::desired::values::RawValue;
use crate::kafka_sync::desired::SourceFile;

/// A problem in the desired state, naming the file, and the connector and key when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub file: String,
    pub connector: Option<String>,
    pub topic: Option<String>,
    pub key: Option<String>,
    pub message: String,
}

impl LoadError {
    pub(crate) fn file(file: &str, message: impl Into<String>) -> Self {
        LoadError {
            file: file.to_owned(),
            connector: None,
            topic: None,
            key: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(c) = &self.connector {
            write!(f, ": connector {c:?}")?;
        }
        if let Some(t) = &self.topic {
            write!(f, ": topic {t:?}")?;
        }
        if let Some(k) = &self.key {
            write!(f, ": key {k:?}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every problem found, so a user fixes them in one round.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LoadErrors(pub Vec<LoadError>);

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid desired state ({} problem", self.0.len())?;
        if self.0.len() != 1 {
            f.write_str("s")?;
        }
        f.write_str(")")?;
        for e in &self.0 {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

/// `[A-Za-z0-9_-]`, 1–64: an environment name is also part of a file path.
pub fn valid_environment_name(env: &str) -> bool {
    !env.is_empty()
        && env.len() <= 64
        && env
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

pub(crate) fn parse_file<T: serde::de::DeserializeOwned>(
    file: &SourceFile,
) -> Result<T, LoadError> {
    let text = std::str::from_utf8(&file.contents)
        .map_err(|_| LoadError::file(&file.path, "is not UTF-8 text"))?;
    let parsed = if file.path.ends_with(".json") {
        serde_json::from_str(text).map_err(|e| e.to_string())
    } else {
        crate::yaml::from_str(text)
    };
    parsed.map_err(|e| LoadError::file(&file.path, e))
}

/// A value of a connector or topic file with its `{{ env.x }}` references filled in from
/// `env_file`'s `values`, or a message saying why it cannot be.
pub(crate) fn render_value(
    raw: &RawValue,
    values: &BTreeMap<String, String>,
    env_file: &str,
) -> Result<String, String> {
    raw.render().map_err(str::to_owned).and_then(|text| {
        template::render(&text, values).map_err(|e| match e {
            TemplateError::Undefined(_) => format!("{e} in {env_file}"),
            TemplateError::Malformed(_) => e.to_string(),
        })
    })
}

/// The environments filter shared by connector and topic files: `Ok(false)` when `envs` is set
/// and does not name `env`; an error message for a name that is not an environment's.
pub(crate) fn declared_for(envs: Option<&[String]>, env: &str) -> Result<bool, String> {
    let Some(envs) = envs else { return Ok(true) };
    if let Some(bad) = envs.iter().find(|e| !valid_environment_name(e)) {
        return Err(format!("{bad:?} is not an environment name"));
    }
    Ok(envs.iter().any(|e| e == env))
}
