//! Server-side validation (`PUT /connector-plugins/{class}/config/validate`) before anything is
//! written: the plugin reports errors per key, and which keys are PASSWORD-typed (added to the
//! redactor). A plan refused here or for unapproved dangerous changes writes nothing
//! ([`Refusal`]).
//!
//! Response shape: `{"name", "error_count", "groups": [...], "configs": [{"definition": {"name",
//! "type", …}, "value": {"name", "value", "errors": [...], …}}]}`.

use std::collections::BTreeSet;

use futures_util::stream::{self, StreamExt};
use serde::Serialize;
use serde_json::Value;

use crate::kafka_sync::apply::writes::ApplyOptions;
use crate::kafka_sync::changes::diff::{ChangeKind, ChangePlan, DangerousChanges};
use crate::kafka_sync::changes::redact::Redactor;
use crate::kafka_sync::desired::DesiredConnector;
use crate::kafka_sync::observed::{ReadError, ShapeError};
use crate::kafka_sync::ports::{Clock, ConnectApi};
use crate::kafka_sync::retry::with_retries;

/// One key the plugin rejected, with its messages (which name the problem, not the value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyError {
    pub connector: String,
    pub key: String,
    pub errors: Vec<String>,
}

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "connector {:?}: key {:?}: {}",
            self.connector,
            self.key,
            self.errors.join("; ")
        )
    }
}

/// What validating one connector found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validation {
    pub errors: Vec<KeyError>,
    pub password_keys: BTreeSet<String>,
}

