//! `artifact-release`: an object uploaded to S3 → the pipeline (or CodeBuild project) its routing
//! rule names, pinned to that object's version id.
//!
//! Parse ([`crate::sources::s3`]: notification, SNS, SQS and EventBridge forms, one record per
//! object) → decide ([`decide`], per record); there is nothing to observe. One event can carry
//! several records, and each is its own [`RecordDecision`]: the entry point acts on each and
//! reports failures per record ([`crate::entry::run_records`]).
//!
//! - [`pattern`]: key patterns with named captures;
//! - [`rules`]: the routing rules document and its cold-start validation;
//! - [`config`]: where the document comes from (`ARTIFACT_RULES`, `ARTIFACT_RULES_PARAMETER`).

mod config;
mod decide;
pub mod pattern;
pub mod rules;

pub use config::{ArtifactConfig, RulesSource, RULES_PARAMETER_VAR, RULES_VAR};
pub use decide::decide;

use serde_json::Value;

use crate::config::{ConfigError, Vars};
use crate::deadline::Deadline;
use crate::function::{Answer, Function, ObserveError, Ports, Resolve};
use crate::metrics::{Count, Split, Tally, TargetKind};
use crate::plan::{Action, Decision, FunctionName, RecordDecision, RejectKind};
use crate::sources::s3::{self, S3Payload};

/// The function: the routing rules, read (from the environment or SSM) and validated at cold
/// start, so a bad document fails there, naming the variable and the rule.
pub struct ArtifactRelease {
    config: ArtifactConfig,
}

impl Function for ArtifactRelease {
    const NAME: FunctionName = FunctionName::ArtifactRelease;

    async fn configure(
        vars: &(dyn Vars + Sync),
        resolve: &impl Resolve,
    ) -> Result<Self, ConfigError> {
        let source = RulesSource::from_vars(vars)?;
        let document = match &source {
            RulesSource::Inline(document) => document.clone(),
            RulesSource::Parameter(name) => {
                resolve
                    .parameter(RULES_PARAMETER_VAR, name, RULES_VAR)
                    .await?
            }
        };
        let config = ArtifactConfig::from_document(&document, &source)?;
        Ok(ArtifactRelease { config })
    }

    fn answer(&self, _raw: &Value) -> Answer {
        Answer::Records
    }

    async fn decide<P: Ports>(
        &self,
        raw: &Value,
        _ports: &P,
        _deadline: Deadline,
    ) -> Result<Vec<RecordDecision>, ObserveError> {
        Ok(decide_event(raw, &self.config))
    }

    /// Each start is one artifact deployed, counted per kind of target.
    fn tally(&self, decision: &Decision) -> Tally {
        let mut tally = Tally::default();
        let mut target = None;
        for action in &decision.actions {
            let kind = match action {
                Action::StartPipelineExecution(_) => TargetKind::Pipeline,
                Action::StartBuild(_) => TargetKind::Build,
                _ => continue,
            };
            tally.add(Count::ArtifactsDeployed, 1);
            target = target.or(Some(kind));
        }
        match target {
            Some(kind) => tally.split_by(Split::Target(kind)),
            None => tally,
        }
    }
}

/// Parses a raw event of any supported shape and decides each record. Pure: no I/O.
pub fn decide_event(raw: &Value, config: &ArtifactConfig) -> Vec<RecordDecision> {
    if !s3::is_s3_event(raw) {
        return vec![RecordDecision::whole(Decision::reject(
            RejectKind::Unsupported,
            "unsupported event",
        ))];
    }
    s3::records(raw)
        .into_iter()
        .map(|record| {
            let decision = match &record.payload {
                Ok(S3Payload::Object(object)) => decide(object, &config.rules),
                Ok(S3Payload::TestEvent) => Decision::skip(
                    "s3:TestEvent: S3 sends it when a notification configuration is saved",
                ),
                Err(e) => Decision::invalid(e.to_string()),
            };
            RecordDecision {
                record: Some(record.label),
                batch_item_id: record.batch_item_id,
                decision,
                delivery: None,
            }
        })
        .collect()
}
