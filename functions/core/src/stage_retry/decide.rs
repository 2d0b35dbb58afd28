//! The whole policy of `stage-retry`, as pure functions of (what failed, observed pipeline,
//! observed Health, now).
//!
//! Duplicate events: EventBridge and SNS deliver at least once, and RetryStageExecution has no
//! idempotency token. A retry is only planned for the stage's *current* failed attempt:
//! - the stage must still be `Failed` in `GetPipelineState` (a retry in progress shows
//!   `InProgress`; a concurrent second call is refused by CodePipeline with
//!   `StageNotRetryableException`, which stops quietly);
//! - for an event, no action of the stage may have started after the event's time: if one did,
//!   the failure this event reports was already retried (and a newer failure, if any, has its own
//!   event).
//!
//! Attempts are counted from `ListActionExecutions` for the pipeline execution: each retry adds
//! an execution of every retried action, so the retries made so far are the most executions any
//! action of the stage has, minus one. No state is stored anywhere else.

use std::collections::BTreeMap;

use time::{Duration, OffsetDateTime};

use super::config::RetryConfig;
use super::ports::{ActionExecution, StageState};
use crate::actions::codepipeline::RetryStageExecution;
use crate::health::ports::HealthError;
use crate::health::{list_events, HealthEvent, OnUnsupportedPlan};
use crate::timestamps;

/// One failed stage execution that may be retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub pipeline: String,
    pub stage: String,
    pub execution_id: String,
    /// The failure event's time; `None` for the sweep.
    pub reported_at: Option<OffsetDateTime>,
}

/// What to do about one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Retry(RetryStageExecution, String),
    /// Health is not clear yet: the scheduled sweep will look again.
    NotYet(String),
    /// Nothing to do (already retried, recovered, too old).
    Nothing(String),
    /// Never retry this one (superseded, cap reached).
    Stop(String),
}

impl Verdict {
    pub fn reason(&self) -> &str {
        match self {
            Verdict::Retry(_, r) | Verdict::NotYet(r) | Verdict::Nothing(r) | Verdict::Stop(r) => r,
        }
    }
}

/// Checks on the pipeline state alone, before anything else is read: is the target still the
/// stage's latest execution, and is it still failed?
pub fn screen(
    target: &Target,
    stage: Option<&StageState>,
    config: &RetryConfig,
    now: OffsetDateTime,
) -> Result<(), Verdict> {
    let Some(stage) = stage else {
        return Err(Verdict::Stop(format!(
            "stage {} no longer exists",
            target.stage
        )));
    };
    match &stage.execution_id {
        Some(latest) if *latest != target.execution_id => {
            return Err(Verdict::Stop(format!(
                "superseded: the stage's latest execution is {latest}, not {}",
                target.execution_id
            )))
        }
        None => return Err(Verdict::Nothing("the stage has not run".into())),
        _ => {}
    }
    let status = stage.status.as_deref().unwrap_or("unknown");
    if status != "Failed" {
        return Err(Verdict::Nothing(format!(
            "the stage is {status} now (already retried, or recovered)"
        )));
    }
    if let Some(changed) = stage.last_change {
        if now - changed > Duration::minutes(config.max_age_minutes) {
            return Err(Verdict::Nothing(format!(
                "the failure at {} is older than STAGE_RETRY_MAX_AGE_MINUTES ({})",
                timestamps::format(changed),
                config.max_age_minutes
            )));
        }
    }
    Ok(())
}

/// Retries so far, and the latest start of any action of the stage.
fn attempts(target: &Target, executions: &[ActionExecution]) -> (usize, Option<OffsetDateTime>) {
    let mut per_action: BTreeMap<&str, usize> = BTreeMap::new();
    let mut latest_start = None;
    for e in executions
        .iter()
        .filter(|e| e.execution_id == target.execution_id && e.stage == target.stage)
    {
        *per_action.entry(&e.action).or_default() += 1;
        latest_start = latest_start.max(e.start_time);
    }
    let runs = per_action.values().copied().max().unwrap_or(1);
    (runs.saturating_sub(1), latest_start)
}

/// Decides one target that passed [`screen`].
pub fn decide_target(
    target: &Target,
    executions: &[ActionExecution],
    health: &Result<Vec<HealthEvent>, HealthError>,
    config: &RetryConfig,
) -> Verdict {
    let (retries, latest_start) = attempts(target, executions);
    if let (Some(reported), Some(started)) = (target.reported_at, latest_start) {
        if started > reported {
            return Verdict::Nothing(format!(
                "already retried: an attempt started at {} after this failure was reported at {} (duplicate or late event)",
                timestamps::format(started),
                timestamps::format(reported)
            ));
        }
    }
    if retries >= config.max_retries {
        return Verdict::Stop(format!(
            "retry cap reached: {retries} of {} retries already made for this execution",
            config.max_retries
        ));
    }
    let scope = config.health.describe();
    let health_note = match health {
        Ok(events) if events.is_empty() => format!("AWS Health is clear for {scope}"),
        Ok(events) => {
            return Verdict::NotYet(format!(
                "not yet: {} open AWS Health event(s) for {scope}:{}",
                events.len(),
                list_events(events, 1500)
            ))
        }
        Err(HealthError::SubscriptionRequired) => match config.on_unsupported_plan {
            OnUnsupportedPlan::Pass => format!(
                "AWS Health not checked ({}); retrying because STAGE_RETRY_ON_UNSUPPORTED_PLAN is pass",
                HealthError::SubscriptionRequired
            ),
            OnUnsupportedPlan::Fail => {
                return Verdict::NotYet(format!(
                    "not yet: {}; STAGE_RETRY_ON_UNSUPPORTED_PLAN is fail, so nothing is retried",
                    HealthError::SubscriptionRequired
                ))
            }
        },
        Err(e) => return Verdict::NotYet(format!("not yet: {e}")),
    };
    let retry = RetryStageExecution {
        pipeline_name: target.pipeline.clone(),
        stage_name: target.stage.clone(),
        pipeline_execution_id: target.execution_id.clone(),
        retry_mode: "FAILED_ACTIONS",
    };
    let reason = format!(
        "retry {} of {}: {health_note}; retrying the failed actions of {}/{} in execution {}",
        retries + 1,
        config.max_retries,
        target.pipeline,
        target.stage,
        target.execution_id
    );
    Verdict::Retry(retry, reason)
}