/// Parses a validate response for `connector`.
pub fn parse_validation(connector: &str, body: &Value) -> Result<Validation, ShapeError> {
    let configs = body
        .get("configs")
        .and_then(Value::as_array)
        .ok_or_else(|| ShapeError {
            request: "PUT /connector-plugins/{class}/config/validate",
            message: "no `configs` array".into(),
        })?;
    let mut out = Validation::default();
    for entry in configs {
        let definition = entry.get("definition");
        let key = definition
            .and_then(|d| d.get("name"))
            .or_else(|| entry.get("value").and_then(|v| v.get("name")))
            .and_then(Value::as_str)
            .unwrap_or("");
        if definition
            .and_then(|d| d.get("type"))
            .and_then(Value::as_str)
            == Some("PASSWORD")
        {
            out.password_keys.insert(key.to_owned());
        }
        let errors: Vec<String> = entry
            .get("value")
            .and_then(|v| v.get("errors"))
            .and_then(Value::as_array)
            .map(|errs| {
                errs.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        if !errors.is_empty() {
            out.errors.push(KeyError {
                connector: connector.to_owned(),
                key: key.to_owned(),
                errors,
            });
        }
    }
    Ok(out)
}

/// Why nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(transparent)]
    Dangerous(#[from] DangerousChanges),
    #[error("validation failed; nothing was written:\n  {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  "))]
    Invalid(Vec<KeyError>),
    #[error(transparent)]
    Sync(#[from] ReadError),
}

/// Validates every config the plan writes (one request per created or updated connector).
/// Returns the PASSWORD-type keys the plugins declared, to redact them too.
pub async fn validate_changes<A: ConnectApi, C: Clock>(
    plan: &ChangePlan,
    api: &A,
    clock: &C,
    options: &ApplyOptions,
) -> Result<BTreeSet<String>, Refusal> {
    let to_check: Vec<&DesiredConnector> = plan
        .connectors
        .iter()
        .filter(|c| {
            matches!(
                c.kind,
                ChangeKind::Create { .. } | ChangeKind::Update { .. }
            )
        })
        .filter_map(|c| c.desired.as_ref())
        .collect();
    // The futures are built up front (not by a closure inside the stream): a stream holding a
    // closure over borrowed items is not provably `Send`, and the Lambda runs the sync in a
    // spawned task (rust-lang/rust#102211).
    let checks: Vec<_> = to_check
        .into_iter()
        .map(|want| async move {
            let class = want.config.connector_class().unwrap_or_default();
            let body = with_retries(
                clock,
                options.backoff,
                options.deadline,
                || api.validate(class, &want.config),
                || async { None },
            )
            .await?;
            Ok(parse_validation(&want.name, &body)?)
        })
        .collect();
    let results: Vec<Result<_, ReadError>> = stream::iter(checks)
        .buffer_unordered(options.concurrency.max(1))
        .collect()
        .await;
    let mut errors: Vec<KeyError> = Vec::new();
    let mut password_keys = BTreeSet::new();
    for result in results {
        let v = result?;
        errors.extend(v.errors);
        password_keys.extend(v.password_keys);
    }
    if errors.is_empty() {
        Ok(password_keys)
    } else {
        // The plugin's messages may quote values ("Invalid value … for configuration …"),
        // also of the PASSWORD keys it just declared.
        let scrubber = Redactor::default()
            .with_password_keys(password_keys)
            .scrubber(
                plan.changed()
                    .filter_map(|c| c.desired.as_ref())
                    .map(|d| &d.config),
            );
        for error in &mut errors {
            for message in &mut error.errors {
                *message = scrubber.scrub(message);
            }
        }
        errors.sort_by(|a, b| (&a.connector, &a.key).cmp(&(&b.connector, &b.key)));
        Err(Refusal::Invalid(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka_sync::apply::writes::tests::{apply_options, the_plan, FakeConnect};
    use crate::kafka_sync::ports::SimulatedClock;
    use serde_json::json;

    #[tokio::test]
    async fn invalid_configs_are_refused_and_password_keys_returned() {
        let api = FakeConnect::default();
        *api.validation.lock().unwrap() = Some(json!({"configs": [
            {"definition": {"name": "topic", "type": "STRING"}, "value": {"errors": ["Missing required configuration \"topic\""]}},
            {"definition": {"name": "special", "type": "PASSWORD"}, "value": {"errors": []}}]}));
        let err = validate_changes(
            &the_plan(false),
            &api,
            &SimulatedClock::default(),
            &apply_options(),
        )
        .await
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("connector \"sy-new\": key \"topic\": Missing required configuration"),
            "{text}"
        );
        assert!(api.requests().iter().all(|r| r.starts_with("VALIDATE")));

        *api.validation.lock().unwrap() = Some(json!({"configs": [
            {"definition": {"name": "special", "type": "PASSWORD"}, "value": {"errors": []}}]}));
        let keys = validate_changes(
            &the_plan(false),
            &api,
            &SimulatedClock::default(),
            &apply_options(),
        )
        .await
        .unwrap();
        assert_eq!(keys.into_iter().collect::<Vec<_>>(), ["special"]);
    }

    #[test]
    fn errors_by_key_and_password_keys() {
        let body = json!({
            "name": "FileStreamSinkConnector", "error_count": 1, "groups": ["Common"],
            "configs": [
                {"definition": {"name": "topics", "type": "LIST"}, "value": {"name": "topics", "value": null, "errors": ["Must configure one of topics or topics.regex"], "visible": true}},
                {"definition": {"name": "db.secret.thing", "type": "PASSWORD"}, "value": {"name": "db.secret.thing", "value": "[hidden]", "errors": []}},
                {"definition": {"name": "file", "type": "STRING"}, "value": {"name": "file", "value": "/tmp/x", "errors": []}}
            ]
        });
        let v = parse_validation("sink", &body).unwrap();
        assert_eq!(v.errors.len(), 1);
        assert_eq!(
            v.errors[0].to_string(),
            "connector \"sink\": key \"topics\": Must configure one of topics or topics.regex"
        );
        assert_eq!(
            v.password_keys.into_iter().collect::<Vec<_>>(),
            ["db.secret.thing"]
        );
        assert!(parse_validation("x", &json!({})).is_err());
    }
}
