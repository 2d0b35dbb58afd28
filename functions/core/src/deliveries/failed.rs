//! A webhook delivery whose actions failed, as kept in the function's dead-letter queue: the
//! record has the shape of Lambda's own `OnFailure` records (`requestContext.condition`,
//! `responsePayload.errorType` / `errorMessage`, the event in `requestPayload`), so one replay
//! procedure serves both. The request keeps what a replay needs (the signed body and its host's
//! event, delivery and signature headers, the method and path) and nothing else: no
//! `Authorization`, no GitLab secret token, cookies, source IP or other headers a proxy might add.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::deliveries::port::{Deliveries, DeliveryClaim};
use crate::entry::HandlerError;
use crate::json as field;
use crate::text;
use crate::webhook::Host;

/// The headers kept besides the host's own ([`Host::replay_headers`]: its event and delivery
/// headers and the body's signature, a MAC of the body, not a credential).
const KEPT_HEADERS: &[&str] = &["content-type", "user-agent"];

/// What `requestContext.condition` says for such a record.
pub const CONDITION: &str = "WebhookActionFailed";

/// The dead-letter record for function URL request `raw` whose actions failed with `error`.
pub fn record(function: &str, raw: &Value, error: &HandlerError) -> Value {
    let headers = raw.get("headers").and_then(Value::as_object);
    let lowercase: BTreeMap<String, String> = headers
        .into_iter()
        .flatten()
        .map(|(name, value)| {
            let value = value.as_str().unwrap_or_default().to_owned();
            (name.to_ascii_lowercase(), value)
        })
        .collect();
    let host = Host::of_headers(&lowercase);
    let headers: Map<String, Value> = headers
        .map(|h| {
            h.iter()
                .filter(|(name, _)| {
                    let name = name.to_ascii_lowercase();
                    KEPT_HEADERS.contains(&name.as_str())
                        || host.replay_headers().contains(&name.as_str())
                })
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect()
        })
        .unwrap_or_default();
    let http = |key: &str| field::get(raw, &["requestContext", "http", key]).cloned();
    json!({
        "version": "1.0",
        "requestContext": {
            "condition": CONDITION,
            "functionName": function,
        },
        "responsePayload": {
            "errorType": if error.is_retryable() { "RetryableActionError" } else { "ActionError" },
            "errorMessage": text::one_line(&error.to_string(), 1000),
        },
        "requestPayload": {
            "version": raw.get("version").cloned().unwrap_or(Value::Null),
            "headers": headers,
            "requestContext": {"http": {"method": http("method"), "path": http("path")}},
            "body": raw.get("body").cloned().unwrap_or(Value::Null),
            "isBase64Encoded": raw.get("isBase64Encoded").cloned().unwrap_or(Value::Bool(false)),
        },
    })
}

/// After acting on a remembered delivery failed: keeps it in the dead-letter queue, before the
/// 5xx answer. A failure to keep it (or no queue configured) is logged: GitHub still shows the
/// delivery as failed, and *Redeliver* is the replay.
pub async fn keep_after_failure<D: Deliveries>(
    deliveries: &D,
    claim: &DeliveryClaim,
    raw: &Value,
    error: &HandlerError,
) {
    let Some(queue) = claim.failed_queue.as_deref() else {
        tracing::error!(function = claim.function, delivery_id = claim.delivery_id.as_str(),
            "a delivery whose actions failed is not kept: no dead-letter queue is configured (FAILED_EVENTS_QUEUE_URL)");
        return;
    };
    if let Err(e) = deliveries
        .keep_failed(queue, &record(claim.function, raw, error))
        .await
    {
        tracing::error!(function = claim.function, delivery_id = claim.delivery_id.as_str(), error = %e,
            "cannot keep a delivery whose actions failed in the dead-letter queue");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::ActError;

    #[test]
    fn keeps_what_a_replay_needs_and_no_other_header() {
        let raw = json!({
            "version": "2.0",
            "headers": {
                "x-github-delivery": "d-1", "x-github-event": "create", "X-Hub-Signature-256": "sha256=ab",
                "content-type": "application/json", "authorization": "Bearer hunter2-token",
                "cookie": "session=hunter2-cookie", "x-forwarded-for": "203.0.113.9"
            },
            "requestContext": {"http": {"method": "POST", "path": "/", "sourceIp": "203.0.113.9"}, "authorizer": {"iam": {"accessKey": "AKIA"}}},
            "body": "{\"ref\":\"feature/x\"}",
            "isBase64Encoded": false
        });
        let error = HandlerError::Act(ActError {
            operation: "codebuild:StartBuild",
            message: "throttled".into(),
            retryable: true,
        });
        let kept = record("branch-pipelines", &raw, &error);
        let text = kept.to_string();
        for gone in ["hunter2", "203.0.113.9", "AKIA"] {
            assert!(!text.contains(gone), "{text}");
        }
        assert_eq!(kept["requestContext"]["condition"], CONDITION);
        assert_eq!(kept["responsePayload"]["errorType"], "RetryableActionError");
        let request = &kept["requestPayload"];
        assert_eq!(request["body"], raw["body"]);
        assert_eq!(request["headers"]["x-github-delivery"], "d-1");
        assert_eq!(request["headers"]["X-Hub-Signature-256"], "sha256=ab");
        assert!(crate::sources::function_url::is_http_request(request));
    }
}
