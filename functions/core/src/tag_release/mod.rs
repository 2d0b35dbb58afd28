//! `tag-release`: a tag `<env>_<scope>/<team>/<version>` is pushed → validate it, derive where
//! the release's Terraform state lives, and start that environment's release pipeline (or
//! CodeBuild project) pinned to the tagged commit.
//!
//! Parse ([`crate::sources::parse_ref_event`], the tag [`grammar`]) → [`prepare`] → observe
//! ([`ports`]: only when the environment is in `TAG_DEFAULT_BRANCH_ONLY`, and only for CodeCommit)
//! → [`decide`]. The act step is the shared [`crate::ports::act`].

pub mod config;
mod decide;
pub mod grammar;
pub mod ports;
pub mod release;

pub use config::TagReleaseConfig;
pub use decide::{answered_by_payload, decide, github_membership, prepare, Candidate};
pub use ports::{BranchMembership, DefaultBranchObserver, WorldDefaultBranch};
pub use release::Release;

use serde_json::Value;
use time::OffsetDateTime;

use crate::config::{ConfigError, Vars};
use crate::deadline::Deadline;
use crate::function::{Answer, Function, Ports, Resolve};
use crate::metrics::{Count, Split, Tally};
use crate::plan::{Action, Decision, FunctionName, RecordDecision};
use crate::ports::ObserveError;
use crate::sources::intake::{RefDecision, RefIntake};
use crate::sources::{self, EventTrust, RefEvent};

/// The function: its configuration, what events must prove, and the delivery store, read at
/// cold start.
pub struct TagRelease {
    config: TagReleaseConfig,
    intake: RefIntake,
}

impl Function for TagRelease {
    const NAME: FunctionName = FunctionName::TagRelease;

    async fn configure(
        vars: &(dyn Vars + Sync),
        resolve: &impl Resolve,
    ) -> Result<Self, ConfigError> {
        let config = TagReleaseConfig::from_vars(vars)?;
        let intake = RefIntake::configure(vars, resolve).await?;
        Ok(TagRelease { config, intake })
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
        let trust = &self.intake.trust;
        let observer = ports.default_branch();
        let decisions = decide_event(raw, &self.config, trust, observer, ports.now()).await?;
        self.intake
            .at_most_once(Self::NAME, raw, decisions, ports)
            .await
    }

    /// A started pipeline execution or build is a release, counted per environment: the tag's,
    /// which the grammar checked against `TAG_ENVIRONMENTS` (a bounded dimension).
    fn tally(&self, decision: &Decision) -> Tally {
        let mut tally = Tally::default();
        let mut environment = None;
        for action in &decision.actions {
            let env = match action {
                Action::StartPipelineExecution(start) => start
                    .variables
                    .iter()
                    .find(|v| v.name == "ENV")
                    .map(|v| &v.value),
                Action::StartBuild(build) => build
                    .environment_variables_override
                    .iter()
                    .find(|v| v.name == "ENV")
                    .map(|v| &v.value),
                _ => continue,
            };
            tally.add(Count::ReleasesStarted, 1);
            environment = environment.or(env.filter(|e| self.config.environments.contains_key(*e)));
        }
        match environment {
            Some(env) => tally.split_by(Split::Environment(env.clone())),
            None => tally,
        }
    }
}

/// Parses a raw event of any supported shape and, for each of its ref events, observes if the
/// policy needs it and decides (`now` dates signed webhooks). `Err` only when an observation
/// failed: the entry point fails the invocation, so the event is retried and not lost.
pub async fn decide_event<O: DefaultBranchObserver>(
    raw: &Value,
    config: &TagReleaseConfig,
    trust: &EventTrust,
    observer: &O,
    now: OffsetDateTime,
) -> Result<Vec<RefDecision>, ObserveError> {
    let mut decisions = Vec::new();
    for parsed in sources::parse_ref_events(raw, trust, now) {
        let decision = match &parsed.event {
            Ok(event) => decide_ref(event, config, observer).await?,
            Err(decision) => decision.clone(),
        };
        decisions.push(RefDecision {
            record: parsed.record,
            decision,
        });
    }
    Ok(decisions)
}

async fn decide_ref<O: DefaultBranchObserver>(
    event: &RefEvent,
    config: &TagReleaseConfig,
    observer: &O,
) -> Result<Decision, ObserveError> {
    let candidate = match prepare(event, config) {
        Ok(candidate) => candidate,
        Err(decision) => return Ok(decision),
    };
    let membership = match &candidate.required_branch {
        None => None,
        Some(branch) => match answered_by_payload(event, branch) {
            Some(answer) => Some(answer),
            None => Some(
                observer
                    .membership(&event.repository, &candidate.commit, branch)
                    .await?,
            ),
        },
    };
    Ok(decide(&candidate, membership.as_ref()))
}
