//! S3 object events in every shape they reach a Lambda:
//!
//! - an S3 event notification (`Records[]` with `eventSource: aws:s3`, one or more records);
//! - the same notification published to SNS (`Records[].Sns.Message`, a JSON string);
//! - the same notification (or its SNS envelope, or an EventBridge event) queued in SQS
//!   (`Records[].body`, a JSON string; `messageId` identifies the message for partial batch
//!   failures);
//! - an EventBridge event (`source: aws.s3`, `detail-type: Object Created`).
//!
//! Every object becomes one [`S3Record`] carrying its own parse result, so one malformed record
//! never hides the others. Keys are decoded here, exactly once: notification keys are
//! form-URL-encoded (`+` is a space, `%2B` a plus), EventBridge keys are sent as they are.
//! Keys are validated here too: `..` segments and control characters are rejected for every
//! consumer.

use serde_json::Value;

use super::envelope::{self, record_source, sns_notification_message, SNS_SOURCE, SQS_SOURCE};
use crate::json::{self, FieldError};
use crate::text::truncate_for_message;

/// S3's own limit on key length, in bytes.
pub const MAX_KEY_BYTES: usize = 1024;

/// How an object event reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum S3Form {
    /// S3 event notification (directly, or inside SNS / SQS).
    Notification,
    /// EventBridge (directly, or inside SQS).
    EventBridge,
}

/// One object event, with its key decoded and validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectEvent {
    pub form: S3Form,
    /// `ObjectCreated:Put`, `Object Created`, `ObjectRemoved:Delete`…
    pub event_name: String,
    /// True for object creation (notification `ObjectCreated:*`, EventBridge `Object Created`).
    pub created: bool,
    pub bucket: String,
    /// The real object key (decoded).
    pub key: String,
    pub size: Option<u64>,
    pub etag: Option<String>,
    /// `None` when the bucket is not versioned (absent, null, or S3's literal `"null"`).
    pub version_id: Option<String>,
    pub sequencer: Option<String>,
}

/// What one record holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum S3Payload {
    Object(ObjectEvent),
    /// `s3:TestEvent`, sent once when a notification configuration is saved.
    TestEvent,
}

/// One record of an S3 event, in delivery order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Record {
    /// Where the record sits in the raw event: `Records[1]`, `Records[0].body.Records[2]`,
    /// `detail`.
    pub label: String,
    /// The SQS `messageId` of the message that carried the record, for `batchItemFailures`.
    pub batch_item_id: Option<String>,
    pub payload: Result<S3Payload, FieldError>,
}

/// EventBridge `source` of S3 events.
pub const EVENTBRIDGE_SOURCE: &str = "aws.s3";

/// How deep envelopes may nest (SQS → SNS → notification is two).
const MAX_NESTING: usize = 2;

/// True when `raw` is an S3 object event in any of the supported shapes (the contents are not
/// validated; [`records`] does that). SNS and SQS messages count only when they carry S3 events,
/// so other functions' SNS-wrapped events are not claimed.
pub fn is_s3_event(raw: &Value) -> bool {
    payload_is_s3(raw, 0)
}

fn payload_is_s3(v: &Value, depth: usize) -> bool {
    if is_eventbridge(v) || is_test_event(v) {
        return true;
    }
    if let Some(message) = sns_notification_message(v) {
        return depth < MAX_NESTING && nested_is_s3(message, depth);
    }
    let Some(first) = v.get("Records").and_then(|r| r.get(0)) else {
        return false;
    };
    match record_source(first) {
        Some("aws:s3") => true,
        Some(SNS_SOURCE) => {
            depth < MAX_NESTING
                && envelope::sns_record_message(first).is_ok_and(|m| nested_is_s3(m, depth))
        }
        Some(SQS_SOURCE) => {
            depth < MAX_NESTING
                && envelope::sqs_record(first).is_ok_and(|m| nested_is_s3(m.body, depth))
        }
        _ => false,
    }
}

