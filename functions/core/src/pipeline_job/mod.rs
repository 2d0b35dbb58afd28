//! The CodePipeline job protocol, shared by every function invoked as a pipeline action
//! (`health-gate`, `kafka-sync`).
//!
//! CodePipeline invokes the Lambda with a *job* (`{"CodePipeline.job": {...}}`) and waits for
//! exactly one result: `PutJobSuccessResult` (optionally "in progress" with a continuation token)
//! or `PutJobFailureResult`. This module holds the pure part:
//!
//! - [`Job::parse`]: the job event into a typed [`Job`]; its `artifactCredentials` only ever exist
//!   as [`ArtifactCredentials`], whose `Debug` is redacted, so no log line can show them;
//! - [`parameters`]: `UserParameters` (JSON) into a function's typed schema, errors naming the
//!   field (`UserParameters.regions[0]: ...`), which end the job with `ConfigurationError`;
//! - [`JobResult`]: the three possible results, as the plan's single result action;
//! - [`JobDetails`]: the port that asks CodePipeline what a job is (`GetJobDetails`). Anyone
//!   allowed to invoke the function can send a job event; only CodePipeline's answer for its id
//!   is trusted, so the Lambda decides on that, and only it carries the job's [`PipelineContext`].
//!
//! The runtime guarantees (exactly one result on error, panic and deadline) live in
//! `switchyard_adapters::job_runner`.

mod parameters;
mod result;

pub use parameters::{parameters, JobParameters};
pub use result::{is_job_result, job_id_of, JobResult, MAX_FAILURE_MESSAGE, MAX_SUMMARY};

use std::fmt;
use std::future::Future;

use serde_json::Value;

use crate::json::{self, FieldError};
use crate::secret::Secret;

/// The key CodePipeline puts the job under in the Lambda event.
pub const JOB_KEY: &str = "CodePipeline.job";

/// Whether a raw event is a CodePipeline job (any function invoked as a pipeline action).
pub fn is_job_event(raw: &Value) -> bool {
    raw.get(JOB_KEY).is_some_and(Value::is_object)
}

/// A CodePipeline job, as the handler sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// The job id: every result is reported for it.
    pub id: String,
    pub account_id: Option<String>,
    /// `data.actionConfiguration.configuration.FunctionName`: which Lambda the action invokes.
    pub function_name: Option<String>,
    /// `data.actionConfiguration.configuration.UserParameters`, unparsed (see [`parameters`]).
    pub user_parameters: Option<String>,
    pub input_artifacts: Vec<InputArtifact>,
    /// Set when CodePipeline re-invokes an action that answered "in progress".
    pub continuation_token: Option<String>,
    /// Temporary credentials for the artifact bucket. Redacted in every `Debug`.
    pub artifact_credentials: Option<ArtifactCredentials>,
    /// `data.pipelineContext`: which pipeline, stage and action the job belongs to. CodePipeline's
    /// job events never carry it; `GetJobDetails` does ([`JobDetails`]).
    pub pipeline: Option<PipelineContext>,
}

/// The pipeline, stage and action a job runs for, as `GetJobDetails` returns them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineContext {
    pub pipeline: String,
    pub stage: Option<String>,
    pub action: Option<String>,
    pub execution_id: Option<String>,
}

/// Why CodePipeline could not confirm a job.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotConfirmed(pub String);

/// What CodePipeline itself says a job is: `GetJobDetails` for the job id, parsed like an event.
/// An invoker can forge an event, not CodePipeline's answer for a job id in this account.
pub trait JobDetails: Sync {
    fn job_details(&self, job_id: &str) -> impl Future<Output = Result<Job, NotConfirmed>> + Send;
}

/// One input artifact: its name and where CodePipeline stored it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputArtifact {
    pub name: String,
    pub bucket: Option<String>,
    pub key: Option<String>,
    pub revision: Option<String>,
}

/// The artifact bucket credentials CodePipeline hands to the action. Every part is a [`Secret`],
/// and the struct's own `Debug` prints nothing but `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct ArtifactCredentials {
    pub access_key_id: Secret,
    pub secret_access_key: Secret,
    pub session_token: Secret,
}

impl fmt::Debug for ArtifactCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ArtifactCredentials(<redacted>)")
    }
}

