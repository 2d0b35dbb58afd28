//! `branch-pipelines`: a branch is created → start the deployer build that creates its pipeline
//! stack; a branch is deleted → start the destroyer build that tears it down.
//!
//! Parse ([`crate::sources`], [`crate::webhook`]) → decide ([`decide`]); there is nothing to
//! observe but the delivery store ([`crate::deliveries`]: a webhook delivery acts at most once).
//! The act step is the shared [`crate::ports::act`].

mod config;
mod decide;

pub use config::BranchConfig;
pub use decide::decide;

use serde_json::Value;
use time::OffsetDateTime;

use crate::config::{ConfigError, Vars};
use crate::deadline::Deadline;
use crate::function::{Answer, Function, ObserveError, Ports, Resolve};
use crate::plan::{FunctionName, RecordDecision};
use crate::sources::intake::{RefDecision, RefIntake};
use crate::sources::{self, EventTrust};

/// The function: its configuration, what events must prove, and the delivery store, read at
/// cold start.
pub struct BranchPipelines {
    config: BranchConfig,
    intake: RefIntake,
}

impl Function for BranchPipelines {
    const NAME: FunctionName = FunctionName::BranchPipelines;

    async fn configure(
        vars: &(dyn Vars + Sync),
        resolve: &impl Resolve,
    ) -> Result<Self, ConfigError> {
        let config = BranchConfig::from_vars(vars)?;
        let intake = RefIntake::configure(vars, resolve).await?;
        Ok(BranchPipelines { config, intake })
    }

    fn answer(&self, _raw: &Value) -> Answer {
        Answer::Event
    }

    async fn decide<P: Ports>(
        &self,
        raw: &Value,
        ports: &P,
        _deadline: Deadline,
    ) -> Result<Vec<RecordDecision>, ObserveError> {
        let decisions = decide_event(raw, &self.config, &self.intake.trust, ports.now());
        self.intake
            .at_most_once(Self::NAME, raw, decisions, ports)
            .await
    }
}

/// Parses a raw event of any supported shape and decides each of its ref events. Pure: no I/O
/// (`now` dates signed webhooks).
pub fn decide_event(
    raw: &Value,
    config: &BranchConfig,
    trust: &EventTrust,
    now: OffsetDateTime,
) -> Vec<RefDecision> {
    RefDecision::each(sources::parse_ref_events(raw, trust, now), |event| {
        decide(event, config)
    })
}