fn nested_is_s3(text: &str, depth: usize) -> bool {
    serde_json::from_str::<Value>(text).is_ok_and(|v| payload_is_s3(&v, depth + 1))
}

fn is_eventbridge(v: &Value) -> bool {
    v.get("source").and_then(Value::as_str) == Some(EVENTBRIDGE_SOURCE)
        && v.get("detail-type").is_some()
}

fn is_test_event(v: &Value) -> bool {
    v.get("Event").and_then(Value::as_str) == Some("s3:TestEvent")
}

/// Every record of the event, each with its own parse result.
pub fn records(raw: &Value) -> Vec<S3Record> {
    let mut out = Vec::new();
    collect(raw, "", None, 0, &mut out);
    out
}

fn push_err(out: &mut Vec<S3Record>, label: &str, batch: Option<&str>, err: FieldError) {
    out.push(S3Record {
        label: if label.is_empty() {
            "event".into()
        } else {
            label.to_owned()
        },
        batch_item_id: batch.map(str::to_owned),
        payload: Err(err),
    });
}

fn join(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_owned()
    } else {
        format!("{prefix}.{field}")
    }
}

fn collect(v: &Value, prefix: &str, batch: Option<&str>, depth: usize, out: &mut Vec<S3Record>) {
    if is_eventbridge(v) {
        let label = join(prefix, "detail");
        out.push(S3Record {
            payload: parse_eventbridge(v)
                .map(S3Payload::Object)
                .map_err(|e| e.within(prefix)),
            label,
            batch_item_id: batch.map(str::to_owned),
        });
        return;
    }
    if is_test_event(v) {
        out.push(S3Record {
            label: if prefix.is_empty() {
                "event".into()
            } else {
                prefix.to_owned()
            },
            batch_item_id: batch.map(str::to_owned),
            payload: Ok(S3Payload::TestEvent),
        });
        return;
    }
    if let Some(message) = sns_notification_message(v) {
        let label = join(prefix, "Message");
        return nested(message, &label, batch, depth, out);
    }
    let records = match json::opt_array(v, &["Records"]) {
        Ok(Some(records)) if !records.is_empty() => records,
        Ok(_) => {
            let field = join(prefix, "Records");
            return push_err(
                out,
                prefix,
                batch,
                FieldError::new(field, "expected S3 records, found none"),
            );
        }
        Err(e) => return push_err(out, prefix, batch, e.within(prefix)),
    };
    for (i, record) in records.iter().enumerate() {
        let label = join(prefix, &format!("Records[{i}]"));
        match record_source(record) {
            Some("aws:s3") => out.push(S3Record {
                payload: parse_notification_record(record)
                    .map(S3Payload::Object)
                    .map_err(|e| e.within(&label)),
                label,
                batch_item_id: batch.map(str::to_owned),
            }),
            Some(SNS_SOURCE) => match envelope::sns_record_message(record) {
                Ok(message) => nested(message, &join(&label, "Sns.Message"), batch, depth, out),
                Err(e) => push_err(out, &label, batch, e.within(&label)),
            },
            Some(SQS_SOURCE) => match envelope::sqs_record(record) {
                Ok(m) => {
                    let id = m.message_id.as_deref();
                    nested(m.body, &join(&label, "body"), id, depth, out)
                }
                Err((id, e)) => push_err(out, &label, id.as_deref(), e.within(&label)),
            },
            other => push_err(
                out,
                &label,
                batch,
                FieldError::new(
                    join(&label, "eventSource"),
                    format!("expected aws:s3, aws:sns or aws:sqs, found {other:?}"),
                ),
            ),
        }
    }
}

