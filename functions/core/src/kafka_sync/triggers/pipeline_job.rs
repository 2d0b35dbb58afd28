//! `kafka-sync` as a CodePipeline invoke action (the shared job protocol,
//! [`crate::pipeline_job`]): what a job asks for (its `UserParameters`, which input artifact holds
//! the desired state, the continuation of an earlier round), the run ([`decide_job`]: the artifact
//! read with the job's `artifactCredentials`, then [`judged_sync`]), and the job result for its
//! [`SyncVerdict`].
//!
//! Connectors still on their way when the budget is spent make the job answer "in progress" with
//! a continuation token; the next invocation plans again (writing nothing that landed) and waits
//! again, up to `CONNECT_MAX_WAIT_MINUTES` in total.

use std::time::Duration;

use serde::Deserialize;

use crate::actions::codepipeline::FailureType;
use crate::deadline::Deadline;
use crate::json::FieldError;
use crate::kafka_sync::changes::{DiffOptions, Redactor};
use crate::kafka_sync::config::{ClusterConfig, KafkaSyncConfig, ARTIFACT_BUCKETS};
use crate::kafka_sync::desired::valid_environment_name;
use crate::kafka_sync::ports::{ArtifactError, ArtifactLocation, ArtifactReader};
use crate::kafka_sync::topics::diff::TopicOptions;
use crate::kafka_sync::triggers::judged_sync::{judged_sync, SyncTarget, Trigger};
use crate::kafka_sync::triggers::verdict::{Progress, SyncVerdict};
use crate::kafka_sync::triggers::ConnectPorts;
use crate::pipeline_job::{parameters, Job, JobParameters, JobResult, JOB_KEY};
use crate::plan::Decision;

/// Time a job keeps, after it stops waiting and before the job runner's guard fires, to judge and
/// report its result.
pub const ANSWER_TIME: Duration = Duration::from_secs(5);

/// `UserParameters` of a kafka-sync action (docs/kafka-sync.md):
/// `{"environment": "prod", "cluster": "main", "prune": true, "directory": "connect"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct JobParams {
    /// `environments/<environment>.yaml` supplies the values.
    pub environment: String,
    /// A cluster name from `KAFKA_CLUSTERS`.
    pub cluster: String,
    /// Folder inside the artifact holding the desired state (default: its root).
    #[serde(default)]
    pub directory: String,
    /// The input artifact's name, when the action has several (default: the first).
    #[serde(default)]
    pub artifact: Option<String>,
    /// Delete managed connectors that are not in Git.
    #[serde(default)]
    pub prune: bool,
    /// Apply identity-key changes (default: `CONNECT_ALLOW_DANGEROUS`).
    #[serde(default)]
    pub allow_dangerous: Option<bool>,
    /// Server-side validation first (default: `CONNECT_VALIDATE`).
    #[serde(default)]
    pub validate: Option<bool>,
    /// With prune, also delete managed topics that are not in Git (default: only topics marked
    /// `delete: true` are deleted). A topic holds data: set it for one run, deliberately.
    #[serde(default)]
    pub delete_topics: bool,
}

impl JobParameters for JobParams {
    fn validate(&self) -> Result<(), FieldError> {
        if !valid_environment_name(&self.environment) {
            return Err(FieldError::new(
                "environment",
                format!(
                    "{:?} is not an environment name ([A-Za-z0-9_-], 1-64 characters)",
                    self.environment
                ),
            ));
        }
        if self.cluster.trim().is_empty() {
            return Err(FieldError::new("cluster", "is empty"));
        }
        let dir = self.directory.trim_matches('/');
        if dir.chars().any(char::is_control)
            || dir.split('/').any(|s| s == ".." || s == ".")
            || (!dir.is_empty() && dir.split('/').any(str::is_empty))
        {
            return Err(FieldError::new(
                "directory",
                format!(
                    "{:?} is not a folder inside the artifact (no `..`, `.`, empty segments or control characters)",
                    self.directory
                ),
            ));
        }
        if self
            .artifact
            .as_deref()
            .is_some_and(|a| a.trim().is_empty())
        {
            return Err(FieldError::new("artifact", "is empty"));
        }
        Ok(())
    }
}

