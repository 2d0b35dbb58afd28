//! What every entry point (Lambda binary, CLI) does with a decision: log it as one structured
//! line, act on it, and shape the answer for the event source.

use std::time::{Duration, Instant, SystemTime};

use serde::ser::SerializeMap;
use serde::Serialize;
use serde_json::{json, Value};

use crate::json as field;
use crate::metrics::{self, Metrics, Reported, Tally};
use crate::plan::{Action, Decision, FunctionName, Outcome, RecordDecision, RejectKind};
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

/// The identity of an event for logs: EventBridge id, a webhook's delivery id (GitHub, GitLab,
/// Bitbucket), S3 request id, job id.
pub fn event_id(raw: &Value) -> Option<String> {
    let candidates: [&[&str]; 6] = [
        &["id"],
        &["headers", "x-github-delivery"],
        &["headers", "idempotency-key"],
        &["headers", "x-request-uuid"],
        &["CodePipeline.job", "id"],
        &["requestContext", "requestId"],
    ];
    candidates
        .iter()
        .find_map(|path| field::get(raw, path).and_then(Value::as_str))
        .map(|s| crate::text::truncate(s, 100))
}

/// The `tracing` target of decision lines: the Lambda's formatter writes their `line` as is (a
/// JSON object carrying its EMF metrics), other subscribers as a field.
pub const DECISION_TARGET: &str = "switchyard::decision";

/// One structured log line per decision, once its actions ran: function, event id, record,
/// outcome, reason, actions, and the decision's metrics ([`crate::metrics`]). Reasons and
/// actions never hold secrets: inputs that could are redacted by their own `Serialize`.
pub struct DecisionLine<'a> {
    pub function: FunctionName,
    pub event_id: Option<&'a str>,
    /// Which record of a multi-record event; `None` for the whole event.
    pub record: Option<&'a str>,
    pub reason: &'a str,
    pub actions: &'a [Action],
    pub reported: Reported,
    /// How long the actions took; `None` when none ran.
    pub latency: Option<Duration>,
    pub tally: &'a Tally,
}

impl DecisionLine<'_> {
    pub fn log(&self) {
        tracing::info!(target: DECISION_TARGET, line = %self, "decision");
    }
}

impl Serialize for DecisionLine<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("level", "INFO")?;
        map.serialize_entry("message", "decision")?;
        map.serialize_entry(metrics::FUNCTION, self.function.as_str())?;
        map.serialize_entry("event_id", self.event_id.unwrap_or(""))?;
        map.serialize_entry("record", self.record.unwrap_or(""))?;
        map.serialize_entry(metrics::OUTCOME, self.reported.as_str())?;
        map.serialize_entry("reason", self.reason)?;
        map.serialize_entry("actions", self.actions)?;
        Metrics {
            reported: self.reported,
            latency: self.latency,
            tally: self.tally,
        }
        .write(&mut map, SystemTime::now())?;
        map.end()
    }
}

/// The line as JSON, serialized into this thread's line buffer and written at once (this runs
/// for every decision: no allocation once the buffer has grown to a line's size).
impl std::fmt::Display for DecisionLine<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        thread_local! {
            static LINE: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        LINE.with_borrow_mut(|buffer| {
            buffer.clear();
            serde_json::to_writer(&mut *buffer, self).map_err(|_| std::fmt::Error)?;
            f.write_str(std::str::from_utf8(buffer).map_err(|_| std::fmt::Error)?)
        })
    }
}

/// Runs a decision's actions (none for a skip or a rejection), timed, and logs its line.
async fn act_and_log<E: ActionExecutor>(
    line: DecisionLine<'_>,
    executor: &E,
) -> Result<Vec<ActionReport>, ActError> {
    if line.actions.is_empty() {
        line.log();
        return Ok(Vec::new());
    }
    let started = Instant::now();
    let acted = act(line.actions, executor).await;
    let reported = if acted.is_err() {
        Reported::Failed
    } else {
        line.reported
    };
    DecisionLine {
        reported,
        latency: Some(started.elapsed()),
        ..line
    }
    .log();
    acted
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
    tally: &Tally,
    executor: &E,
) -> Result<Value, HandlerError> {
    let id = event_id(raw);
    let line = DecisionLine {
        function,
        event_id: id.as_deref(),
        record: None,
        reason: &decision.reason,
        actions: &decision.actions,
        reported: decision.outcome.into(),
        latency: None,
        tally,
    };
    let results = act_and_log(line, executor).await.inspect_err(|e| {
        tracing::error!(function = function.as_str(), event_id = id.as_deref().unwrap_or(""), error = %e, retryable = e.retryable, "act failed");
    })?;
    let handled = Handled {
        function,
        outcome: decision.outcome,
        reason: &decision.reason,
        results,
    };
    if crate::sources::function_url::is_http_request(raw) {
        return Ok(http_response(webhook::http_status(&decision), &handled));
    }
    match decision.outcome {
        Outcome::Rejected(RejectKind::Unsupported) | Outcome::Rejected(_) => {
            Err(HandlerError::Rejected(decision.reason))
        }
        _ => Ok(serde_json::to_value(&handled).unwrap_or(Value::Null)),
    }
}

