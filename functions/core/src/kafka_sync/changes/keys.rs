//! Key-by-key comparison of a stored config with Git's, shared by connectors
//! ([`super::diff`]) and topics ([`crate::kafka_sync::topics::diff`]): every changed, added and
//! removed key, values as the one redactor shows them.

use serde::Serialize;

use crate::kafka_sync::changes::redact::Scrubber;
use crate::kafka_sync::desired::ConnectorConfig;

/// One key's change, values already redacted where secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyChange {
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub secret: bool,
}

/// Exact, key-by-key comparison of what Connect stores with what Git says; values as `shown`
/// shows them.
pub fn key_changes(
    stored: &ConnectorConfig,
    desired: &ConnectorConfig,
    shown: &Scrubber,
) -> Vec<KeyChange> {
    let mut keys: Vec<&String> = stored.0.keys().chain(desired.0.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|key| {
            let before = stored.0.get(key);
            let after = desired.0.get(key);
            (before != after).then(|| KeyChange {
                key: key.clone(),
                before: before.map(|v| shown.show(key, v)),
                after: after.map(|v| shown.show(key, v)),
                secret: shown.is_secret(key),
            })
        })
        .collect()
}
