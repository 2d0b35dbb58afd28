//! `artifact-release`: an object uploaded to S3 → the target its routing rule names, pinned to
//! that object's version id: a pipeline or CodeBuild project started, or a Managed Flink
//! application's or a Lambda function's code replaced.
//!
//! Parse ([`crate::sources::s3`]: notification, SNS, SQS and EventBridge forms, one record per
//! object) → route ([`route`]: the rule, the pin, the target's names) → observe
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
pub mod route;
pub mod rules;
pub mod world;

pub use config::{ArtifactConfig, RulesSource, RULES_PARAMETER_VAR, RULES_VAR};

use serde_json::Value;

use crate::config::{ConfigError, Vars};
use crate::deadline::Deadline;
use crate::function::{Answer, Function, ObserveError, Ports, Resolve};
use crate::metrics::{Count, Split, Tally, TargetKind};
use crate::plan::{Action, Decision, FunctionName, RecordDecision, RejectKind};
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

    /// Each start or code update is one artifact deployed, counted per kind of target.
    fn tally(&self, decision: &Decision) -> Tally {
        let mut tally = Tally::default();
        let mut target = None;
        for action in &decision.actions {
            let kind = match action {
                Action::StartPipelineExecution(_) => TargetKind::Pipeline,
                Action::StartBuild(_) => TargetKind::Build,
                Action::UpdateApplication(_) => TargetKind::Flink,
                Action::UpdateFunctionCode(_) => TargetKind::Lambda,
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
            Ok(S3Payload::Object(object)) => match route::route(object, &config.rules) {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::world::WorldArtifactTargets;
    use super::*;
    use crate::plan::{Action, Outcome};

    const RULES: &str = r#"
rules:
  - {name: plugins, bucket: acme-artifacts, key: 'plugins/plugin.zip', pipeline: {name: deploy-plugin, source_action: Plugin}}
  - {name: sites, bucket: acme-artifacts, key: 'sites/site.zip', pipeline: {name: publish-site, source_action: Site, revision: key}}
  - {name: jobs, bucket: acme-artifacts, key: 'flink/{app}.jar', flink: {application: '{app}', start: true}}
  - {name: fns, bucket: acme-artifacts, key: 'lambda/{fn}.zip', lambda: {function: '{fn}'}}
"#;

    fn config() -> ArtifactConfig {
        ArtifactConfig::from_document(RULES, &RulesSource::Inline(RULES.into())).unwrap()
    }

    fn upload(key: &str, version: &str) -> Value {
        json!({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": "acme-artifacts"}, "object": {"key": key, "size": 10,
                "versionId": version, "sequencer": "0A"}}}]})
    }

    fn world(part: Value) -> WorldArtifactTargets {
        WorldArtifactTargets::from_world(Some(&part)).unwrap()
    }

    async fn decided(key: &str, version: &str, targets: &WorldArtifactTargets) -> Decision {
        let mut records = decide_event(&upload(key, version), &config(), targets, None)
            .await
            .unwrap();
        records.pop().unwrap().decision
    }

    fn versions() -> Value {
        json!([{"version": "v1", "lastModified": "2026-11-20T09:00:00Z"},
               {"version": "v2", "lastModified": "2026-11-21T09:00:00Z"}])
    }

    #[tokio::test]
    async fn a_pipeline_is_not_started_again_for_the_revision_it_ran_or_an_older_one() {
        let targets = world(json!({
            "pipelines": {"deploy-plugin": {"Plugin": "v2"}, "publish-site": {"Site": "v2"}},
            "objects": {"acme-artifacts/plugins/plugin.zip": versions(),
                        "acme-artifacts/sites/site.zip": versions()}
        }));
        let same = decided("plugins/plugin.zip", "v2", &targets).await;
        assert_eq!(same.outcome, Outcome::Skipped, "{}", same.reason);
        assert!(
            same.reason.contains("already running version v2"),
            "{}",
            same.reason
        );
        let older = decided("plugins/plugin.zip", "v1", &targets).await;
        assert_eq!(older.outcome, Outcome::Skipped, "{}", older.reason);
        assert!(
            older.reason.contains("older than deployed version v2"),
            "{}",
            older.reason
        );
        // A source action pinned by key watches another key: its revision says nothing of this one.
        let by_key = decided("sites/site.zip", "v1", &targets).await;
        assert_eq!(by_key.outcome, Outcome::Acted, "{}", by_key.reason);
        // Never run: started.
        let fresh = decided("plugins/plugin.zip", "v1", &world(json!({}))).await;
        assert_eq!(fresh.outcome, Outcome::Acted, "{}", fresh.reason);
    }

    #[tokio::test]
    async fn a_ready_application_is_started_and_a_missing_one_is_named() {
        let targets = world(json!({
            "flink": {"batch": {"status": "READY", "versionId": 3,
                "code": {"bucket": "acme-artifacts", "key": "flink/batch.jar", "version": "v1"}}},
            "objects": {"acme-artifacts/flink/batch.jar": versions()}
        }));
        let d = decided("flink/batch.jar", "v2", &targets).await;
        let [Action::UpdateApplication(update)] = d.actions.as_slice() else {
            panic!("{d:?}")
        };
        assert_eq!(update.conditional_token, None);
        assert_eq!(
            update.current_application_version_id,
            Some(3),
            "without a token, the version guards"
        );
        assert!(update.run_configuration_update.is_none());
        let start = update.then.start_application.as_ref().unwrap();
        assert_eq!(
            start
                .application_restore_configuration
                .application_restore_type,
            "RESTORE_FROM_LATEST_SNAPSHOT"
        );
        let missing = decided("flink/other.jar", "v2", &targets).await;
        assert!(missing.is_rejected());
        assert!(
            missing
                .reason
                .contains("the Managed Flink application other does not exist"),
            "{}",
            missing.reason
        );
    }

    /// A Flink or Lambda code update is one artifact deployed, under its own target.
    #[tokio::test]
    async fn code_updates_count_as_deployed_to_their_kind_of_target() {
        let targets = world(json!({
            "flink": {"batch": {"status": "READY", "versionId": 3,
                "code": {"bucket": "acme-artifacts", "key": "flink/batch.jar", "version": "v1"}}},
            "lambda": {"resize": {"version": "$LATEST", "codeSha256": "x"}},
            "objects": {"acme-artifacts/flink/batch.jar": versions()}
        }));
        let function = ArtifactRelease { config: config() };
        for (key, kind) in [
            ("flink/batch.jar", TargetKind::Flink),
            ("lambda/resize.zip", TargetKind::Lambda),
        ] {
            let d = decided(key, "v2", &targets).await;
            assert_eq!(d.outcome, Outcome::Acted, "{}", d.reason);
            let mut expected = Tally::default();
            expected.add(Count::ArtifactsDeployed, 1);
            assert_eq!(
                function.tally(&d),
                expected.split_by(Split::Target(kind)),
                "{key}"
            );
        }
    }

    #[tokio::test]
    async fn a_lambda_function_without_alias_is_deployed_and_says_nothing_guards_it() {
        let targets = world(json!({"lambda": {"resize": {"version": "$LATEST",
            "codeSha256": "x", "description": "hand-made"}}}));
        let d = decided("lambda/resize.zip", "v9", &targets).await;
        let [Action::UpdateFunctionCode(update)] = d.actions.as_slice() else {
            panic!("{d:?}")
        };
        assert_eq!(update.s3_object_version, "v9");
        assert_eq!(update.then.update_alias, None);
        assert!(d.reason.contains("no alias"), "{}", d.reason);
    }
}
