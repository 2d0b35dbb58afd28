//! `stage-retry`: when a configured pipeline stage fails, retry its failed actions once AWS
//! Health is clear again — at most `STAGE_RETRY_MAX_ATTEMPTS` times per pipeline execution, and
//! never for a superseded execution.
//!
//! Parse ([`event::parse`]) → observe ([`ports::PipelineReader`], the shared
//! [`crate::health::ports::HealthReader`]) → decide ([`decide`]) → act (`RetryStageExecution`).
//! A failure seen while Health is bad is answered "not yet"; the scheduled sweep
//! ([`event::Trigger::Sweep`]) finds it again through `GetPipelineState` and retries it once
//! Health is clear.

mod config;
mod decide;
pub mod event;
pub mod ports;
pub mod world;

pub use config::{RetryConfig, Watched};
pub use decide::{decide_target, screen, Target, Verdict};

use std::collections::BTreeMap;

use serde_json::Value;
use time::OffsetDateTime;

use crate::config::{ConfigError, Vars};
use crate::deadline::Deadline;
use crate::function::{self, Answer, Function, Ports, Resolve};
use crate::metrics::{Count, Tally};
use crate::plan::{FunctionName, RecordDecision};

/// The function: which pipelines and stages it retries, and its Health query.
pub struct StageRetry {
    config: RetryConfig,
}

impl Function for StageRetry {
    const NAME: FunctionName = FunctionName::StageRetry;

    async fn configure(
        vars: &(dyn Vars + Sync),
        _resolve: &impl Resolve,
    ) -> Result<Self, ConfigError> {
        Ok(StageRetry {
            config: RetryConfig::from_vars(vars)?,
        })
    }

    fn answer(&self, _raw: &Value) -> Answer {
        Answer::Event
    }

    async fn decide<P: Ports>(
        &self,
        raw: &Value,
        ports: &P,
        _deadline: Deadline,
    ) -> Result<Vec<RecordDecision>, function::ObserveError> {
        decide_event(
            raw,
            &self.config,
            ports.pipelines(),
            ports.health(),
            ports.now(),
        )
        .await
        .map(function::whole)
    }

    /// Every stage retried.
    fn tally(&self, decision: &Decision) -> Tally {
        let retries = decision
            .actions
            .iter()
            .filter(|a| matches!(a, crate::plan::Action::RetryStageExecution(_)))
            .count();
        let mut tally = Tally::default();
        tally.add(Count::StageRetries, retries as u32);
        tally
    }
}

use crate::health::ports::{HealthError, HealthReader};
use crate::health::HealthEvent;
use crate::plan::{Decision, RejectKind};
use crate::ports::ObserveError;
use event::Trigger;
use ports::{ActionExecution, PipelineReader, PipelineState};

/// Parse → observe → decide for a raw event. A malformed event is rejected naming the field; an
/// event that is neither a trigger nor an SNS notification is not ours (unsupported).
pub async fn decide_event<P: PipelineReader, H: HealthReader>(
    raw: &Value,
    config: &RetryConfig,
    pipelines: &P,
    health: &H,
    now: OffsetDateTime,
) -> Result<Decision, ObserveError> {
    if !event::is_trigger(raw) && !event::is_sns_notification(raw) {
        return Ok(Decision::reject(
            RejectKind::Unsupported,
            "unsupported event: stage-retry takes CodePipeline stage state changes (from EventBridge or SNS) and its scheduled sweep",
        ));
    }
    match event::parse(raw) {
        Ok(trigger) => evaluate(&trigger, config, pipelines, health, now).await,
        Err(e) => Ok(Decision::invalid(e.to_string())),
    }
}

