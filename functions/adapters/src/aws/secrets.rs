//! Secrets Manager: the GitHub webhook secret, read once at cold start.

use aws_sdk_secretsmanager::Client;
use switchyard_core::secret::Secret;
use switchyard_core::webhook::SecretSource;

pub const IAM_ACTIONS: &[&str] = &["secretsmanager:GetSecretValue"];

#[derive(Debug, thiserror::Error)]
#[error("cannot read webhook secret {id:?} from Secrets Manager: {message}")]
pub struct SecretError {
    pub id: String,
    pub message: String,
}

/// Resolves the configured webhook secret. The value is never logged: it only exists as a
/// [`Secret`].
pub async fn webhook_secret(
    source: &SecretSource,
    client: impl FnOnce() -> Client,
) -> Result<Option<Secret>, SecretError> {
    match source {
        SecretSource::Unset => Ok(None),
        SecretSource::Inline(secret) => Ok(Some(secret.clone())),
        SecretSource::SecretsManager(id) => {
            let out = client()
                .get_secret_value()
                .secret_id(id)
                .send()
                .await
                .map_err(|e| SecretError {
                    id: id.clone(),
                    message: aws_smithy_types::error::display::DisplayErrorContext(&e).to_string(),
                })?;
            let value = out.secret_string().ok_or_else(|| SecretError {
                id: id.clone(),
                message: "the secret has no string value".into(),
            })?;
            if value.is_empty() {
                return Err(SecretError {
                    id: id.clone(),
                    message: "the secret is empty".into(),
                });
            }
            Ok(Some(Secret::new(value)))
        }
    }
}
