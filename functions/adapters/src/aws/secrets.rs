//! Secrets Manager: secrets that configuration names (the GitHub webhook secret, Kafka Connect
//! credentials), read once at cold start.

use aws_sdk_secretsmanager::Client;
use switchyard_core::secret::Secret;

pub const IAM_ACTIONS: &[&str] = &["secretsmanager:GetSecretValue"];

#[derive(Debug, thiserror::Error)]
#[error("cannot read secret {id:?} from Secrets Manager: {message}")]
pub struct SecretError {
    pub id: String,
    pub message: String,
}

/// The string value of a secret. The value is never logged: it only exists as a [`Secret`].
pub async fn secret_value(client: &Client, id: &str) -> Result<Secret, SecretError> {
    let error = |message: String| SecretError {
        id: id.to_owned(),
        message,
    };
    let out = client
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .map_err(|e| {
            error(aws_smithy_types::error::display::DisplayErrorContext(&e).to_string())
        })?;
    let value = out
        .secret_string()
        .ok_or_else(|| error("the secret has no string value".into()))?;
    if value.is_empty() {
        return Err(error("the secret is empty".into()));
    }
    Ok(Secret::new(value))
}