/// What a job asks for, checked against the configuration: the cluster, the artifact's location,
/// and (on a later round) the progress carried in the continuation token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRequest {
    pub params: JobParams,
    pub cluster: ClusterConfig,
    /// The input artifact holding the desired state.
    pub artifact: String,
    pub bucket: String,
    pub key: String,
    /// The earlier round's progress, when CodePipeline re-invokes a job that answered "in
    /// progress".
    pub progress: Option<Progress>,
    /// The effective options: the parameters, else the function's configuration.
    pub validate: bool,
    pub allow_dangerous: bool,
}

impl JobRequest {
    /// `s3://bucket/key`, for messages.
    pub fn location(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }

    /// One line saying what the job applies.
    pub fn describe(&self) -> String {
        let directory = match self.folder() {
            "" => String::new(),
            dir => format!(" (folder {dir:?})"),
        };
        format!(
            "input artifact {:?} at {}{directory} to cluster {:?} with environment {:?}{}",
            self.artifact,
            self.location(),
            self.params.cluster,
            self.params.environment,
            if self.params.prune { ", prune on" } else { "" },
        )
    }
}

impl JobRequest {
    /// The folder inside the artifact, without leading or trailing `/` (empty: its root).
    fn folder(&self) -> &str {
        self.params.directory.trim_matches('/')
    }

    /// A dry run reads no artifact: the job would apply this, and this command shows its plan.
    fn dry_run(&self, job_id: &str) -> Decision {
        let directory = match self.folder() {
            "" => String::new(),
            dir => format!("/{dir}"),
        };
        Decision::skip(format!(
            "dry run: job {job_id} would apply {}; see the plan with `switchyard kafka plan --dir <unzipped artifact>{directory} --env {} --url <cluster>`",
            self.describe(),
            self.params.environment,
        ))
    }
}

fn configuration(field: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError::new(field, message)
}

/// Parses and checks what the job asks for. `Err` is the job's plan when it cannot run: a
/// rejection naming the field (the job runner reports it as `ConfigurationError`), or for an
/// unreadable continuation token, a `JobFailed` result.
pub fn request(job: &Job, config: &KafkaSyncConfig) -> Result<JobRequest, Decision> {
    let invalid = |e: FieldError| Decision::invalid(e.to_string());
    let params: JobParams = parameters(job).map_err(invalid)?;
    let cluster = config.clusters.get(&params.cluster).ok_or_else(|| {
        let known: Vec<&str> = config.clusters.keys().map(String::as_str).collect();
        invalid(configuration(
            "UserParameters.cluster",
            format!(
                "{:?} is not a cluster in KAFKA_CLUSTERS (known: {})",
                params.cluster,
                known.join(", ")
            ),
        ))
    })?;
    if params.prune && cluster.scope().is_unset() {
        return Err(invalid(configuration(
            "UserParameters.prune",
            format!(
                "cluster {:?} has no managed scope (managed_prefixes / managed_connectors in KAFKA_CLUSTERS) to prune in",
                params.cluster
            ),
        )));
    }
    let artifacts = &job.input_artifacts;
    let found = match &params.artifact {
        Some(name) => artifacts.iter().find(|a| &a.name == name).ok_or_else(|| {
            let names: Vec<&str> = artifacts.iter().map(|a| a.name.as_str()).collect();
            invalid(configuration(
                "UserParameters.artifact",
                format!(
                    "{name:?} is not an input artifact of this action (it has: {})",
                    if names.is_empty() {
                        "none".to_owned()
                    } else {
                        names.join(", ")
                    }
                ),
            ))
        })?,
        None => artifacts.first().ok_or_else(|| {
            invalid(configuration(
                format!("{JOB_KEY}.data.inputArtifacts"),
                "is empty: give the action the desired state as its input artifact",
            ))
        })?,
    };
    let (Some(bucket), Some(key)) = (&found.bucket, &found.key) else {
        return Err(invalid(configuration(
            format!("{JOB_KEY}.data.inputArtifacts"),
            format!("artifact {:?} has no S3 location", found.name),
        )));
    };
    if !config.allows_artifact_bucket(bucket) {
        return Err(invalid(configuration(
            format!("{JOB_KEY}.data.inputArtifacts"),
            format!(
                "artifact {:?} is in bucket {bucket:?}, which is not in {ARTIFACT_BUCKETS} ({}): nothing was read or written",
                found.name,
                listed(&config.artifact_buckets)
            ),
        )));
    }
    allowed_pipeline(job, &params.cluster, cluster).map_err(invalid)?;
    let progress = match &job.continuation_token {
        None => None,
        Some(token) => Some(Progress::decode(token).map_err(|e| {
            JobResult::failed(FailureType::JobFailed, e.clone()).decide(&job.id, e)
        })?),
    };
    Ok(JobRequest {
        validate: params.validate.unwrap_or(config.validate),
        allow_dangerous: params.allow_dangerous.unwrap_or(config.allow_dangerous),
        cluster: cluster.clone(),
        artifact: found.name.clone(),
        bucket: bucket.clone(),
        key: key.clone(),
        progress,
        params,
    })
}