/// [`run`] for an event decided as a whole (one decision), [`run_records`] for one decided per
/// record (the changes of a Bitbucket push).
pub async fn run_event<E: ActionExecutor>(
    function: FunctionName,
    raw: &Value,
    mut records: Vec<RecordDecision>,
    tally: impl Fn(&Decision) -> Tally,
    executor: &E,
) -> Result<Value, HandlerError> {
    if records.len() == 1 {
        let record = records.pop().expect("one record");
        let tally = tally(&record.decision);
        return run(function, raw, record.decision, &tally, executor).await;
    }
    run_records(function, raw, records, tally, executor).await
}

/// What happened to one record of a multi-record event.
#[derive(Debug, Serialize)]
pub struct RecordHandled<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<&'a str>,
    /// `acted`, `skipped`, `rejected`, or `failed` (an action failed).
    pub outcome: &'static str,
    pub reason: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<ActionReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Logs, acts and answers for an event of independent records (S3 notifications, SNS, SQS).
/// Every record is acted on, whatever happened to the others. Then:
///
/// - from SQS (records carry a `messageId`): the answer is a partial batch response,
///   `{"batchItemFailures": [{"itemIdentifier": …}]}`, listing the messages with a rejected or
///   failed record, so SQS retries only those (and moves them to the queue's dead-letter queue
///   after `maxReceiveCount`). The function needs `ReportBatchItemFailures` on its event source
///   mapping;
/// - from a function URL (the changes of one webhook delivery): an HTTP response listing them,
///   202 if any acted, else 400 if any was rejected, else 200; the host retries nothing a retry
///   cannot help. An action that fails still fails the invocation, as below, so the host shows
///   the delivery as failed and redelivers it;
/// - otherwise, if every record was acted on or skipped, the answer lists them; if any was
///   rejected or failed, the invocation fails (retryable if any failure is), naming each failed
///   record. The retry re-runs the successful records too, and their idempotency tokens make
///   that start nothing new.
pub async fn run_records<E: ActionExecutor>(
    function: FunctionName,
    raw: &Value,
    records: Vec<RecordDecision>,
    tally: impl Fn(&Decision) -> Tally,
    executor: &E,
) -> Result<Value, HandlerError> {
    let id = event_id(raw);
    let mut handled = Vec::with_capacity(records.len());
    // (record index, the action error; `None` for a rejected record)
    let mut failures: Vec<(usize, Option<ActError>)> = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let decision = &r.decision;
        let tally = tally(decision);
        let decision_line = DecisionLine {
            function,
            event_id: id.as_deref(),
            record: r.record.as_deref(),
            reason: &decision.reason,
            actions: &decision.actions,
            reported: decision.outcome.into(),
            latency: None,
            tally: &tally,
        };
        let mut line = RecordHandled {
            record: r.record.as_deref(),
            outcome: decision.outcome.as_str(),
            reason: &decision.reason,
            results: Vec::new(),
            error: None,
        };
        if decision.is_rejected() {
            decision_line.log();
            failures.push((i, None));
        } else {
            match act_and_log(decision_line, executor).await {
                Ok(results) => line.results = results,
                Err(e) => {
                    tracing::error!(function = function.as_str(), event_id = id.as_deref().unwrap_or(""), record = r.record.as_deref().unwrap_or(""), error = %e, retryable = e.retryable, "act failed");
                    line.outcome = "failed";
                    line.error = Some(e.to_string());
                    failures.push((i, Some(e)));
                }
            }
        }
        handled.push(line);
    }

    let from_sqs = records.iter().any(|r| r.batch_item_id.is_some());
    let every_failure_has_an_item = failures
        .iter()
        .all(|(i, _)| records[*i].batch_item_id.is_some());
    if from_sqs && every_failure_has_an_item {
        let mut items: Vec<&str> = Vec::new();
        for (i, _) in &failures {
            let item = records[*i].batch_item_id.as_deref().expect("checked above");
            if !items.contains(&item) {
                items.push(item);
            }
        }
        let items: Vec<Value> = items
            .iter()
            .map(|i| json!({ "itemIdentifier": i }))
            .collect();
        return Ok(json!({ "batchItemFailures": items }));
    }
    let action_failed = failures.iter().any(|(_, e)| e.is_some());
    if crate::sources::function_url::is_http_request(raw) && !action_failed {
        let status = records
            .iter()
            .map(|r| webhook::http_status(&r.decision))
            .max_by_key(|status| match status {
                202 => 2,
                200 => 0,
                _ => 1,
            })
            .unwrap_or(200);
        let body = json!({ "function": function, "records": handled });
        return Ok(http_response(status, &body));
    }
    if failures.is_empty() {
        return Ok(json!({ "function": function, "records": handled }));
    }
    let summary: Vec<String> = failures
        .iter()
        .map(|(i, e)| {
            let r = &records[*i];
            let what = e
                .as_ref()
                .map_or_else(|| r.decision.reason.clone(), ToString::to_string);
            format!("{}: {what}", r.record.as_deref().unwrap_or("event"))
        })
        .collect();
    let message = format!(
        "{} of {} records failed: {}",
        failures.len(),
        records.len(),
        summary.join("; ")
    );
    match failures.iter().find_map(|(_, e)| e.as_ref()) {
        Some(first) => Err(HandlerError::Act(ActError {
            operation: first.operation,
            message,
            retryable: failures
                .iter()
                .any(|(_, e)| e.as_ref().is_some_and(|e| e.retryable)),
        })),
        None => Err(HandlerError::Rejected(message)),
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
