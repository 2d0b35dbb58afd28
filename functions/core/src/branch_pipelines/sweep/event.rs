//! The event that starts a sweep ([`crate::sources::schedule`], marked `branch-sweep`): what the
//! EventBridge Scheduler schedule in `template.yaml` sends as its target input, with Scheduler's
//! context attributes filled in:
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

use crate::json::FieldError;
use crate::sources::schedule;

/// The value of the `switchyard` field that marks a sweep event.
pub const SWEEP_MARK: &str = "branch-sweep";

/// A sweep, at the schedule's time: the sweep window (and so the idempotency tokens) derive from
/// its `time`.
pub type SweepEvent = schedule::ScheduledEvent;

/// The event the schedule sends at `time` (the CLI's `branches sweep` sends it itself).
pub fn event_at(time: OffsetDateTime, execution_id: &str) -> Value {
    schedule::event_at(SWEEP_MARK, time, execution_id)
}

/// Whether `raw` asks for a branch sweep (routing; cheap).
pub fn is_sweep_event(raw: &Value) -> bool {
    schedule::is_marked(raw, SWEEP_MARK)
}

/// Parses a sweep event; errors name the field.
pub fn parse(raw: &Value) -> Result<SweepEvent, FieldError> {
    schedule::parse(raw)
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
