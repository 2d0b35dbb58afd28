//! S3 uploads of a desired-state bundle: which uploaded objects are configured bundles
//! (`CONNECT_BUNDLES`), in any S3 event form (`sources::s3` parses and decodes them).

use serde_json::Value;

use super::config::{BundleConfig, ConnectSyncConfig};
use crate::sources::s3::{self, ObjectEvent, S3Payload};

/// One uploaded bundle to apply: the object (its version pins what is applied) and its target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleUpload<'a> {
    pub object: ObjectEvent,
    pub target: &'a BundleConfig,
}

impl BundleUpload<'_> {
    /// `s3://bucket/key?versionId=…`, for messages.
    pub fn location(&self) -> String {
        let version = self
            .object
            .version_id
            .as_deref()
            .map(|v| format!("?versionId={v}"))
            .unwrap_or_default();
        format!("s3://{}/{}{version}", self.object.bucket, self.object.key)
    }
}

/// Every created object in `raw` that is a configured bundle; other records are not ours.
pub fn bundle_uploads<'a>(raw: &Value, config: &'a ConnectSyncConfig) -> Vec<BundleUpload<'a>> {
    s3::records(raw)
        .into_iter()
        .filter_map(|r| match r.payload {
            Ok(S3Payload::Object(o)) if o.created => Some(o),
            _ => None,
        })
        .filter_map(|object| {
            let target = config.bundle_for(&object.bucket, &object.key)?;
            Some(BundleUpload { object, target })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    fn config() -> ConnectSyncConfig {
        let vars: HashMap<String, String> = [
            ("CONNECT_CLUSTERS", r#"{"main": {"url": "http://c:8083"}}"#),
            ("CONNECT_BUNDLES", r#"[{"bucket": "b", "key": "connect/desired state.zip", "environment": "staging", "cluster": "main"}]"#),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        ConnectSyncConfig::from_vars(&vars).unwrap()
    }

    #[test]
    fn finds_configured_bundles_in_every_form() {
        let config = config();
        let notification = json!({"Records": [
            {"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "b"}, "object": {"key": "connect/desired+state.zip", "size": 1, "versionId": "v1"}}},
            {"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "b"}, "object": {"key": "other.zip", "size": 1}}},
            {"eventSource": "aws:s3", "eventName": "ObjectRemoved:Delete", "s3": {"bucket": {"name": "b"}, "object": {"key": "connect/desired+state.zip"}}}
        ]});
        let found = bundle_uploads(&notification, &config);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].target.environment, "staging");
        assert_eq!(
            found[0].location(),
            "s3://b/connect/desired state.zip?versionId=v1"
        );
        let eventbridge = json!({"source": "aws.s3", "detail-type": "Object Created",
            "detail": {"bucket": {"name": "b"}, "object": {"key": "connect/desired state.zip", "size": 1}}});
        assert_eq!(bundle_uploads(&eventbridge, &config).len(), 1);
        assert!(bundle_uploads(&json!({"id": "x"}), &config).is_empty());
    }
}
