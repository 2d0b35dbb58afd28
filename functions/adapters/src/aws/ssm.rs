//! SSM Parameter Store: configuration documents (the artifact-release routing rules) read once at
//! cold start.

use aws_sdk_ssm::Client;

pub const IAM_ACTIONS: &[&str] = &["ssm:GetParameter"];

#[derive(Debug, thiserror::Error)]
#[error("cannot read SSM parameter {name:?}: {message}")]
pub struct ParameterError {
    pub name: String,
    pub message: String,
}

/// The parameter's value, decrypted when it is a SecureString.
pub async fn parameter_value(client: &Client, name: &str) -> Result<String, ParameterError> {
    let error = |message: String| ParameterError {
        name: name.to_owned(),
        message,
    };
    let out = client
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .map_err(|e| {
            error(aws_smithy_types::error::display::DisplayErrorContext(&e).to_string())
        })?;
    out.parameter()
        .and_then(|p| p.value())
        .filter(|v| !v.trim().is_empty())
        .map(str::to_owned)
        .ok_or_else(|| error("the parameter has no value".into()))
}
