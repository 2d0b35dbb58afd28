//! What every entry point (Lambda binary, CLI) does with a decision: log it as one structured
//! line, act on it, and shape the answer for the event source.

use serde::Serialize;
use serde_json::{json, Value};

use crate::json as field;
use crate::plan::{Decision, FunctionName, Outcome, RejectKind};
use crate::ports::{act, ActError, ActionExecutor, ActionReport};
use crate::webhook;

/// Why handling failed. Both variants make the Lambda invocation fail, so the event source
/// retries and finally keeps the event in its dead-letter queue: nothing is swallowed.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The event is unacceptable. Retrying cannot help; it belongs in the dead-letter queue.
    #[error("rejected: {0}")]
    Rejected(String),
    /// An action failed; see `retryable`.
    #[error(transparent)]
    Act(#[from] ActError),
}

impl HandlerError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, HandlerError::Act(e) if e.retryable)
    }
}

/// The identity of an event for logs: EventBridge id, GitHub delivery id, S3 request id, job id.
pub fn event_id(raw: &Value) -> Option<String> {
    let candidates: [&[&str]; 4] = [
        &["id"],
        &["headers", "x-github-delivery"],
        &["CodePipeline.job", "id"],
        &["requestContext", "requestId"],
    ];
    candidates
        .iter()
        .find_map(|path| field::get(raw, path).and_then(Value::as_str))
        .map(|s| s.chars().take(100).collect())
}

/// One structured log line per decision. Reasons and actions never hold secrets: inputs that
/// could are redacted by their own `Serialize`.
pub fn log_decision(function: FunctionName, event_id: Option<&str>, decision: &Decision) {
    let actions = serde_json::to_string(&decision.actions).unwrap_or_default();
    tracing::info!(
        function = function.as_str(),
        event_id = event_id.unwrap_or(""),
        outcome = decision.outcome.as_str(),
        reason = decision.reason.as_str(),
        actions = actions.as_str(),
        "decision"
    );
}

/// The answer to the event source once the plan has run.
#[derive(Debug, Serialize)]
pub struct Handled<'a> {
    pub function: FunctionName,
    pub outcome: Outcome,
    pub reason: &'a str,
    pub results: Vec<ActionReport>,
}

/// Logs, acts, and answers. For a function URL request the answer is always an HTTP response
/// (401 / 400 / 200 / 202), except when an action fails, which fails the invocation (GitHub shows
/// the delivery as failed and it can be redelivered). For other events, a rejection fails the
/// invocation so the event lands in the dead-letter queue.
pub async fn run<E: ActionExecutor>(
    function: FunctionName,
    raw: &Value,
    decision: Decision,
    executor: &E,
) -> Result<Value, HandlerError> {
    let id = event_id(raw);
    log_decision(function, id.as_deref(), &decision);
    let results = act(&decision.actions, executor).await.inspect_err(|e| {
        tracing::error!(function = function.as_str(), event_id = id.as_deref().unwrap_or(""), error = %e, retryable = e.retryable, "act failed");
    })?;
    let handled = Handled {
        function,
        outcome: decision.outcome,
        reason: &decision.reason,
        results,
    };
    if webhook::is_http_request(raw) {
        return Ok(http_response(webhook::http_status(&decision), &handled));
    }
    match decision.outcome {
        Outcome::Rejected(RejectKind::Unsupported) | Outcome::Rejected(_) => {
            Err(HandlerError::Rejected(decision.reason))
        }
        _ => Ok(serde_json::to_value(&handled).unwrap_or(Value::Null)),
    }
}

/// A function URL response (payload format 2.0).
pub fn http_response(status: u16, body: &impl Serialize) -> Value {
    json!({
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": serde_json::to_string(body).unwrap_or_default(),
        "isBase64Encoded": false,
    })
}
