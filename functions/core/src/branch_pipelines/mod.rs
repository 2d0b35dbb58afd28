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
        let decision = decide_event(raw, &self.config, &self.intake.trust);
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

/// Parses a raw event of any supported shape and decides. Pure: no I/O.
pub fn decide_event(raw: &Value, config: &BranchConfig, trust: &EventTrust) -> Decision {
    match sources::parse_ref_event(raw, trust) {
        Ok(event) => decide(&event, config),
        Err(decision) => decision,
    }
}
