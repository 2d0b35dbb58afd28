//! The event that starts a sweep: what the EventBridge Scheduler schedule in `template.yaml`
//! sends as its target input, with Scheduler's context attributes filled in:
//!
//! ```json
//! {"switchyard": "branch-sweep",
//!  "scheduledTime": "<aws.scheduler.scheduled-time>",
//!  "executionId": "<aws.scheduler.execution-id>",
//!  "schedule": "<aws.scheduler.schedule-arn>"}
//! ```
//!
//! The event only says "look now": everything the sweep does follows from what it observes, so a
//! forged sweep event can do no more than a scheduled one.

use serde_json::Value;
use time::OffsetDateTime;

use crate::json::{self, FieldError};
use crate::timestamps;

/// The value of the `switchyard` field that marks a sweep event.
pub const SWEEP_MARK: &str = "branch-sweep";

/// A sweep, at the schedule's time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepEvent {
    /// When the schedule fired: the sweep window (and so the idempotency tokens) derive from it.
    pub time: OffsetDateTime,
    pub execution_id: String,
}

/// The event the schedule sends at `time` (the CLI's `branches sweep` sends it itself).
pub fn event_at(time: OffsetDateTime, execution_id: &str) -> Value {
    serde_json::json!({
        "switchyard": SWEEP_MARK,
        "scheduledTime": timestamps::format(time),
        "executionId": execution_id,
    })
}

/// Whether `raw` asks for a branch sweep (routing; cheap).
pub fn is_sweep_event(raw: &Value) -> bool {
    raw.get("switchyard").and_then(Value::as_str) == Some(SWEEP_MARK)
}

/// Parses a sweep event; errors name the field.
pub fn parse(raw: &Value) -> Result<SweepEvent, FieldError> {
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
    Ok(SweepEvent {
        time,
        execution_id: execution_id.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sweep_events_are_recognised_and_checked() {
        let raw = json!({"switchyard": "branch-sweep", "scheduledTime": "2026-11-20T10:00:00Z",
            "executionId": "d32c5kddcf5bb8c3", "schedule": "arn:aws:scheduler:eu-west-1:123456789012:schedule/default/sy-branch-sweep"});
        assert!(is_sweep_event(&raw));
        assert_eq!(parse(&raw).unwrap().time.unix_timestamp(), 1_795_168_800);
        assert!(!is_sweep_event(&json!({"detail-type": "Scheduled Event"})));
        let at = parse(&raw).unwrap().time;
        assert_eq!(parse(&event_at(at, "cli-1")).unwrap().time, at);
        let bad = json!({"switchyard": "branch-sweep", "scheduledTime": "now", "executionId": "x"});
        assert_eq!(parse(&bad).unwrap_err().field, "scheduledTime");
        let bad = json!({"switchyard": "branch-sweep", "scheduledTime": "2026-11-20T10:00:00Z", "executionId": "a\nb"});
        assert_eq!(parse(&bad).unwrap_err().field, "executionId");
    }
}
