//! `artifact-release`: an object uploaded to S3 → the target its routing rule names, pinned to
//! that object's version id: a pipeline or CodeBuild project started, or a Managed Flink
//! application's or a Lambda function's code replaced.
//!
//! Parse ([`crate::sources::s3`]: notification, SNS, SQS and EventBridge forms, one record per
//! object) → route ([`decide::route`]: the rule, the pin, the target's name) → observe
//! ([`observe`]: which version the target runs, through [`ports::ArtifactTargets`]) → decide
//! ([`decide::decide`]: never the same version twice, never an older one over a newer one). One
//! event can carry several records, and each is its own [`RecordDecision`]: the entry point acts
//! on each and reports failures per record ([`crate::entry::run_records`]).
//!
//! - [`pattern`]: key patterns with named captures;
//! - [`rules`]: the routing rules document and its cold-start validation;
//! - [`config`]: where the document comes from (`ARTIFACT_RULES`, `ARTIFACT_RULES_PARAMETER`);
//! - [`pin`]: how a deployed version is recorded where the target keeps it;
//! - [`world`]: the targets of a dry run (`switchyard replay --world`).

mod config;
pub mod decide;
pub mod observe;
pub mod pattern;
pub mod pin;
pub mod ports;
pub mod rules;
pub mod world;

pub use config::{ArtifactConfig, RulesSource, RULES_PARAMETER_VAR, RULES_VAR};

use serde_json::Value;

use crate::config::{ConfigError, Vars};
use crate::deadline::Deadline;
use crate::function::{Answer, Function, ObserveError, Ports, Resolve};
use crate::plan::{Decision, FunctionName, RecordDecision, RejectKind};
use crate::sources::s3::{self, S3Payload};
use ports::ArtifactTargets;

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
        ports: &P,
        deadline: Deadline,
    ) -> Result<Vec<RecordDecision>, ObserveError> {
        decide_event(raw, &self.config, ports.artifacts(), Some(deadline)).await
    }
}

/// Parses a raw event of any supported shape and decides each record, reading what each
/// record's target runs through `targets`. `Err`: an observation failed (or a target is busy),
/// which fails the whole event so that its source retries it.
pub async fn decide_event<T: ArtifactTargets>(
    raw: &Value,
    config: &ArtifactConfig,
    targets: &T,
    deadline: Option<Deadline>,
) -> Result<Vec<RecordDecision>, ObserveError> {
    if !s3::is_s3_event(raw) {
        return Ok(vec![RecordDecision::whole(Decision::reject(
            RejectKind::Unsupported,
            "unsupported event",
        ))]);
    }
    let mut decisions = Vec::new();
    for record in s3::records(raw) {
        let decision = match &record.payload {
            Ok(S3Payload::Object(object)) => match decide::route(object, &config.rules) {
                Err(decision) => decision,
                Ok(matched) => {
                    let observation = observe::observe(&matched, targets).await?;
                    decide::decide(&matched, &observation, deadline)?
                }
            },
            Ok(S3Payload::TestEvent) => Decision::skip(
                "s3:TestEvent: S3 sends it when a notification configuration is saved",
            ),
            Err(e) => Decision::invalid(e.to_string()),
        };
        decisions.push(RecordDecision {
            record: Some(record.label),
            batch_item_id: record.batch_item_id,
            decision,
            delivery: None,
        });
    }
    Ok(decisions)
}
