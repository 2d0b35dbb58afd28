//! `branch-pipelines`: a branch is created → start the deployer build that creates its pipeline
//! stack; a branch is deleted → start the destroyer build that tears it down.
//!
//! Parse ([`crate::sources`], [`crate::webhook`]) → decide ([`decide`]); there is nothing to
//! observe. The act step is the shared [`crate::ports::act`].

mod config;
mod decide;

pub use config::BranchConfig;
pub use decide::decide;

use serde_json::Value;

use crate::config::{ConfigError, Vars};
use crate::deadline::Deadline;
use crate::function::{self, Answer, Function, ObserveError, Ports, Resolve};
use crate::plan::{Decision, FunctionName, RecordDecision};
use crate::secret::Secret;
use crate::{sources, webhook};

/// The function: its configuration and the webhook secret, read at cold start.
pub struct BranchPipelines {
    config: BranchConfig,
    webhook_secret: Option<Secret>,
}

impl Function for BranchPipelines {
    const NAME: FunctionName = FunctionName::BranchPipelines;

    async fn configure(
        vars: &(dyn Vars + Sync),
        resolve: &impl Resolve,
    ) -> Result<Self, ConfigError> {
        let config = BranchConfig::from_vars(vars)?;
        let webhook_secret = webhook::configured_secret(vars, resolve).await?;
        Ok(BranchPipelines {
            config,
            webhook_secret,
        })
    }

    fn answer(&self, _raw: &Value) -> Answer {
        Answer::Event
    }

    async fn decide<P: Ports>(
        &self,
        raw: &Value,
        _ports: &P,
        _deadline: Deadline,
    ) -> Result<Vec<RecordDecision>, ObserveError> {
        Ok(function::whole(decide_event(
            raw,
            &self.config,
            self.webhook_secret.as_ref(),
        )))
    }
}

/// Parses a raw event of any supported shape and decides. Pure: no I/O.
pub fn decide_event(
    raw: &Value,
    config: &BranchConfig,
    webhook_secret: Option<&Secret>,
) -> Decision {
    match sources::parse_ref_event(raw, webhook_secret) {
        Ok(event) => decide(&event, config),
        Err(decision) => decision,
    }
}
