//! `health-gate`: a CodePipeline action that answers "is AWS Health clear for what we are about
//! to deploy?" — success (with output variables), failure listing the open events, or "in
//! progress" while it waits for them to close.
//!
//! Parse ([`crate::pipeline_job`], [`prepare`]) → observe ([`crate::health::ports::HealthReader`])
//! → decide ([`decide`]). The job runner in `switchyard-adapters` reports the single result.

mod continuation;
mod decide;
mod params;

pub use continuation::Wait;
pub use decide::{decide, prepare, Check};
pub use params::{GateParameters, MAX_WAIT_MINUTES};

use std::sync::Arc;

use serde_json::Value;
use time::OffsetDateTime;

use crate::config::{ConfigError, Vars};
use crate::deadline::Deadline;
use crate::function::{self, Answer, Function, ObserveError, Ports, Resolve};
use crate::health::ports::HealthReader;
use crate::metrics::{Count, Tally};
use crate::pipeline_job::Job;
use crate::plan::{Action, Decision, FunctionName, RecordDecision};

/// The function. Everything it checks comes with the job (`UserParameters`): no configuration.
pub struct HealthGate;

impl Function for HealthGate {
    const NAME: FunctionName = FunctionName::HealthGate;

    async fn configure(
        _vars: &(dyn Vars + Sync),
        _resolve: &impl Resolve,
    ) -> Result<Self, ConfigError> {
        Ok(HealthGate)
    }

    fn answer(&self, _raw: &Value) -> Answer {
        Answer::Job
    }

    async fn decide<P: Ports>(
        &self,
        raw: &Value,
        ports: &P,
        _deadline: Deadline,
    ) -> Result<Vec<RecordDecision>, ObserveError> {
        Ok(function::whole(
            decide_event(raw, ports.health(), ports.now()).await,
        ))
    }

    /// The clock is read once, when the check starts.
    async fn decide_job<P: Ports>(
        self: Arc<Self>,
        job: Job,
        ports: Arc<P>,
        _deadline: Deadline,
    ) -> Decision {
        evaluate(&job, ports.health(), ports.now()).await
    }

    /// The job's result: a pass, a wait (in progress, with a continuation token) or a fail.
    fn tally(&self, decision: &Decision) -> Tally {
        let mut tally = Tally::default();
        for action in &decision.actions {
            match action {
                Action::PutJobSuccessResult(r) if r.continuation_token.is_some() => {
                    tally.add(Count::GateWaits, 1)
                }
                Action::PutJobSuccessResult(_) => tally.add(Count::GatePasses, 1),
                Action::PutJobFailureResult(_) => tally.add(Count::GateFails, 1),
                _ => {}
            }
        }
        tally
    }
}

/// Parse → validate → observe → decide for a raw event. Without a job id there is nothing to
/// report a result on, so an unreadable job is rejected naming the field (as the job runner does).
pub async fn decide_event<R: HealthReader>(
    raw: &Value,
    health: &R,
    now: OffsetDateTime,
) -> Decision {
    match Job::parse(raw) {
        Ok(job) => evaluate(&job, health, now).await,
        Err(e) => Decision::invalid(e.to_string()),
    }
}

/// Validate → observe → decide for one job. `now` is the caller's clock (the Lambda's, or the
/// replay world's), read once.
pub async fn evaluate<R: HealthReader>(job: &Job, health: &R, now: OffsetDateTime) -> Decision {
    let check = match prepare(job, now) {
        Ok(check) => check,
        Err(decision) => return decision,
    };
    let observed = health.open_events(&check.query).await;
    decide(&check, &observed, now)
}
