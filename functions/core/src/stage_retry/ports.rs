//! What `stage-retry` observes about a pipeline: `GetPipelineState` and `ListActionExecutions`.

use std::future::Future;

use time::OffsetDateTime;

use crate::ports::ObserveError;

/// A pipeline's stages as `GetPipelineState` shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineState {
    pub pipeline: String,
    pub stages: Vec<StageState>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageState {
    pub name: String,
    /// `latestExecution.pipelineExecutionId`.
    pub execution_id: Option<String>,
    /// `latestExecution.status`: `InProgress`, `Failed`, `Succeeded`, `Stopped`, `Cancelled`…
    pub status: Option<String>,
    /// The latest `actionStates[].latestExecution.lastStatusChange`: when the stage last moved.
    pub last_change: Option<OffsetDateTime>,
}

/// One action execution (`ListActionExecutions` → `actionExecutionDetails[]`). Every retry of a
/// stage adds one execution per retried action, which is how attempts are counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionExecution {
    pub execution_id: String,
    pub stage: String,
    pub action: String,
    pub status: String,
    pub start_time: Option<OffsetDateTime>,
}

pub trait PipelineReader: Sync {
    /// `None`: the pipeline does not exist.
    fn pipeline_state(
        &self,
        pipeline: &str,
    ) -> impl Future<Output = Result<Option<PipelineState>, ObserveError>> + Send;

    /// Every action execution of one pipeline execution, through every page.
    fn action_executions(
        &self,
        pipeline: &str,
        execution_id: &str,
    ) -> impl Future<Output = Result<Vec<ActionExecution>, ObserveError>> + Send;
}
