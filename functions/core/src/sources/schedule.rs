//! Events an EventBridge Scheduler schedule in `template.yaml` sends as its target input, with
//! Scheduler's context attributes filled in, marked with what they ask for:
//!
//! ```json
//! {"switchyard": "<mark>",
//!  "scheduledTime": "<aws.scheduler.scheduled-time>",
//!  "executionId": "<aws.scheduler.execution-id>",
//!  "schedule": "<aws.scheduler.schedule-arn>"}
//! ```
//!
//! Such an event only says "look now": what the function does follows from what it observes, so
//! a forged one can do no more than a scheduled one. The marks: `branch-sweep`
//! ([`crate::branch_pipelines::sweep`]), `kafka-drift` ([`crate::kafka_sync::reconcile`]).

use serde_json::Value;
use time::OffsetDateTime;

use crate::json::{self, FieldError};
use crate::timestamps;

/// A scheduled event, at the schedule's time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledEvent {
    /// When the schedule fired.
    pub time: OffsetDateTime,
    pub execution_id: String,
}

/// The event a schedule marked `mark` sends at `time` (the CLI sends it itself).
pub fn event_at(mark: &str, time: OffsetDateTime, execution_id: &str) -> Value {
    serde_json::json!({
        "switchyard": mark,
        "scheduledTime": timestamps::format(time),
        "executionId": execution_id,
    })
}

/// Whether `raw` is a scheduled event marked `mark` (routing; cheap).
pub fn is_marked(raw: &Value, mark: &str) -> bool {
    raw.get("switchyard").and_then(Value::as_str) == Some(mark)
}

/// Parses a scheduled event; errors name the field.
pub fn parse(raw: &Value) -> Result<ScheduledEvent, FieldError> {
    let time = timestamps::parse("scheduledTime", json::str(raw, &["scheduledTime"])?)?;
    let execution_id = json::str(raw, &["executionId"])?;
    if execution_id.is_empty()
        || execution_id.len() > 128
        || !execution_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(FieldError::new(
            "executionId",
            format!(
                "{:?} is not a Scheduler execution id",
                crate::text::truncate_for_message(execution_id)
            ),
        ));
    }
    Ok(ScheduledEvent {
        time,
        execution_id: execution_id.to_owned(),
    })
}