/// CodePipeline job ids are UUIDs; anything else is not a job we can report on.
fn is_job_id(id: &str) -> bool {
    id.len() == 36
        && id.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

const DATA: &str = "data";

/// The job id of a job event, alone. A job whose id can be read gets a result even when the rest
/// of it does not parse; without one, no result can be reported.
pub fn job_id(raw: &Value) -> Result<&str, FieldError> {
    let job = raw
        .get(JOB_KEY)
        .filter(|j| j.is_object())
        .ok_or_else(|| FieldError::new(JOB_KEY, "is missing: not a CodePipeline job event"))?;
    let id = json::str(job, &["id"]).map_err(prefixed)?;
    if !is_job_id(id) {
        return Err(FieldError::new(
            format!("{JOB_KEY}.id"),
            "is not a CodePipeline job id (a UUID)",
        ));
    }
    Ok(id)
}

impl Job {
    /// Parses the job event. Errors name the field; without a valid job id ([`job_id`]) no
    /// result can be reported, so the entry point rejects the event instead.
    pub fn parse(raw: &Value) -> Result<Job, FieldError> {
        let id = job_id(raw)?;
        let job = &raw[JOB_KEY];
        let config = ["data", "actionConfiguration", "configuration"];
        let at = |leaf: &'static str| [config[0], config[1], config[2], leaf];
        let artifacts = json::opt_array(job, &[DATA, "inputArtifacts"])
            .map_err(prefixed)?
            .map(|items| {
                items
                    .iter()
                    .enumerate()
                    .map(|(i, a)| input_artifact(i, a))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        Ok(Job {
            id: id.to_owned(),
            account_id: json::opt_str(job, &["accountId"])
                .map_err(prefixed)?
                .map(str::to_owned),
            function_name: json::opt_str(job, &at("FunctionName"))
                .map_err(prefixed)?
                .map(str::to_owned),
            user_parameters: json::opt_str(job, &at("UserParameters"))
                .map_err(prefixed)?
                .map(str::to_owned),
            input_artifacts: artifacts,
            continuation_token: json::opt_str(job, &[DATA, "continuationToken"])
                .map_err(prefixed)?
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
            artifact_credentials: credentials(job),
            pipeline: pipeline_context(job).map_err(prefixed)?,
        })
    }
}

fn pipeline_context(job: &Value) -> Result<Option<PipelineContext>, FieldError> {
    let at = |leaf: &'static [&'static str]| {
        let mut path = vec![DATA, "pipelineContext"];
        path.extend_from_slice(leaf);
        path
    };
    if json::get(job, &at(&[])).is_none() {
        return Ok(None);
    }
    let text =
        |leaf: &'static [&'static str]| json::opt_str(job, &at(leaf)).map(|v| v.map(str::to_owned));
    Ok(Some(PipelineContext {
        pipeline: json::str(job, &at(&["pipelineName"]))?.to_owned(),
        stage: text(&["stage", "name"])?,
        action: text(&["action", "name"])?,
        execution_id: text(&["pipelineExecutionId"])?,
    }))
}

fn prefixed(e: FieldError) -> FieldError {
    e.within(JOB_KEY)
}

fn input_artifact(index: usize, a: &Value) -> Result<InputArtifact, FieldError> {
    let parent = format!("{JOB_KEY}.data.inputArtifacts[{index}]");
    let at = |e: FieldError| e.within(&parent);
    let s3 = ["location", "s3Location"];
    Ok(InputArtifact {
        name: json::str(a, &["name"]).map_err(at)?.to_owned(),
        bucket: json::opt_str(a, &[s3[0], s3[1], "bucketName"])
            .map_err(at)?
            .map(str::to_owned),
        key: json::opt_str(a, &[s3[0], s3[1], "objectKey"])
            .map_err(at)?
            .map(str::to_owned),
        revision: json::opt_str(a, &["revision"])
            .map_err(at)?
            .map(str::to_owned),
    })
}

/// Missing or partial credentials are simply absent: only actions that read artifacts need them,
/// and they say so when they do.
fn credentials(job: &Value) -> Option<ArtifactCredentials> {
    let creds = json::get(job, &[DATA, "artifactCredentials"])?;
    let part = |name: &str| {
        json::get(creds, &[name])
            .and_then(Value::as_str)
            .map(Secret::new)
    };
    Some(ArtifactCredentials {
        access_key_id: part("accessKeyId")?,
        secret_access_key: part("secretAccessKey")?,
        session_token: part("sessionToken")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    pub(crate) fn job_event(user_parameters: &str) -> Value {
        json!({"CodePipeline.job": {
            "id": "11111111-abcd-1111-abcd-111111abcdef",
            "accountId": "123456789012",
            "data": {
                "actionConfiguration": {"configuration": {
                    "FunctionName": "switchyard-health-gate",
                    "UserParameters": user_parameters,
                }},
                "inputArtifacts": [{"name": "SourceOutput", "revision": "abc",
                    "location": {"type": "S3", "s3Location": {"bucketName": "b", "objectKey": "k"}}}],
                "outputArtifacts": [],
                "artifactCredentials": {"accessKeyId": "AKIAEXAMPLEKEYID", "secretAccessKey": "SECRET-ACCESS-KEY-VALUE", "sessionToken": "SESSION-TOKEN-VALUE"},
                "continuationToken": "",
            }
        }})
    }

    #[test]
    fn parses_the_job_and_redacts_credentials() {
        let job = Job::parse(&job_event("{}")).unwrap();
        assert_eq!(job.id, "11111111-abcd-1111-abcd-111111abcdef");
        assert_eq!(job.function_name.as_deref(), Some("switchyard-health-gate"));
        assert_eq!(job.continuation_token, None, "empty token means none");
        assert_eq!(job.input_artifacts[0].bucket.as_deref(), Some("b"));
        assert_eq!(job.pipeline, None, "job events carry no pipeline context");
        let creds = job.artifact_credentials.as_ref().unwrap();
        assert_eq!(creds.secret_access_key.expose(), "SECRET-ACCESS-KEY-VALUE");
        let debug = format!("{job:?} {job:#?}");
        for secret in [
            "AKIAEXAMPLEKEYID",
            "SECRET-ACCESS-KEY-VALUE",
            "SESSION-TOKEN-VALUE",
        ] {
            assert!(!debug.contains(secret), "{secret} leaked in {debug}");
        }
    }

    #[test]
    fn reads_the_pipeline_context_that_get_job_details_returns() {
        let mut raw = job_event("{}");
        raw[JOB_KEY][DATA]["pipelineContext"] = json!({
            "pipelineName": "payments-release", "stage": {"name": "Deploy"},
            "action": {"name": "Sync", "actionExecutionId": "a-1"},
            "pipelineArn": "arn:aws:codepipeline:eu-west-1:123456789012:payments-release",
            "pipelineExecutionId": "e-1"});
        let job = Job::parse(&raw).unwrap();
        assert_eq!(
            job.pipeline,
            Some(PipelineContext {
                pipeline: "payments-release".into(),
                stage: Some("Deploy".into()),
                action: Some("Sync".into()),
                execution_id: Some("e-1".into()),
            })
        );
        raw[JOB_KEY][DATA]["pipelineContext"] = json!({"stage": {"name": "Deploy"}});
        assert_eq!(
            Job::parse(&raw).unwrap_err().field,
            "CodePipeline.job.data.pipelineContext.pipelineName"
        );
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            (json!({}), "CodePipeline.job"),
            (json!({"CodePipeline.job": {}}), "CodePipeline.job.id"),
            (
                json!({"CodePipeline.job": {"id": "x; rm -rf"}}),
                "CodePipeline.job.id",
            ),
            (
                json!({"CodePipeline.job": {"id": "11111111-abcd-1111-abcd-111111abcdef",
                    "data": {"inputArtifacts": [{"name": 3}]}}}),
                "CodePipeline.job.data.inputArtifacts[0].name",
            ),
            (
                json!({"CodePipeline.job": {"id": "11111111-abcd-1111-abcd-111111abcdef",
                    "data": {"actionConfiguration": {"configuration": {"UserParameters": {"a": 1}}}}}}),
                "CodePipeline.job.data.actionConfiguration.configuration.UserParameters",
            ),
        ];
        for (raw, field) in cases {
            let err = Job::parse(&raw).unwrap_err();
            assert_eq!(err.field, field, "{err}");
        }
    }
}
