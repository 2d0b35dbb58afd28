//! What can be decided about a connect-sync event without its artifact or its cluster: a
//! pipeline job's parameters are checked exactly as the Lambda checks them, and an S3 upload is
//! matched against the configured bundles. The sync itself reads the artifact and talks to
//! Connect, so a dry run (replay, the shared test dispatcher, fuzzing) stops there and says what
//! the Lambda would apply.

use serde_json::Value;

use super::bundle::bundle_uploads;
use super::config::ConnectSyncConfig;
use super::job;
use crate::pipeline_job::{is_job_event, Job};
use crate::plan::Decision;

/// A job with bad parameters is the rejection the job runner reports as `ConfigurationError`;
/// everything else is skipped with the `switchyard connect plan` command that shows its plan.
pub fn decide_event(raw: &Value, config: &ConnectSyncConfig) -> Decision {
    if is_job_event(raw) {
        return decide_job(raw, config);
    }
    let uploads = bundle_uploads(raw, config);
    let Some(upload) = uploads.first() else {
        return Decision::skip(
            "no configured desired-state bundle (CONNECT_BUNDLES) in this event",
        );
    };
    Decision::skip(format!(
        "dry run: the Lambda would apply {} to cluster {:?} with environment {:?}; see the plan with `switchyard connect plan --dir <unzipped bundle> --env {} --url <cluster>`",
        upload.location(),
        upload.target.cluster,
        upload.target.environment,
        upload.target.environment,
    ))
}

fn decide_job(raw: &Value, config: &ConnectSyncConfig) -> Decision {
    let job = match Job::parse(raw) {
        Ok(job) => job,
        Err(e) => return Decision::invalid(e.to_string()),
    };
    match job::request(&job, config) {
        Err(decision) => decision,
        Ok(request) => {
            let directory = match request.params.directory.trim_matches('/') {
                "" => String::new(),
                dir => format!("/{dir}"),
            };
            Decision::skip(format!(
                "dry run: job {} would apply {}; see the plan with `switchyard connect plan --dir <unzipped artifact>{directory} --env {} --url <cluster>`",
                job.id,
                request.describe(),
                request.params.environment,
            ))
        }
    }
}
