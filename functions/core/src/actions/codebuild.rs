//! CodeBuild request inputs.

use serde::Serialize;

/// `StartBuild`. Untrusted values (refs, keys) travel only in `environment_variables_override`,
/// never in a buildspec override.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StartBuild {
    pub project_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    pub environment_variables_override: Vec<EnvironmentVariable>,
    pub idempotency_token: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvironmentVariable {
    pub name: String,
    pub value: String,
    /// Always `PLAINTEXT` here: values are data, not references to parameters or secrets.
    #[serde(rename = "type")]
    pub kind: &'static str,
}

impl EnvironmentVariable {
    pub fn plaintext(name: impl Into<String>, value: impl Into<String>) -> Self {
        EnvironmentVariable {
            name: name.into(),
            value: value.into(),
            kind: "PLAINTEXT",
        }
    }
}