/// A JSON document inside a string (SNS `Message`, SQS `body`).
fn nested(text: &str, label: &str, batch: Option<&str>, depth: usize, out: &mut Vec<S3Record>) {
    if depth >= MAX_NESTING {
        return push_err(
            out,
            label,
            batch,
            FieldError::new(label, "envelopes nested too deeply"),
        );
    }
    match serde_json::from_str::<Value>(text) {
        Ok(v) if payload_is_s3(&v, depth + 1) => collect(&v, label, batch, depth + 1, out),
        Ok(_) => push_err(
            out,
            label,
            batch,
            FieldError::new(label, "is not an S3 event"),
        ),
        Err(e) => push_err(
            out,
            label,
            batch,
            FieldError::new(label, format!("is not JSON: {e}")),
        ),
    }
}

fn opt_u64(v: &Value, path: &[&str]) -> Result<Option<u64>, FieldError> {
    match json::get(v, path) {
        None => Ok(None),
        Some(n) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| FieldError::new(path.join("."), "expected a non-negative integer")),
    }
}

/// S3 writes the literal version id `"null"` for objects stored while versioning was never
/// enabled or is suspended: that pins nothing.
fn version(v: Option<&str>) -> Option<String> {
    v.filter(|v| !v.is_empty() && *v != "null")
        .map(str::to_owned)
}

fn parse_notification_record(r: &Value) -> Result<ObjectEvent, FieldError> {
    let event_name = json::str(r, &["eventName"])?.to_owned();
    let encoded = json::str(r, &["s3", "object", "key"])?;
    let key = decode_notification_key(encoded).map_err(|m| FieldError::new("s3.object.key", m))?;
    validate_key(&key).map_err(|m| FieldError::new("s3.object.key", m))?;
    Ok(ObjectEvent {
        form: S3Form::Notification,
        created: event_name.starts_with("ObjectCreated:"),
        event_name,
        bucket: json::str(r, &["s3", "bucket", "name"])?.to_owned(),
        key,
        size: opt_u64(r, &["s3", "object", "size"])?,
        etag: json::opt_str(r, &["s3", "object", "eTag"])?.map(str::to_owned),
        version_id: version(json::opt_str(r, &["s3", "object", "versionId"])?),
        sequencer: json::opt_str(r, &["s3", "object", "sequencer"])?.map(str::to_owned),
    })
}

/// EventBridge keys are the object's real key: no decoding (`a+b` is `a+b`).
fn parse_eventbridge(v: &Value) -> Result<ObjectEvent, FieldError> {
    let event_name = json::str(v, &["detail-type"])?.to_owned();
    let key = json::str(v, &["detail", "object", "key"])?.to_owned();
    validate_key(&key).map_err(|m| FieldError::new("detail.object.key", m))?;
    Ok(ObjectEvent {
        form: S3Form::EventBridge,
        created: event_name == "Object Created",
        event_name,
        bucket: json::str(v, &["detail", "bucket", "name"])?.to_owned(),
        key,
        size: opt_u64(v, &["detail", "object", "size"])?,
        etag: json::opt_str(v, &["detail", "object", "etag"])?.map(str::to_owned),
        version_id: version(json::opt_str(v, &["detail", "object", "version-id"])?),
        sequencer: json::opt_str(v, &["detail", "object", "sequencer"])?.map(str::to_owned),
    })
}

/// Decodes a notification key: `+` is a space, `%XX` a byte, everything else itself. Strict: a
/// `%` not followed by two hex digits, or bytes that are not UTF-8, mean the key was not encoded
/// the way S3 encodes, and guessing could act on the wrong object.
pub fn decode_notification_key(encoded: &str) -> Result<String, String> {
    let b = encoded.as_bytes();
    let mut bytes = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hex = |j: usize| b.get(j).and_then(|c| (*c as char).to_digit(16));
                match (hex(i + 1), hex(i + 2)) {
                    (Some(hi), Some(lo)) => bytes.push((hi * 16 + lo) as u8),
                    _ => {
                        return Err(format!(
                            "invalid percent-encoding at byte {i} of {:?}",
                            truncate_for_message(encoded)
                        ))
                    }
                }
                i += 2;
            }
            c => bytes.push(c),
        }
        i += 1;
    }
    String::from_utf8(bytes).map_err(|_| {
        format!(
            "{:?} does not decode to UTF-8 text",
            truncate_for_message(encoded)
        )
    })
}

