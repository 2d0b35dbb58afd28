//! Pipelines for dry runs and tests: the `pipelines` part of the replay world, in the shapes of
//! `GetPipelineState` and `ListActionExecutions`:
//!
//! ```json
//! "pipelines": {
//!   "payments-release": {
//!     "stageStates": [{"stageName": "Deploy",
//!       "latestExecution": {"pipelineExecutionId": "…", "status": "Failed"},
//!       "actionStates": [{"actionName": "DeployEU",
//!         "latestExecution": {"status": "Failed", "lastStatusChange": "2026-11-23T09:12:40Z"}}]}],
//!     "actionExecutions": [{"pipelineExecutionId": "…", "stageName": "Deploy",
//!       "actionName": "DeployEU", "status": "Failed", "startTime": "2026-11-23T09:10:02Z"}]
//!   }
//! }
//! ```
//!
//! A pipeline missing from the world does not exist (`PipelineNotFoundException`).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::ports::{ActionExecution, PipelineReader, PipelineState, StageState};
use crate::ports::ObserveError;
use crate::timestamps;

#[derive(Debug, Clone, Default)]
pub struct WorldPipelines {
    pipelines: BTreeMap<String, (PipelineState, Vec<ActionExecution>)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WorldPipeline {
    #[serde(default)]
    stage_states: Vec<WorldStage>,
    #[serde(default)]
    action_executions: Vec<WorldActionExecution>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WorldStage {
    stage_name: String,
    latest_execution: Option<WorldStageExecution>,
    #[serde(default)]
    action_states: Vec<WorldActionState>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WorldStageExecution {
    pipeline_execution_id: String,
    status: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WorldActionState {
    latest_execution: Option<WorldActionLatest>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WorldActionLatest {
    last_status_change: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WorldActionExecution {
    pipeline_execution_id: String,
    stage_name: String,
    action_name: String,
    status: String,
    start_time: Option<String>,
}

fn time(field: String, text: Option<String>) -> Result<Option<time::OffsetDateTime>, String> {
    text.map(|t| timestamps::parse(&field, &t))
        .transpose()
        .map_err(|e| format!("world: {e}"))
}

impl WorldPipelines {
    /// Reads the world's `pipelines` part; errors name the field.
    pub fn from_world(part: Option<&Value>) -> Result<Self, String> {
        let Some(part) = part else {
            return Ok(WorldPipelines::default());
        };
        let parsed: BTreeMap<String, WorldPipeline> = serde_path_to_error::deserialize(part)
            .map_err(|e| format!("world: pipelines.{}: {}", e.path(), e.inner()))?;
        let mut pipelines = BTreeMap::new();
        for (name, p) in parsed {
            let mut stages = Vec::new();
            for (i, s) in p.stage_states.into_iter().enumerate() {
                let mut last_change = None;
                for (j, a) in s.action_states.into_iter().enumerate() {
                    let field = format!("pipelines.{name}.stageStates[{i}].actionStates[{j}].latestExecution.lastStatusChange");
                    let t = time(field, a.latest_execution.and_then(|l| l.last_status_change))?;
                    last_change = last_change.max(t);
                }
                stages.push(StageState {
                    name: s.stage_name,
                    execution_id: s
                        .latest_execution
                        .as_ref()
                        .map(|l| l.pipeline_execution_id.clone()),
                    status: s.latest_execution.map(|l| l.status),
                    last_change,
                });
            }
            let mut executions = Vec::new();
            for (i, a) in p.action_executions.into_iter().enumerate() {
                let field = format!("pipelines.{name}.actionExecutions[{i}].startTime");
                executions.push(ActionExecution {
                    start_time: time(field, a.start_time)?,
                    execution_id: a.pipeline_execution_id,
                    stage: a.stage_name,
                    action: a.action_name,
                    status: a.status,
                });
            }
            let state = PipelineState {
                pipeline: name.clone(),
                stages,
            };
            pipelines.insert(name, (state, executions));
        }
        Ok(WorldPipelines { pipelines })
    }
}

impl PipelineReader for WorldPipelines {
    async fn pipeline_state(&self, pipeline: &str) -> Result<Option<PipelineState>, ObserveError> {
        Ok(self.pipelines.get(pipeline).map(|(state, _)| state.clone()))
    }

    async fn action_executions(
        &self,
        pipeline: &str,
        execution_id: &str,
    ) -> Result<Vec<ActionExecution>, ObserveError> {
        Ok(self
            .pipelines
            .get(pipeline)
            .map(|(_, all)| {
                all.iter()
                    .filter(|a| a.execution_id == execution_id)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default())
    }
}
