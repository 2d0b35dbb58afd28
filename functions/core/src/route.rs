//! Which function handles a raw event. Used by `switchyard replay`, which receives events of every
//! kind; in Lambda each function is only wired to its own triggers, and still checks the shape.

use serde_json::Value;

use crate::branch_pipelines;
use crate::json;
use crate::pipeline_job;
use crate::plan::FunctionName;
use crate::refs::RefKind;
use crate::sources::{self, codecommit, function_url, s3};
use crate::stage_retry;
use crate::webhook;

/// The function for this event, or `None` for an event no function handles.
pub fn function_for(raw: &Value) -> Option<FunctionName> {
    function_for_with(raw, &|_, _| None)
}

/// Which function, if any, takes an S3 object (bucket, decoded key) away from
/// `artifact-release`: `kafka-sync` claims its desired-state bundles, from its configuration.
pub type S3Claim<'a> = &'a dyn Fn(&str, &str) -> Option<FunctionName>;

/// Like [`function_for`], with the S3 objects other functions claim from `artifact-release`
/// routed to them first.
pub fn function_for_with(raw: &Value, s3_claim: S3Claim) -> Option<FunctionName> {
    if function_url::is_http_request(raw) {
        return Some(webhook_function(raw));
    }
    if pipeline_job::is_job_event(raw) {
        return job_function(raw);
    }
    if branch_pipelines::sweep::event::is_sweep_event(raw) {
        return Some(FunctionName::BranchPipelines);
    }
    if crate::kafka_sync::reconcile::scheduled::is_drift_event(raw) {
        return Some(FunctionName::KafkaSync);
    }
    if codecommit::is_reference_event(raw) {
        return match codecommit::reference_type(raw) {
            Some("tag") => Some(FunctionName::TagRelease),
            _ => Some(FunctionName::BranchPipelines),
        };
    }
    // Before S3: an SNS notification may wrap a stage event as well as an S3 notification.
    if stage_retry::event::is_trigger(raw) {
        return Some(FunctionName::StageRetry);
    }
    if s3::is_s3_event(raw) {
        return Some(s3_function(raw, s3_claim));
    }
    None
}

/// Routes an S3 object event (any form: notification, SNS, SQS, EventBridge) by its first object:
/// to the function that claims it, otherwise to `artifact-release`, which skips keys outside its
/// rules with a reason.
pub fn s3_function(raw: &Value, s3_claim: S3Claim) -> FunctionName {
    let first_object = s3::records(raw).into_iter().find_map(|r| match r.payload {
        Ok(s3::S3Payload::Object(o)) => Some(o),
        _ => None,
    });
    first_object
        .and_then(|o| s3_claim(&o.bucket, &o.key))
        .unwrap_or(FunctionName::ArtifactRelease)
}

/// Routes a webhook delivery from any host by its (unauthenticated) event header and ref; the
/// chosen function authenticates it before trusting anything. Webhooks that are neither go to
/// branch-pipelines, which acknowledges them (pings, other event kinds).
fn webhook_function(raw: &Value) -> FunctionName {
    match webhook::unverified(raw)
        .as_ref()
        .and_then(sources::ref_kind_hint)
    {
        Some(RefKind::Tag) => FunctionName::TagRelease,
        _ => FunctionName::BranchPipelines,
    }
}

/// Routes a CodePipeline job by the Lambda its action invokes: the configured `FunctionName`
/// (e.g. `sy-health-gate`, an ARN, or the name SAM generates, `switchyard-HealthGate-1A2B3C`)
/// contains the function's name, compared without case, `-` or `_`.
fn job_function(raw: &Value) -> Option<FunctionName> {
    let path = [
        pipeline_job::JOB_KEY,
        "data",
        "actionConfiguration",
        "configuration",
        "FunctionName",
    ];
    let squashed = |name: &str| -> String {
        name.chars()
            .filter(|c| !matches!(c, '-' | '_'))
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let name = squashed(json::get(raw, &path)?.as_str()?);
    [FunctionName::HealthGate, FunctionName::KafkaSync]
        .into_iter()
        .find(|f| name.contains(&squashed(f.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn s3_events_in_every_form_go_to_artifact_release_unless_claimed() {
        let notification = json!({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": "b"}, "object": {"key": "connect/desired+state.json", "size": 1, "versionId": "v"}}}]});
        let sns = json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": notification.to_string()}}]});
        let sqs = json!({"Records": [{"eventSource": "aws:sqs", "messageId": "m", "body": notification.to_string()}]});
        let eventbridge = json!({"source": "aws.s3", "detail-type": "Object Created",
            "detail": {"bucket": {"name": "b"}, "object": {"key": "x", "size": 1}}});
        for raw in [&notification, &sns, &sqs, &eventbridge] {
            assert_eq!(
                function_for(raw),
                Some(FunctionName::ArtifactRelease),
                "{raw}"
            );
        }
        let bundle = |_: &str, key: &str| {
            (key == "connect/desired state.json").then_some(FunctionName::KafkaSync)
        };
        assert_eq!(s3_function(&sqs, &bundle), FunctionName::KafkaSync);
        assert_eq!(
            s3_function(&eventbridge, &bundle),
            FunctionName::ArtifactRelease
        );
    }

    fn job(function_name: &str) -> Value {
        json!({"CodePipeline.job": {"id": "11111111-abcd-1111-abcd-111111abcdef",
            "data": {"actionConfiguration": {"configuration": {"FunctionName": function_name}}}}})
    }

    #[test]
    fn jobs_go_to_the_function_their_action_invokes() {
        assert_eq!(
            function_for(&job("sy-health-gate")),
            Some(FunctionName::HealthGate)
        );
        assert_eq!(
            function_for(&job(
                "arn:aws:lambda:eu-west-1:123456789012:function:prod-kafka-sync"
            )),
            Some(FunctionName::KafkaSync)
        );
        assert_eq!(
            function_for(&job("switchyard-HealthGate-1A2B3C4D5E6F")),
            Some(FunctionName::HealthGate),
            "the name SAM generates from the logical id"
        );
        assert_eq!(function_for(&job("some-other-lambda")), None);
    }

    #[test]
    fn stage_events_and_the_sweep_go_to_stage_retry_even_inside_sns() {
        let stage = json!({"version": "0", "id": "e-1", "source": "aws.codepipeline",
            "detail-type": "CodePipeline Stage Execution State Change", "time": "2026-11-20T09:15:10Z",
            "detail": {"pipeline": "p", "execution-id": "x", "stage": "Deploy", "state": "FAILED"}});
        let sns =
            json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": stage.to_string()}}]});
        let sweep = json!({"version": "0", "id": "e-2", "source": "aws.events",
            "detail-type": "Scheduled Event", "time": "2026-11-20T09:15:10Z", "detail": {}});
        for raw in [&stage, &sns, &sweep] {
            assert_eq!(function_for(raw), Some(FunctionName::StageRetry), "{raw}");
        }
        // An S3 notification inside SNS still goes to artifact-release.
        let s3 = json!({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": "b"}, "object": {"key": "k", "size": 1, "versionId": "v"}}}]});
        let wrapped =
            json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": s3.to_string()}}]});
        assert_eq!(function_for(&wrapped), Some(FunctionName::ArtifactRelease));
    }
}