/// Observe → decide for one trigger. `Err`: the pipeline could not be read (retryable or final,
/// as the error says).
pub async fn evaluate<P: PipelineReader, H: HealthReader>(
    trigger: &Trigger,
    config: &RetryConfig,
    pipelines: &P,
    health: &H,
    now: OffsetDateTime,
) -> Result<Decision, ObserveError> {
    let mut verdicts: Vec<(Target, Verdict)> = Vec::new();
    let mut candidates: Vec<(Target, PipelineState)> = Vec::new();
    let mut notes = Vec::new();
    match trigger {
        Trigger::Stage(e) => {
            let at = format!("stage {} of pipeline {}", e.stage, e.pipeline);
            if e.state != "FAILED" {
                return Ok(Decision::skip(format!(
                    "{at} is {}: only FAILED stages are retried",
                    e.state
                )));
            }
            if !config.watches(&e.pipeline, &e.stage) {
                return Ok(Decision::skip(format!(
                    "{at} is not in STAGE_RETRY_PIPELINES"
                )));
            }
            let Some(state) = pipelines.pipeline_state(&e.pipeline).await? else {
                return Ok(Decision::skip(format!(
                    "pipeline {} does not exist",
                    e.pipeline
                )));
            };
            let target = Target {
                pipeline: e.pipeline.clone(),
                stage: e.stage.clone(),
                execution_id: e.execution_id.clone(),
                reported_at: Some(e.time),
            };
            candidates.push((target, state));
        }
        Trigger::Sweep { .. } => {
            for pipeline in config.pipelines() {
                let Some(state) = pipelines.pipeline_state(pipeline).await? else {
                    notes.push(format!("pipeline {pipeline} does not exist"));
                    continue;
                };
                for stage in &state.stages {
                    let failed = stage.status.as_deref() == Some("Failed");
                    if let (true, true, Some(execution)) = (
                        failed,
                        config.watches(pipeline, &stage.name),
                        &stage.execution_id,
                    ) {
                        let target = Target {
                            pipeline: pipeline.to_owned(),
                            stage: stage.name.clone(),
                            execution_id: execution.clone(),
                            reported_at: None,
                        };
                        candidates.push((target, state.clone()));
                    }
                }
            }
        }
    }

    let mut observed_health: Option<Result<Vec<HealthEvent>, HealthError>> = None;
    let mut executions: BTreeMap<(String, String), Vec<ActionExecution>> = BTreeMap::new();
    for (target, state) in candidates {
        let stage = state.stages.iter().find(|s| s.name == target.stage);
        if let Err(verdict) = screen(&target, stage, config, now) {
            verdicts.push((target, verdict));
            continue;
        }
        let key = (target.pipeline.clone(), target.execution_id.clone());
        if !executions.contains_key(&key) {
            let read = pipelines.action_executions(&key.0, &key.1).await?;
            executions.insert(key.clone(), read);
        }
        if observed_health.is_none() {
            observed_health = Some(health.open_events(&config.health).await);
        }
        let verdict = decide_target(
            &target,
            &executions[&key],
            observed_health.as_ref().expect("just read"),
            config,
        );
        verdicts.push((target, verdict));
    }
    Ok(combine(
        verdicts,
        notes,
        matches!(trigger, Trigger::Sweep { .. }),
    ))
}

/// One decision for all targets: their retries as actions, every verdict in the reason.
fn combine(verdicts: Vec<(Target, Verdict)>, notes: Vec<String>, sweep: bool) -> Decision {
    if verdicts.is_empty() {
        let mut reason = "sweep: no configured stage is failed".to_owned();
        for note in notes {
            reason.push_str("; ");
            reason.push_str(&note);
        }
        return Decision::skip(reason);
    }
    let mut reasons = notes;
    let mut actions = Vec::new();
    for (target, verdict) in &verdicts {
        let text = match verdict {
            Verdict::Stop(r) => format!("stopped for good: {r}"),
            other => other.reason().to_owned(),
        };
        reasons.push(if sweep {
            format!("{}/{}: {text}", target.pipeline, target.stage)
        } else {
            text
        });
        if let Verdict::Retry(action, _) = verdict {
            actions.push(action.clone().into());
        }
    }
    let reason = reasons.join("; ");
    if actions.is_empty() {
        Decision::skip(reason)
    } else {
        Decision::act(reason, actions)
    }
}

#[cfg(test)]
mod tests;
