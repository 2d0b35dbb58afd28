//! The envelopes other AWS services put events in before a Lambda sees them: EventBridge, SNS
//! (a notification record, or the JSON notification SQS receives from a topic) and SQS. Every
//! source that accepts wrapped events unwraps them here, and only here.
//!
//! SQS records are read as `aws_lambda_events`' [`SqsMessage`]. The other envelopes stay
//! `serde_json::Value` accessors, on purpose:
//! - EventBridge: `EventBridgeEvent` parses `time` itself (with chrono) and fails the whole event
//!   on a bad one; sources parse `time` with [`crate::timestamps`] so the error names the field;
//! - SNS: `SnsRecord` / `SnsMessage` require every delivery field (signature, signing certificate
//!   URL, timestamps), none of which we verify or read: the Lambda's trust boundary is its
//!   resource policy, and only `Message` is used.

use aws_lambda_events::event::sqs::SqsMessage;
use serde_json::Value;

use crate::json::{self, FieldError};

/// The EventBridge `source` and `detail-type` of an event, if it has them.
pub fn eventbridge_kind(raw: &Value) -> Option<(&str, &str)> {
    Some((
        json::get(raw, &["source"])?.as_str()?,
        json::get(raw, &["detail-type"])?.as_str()?,
    ))
}

/// `eventSource` (S3, SQS) or `EventSource` (SNS) of a `Records[]` entry.
pub fn record_source(record: &Value) -> Option<&str> {
    record
        .get("eventSource")
        .or_else(|| record.get("EventSource"))
        .and_then(Value::as_str)
}

pub const SNS_SOURCE: &str = "aws:sns";
pub const SQS_SOURCE: &str = "aws:sqs";

/// The `Sns.Message` of an SNS notification record (`EventSource: aws:sns`).
pub fn sns_record_message(record: &Value) -> Result<&str, FieldError> {
    json::str(record, &["Sns", "Message"])
}

/// The `Message` of an SNS notification as an SQS queue subscribed to the topic receives it
/// (`{"Type": "Notification", "Message": …}`, raw message delivery off).
pub fn sns_notification_message(v: &Value) -> Option<&str> {
    (v.get("Type").and_then(Value::as_str) == Some("Notification"))
        .then(|| v.get("Message").and_then(Value::as_str))
        .flatten()
}

/// The one SNS notification of an invocation (SNS delivers one record per invocation):
/// `None` when `raw` is not an SNS notification, else its message parsed as JSON, or an error
/// naming the field.
pub fn single_sns_message(raw: &Value) -> Option<Result<Value, FieldError>> {
    let records = raw.get("Records")?.as_array()?;
    let first = records.first()?;
    if record_source(first) != Some(SNS_SOURCE) {
        return None;
    }
    if records.len() != 1 {
        return Some(Err(FieldError::new(
            "Records",
            format!(
                "expected one SNS record per invocation, got {}",
                records.len()
            ),
        )));
    }
    Some(
        sns_record_message(first)
            .map_err(|e| e.within("Records[0]"))
            .and_then(|text| {
                serde_json::from_str(text).map_err(|e| {
                    FieldError::new(
                        "Records[0].Sns.Message",
                        format!("is not a JSON event: {e}"),
                    )
                })
            }),
    )
}

/// An SQS message: its `messageId` (for partial batch failures) and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqsBody<'a> {
    pub message_id: Option<String>,
    pub body: &'a str,
}

/// Reads an SQS record (`eventSource: aws:sqs`). The body is borrowed from the event; the
/// message's other fields come from `aws_lambda_events`' [`SqsMessage`].
pub fn sqs_record(record: &Value) -> Result<SqsBody<'_>, (Option<String>, FieldError)> {
    let message: SqsMessage = serde_path_to_error::deserialize(record).map_err(|e| {
        let field = e.path().to_string();
        let field = if field == "." { String::new() } else { field };
        (None, FieldError::new(field, e.into_inner().to_string()))
    })?;
    match json::str(record, &["body"]) {
        Ok(body) => Ok(SqsBody {
            message_id: message.message_id,
            body,
        }),
        Err(e) => Err((message.message_id, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sns_records_and_notifications() {
        let inner = json!({"detail-type": "x", "source": "y"});
        let record =
            json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": inner.to_string()}}]});
        assert_eq!(single_sns_message(&record).unwrap().unwrap(), inner);
        assert_eq!(
            eventbridge_kind(&single_sns_message(&record).unwrap().unwrap()),
            Some(("y", "x"))
        );
        let two = json!({"Records": [{"EventSource": "aws:sns"}, {"EventSource": "aws:sns"}]});
        assert_eq!(
            single_sns_message(&two).unwrap().unwrap_err().field,
            "Records"
        );
        let missing = json!({"Records": [{"EventSource": "aws:sns", "Sns": {}}]});
        assert_eq!(
            single_sns_message(&missing).unwrap().unwrap_err().field,
            "Records[0].Sns.Message"
        );
        assert!(single_sns_message(&json!({"Records": [{"eventSource": "aws:s3"}]})).is_none());
        let queued = json!({"Type": "Notification", "Message": "m"});
        assert_eq!(sns_notification_message(&queued), Some("m"));
    }

    #[test]
    fn sqs_records_keep_their_message_id() {
        let ok = json!({"eventSource": "aws:sqs", "messageId": "m1", "body": "{}"});
        let read = sqs_record(&ok).unwrap();
        assert_eq!((read.message_id.as_deref(), read.body), (Some("m1"), "{}"));
        let no_body = json!({"eventSource": "aws:sqs", "messageId": "m2"});
        let (id, e) = sqs_record(&no_body).unwrap_err();
        assert_eq!((id.as_deref(), e.field.as_str()), (Some("m2"), "body"));
        let bad_id = json!({"eventSource": "aws:sqs", "messageId": 7, "body": "{}"});
        let (_, e) = sqs_record(&bad_id).unwrap_err();
        assert_eq!(e.field, "messageId", "{e}");
    }
}
