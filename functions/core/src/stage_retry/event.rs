//! What can trigger `stage-retry`: a CodePipeline "Stage Execution State Change" event (straight
//! from EventBridge, or wrapped in an SNS notification), or the EventBridge schedule that sweeps
//! the configured pipelines.

use serde_json::Value;
use time::OffsetDateTime;

use crate::json::{self, FieldError};
use crate::naming::CODEPIPELINE;
use crate::sources::envelope::{eventbridge_kind, single_sns_message as sns_message};
use crate::text::truncate_for_message;
use crate::timestamps;

pub const STAGE_EVENT: (&str, &str) = (
    "aws.codepipeline",
    "CodePipeline Stage Execution State Change",
);
pub const SCHEDULE_EVENT: (&str, &str) = ("aws.events", "Scheduled Event");

/// A stage execution changed state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageEvent {
    /// The EventBridge event id (the same in every duplicate delivery).
    pub event_id: String,
    /// When the state change happened: a retry that started after it was made for this failure
    /// already (see `decide`).
    pub time: OffsetDateTime,
    pub pipeline: String,
    pub stage: String,
    pub execution_id: String,
    /// `STARTED`, `SUCCEEDED`, `RESUMED`, `FAILED`, `CANCELED`, `STOPPED`…
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    Stage(StageEvent),
    /// The scheduled sweep, at the schedule's time.
    Sweep {
        time: OffsetDateTime,
    },
}

/// Whether `raw` is something stage-retry handles (used by routing; cheap, no full parse).
pub fn is_trigger(raw: &Value) -> bool {
    match sns_message(raw) {
        Some(Ok(inner)) => eventbridge_kind(&inner) == Some(STAGE_EVENT),
        Some(Err(_)) => false,
        None => matches!(eventbridge_kind(raw), Some(k) if k == STAGE_EVENT || k == SCHEDULE_EVENT),
    }
}

/// Whether `raw` is an SNS notification (whatever it carries): its message is parsed, and a bad
/// one is rejected naming `Records[0].Sns.Message`.
pub fn is_sns_notification(raw: &Value) -> bool {
    sns_message(raw).is_some()
}

/// Parses a trigger; errors name the field.
pub fn parse(raw: &Value) -> Result<Trigger, FieldError> {
    let unwrapped;
    let (event, prefix) = match sns_message(raw) {
        Some(inner) => {
            unwrapped = inner?;
            (&unwrapped, "Records[0].Sns.Message.")
        }
        None => (raw, ""),
    };
    let named = |e: FieldError| e.within(prefix.trim_end_matches('.'));
    // What the event is comes first: a stranger is named as such, not by its missing time.
    let kind = match eventbridge_kind(event) {
        Some(k) if k == SCHEDULE_EVENT || k == STAGE_EVENT => k,
        _ => {
            return Err(FieldError::new(
                format!("{prefix}detail-type"),
                "is not a CodePipeline stage state change or a scheduled event",
            ))
        }
    };
    let time = timestamps::parse(
        &format!("{prefix}time"),
        json::str(event, &["time"]).map_err(named)?,
    )?;
    if kind == SCHEDULE_EVENT {
        return Ok(Trigger::Sweep { time });
    }
    // Every value is checked against what CodePipeline itself allows before it is used or
    // quoted in a reason: a forged event cannot carry a newline into a log line.
    let detail = |name: &str, valid: fn(&str) -> bool, expected: &str| {
        let value = json::str(event, &["detail", name]).map_err(named)?;
        if valid(value) {
            Ok(value.to_owned())
        } else {
            Err(FieldError::new(
                format!("{prefix}detail.{name}"),
                format!("{:?} is not {expected}", truncate_for_message(value)),
            ))
        }
    };
    // Stage names follow the same pattern as pipeline names.
    let name = |n: &str| CODEPIPELINE.accepts(n);
    let names = &format!("a {}", CODEPIPELINE.describe());
    Ok(Trigger::Stage(StageEvent {
        event_id: json::str(event, &["id"]).map_err(named)?.to_owned(),
        time,
        pipeline: detail("pipeline", name, names)?,
        stage: detail("stage", name, names)?,
        execution_id: detail(
            "execution-id",
            |id| id.len() == 36 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'),
            "a pipeline execution id (a UUID)",
        )?,
        state: detail(
            "state",
            |s| {
                !s.is_empty()
                    && s.len() <= 32
                    && s.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
            },
            "a stage state (STARTED, FAILED, …)",
        )?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stage_event() -> Value {
        json!({"version": "0", "id": "e-1", "detail-type": "CodePipeline Stage Execution State Change",
            "source": "aws.codepipeline", "time": "2026-11-23T09:12:44Z", "region": "eu-west-1",
            "detail": {"pipeline": "payments-release", "execution-id": "3c1f9e1a-0b6d-4f7e-9d21-6a1b2c3d4e5f",
                "stage": "Deploy", "state": "FAILED", "version": 3}})
    }

    #[test]
    fn direct_and_sns_wrapped_events_parse_the_same() {
        let direct = parse(&stage_event()).unwrap();
        let wrapped = json!({"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
            "Sns": {"Type": "Notification", "Message": stage_event().to_string()}}]});
        assert!(is_trigger(&stage_event()) && is_trigger(&wrapped));
        assert_eq!(parse(&wrapped).unwrap(), direct);
        let Trigger::Stage(e) = direct else { panic!() };
        assert_eq!(
            (e.pipeline.as_str(), e.stage.as_str(), e.state.as_str()),
            ("payments-release", "Deploy", "FAILED")
        );
    }

    #[test]
    fn errors_name_the_field() {
        let mut no_stage = stage_event();
        no_stage["detail"].as_object_mut().unwrap().remove("stage");
        assert_eq!(parse(&no_stage).unwrap_err().field, "detail.stage");
        for (field, hostile) in [
            ("pipeline", "payments-release\n$(id)"),
            ("stage", "Deploy; rm -rf /"),
            ("execution-id", "3c1f9e1a-0b6d-4f7e-9d21-6a1b2c3d4e5f\n"),
            ("state", "FAILED\nforged log line"),
        ] {
            let mut e = stage_event();
            e["detail"][field] = json!(hostile);
            let err = parse(&e).unwrap_err();
            assert_eq!(err.field, format!("detail.{field}"));
            assert!(!err.to_string().contains('\n'), "{err}");
        }
        let mut inner = stage_event();
        inner["time"] = json!("soon");
        let wrapped =
            json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": inner.to_string()}}]});
        assert_eq!(
            parse(&wrapped).unwrap_err().field,
            "Records[0].Sns.Message.time"
        );
        let garbage = json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": "{"}}]});
        assert_eq!(parse(&garbage).unwrap_err().field, "Records[0].Sns.Message");
    }
}