/// Encodes a key the way S3 notifications do (form-URL-encoding, `/` kept). For samples and
/// tests that build notifications from real uploads.
pub fn encode_notification_key(key: &str) -> String {
    form_urlencoded::byte_serialize(key.as_bytes())
        .collect::<String>()
        .replace("%2F", "/")
}

/// Keys must be usable as data anywhere downstream: no `..` path segment (a deploy step that
/// writes `$KEY` to disk must not escape its directory), no control characters (logs, shells,
/// terminals).
pub fn validate_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("is empty".into());
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(format!("is longer than {MAX_KEY_BYTES} bytes"));
    }
    if let Some(c) = key.chars().find(|c| c.is_control()) {
        return Err(format!(
            "contains the control character U+{:04X}: {:?}",
            c as u32,
            truncate_for_message(key)
        ));
    }
    if let Some(invisible) = crate::text::first_invisible(key) {
        return Err(format!("{invisible}: {:?}", truncate_for_message(key)));
    }
    if key.split('/').any(|segment| segment == "..") {
        return Err(format!(
            "has a `..` path segment: {:?}",
            truncate_for_message(key)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn notification(records: Vec<Value>) -> Value {
        json!({ "Records": records })
    }

    fn record(bucket: &str, encoded_key: &str, version: Option<&str>) -> Value {
        json!({
            "eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
            "s3": {
                "bucket": {"name": bucket},
                "object": {"key": encoded_key, "size": 10, "eTag": "abc", "versionId": version, "sequencer": "0A"}
            }
        })
    }

    fn object(r: &S3Record) -> &ObjectEvent {
        match &r.payload {
            Ok(S3Payload::Object(o)) => o,
            other => panic!("expected an object, got {other:?}"),
        }
    }

    #[test]
    fn decoding_plus_space_and_percent() {
        assert_eq!(decode_notification_key("a+b").unwrap(), "a b");
        assert_eq!(decode_notification_key("a%2Bb").unwrap(), "a+b");
        assert_eq!(decode_notification_key("a%2bb").unwrap(), "a+b");
        assert_eq!(decode_notification_key("%C3%A9t%C3%A9").unwrap(), "été");
        assert_eq!(decode_notification_key("a%2Fb/c").unwrap(), "a/b/c");
        // Exactly once: an encoded percent stays a percent.
        assert_eq!(decode_notification_key("100%2525").unwrap(), "100%25");
        for bad in ["a%", "a%2", "a%zz", "%+1", "%FF"] {
            assert!(decode_notification_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn key_validation() {
        assert!(validate_key("connectors/x/1.0/plugin.zip").is_ok());
        assert!(
            validate_key("a..b/c..").is_ok(),
            "dots inside a segment are fine"
        );
        for bad in ["", "a/../b", "../a", "a/..", "a\nb", "a\u{7f}b", "a\u{85}b"] {
            assert!(validate_key(bad).is_err(), "{bad:?}");
        }
        assert!(validate_key(&"k".repeat(1025)).is_err());
        let err = validate_key("apps/ledger/\u{202E}raj.exe").unwrap_err();
        assert!(
            err.starts_with("contains U+202E (a format character) at character 13"),
            "{err}"
        );
        assert!(validate_key("apps/café/ledger.jar").is_ok());
    }

    proptest! {
        #[test]
        fn encoding_then_decoding_round_trips(key in any::<String>()) {
            prop_assert_eq!(decode_notification_key(&encode_notification_key(&key)).unwrap(), key);
        }

        #[test]
        fn round_trips_through_a_notification(key in "[a-z +%/é?&=]{1,50}") {
            prop_assume!(validate_key(&key).is_ok());
            let raw = notification(vec![record("b", &encode_notification_key(&key), Some("v"))]);
            let recs = records(&raw);
            prop_assert_eq!(&object(&recs[0]).key, &key);
        }
    }

    #[test]
    fn several_records_each_with_their_own_result() {
        let raw = notification(vec![
            record("b", "apps/a+b.jar", Some("v1")),
            record("b", "apps/%2E%2E/x", Some("v2")),
            record("b", "apps/c%2Bd.jar", Some("null")),
        ]);
        let recs = records(&raw);
        assert_eq!(recs.len(), 3);
        assert_eq!(object(&recs[0]).key, "apps/a b.jar");
        assert_eq!(recs[0].label, "Records[0]");
        let err = recs[1].payload.as_ref().unwrap_err();
        assert_eq!(err.field, "Records[1].s3.object.key");
        assert!(err.message.contains(".."));
        assert_eq!(object(&recs[2]).key, "apps/c+d.jar");
        assert_eq!(object(&recs[2]).version_id, None, "\"null\" pins nothing");
        assert!(is_s3_event(&raw));
    }

    #[test]
    fn sns_and_sqs_envelopes() {
        let inner = notification(vec![record("b", "k+1", Some("v"))]).to_string();
        let sns = json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": inner}}]});
        assert!(is_s3_event(&sns));
        let recs = records(&sns);
        assert_eq!(recs[0].label, "Records[0].Sns.Message.Records[0]");
        assert_eq!(object(&recs[0]).key, "k 1");

        let envelope = json!({"Type": "Notification", "Message": inner}).to_string();
        let sqs = json!({"Records": [
            {"eventSource": "aws:sqs", "messageId": "m1", "body": inner},
            {"eventSource": "aws:sqs", "messageId": "m2", "body": envelope},
            {"eventSource": "aws:sqs", "messageId": "m3", "body": "not json"},
        ]});
        assert!(is_s3_event(&sqs));
        let recs = records(&sqs);
        assert_eq!(recs.len(), 3);
        assert_eq!(recs[0].batch_item_id.as_deref(), Some("m1"));
        assert_eq!(recs[1].label, "Records[1].body.Message.Records[0]");
        assert_eq!(object(&recs[1]).key, "k 1");
        assert_eq!(recs[2].batch_item_id.as_deref(), Some("m3"));
        assert!(recs[2].payload.is_err());

        let other_sns = json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": "{\"detail-type\": \"x\"}"}}]});
        assert!(
            !is_s3_event(&other_sns),
            "SNS that is not S3 is left to others"
        );
    }

    #[test]
    fn eventbridge_keys_are_not_decoded() {
        let raw = json!({
            "id": "e1", "source": "aws.s3", "detail-type": "Object Created",
            "detail": {"bucket": {"name": "b"}, "object": {"key": "a+b c%2B", "size": 3, "etag": "e", "version-id": "v"}}
        });
        assert!(is_s3_event(&raw));
        let recs = records(&raw);
        assert_eq!(recs[0].label, "detail");
        let o = object(&recs[0]);
        assert_eq!(o.key, "a+b c%2B");
        assert!(o.created);
        assert_eq!(o.form, S3Form::EventBridge);
    }

    #[test]
    fn test_events_and_malformed_events() {
        let test = json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"});
        assert!(is_s3_event(&test));
        assert_eq!(records(&test)[0].payload, Ok(S3Payload::TestEvent));
        let bad = notification(vec![
            json!({"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "b"}, "object": {"key": 5}}}),
        ]);
        let err = records(&bad)[0].payload.clone().unwrap_err();
        assert_eq!(
            err.to_string(),
            "Records[0].s3.object.key: expected a string, found a number"
        );
        assert!(!is_s3_event(
            &json!({"Records": [{"eventSource": "aws:kinesis"}]})
        ));
    }
}
