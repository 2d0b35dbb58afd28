//! Credentials for the Connect REST API: basic auth and TLS material, from a Secrets Manager
//! secret (JSON) in Lambda, or from the environment in the CLI. Never logged: secrets are
//! [`Secret`]s and `Debug` shows only which parts are present.
//!
//! Secret shape (every field optional):
//! `{"username": "…", "password": "…", "ca_pem": "-----BEGIN CERTIFICATE-----…",
//!   "client_cert_pem": "…", "client_key_pem": "…"}`

use std::fmt;

use serde::Deserialize;
use switchyard_core::secret::Secret;

pub const IAM_ACTIONS: &[&str] = &["secretsmanager:GetSecretValue"];

#[derive(Clone, Default)]
pub struct ConnectCredentials {
    pub basic: Option<(String, Secret)>,
    /// Extra trusted CA certificates (PEM), for a private CA.
    pub ca_pem: Option<String>,
    /// Client certificate and key (PEM, concatenated) for mutual TLS.
    pub client_identity_pem: Option<Secret>,
}

impl fmt::Debug for ConnectCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectCredentials")
            .field("basic_auth_user", &self.basic.as_ref().map(|(u, _)| u))
            .field("ca_pem", &self.ca_pem.is_some())
            .field("client_identity", &self.client_identity_pem.is_some())
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("credentials {source_name}: {message}")]
pub struct CredentialsError {
    pub source_name: String,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretDocument {
    username: Option<String>,
    password: Option<String>,
    ca_pem: Option<String>,
    client_cert_pem: Option<String>,
    client_key_pem: Option<String>,
}

impl ConnectCredentials {
    /// Parses the secret's JSON. Errors name the field, never a value.
    pub fn from_secret_json(source_name: &str, text: &str) -> Result<Self, CredentialsError> {
        let err = |message: String| CredentialsError {
            source_name: source_name.to_owned(),
            message,
        };
        let doc: SecretDocument = serde_json::from_str(text).map_err(|e| {
            // serde_json messages quote unknown field names, not values; the position is enough.
            err(format!(
                "expected a JSON object with username, password, ca_pem, client_cert_pem, client_key_pem (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        let basic = match (doc.username, doc.password) {
            (Some(u), Some(p)) => Some((u, Secret::new(p))),
            (None, None) => None,
            _ => return Err(err("username and password go together".into())),
        };
        let client_identity_pem = match (doc.client_cert_pem, doc.client_key_pem) {
            (Some(cert), Some(key)) => Some(Secret::new(format!("{cert}\n{key}"))),
            (None, None) => None,
            _ => return Err(err("client_cert_pem and client_key_pem go together".into())),
        };
        Ok(ConnectCredentials {
            basic,
            ca_pem: doc.ca_pem,
            client_identity_pem,
        })
    }

    /// Reads the secret from Secrets Manager.
    pub async fn from_secrets_manager(
        client: &aws_sdk_secretsmanager::Client,
        secret_id: &str,
    ) -> Result<Self, CredentialsError> {
        let out = client
            .get_secret_value()
            .secret_id(secret_id)
            .send()
            .await
            .map_err(|e| CredentialsError {
                source_name: format!("secret {secret_id:?}"),
                message: aws_smithy_types::error::display::DisplayErrorContext(&e).to_string(),
            })?;
        let text = out.secret_string().ok_or_else(|| CredentialsError {
            source_name: format!("secret {secret_id:?}"),
            message: "the secret has no string value".into(),
        })?;
        Self::from_secret_json(&format!("secret {secret_id:?}"), text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_never_prints_secrets() {
        let c = ConnectCredentials::from_secret_json(
            "test",
            r#"{"username": "sync", "password": "hunter2", "client_cert_pem": "CERT", "client_key_pem": "KEY"}"#,
        )
        .unwrap();
        let debug = format!("{c:?}");
        assert!(
            debug.contains("sync") && !debug.contains("hunter2") && !debug.contains("KEY"),
            "{debug}"
        );
        assert_eq!(c.basic.unwrap().1.expose(), "hunter2");
        for bad in [
            r#"{"username": "u"}"#,
            r#"{"client_key_pem": "k"}"#,
            r#"{"pasword": "hunter2"}"#,
            "hunter2",
        ] {
            let e = ConnectCredentials::from_secret_json("test", bad)
                .unwrap_err()
                .to_string();
            assert!(!e.contains("hunter2"), "{e}");
        }
    }
}
