//! `branch-pipelines`: a branch is created → start the deployer build that creates its pipeline
//! stack; a branch is deleted → start the destroyer build that tears down everything the branch
//! brought: its environment's stacks (found by their `switchyard:branch-id` tag, importers
//! first), then its pipeline stack and artifact folder. On a schedule, [`sweep`] repairs
//! whatever lost events missed, through the same builds.
//!
//! An event is a hint to look, not the truth: parse ([`crate::sources`], [`crate::webhook`]) →
//! the policy ([`decide::admit`]) → observe what the git host says about the branch
//! ([`crate::git_hosts`]: a created branch must exist, a deleted one must be gone) and a
//! deletion's stacks ([`teardown::observe`]) → decide ([`decide()`]). A webhook delivery acts at
//! most once ([`crate::deliveries`]). The act step is the shared [`crate::ports::act`].

mod config;
pub mod decide;
pub mod sweep;
pub mod teardown;
#[cfg(test)]
mod testing;

pub use config::BranchConfig;
pub use decide::{admit, decide, HostConfirmation};

use serde_json::Value;
use time::OffsetDateTime;

use crate::branch_stacks::{BranchStackReader, StackImports};
use crate::config::{ConfigError, Vars};
use crate::deadline::Deadline;
use crate::function::{whole, Answer, Function, ObserveError, Ports, Resolve};
use crate::git_hosts::access::GitHostAccess;
use crate::git_hosts::{self, GitHosts};
use crate::metrics::{Count, Tally};
use crate::plan::{Action, Decision, FunctionName, RecordDecision};
use crate::sources::intake::{RefDecision, RefIntake};
use crate::sources::{self, EventTrust, RefEvent};
use sweep::config::SweepConfig;

/// The function: its configuration, what events must prove, the delivery store and the git
/// hosts it can ask, read at cold start.
pub struct BranchPipelines {
    config: BranchConfig,
    sweep: SweepConfig,
    hosts: GitHostAccess,
    intake: RefIntake,
}

impl Function for BranchPipelines {
    const NAME: FunctionName = FunctionName::BranchPipelines;

    async fn configure(
        vars: &(dyn Vars + Sync),
        resolve: &impl Resolve,
    ) -> Result<Self, ConfigError> {
        let config = BranchConfig::from_vars(vars)?;
        let sweep = SweepConfig::from_vars(vars, &config.repositories)?;
        let hosts = git_hosts::configure(vars, resolve).await?;
        let intake = RefIntake::configure(vars, resolve).await?;
        Ok(BranchPipelines {
            config,
            sweep,
            hosts,
            intake,
        })
    }

    fn answer(&self, raw: &Value) -> Answer {
        if sweep::event::is_sweep_event(raw) {
            Answer::Records
        } else {
            Answer::Event
        }
    }

    async fn decide<P: Ports>(
        &self,
        raw: &Value,
        ports: &P,
        _deadline: Deadline,
    ) -> Result<Vec<RecordDecision>, ObserveError> {
        if sweep::event::is_sweep_event(raw) {
            return match sweep::event::parse(raw) {
                Ok(event) => {
                    sweep::sweep(&self.config, &self.sweep, &self.hosts, &event, ports).await
                }
                Err(e) => Ok(whole(Decision::invalid(e.to_string()))),
            };
        }
        let mut decisions = Vec::new();
        for parsed in sources::parse_ref_events(raw, &self.intake.trust, ports.now()) {
            let decision = match &parsed.event {
                Ok(event) => self.decide_ref_event(event, ports).await?,
                Err(decision) => decision.clone(),
            };
            decisions.push(RefDecision {
                record: parsed.record,
                decision,
            });
        }
        self.intake
            .at_most_once(Self::NAME, raw, decisions, ports)
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

    fn git_host_access(&self) -> Option<&GitHostAccess> {
        Some(&self.hosts)
    }
}

/// Parses a raw event of any supported shape and decides each of its ref events with what the
/// host said about it (`host`, as [`BranchPipelines`] observes it), observing a deleted branch's
/// stacks (`now` dates signed webhooks). `Err` only when that observation failed: then nothing
/// is destroyed (the event is retried).
pub async fn decide_event<S: BranchStackReader + StackImports>(
    raw: &Value,
    config: &BranchConfig,
    trust: &EventTrust,
    mut host: impl FnMut(&RefEvent) -> HostConfirmation,
    stacks: &S,
    now: OffsetDateTime,
) -> Result<Vec<RefDecision>, ObserveError> {
    let mut decisions = Vec::new();
    for parsed in sources::parse_ref_events(raw, trust, now) {
        let decision = match &parsed.event {
            Ok(event) => decide_confirmed(event, config, &host(event), stacks).await?,
            Err(decision) => decision.clone(),
        };
        decisions.push(RefDecision {
            record: parsed.record,
            decision,
        });
    }
    Ok(decisions)
}

/// Once the host answered: a deletion it confirms gets its teardown plan observed, then the
/// decision. A deletion the host contradicts observes nothing (it is skipped).
async fn decide_confirmed<S: BranchStackReader + StackImports>(
    event: &RefEvent,
    config: &BranchConfig,
    host: &HostConfirmation,
    stacks: &S,
) -> Result<Decision, ObserveError> {
    let plan = match admit(event, config) {
        Ok(admitted) if admitted.is_deletion() && admitted.confirmed_commit(host).is_ok() => {
            Some(teardown::observe(stacks, admitted.branch_id()).await?)
        }
        _ => None,
    };
    Ok(decide(event, config, host, plan.as_ref()))
}

impl BranchPipelines {
    /// The policy, then the host's word on the branch (when the event would act and the host
    /// can be asked), then the decision.
    async fn decide_ref_event<P: Ports>(
        &self,
        event: &RefEvent,
        ports: &P,
    ) -> Result<Decision, ObserveError> {
        if let Err(decision) = admit(event, &self.config) {
            return Ok(decision);
        }
        let repository = event.host_repository();
        let confirmation = if self.hosts.can_ask(repository.host) {
            HostConfirmation::Said(
                ports
                    .git_hosts()
                    .branch(&repository, event.name.as_str())
                    .await?,
            )
        } else {
            HostConfirmation::Unavailable
        };
        decide_confirmed(event, &self.config, &confirmation, ports.stacks()).await
    }
}