/// `a, b`, or `none` for an empty list, for messages.
fn listed(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

/// The job's pipeline, as CodePipeline names it, must be one the cluster lists. A job without a
/// pipeline context was not confirmed by CodePipeline (events never carry one): refused.
fn allowed_pipeline(job: &Job, name: &str, cluster: &ClusterConfig) -> Result<(), FieldError> {
    let field = format!("{JOB_KEY}.data.pipelineContext.pipelineName");
    let Some(context) = &job.pipeline else {
        return Err(configuration(
            field,
            "is missing: only CodePipeline's own account of the job (GetJobDetails) names its pipeline, and a job that does not name one syncs no cluster",
        ));
    };
    if !cluster.allows_pipeline(&context.pipeline) {
        return Err(configuration(
            field,
            format!(
                "pipeline {:?} may not sync cluster {name:?} (its pipelines in KAFKA_CLUSTERS: {}): nothing was read or written",
                context.pipeline,
                listed(&cluster.pipelines)
            ),
        ));
    }
    Ok(())
}

fn failed(job_id: &str, message: String) -> Decision {
    JobResult::failed(FailureType::JobFailed, message.clone()).decide(job_id, message)
}

/// Runs one job and returns its plan, which always ends in the job's result (or is a rejection,
/// which the job runner reports as `ConfigurationError`). `deadline` is the job runner's: the job
/// stops waiting [`ANSWER_TIME`] before its budget ends. Never logs the job: it carries
/// credentials.
pub async fn decide_job<P: ConnectPorts>(
    job: &Job,
    config: &KafkaSyncConfig,
    ports: &P,
    deadline: Deadline,
) -> Decision {
    let request = match request(job, config) {
        Ok(request) => request,
        Err(decision) => return decision,
    };
    let Some(api) = ports.cluster(&request.params.cluster) else {
        return Decision::invalid(format!(
            "UserParameters.cluster: {:?} has no client in this function",
            request.params.cluster
        ));
    };
    let location = ArtifactLocation::JobInput {
        bucket: &request.bucket,
        key: &request.key,
        credentials: job.artifact_credentials.as_ref(),
    };
    let files = match ports
        .artifacts()
        .read(location, &request.params.directory)
        .await
    {
        Ok(files) => files,
        Err(ArtifactError::NotRead) => return request.dry_run(&job.id),
        Err(ArtifactError::NoCredentials) => {
            return failed(
                &job.id,
                format!(
                    "the job carries no artifactCredentials to read {}",
                    request.describe()
                ),
            )
        }
        Err(e @ (ArtifactError::Unreadable { .. } | ArtifactError::Superseded { .. })) => {
            return failed(
                &job.id,
                format!("input artifact {:?}: {e}", request.artifact),
            )
        }
        Err(e @ ArtifactError::NotDesiredState(_)) => {
            return failed(
                &job.id,
                format!(
                    "input artifact {:?} ({}): {e}",
                    request.artifact,
                    request.location()
                ),
            )
        }
    };
    let target = SyncTarget {
        cluster: &request.params.cluster,
        environment: &request.params.environment,
        diff: DiffOptions {
            scope: request.cluster.scope(),
            prune: request.params.prune,
            redactor: Redactor::default(),
            allow_unmanaged_writes: request.cluster.allow_unmanaged_writes,
            topics: TopicOptions {
                delete_unlisted: request.params.delete_topics,
                ..TopicOptions::for_cluster(&request.params.cluster, request.cluster.kafka.as_ref())
            },
        },
        validate: request.validate,
        allow_dangerous: request.allow_dangerous,
        previous: request.progress.as_ref(),
        max_wait: config.max_wait,
    };
    let trigger = Trigger::Job { id: &job.id };
    let deadline = deadline.reserving(ANSWER_TIME);
    match judged_sync(
        &target,
        &files,
        config,
        api,
        ports.topic_admin(&request.params.cluster),
        ports.clock(),
        deadline,
        trigger,
    )
    .await
    {
        Ok(verdict) => decide(&job.id, verdict),
        Err(e) => failed(&job.id, format!("{}: {e}", request.describe())),
    }
}

/// The job result for a run's verdict: success with the counts as output variables, "in
/// progress" with the continuation token, or a failure with the reason.
pub fn job_result(verdict: SyncVerdict) -> JobResult {
    match verdict {
        SyncVerdict::Succeeded {
            summary,
            output_variables,
        } => JobResult::Succeeded {
            summary,
            output_variables,
        },
        SyncVerdict::Waiting { summary, progress } => JobResult::InProgress {
            summary,
            continuation_token: progress.encode(),
        },
        SyncVerdict::Failed { message } => JobResult::failed(FailureType::JobFailed, message),
    }
}

/// The job's plan for a verdict: its result as the single action, the summary (or failure) as the
/// reason.
pub fn decide(job_id: &str, verdict: SyncVerdict) -> Decision {
    let reason = match &verdict {
        SyncVerdict::Succeeded { summary, .. } | SyncVerdict::Waiting { summary, .. } => {
            summary.clone()
        }
        SyncVerdict::Failed { message } => message.clone(),
    };
    job_result(verdict).decide(job_id, reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::codepipeline::PutJobFailureResult;
    use crate::kafka_sync::changes::diff::Summary;
    use crate::plan::{Action, Outcome, RejectKind};
    use serde_json::json;
    use std::collections::HashMap;

    const JOB_ID: &str = "6f1c8e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b";

    fn config() -> KafkaSyncConfig {
        let vars: HashMap<String, String> = [
            (
                "KAFKA_CLUSTERS",
                r#"{"main": {"url": "http://c:8083", "managed_prefixes": ["sy-"], "pipelines": ["release"]}, "bare": {"url": "http://b:8083", "pipelines": ["release"]}, "other": {"url": "http://o:8083", "managed_prefixes": ["sy-"], "pipelines": ["someone-else"]}}"#,
            ),
            ("CONNECT_VALIDATE", "true"),
            ("KAFKA_ARTIFACT_BUCKETS", "art, art-2"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        KafkaSyncConfig::from_vars(&vars).unwrap()
    }

    fn job(user_parameters: &str, artifacts: serde_json::Value, token: Option<&str>) -> Job {
        Job::parse(&json!({"CodePipeline.job": {
            "id": JOB_ID,
            "data": {
                "actionConfiguration": {"configuration": {"FunctionName": "sy-kafka-sync", "UserParameters": user_parameters}},
                "inputArtifacts": artifacts,
                "continuationToken": token.unwrap_or(""),
                "artifactCredentials": {"accessKeyId": "A", "secretAccessKey": "S", "sessionToken": "T"},
                "pipelineContext": {"pipelineName": "release", "stage": {"name": "Deploy"}, "action": {"name": "Sync"}}
            }
        }}))
        .unwrap()
    }

    /// Jobs an invoker could send: an artifact in a bucket of its choice, no pipeline context (an
    /// event, not CodePipeline's answer), a pipeline the cluster does not list. Each is refused
    /// before anything is read.
    #[test]
    fn jobs_outside_the_allow_lists_are_refused_before_anything_is_read() {
        let params = r#"{"environment": "prod", "cluster": "main"}"#;
        let elsewhere = json!([{"name": "SourceOutput", "location": {"type": "S3", "s3Location": {"bucketName": "attacker-bucket", "objectKey": "k"}}}]);
        let d = request(&job(params, elsewhere, None), &config()).unwrap_err();
        assert_eq!(d.outcome, Outcome::Rejected(RejectKind::Invalid));
        assert!(d.reason.starts_with("CodePipeline.job.data.inputArtifacts: artifact \"SourceOutput\" is in bucket \"attacker-bucket\", which is not in KAFKA_ARTIFACT_BUCKETS (art, art-2)"), "{}", d.reason);

        let mut unconfirmed = job(params, json!([artifact("SourceOutput")]), None);
        unconfirmed.pipeline = None;
        let d = request(&unconfirmed, &config()).unwrap_err();
        assert!(
            d.reason
                .starts_with("CodePipeline.job.data.pipelineContext.pipelineName: is missing"),
            "{}",
            d.reason
        );

        let other = r#"{"environment": "prod", "cluster": "other"}"#;
        let d = request(
            &job(other, json!([artifact("SourceOutput")]), None),
            &config(),
        )
        .unwrap_err();
        assert!(d.reason.contains("pipeline \"release\" may not sync cluster \"other\" (its pipelines in KAFKA_CLUSTERS: someone-else)"), "{}", d.reason);
        assert!(
            d.actions.is_empty(),
            "the runner reports it as ConfigurationError"
        );
    }

    fn artifact(name: &str) -> serde_json::Value {
        json!({"name": name, "location": {"type": "S3", "s3Location": {"bucketName": "art", "objectKey": format!("p/{name}/x1")}}})
    }

    #[test]
    fn a_complete_request() {
        let j = job(
            r#"{"environment": "prod", "cluster": "main", "prune": true, "directory": "connect/", "artifact": "Config", "validate": false}"#,
            json!([artifact("SourceOutput"), artifact("Config")]),
            None,
        );
        let r = request(&j, &config()).unwrap();
        assert_eq!(
            (r.artifact.as_str(), r.bucket.as_str(), r.key.as_str()),
            ("Config", "art", "p/Config/x1")
        );
        assert!(r.params.prune && !r.validate && !r.allow_dangerous);
        assert_eq!(r.progress, None);
        assert_eq!(
            r.describe(),
            "input artifact \"Config\" at s3://art/p/Config/x1 (folder \"connect\") to cluster \"main\" with environment \"prod\", prune on"
        );
        // Defaults: the first artifact, the function's configuration.
        let j = job(
            r#"{"environment": "dev", "cluster": "bare", "allowDangerous": true}"#,
            json!([artifact("SourceOutput")]),
            None,
        );
        let r = request(&j, &config()).unwrap();
        assert_eq!(r.artifact, "SourceOutput");
        assert!(r.validate && r.allow_dangerous && !r.params.prune);
    }

    #[test]
    fn bad_parameters_are_rejected_naming_the_field() {
        let one = json!([artifact("SourceOutput")]);
        let cases = [
            ("", &one, "UserParameters: missing field `environment`"),
            (r#"{"cluster": "main"}"#, &one, "UserParameters: missing field `environment`"),
            (r#"{"environment": "../prod", "cluster": "main"}"#, &one, "UserParameters.environment: \"../prod\" is not an environment name"),
            (r#"{"environment": "prod", "cluster": " "}"#, &one, "UserParameters.cluster: is empty"),
            (r#"{"environment": "prod", "cluster": "nope"}"#, &one, "UserParameters.cluster: \"nope\" is not a cluster in KAFKA_CLUSTERS (known: bare, main, other)"),
            (r#"{"environment": "prod", "cluster": "main", "prnue": true}"#, &one, "UserParameters.prnue: unknown field `prnue`"),
            (r#"{"environment": "prod", "cluster": "main", "prune": "yes"}"#, &one, "UserParameters.prune: invalid type: string \"yes\", expected a boolean"),
            (r#"{"environment": "prod", "cluster": "bare", "prune": true}"#, &one, "UserParameters.prune: cluster \"bare\" has no managed scope"),
            (r#"{"environment": "prod", "cluster": "main", "directory": "a/../b"}"#, &one, "UserParameters.directory: \"a/../b\" is not a folder inside the artifact"),
            (r#"{"environment": "prod", "cluster": "main", "artifact": "Other"}"#, &one, "UserParameters.artifact: \"Other\" is not an input artifact of this action (it has: SourceOutput)"),
            (r#"{"environment": "prod", "cluster": "main"}"#, &json!([]), "CodePipeline.job.data.inputArtifacts: is empty"),
            (r#"{"environment": "prod", "cluster": "main"}"#, &json!([{"name": "X"}]), "CodePipeline.job.data.inputArtifacts: artifact \"X\" has no S3 location"),
            ("{not json", &one, "UserParameters: is not valid JSON"),
        ];
        for (params, artifacts, expected) in cases {
            let d = request(&job(params, artifacts.clone(), None), &config()).unwrap_err();
            assert_eq!(
                d.outcome,
                Outcome::Rejected(RejectKind::Invalid),
                "{params}"
            );
            assert!(d.reason.starts_with(expected), "{params}: {}", d.reason);
            assert!(
                d.actions.is_empty(),
                "the runner reports it as ConfigurationError"
            );
        }
    }

    #[test]
    fn continuation_tokens_carry_progress_and_garbage_fails_the_job() {
        let progress = Progress {
            summary: Summary {
                created: 2,
                ..Summary::default()
            },
            pending: vec!["sy-a".into()],
            started_at: 1000,
            round: 1,
        };
        let params = r#"{"environment": "prod", "cluster": "main"}"#;
        let one = json!([artifact("SourceOutput")]);
        let r = request(
            &job(params, one.clone(), Some(&progress.encode())),
            &config(),
        )
        .unwrap();
        assert_eq!(r.progress, Some(progress));
        let d = request(&job(params, one, Some("not-ours")), &config()).unwrap_err();
        match d.actions.as_slice() {
            [Action::PutJobFailureResult(PutJobFailureResult {
                job_id,
                failure_details,
            })] => {
                assert_eq!(job_id, JOB_ID);
                assert_eq!(failure_details.kind, FailureType::JobFailed);
                assert!(failure_details
                    .message
                    .starts_with("invalid continuation token"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn verdicts_become_the_three_job_results() {
        let succeeded = SyncVerdict::Succeeded {
            summary: "prod on main: 1 created".into(),
            output_variables: [("Created".to_owned(), "1".to_owned())].into(),
        };
        let d = decide(JOB_ID, succeeded);
        assert_eq!(d.reason, "job succeeded: prod on main: 1 created");
        let Action::PutJobSuccessResult(s) = &d.actions[0] else {
            panic!("{d:?}")
        };
        assert_eq!(s.output_variables["Created"], "1");
        assert_eq!(s.continuation_token, None);

        let progress = Progress {
            summary: Summary::default(),
            pending: vec!["sy-a".into()],
            started_at: 5,
            round: 2,
        };
        let d = decide(
            JOB_ID,
            SyncVerdict::Waiting {
                summary: "waiting for sy-a".into(),
                progress: progress.clone(),
            },
        );
        let Action::PutJobSuccessResult(s) = &d.actions[0] else {
            panic!("{d:?}")
        };
        assert_eq!(
            s.continuation_token.as_deref(),
            Some(progress.encode().as_str())
        );
        assert!(s.output_variables.is_empty());
        assert!(d.reason.starts_with("job in progress: waiting for sy-a"));

        let d = decide(
            JOB_ID,
            SyncVerdict::Failed {
                message: "sy-a is FAILED: java.lang.Boom".into(),
            },
        );
        let Action::PutJobFailureResult(f) = &d.actions[0] else {
            panic!("{d:?}")
        };
        assert_eq!(f.failure_details.kind, FailureType::JobFailed);
        assert_eq!(f.failure_details.message, "sy-a is FAILED: java.lang.Boom");
    }
}
