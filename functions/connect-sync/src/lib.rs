//! The `connect-sync` Lambda's handler, as a library so the integration tests run exactly what
//! the Lambda runs: a CodePipeline job goes through the shared job runner (exactly one result,
//! on errors, panics and the deadline too); any other event is an S3 event that may hold
//! desired-state bundle uploads. Both run `switchyard_core::connect_sync::triggers`.

use std::sync::Arc;

use serde_json::Value;
use switchyard_adapters::job_runner::run_job;
use switchyard_core::connect_sync::config::ConnectSyncConfig;
use switchyard_core::connect_sync::triggers::bundle_upload::handle_bundle_event;
use switchyard_core::connect_sync::triggers::pipeline_job::decide_job;
use switchyard_core::connect_sync::triggers::ConnectPorts;
use switchyard_core::deadline::Deadline;
use switchyard_core::entry::HandlerError;
use switchyard_core::pipeline_job::is_job_event;
use switchyard_core::plan::FunctionName;
use switchyard_core::ports::ActionExecutor;

/// Handles one invocation ending at `deadline` (its margin: `JOB_DEADLINE_MARGIN_SECONDS`).
pub async fn handle<P, E>(
    config: &Arc<ConnectSyncConfig>,
    ports: &Arc<P>,
    executor: &E,
    event: &Value,
    deadline: Deadline,
) -> Result<Value, HandlerError>
where
    P: ConnectPorts + Send + 'static,
    E: ActionExecutor,
{
    if !is_job_event(event) {
        return handle_bundle_event(event, config, &**ports, deadline).await;
    }
    // The job runner spawns the job (to survive its panics): it owns what it uses.
    let (config, ports) = (config.clone(), ports.clone());
    run_job(
        FunctionName::ConnectSync,
        event,
        deadline,
        executor,
        move |job| async move { Ok(decide_job(&job, &config, &*ports, deadline).await) },
    )
    .await
}
