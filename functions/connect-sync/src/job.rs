//! A CodePipeline invoke action: the desired state is the job's input artifact (a zip in the
//! pipeline's artifact bucket, read with the job's temporary `artifactCredentials`), and the job
//! gets its result through the shared job runner (`switchyard_adapters::job_runner::run_job`,
//! which guarantees exactly one result, on errors, panics and the Lambda deadline too).
//!
//! What the job asks for and how a verdict becomes a result is pure
//! (`switchyard_core::connect_sync::job`); this is the run: read the artifact, plan, apply, wait
//! until `until`, judge. Connectors still on their way at `until` make the job answer "in
//! progress" with a continuation token; the next invocation plans again (writing nothing that
//! landed) and waits again, up to `CONNECT_MAX_WAIT_MINUTES` in total.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::SdkConfig;
use switchyard_adapters::aws::s3;
use switchyard_adapters::connect::{files, TokioClock};
use switchyard_adapters::job_runner::DEFAULT_MARGIN;
use switchyard_core::actions::codepipeline::FailureType;
use switchyard_core::connect_sync::apply::ApplyOptions;
use switchyard_core::connect_sync::config::ConnectSyncConfig;
use switchyard_core::connect_sync::job::{self, JobRequest};
use switchyard_core::connect_sync::ports::ConnectApi;
use switchyard_core::connect_sync::retry::Backoff;
use switchyard_core::connect_sync::run::{self, AlsoWaitFor};
use switchyard_core::connect_sync::verdict;
use switchyard_core::connect_sync::wait::WaitOptions;
use switchyard_core::connect_sync::{PlanOptions, Redactor};
use switchyard_core::entry::HandlerError;
use switchyard_core::pipeline_job::{Job, JobResult};
use switchyard_core::plan::Decision;

/// Time the handler leaves, before the job runner's own margin, to judge and answer after it
/// stops waiting.
pub const JOB_MARGIN: Duration = Duration::from_secs(5);

/// What every job of one Lambda instance shares: the configuration, one Connect API client per
/// configured cluster, and the SDK configuration the artifact reads use (region, endpoint; the
/// credentials are each job's own).
pub struct JobContext<A> {
    pub config: ConnectSyncConfig,
    pub clusters: BTreeMap<String, A>,
    pub sdk: SdkConfig,
}

/// When the handler must have decided, for an invocation ending at `lambda_deadline`: before the
/// job runner's deadline guard ([`DEFAULT_MARGIN`]) and with [`JOB_MARGIN`] to spare.
pub fn decide_by(lambda_deadline: SystemTime) -> SystemTime {
    lambda_deadline
        .checked_sub(DEFAULT_MARGIN + JOB_MARGIN)
        .unwrap_or(UNIX_EPOCH)
}

fn failed(job_id: &str, message: String) -> Decision {
    JobResult::failed(FailureType::JobFailed, message.clone()).decide(job_id, message)
}

/// Runs one job and returns its plan, which always ends in the job's result (or is a rejection,
/// which the runner reports as `ConfigurationError`). Never logs the job: it carries credentials.
pub async fn handle<A: ConnectApi + Send + Sync + 'static>(
    context: Arc<JobContext<A>>,
    job: Job,
    until: SystemTime,
) -> Result<Decision, HandlerError> {
    let request = match job::request(&job, &context.config) {
        Ok(request) => request,
        Err(decision) => return Ok(decision),
    };
    let Some(api) = context.clusters.get(&request.params.cluster) else {
        return Ok(Decision::invalid(format!(
            "UserParameters.cluster: {:?} has no client in this function",
            request.params.cluster
        )));
    };
    let Some(credentials) = &job.artifact_credentials else {
        return Ok(failed(
            &job.id,
            format!(
                "the job carries no artifactCredentials to read {}",
                request.describe()
            ),
        ));
    };
    let client = s3::client_with_credentials(
        &context.sdk,
        &credentials.access_key_id,
        &credentials.secret_access_key,
        &credentials.session_token,
    );
    let bytes = match s3::get_object(&client, &request.bucket, &request.key, None).await {
        Ok(bytes) => bytes,
        Err(e) => {
            return Ok(failed(
                &job.id,
                format!("input artifact {:?}: {e}", request.artifact),
            ))
        }
    };
    let files = match files::read_zip(&bytes, &request.params.directory) {
        Ok(files) => files,
        Err(e) => {
            return Ok(failed(
                &job.id,
                format!(
                    "input artifact {:?} ({}): {e}",
                    request.artifact,
                    request.location()
                ),
            ))
        }
    };
    Ok(sync(&context.config, api, &job, &request, &files, until).await)
}

/// Plan → apply → wait → judge, bounded by `until`.
async fn sync<A: ConnectApi>(
    config: &ConnectSyncConfig,
    api: &A,
    job: &Job,
    request: &JobRequest,
    files: &[switchyard_core::connect_sync::SourceFile],
    until: SystemTime,
) -> Decision {
    let budget = until.duration_since(SystemTime::now()).unwrap_or_default();
    let clock = TokioClock::start();
    let cluster = request.params.cluster.as_str();
    let plan_options = PlanOptions {
        scope: request.cluster.scope(),
        prune: request.params.prune,
        redactor: Redactor::default(),
    };
    let apply_options = ApplyOptions {
        concurrency: config.concurrency,
        deadline: budget,
        backoff: Backoff::default(),
        allow_dangerous: request.allow_dangerous,
    };
    let wait = WaitOptions {
        deadline: budget,
        poll_interval: config.poll_interval,
        restart_failed: config.restart_failed,
    };
    let plan = match run::prepare(
        files,
        &request.params.environment,
        &plan_options,
        request.validate,
        api,
        &clock,
        &apply_options,
    )
    .await
    {
        Ok(plan) => plan,
        Err(e) => return failed(&job.id, format!("{}: {e}", request.describe())),
    };
    // The plan's own rendering: secrets are already redacted in it.
    tracing::info!(function = "connect-sync", job_id = job.id.as_str(), cluster, plan = %plan, "plan");
    let also = match &request.progress {
        None => AlsoWaitFor::Nothing,
        // The earlier round's names were too many for the token: wait for every connector.
        Some(p) if p.pending.is_empty() => AlsoWaitFor::Everything,
        Some(p) => AlsoWaitFor::Names(&p.pending),
    };
    let applied = match run::execute(&plan, api, &clock, &apply_options, Some(&wait), also).await {
        Ok(applied) => applied,
        Err(e) => return failed(&job.id, format!("{}: {e}", request.describe())),
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let verdict = verdict::judge(
        &plan,
        &applied,
        cluster,
        request.progress.as_ref(),
        now,
        config.max_wait.as_secs(),
    );
    job::decide(&job.id, verdict)
}
