//! Which config keys are secret, and how their values are shown: `<redacted>`, in every rendering
//! of a plan (text, JSON, `Debug`, logs).
//!
//! A key is secret when one of its words (split on `.`, `_`, `-`) is a secret word (`password`,
//! `secret`, `token`, `credentials`…), when its last word is `key` (`api.key`, `ssl.key`,
//! `aws.secret.access.key`) — but not `key.converter` — when it is a JAAS config (which embeds
//! passwords), or when the connector plugin reports it as type PASSWORD (from validation).
//!
//! A value that is entirely a config-provider placeholder (`${vault:path:key}`) holds no secret:
//! it is shown as is, so a reviewer sees which secret a connector refers to.

use std::collections::BTreeSet;

pub const REDACTED: &str = "<redacted>";

const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "credential",
    "credentials",
    "apikey",
    "passphrase",
    "privatekey",
];

/// Secret-key detection by name, extended with the PASSWORD-type keys plugins report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Redactor {
    password_keys: BTreeSet<String>,
}

impl Redactor {
    /// Adds keys a plugin declared as PASSWORD (from `config/validate`).
    pub fn with_password_keys(mut self, keys: impl IntoIterator<Item = String>) -> Self {
        self.password_keys.extend(keys);
        self
    }

    pub fn is_secret(&self, key: &str) -> bool {
        self.password_keys.contains(key) || looks_secret(key)
    }

    /// The value as it may be shown for this key.
    pub fn show(&self, key: &str, value: &str) -> String {
        if self.is_secret(key) && !is_placeholder(value) {
            REDACTED.to_owned()
        } else {
            value.to_owned()
        }
    }
}

/// By name alone.
pub fn looks_secret(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    if lower.ends_with("jaas.config") {
        return true;
    }
    let words: Vec<&str> = lower
        .split(['.', '_', '-'])
        .filter(|w| !w.is_empty())
        .collect();
    words.iter().any(|w| SECRET_WORDS.contains(w)) || words.last() == Some(&"key")
}

/// `${provider:path:key}` (or `${provider:key}`) and nothing else: Connect resolves it on the
/// worker, so the value itself carries no secret.
pub fn is_placeholder(value: &str) -> bool {
    let Some(inner) = value.strip_prefix("${").and_then(|v| v.strip_suffix('}')) else {
        return false;
    };
    !inner.contains(['{', '}']) && inner.contains(':') && !inner.starts_with(':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys_by_name() {
        for key in [
            "database.password",
            "connection.password",
            "ssl.keystore.password",
            "ssl.key.password",
            "aws.secret.access.key",
            "api.key",
            "sasl.jaas.config",
            "producer.override.sasl.jaas.config",
            "auth.token",
            "gcs.credentials.json",
            "azure_client_secret",
            "API-KEY",
        ] {
            assert!(looks_secret(key), "{key} should be secret");
        }
        for key in [
            "key.converter",
            "key.converter.schemas.enable",
            "message.key.columns",
            "database.user",
            "topic.prefix",
            "tasks.max",
            "keystore.type",
        ] {
            assert!(!looks_secret(key), "{key} should not be secret");
        }
    }

    #[test]
    fn shows_placeholders_and_redacts_literals() {
        let r = Redactor::default().with_password_keys(["db.pass.word.x".to_owned()]);
        assert_eq!(r.show("database.password", "hunter2"), REDACTED);
        assert_eq!(
            r.show("database.password", "${file:/s.properties:pw}"),
            "${file:/s.properties:pw}"
        );
        assert_eq!(r.show("database.password", "x${file:/s:pw}"), REDACTED);
        assert_eq!(r.show("db.pass.word.x", "plugin says so"), REDACTED);
        assert_eq!(r.show("database.user", "app"), "app");
        assert!(!is_placeholder("${topic}"));
    }
}
