//! `branch-pipelines`: a branch is created → start the deployer build that creates its pipeline
//! stack; a branch is deleted → start the destroyer build that tears down everything the branch
//! brought: its environment's stacks (found by their `switchyard:branch-id` tag, importers
//! first), then its pipeline stack and artifact folder.
//!
//! Parse ([`crate::sources`], [`crate::webhook`]) → observe (a deletion's stacks:
//! [`teardown::observe`]; the delivery store, [`crate::deliveries`]: a webhook delivery acts at
//! most once) → decide ([`decide`]). The act step is the shared [`crate::ports::act`].

mod config;
mod decide;
pub mod teardown;

pub use config::BranchConfig;
pub use decide::{admit, decide};

use serde_json::Value;

use crate::branch_stacks::{BranchStackReader, StackImports};
use crate::config::{ConfigError, Vars};
use crate::deadline::Deadline;
use crate::function::{Answer, Function, ObserveError, Ports, Resolve};
use crate::metrics::{Count, Tally};
use crate::plan::{Action, Decision, FunctionName, RecordDecision};
use crate::sources::intake::RefIntake;
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
        let decision = decide_event(raw, &self.config, &self.intake.trust, ports.stacks()).await?;
        self.intake
            .at_most_once(Self::NAME, raw, decision, ports)
            .await
    }

    /// A deployer build creates a branch's environment; a destroyer build tears it down.
    fn tally(&self, decision: &Decision) -> Tally {
        let mut tally = Tally::default();
        for action in &decision.actions {
            if let Action::StartBuild(build) = action {
                if build.project_name == self.config.deployer_project {
                    tally.add(Count::BranchEnvironmentsCreated, 1);
                } else if build.project_name == self.config.destroyer_project {
                    tally.add(Count::BranchEnvironmentsDestroyed, 1);
                }
            }
        }
        tally
    }
}

/// Parses a raw event of any supported shape, observes a deleted branch's stacks, and decides.
/// `Err` only when that observation failed: then nothing is destroyed (the event is retried).
pub async fn decide_event<S: BranchStackReader + StackImports>(
    raw: &Value,
    config: &BranchConfig,
    trust: &EventTrust,
    stacks: &S,
) -> Result<Decision, ObserveError> {
    let event = match sources::parse_ref_event(raw, trust) {
        Ok(event) => event,
        Err(decision) => return Ok(decision),
    };
    let plan = match admit(&event, config) {
        Ok(admitted) if admitted.is_deletion() => {
            Some(teardown::observe(stacks, admitted.branch_id()).await?)
        }
        _ => None,
    };
    Ok(decide(&event, config, plan.as_ref()))
}
