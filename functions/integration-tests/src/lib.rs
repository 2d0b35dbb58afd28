//! What the adversarial tests (`tests/adversarial.rs`), the fuzz targets (`fuzz/`) and the load
//! replay (`benches/load_replay.rs`) share: every function's parse → decide with the sample
//! configuration from `events/switchyard.env` (the one `switchyard replay` uses, so hostile
//! inputs reach the same code paths as the samples) and, for the functions that observe AWS
//! Health and pipeline state, the sample world `events/worlds/clear.json`; and the invariants a
//! decision must keep whatever the input.
//!
//! The integration tests themselves live in the top-level `tests/` folder.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime};

use serde_json::Value;
use switchyard_core::artifact_release::ArtifactConfig;
use switchyard_core::deadline::{Deadline, DEFAULT_MARGIN};
use switchyard_core::kafka_sync::config::KafkaSyncConfig;
use switchyard_core::naming::{
    self, CLOUDFORMATION, CODEBUILD, CODEPIPELINE, FLINK_APPLICATION, FLINK_SNAPSHOT,
    LAMBDA_FUNCTION, S3_PREFIX,
};
use switchyard_core::plan::{Action, Decision, FunctionName, Outcome, RejectKind};
use switchyard_core::refs::RefName;
use switchyard_core::registry::{configure_bound, Bound};
use switchyard_core::secret::Secret;
use switchyard_core::sources::EventTrust;
use switchyard_core::tag_release::TagReleaseConfig;
use switchyard_core::world::{DryRunPorts, DryRunResolve};

/// The sample environment, parsed once.
pub fn vars() -> &'static HashMap<String, String> {
    static VARS: OnceLock<HashMap<String, String>> = OnceLock::new();
    VARS.get_or_init(|| {
        switchyard_core::config::parse_env_file(include_str!("../../../events/switchyard.env"))
            .expect("events/switchyard.env parses")
    })
}

/// The webhook secret the GitHub samples are signed with.
pub fn secret() -> &'static Secret {
    static SECRET: OnceLock<Secret> = OnceLock::new();
    SECRET.get_or_init(|| Secret::new(vars()["GITHUB_WEBHOOK_SECRET"].clone()))
}

/// What the samples prove themselves with: every host's sample webhook secret and the sample
/// home (account 123456789012, eu-west-1), configured as a cold start configures them.
pub fn trust() -> EventTrust {
    ready(EventTrust::configure(vars(), &DryRunResolve))
        .expect("the sample webhook secrets and home are valid")
}

pub fn artifact_config() -> &'static ArtifactConfig {
    static CONFIG: OnceLock<ArtifactConfig> = OnceLock::new();
    CONFIG.get_or_init(|| {
        ArtifactConfig::from_vars(vars()).expect("sample artifact rules (ARTIFACT_RULES) are valid")
    })
}

pub fn tag_config() -> &'static TagReleaseConfig {
    static CONFIG: OnceLock<TagReleaseConfig> = OnceLock::new();
    CONFIG.get_or_init(|| {
        TagReleaseConfig::from_vars(vars()).expect("sample tag-release config (TAG_*) is valid")
    })
}

pub fn connect_config() -> &'static KafkaSyncConfig {
    static CONFIG: OnceLock<KafkaSyncConfig> = OnceLock::new();
    CONFIG.get_or_init(|| {
        KafkaSyncConfig::from_vars(vars()).expect("sample kafka-sync config (CONNECT_*) is valid")
    })
}

/// The value of a future that is ready on its first poll (configuring from inline values and
/// deciding with dry-run ports await nothing), without an async runtime in the fuzz targets.
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(value) => value,
        Poll::Pending => panic!("a dry-run configure or decide awaited something"),
    }
}

/// Every function, configured from the sample environment and bound to the sample world
/// `events/worlds/clear.json` (its clock, AWS Health clear for the samples' regions and services,
/// `payments-release` with a failed stage; no commit on a default branch, so guarded tag
/// environments refuse) — exactly as `switchyard replay` runs them.
fn functions() -> &'static HashMap<FunctionName, Box<dyn Bound>> {
    static FUNCTIONS: OnceLock<HashMap<FunctionName, Box<dyn Bound>>> = OnceLock::new();
    FUNCTIONS.get_or_init(|| {
        let world: Value =
            serde_json::from_str(include_str!("../../../events/worlds/clear.json")).unwrap();
        let ports = Arc::new(DryRunPorts::from_world(&world).expect("the sample world is valid"));
        FunctionName::ALL
            .into_iter()
            .map(|name| {
                let bound = ready(configure_bound(name, vars(), &DryRunResolve, &ports))
                    .unwrap_or_else(|e| panic!("sample configuration of {name}: {e}"));
                (name, bound)
            })
            .collect()
    })
}

/// The longest a Lambda invocation runs: the deadline of every decision here.
const LAMBDA_MAX: Duration = Duration::from_secs(15 * 60);

/// One function's parse → decide, as its Lambda runs it, with the sample configuration: one
/// decision per record of the event (one in all for functions whose events hold one item).
pub fn decide(function: FunctionName, raw: &Value) -> Vec<Decision> {
    let deadline = Deadline::new(SystemTime::now() + LAMBDA_MAX, DEFAULT_MARGIN);
    ready(functions()[&function].decide(raw, deadline))
        .unwrap_or_else(|e| panic!("{function}: a dry-run observation failed: {e}"))
        .into_iter()
        .map(|record| record.decision)
        .collect()
}

/// What `decision` of `function` counts in its metrics (`Function::tally`).
pub fn tally(function: FunctionName, decision: &Decision) -> switchyard_core::metrics::Tally {
    functions()[&function].tally(decision)
}

/// Every function's parse → decide for one raw event, each checked for soundness. A function
/// that is not meant for this event must still answer with a decision, never a panic.
pub fn decide_with_every_function(raw: &Value) -> Vec<(FunctionName, Decision)> {
    let _ = switchyard_core::route::function_for(raw);
    let _ = switchyard_core::entry::event_id(raw);
    let decisions: Vec<_> = FunctionName::ALL
        .into_iter()
        .flat_map(|f| decide(f, raw).into_iter().map(move |d| (f, d)))
        .collect();
    for (_, d) in &decisions {
        assert_sound(d);
    }
    decisions
}

/// Invariants of any decision, whatever the input:
/// - only an acted decision carries actions, and it carries at least one;
/// - every action's names and tokens are valid for the service they are sent to.
pub fn assert_sound(d: &Decision) {
    match d.outcome {
        Outcome::Acted => assert!(!d.actions.is_empty(), "acted without actions: {d:?}"),
        Outcome::Skipped | Outcome::Rejected(_) => {
            assert!(d.actions.is_empty(), "{:?} with actions: {d:?}", d.outcome)
        }
    }
    assert!(!d.reason.is_empty(), "decision without a reason: {d:?}");
    // Reasons quote untrusted input; they must stay short enough for one log line.
    assert!(d.reason.len() < 4096, "reason of {} bytes", d.reason.len());
    for action in &d.actions {
        assert_action_sound(action);
    }
}

fn assert_action_sound(action: &Action) {
    match action {
        Action::StartBuild(b) => {
            // The project comes from configuration, which may start with a digit.
            assert!(CODEBUILD.accepts(&b.project_name), "{:?}", b.project_name);
            assert_token(&b.idempotency_token);
            let env = |name: &str| {
                b.environment_variables_override
                    .iter()
                    .find(|v| v.name == name)
                    .map(|v| v.value.as_str())
            };
            if let Some(branch) = env("BRANCH_NAME") {
                RefName::parse(branch).expect("a planned branch name is a valid ref");
            }
            for (var, rules) in [
                ("PIPELINE_NAME", &CODEPIPELINE),
                ("STACK_NAME", &CLOUDFORMATION),
                ("BUILD_PROJECT_NAME", &CODEBUILD),
                ("ARTIFACT_PREFIX", &S3_PREFIX),
            ] {
                if let Some(name) = env(var) {
                    assert!(rules.is_valid(name), "{var}={name:?}");
                }
            }
        }
        Action::StartPipelineExecution(p) => {
            assert!(CODEPIPELINE.accepts(&p.name), "{:?}", p.name);
            assert_token(&p.client_request_token);
        }
        // CodePipeline job results: one job id, and CodePipeline's own limits.
        Action::PutJobSuccessResult(r) => {
            assert!(!r.job_id.is_empty(), "{r:?}");
            if let Some(details) = &r.execution_details {
                assert!(details.summary.chars().count() <= 2048, "{r:?}");
            }
        }
        Action::PutJobFailureResult(r) => {
            assert!(!r.job_id.is_empty(), "{r:?}");
            assert!(!r.failure_details.message.is_empty(), "{r:?}");
            assert!(r.failure_details.message.chars().count() <= 5000, "{r:?}");
        }
        Action::RetryStageExecution(r) => {
            assert!(CODEPIPELINE.accepts(&r.pipeline_name), "{r:?}");
            assert!(
                !r.stage_name.is_empty() && !r.pipeline_execution_id.is_empty(),
                "{r:?}"
            );
            assert_eq!(r.retry_mode, "FAILED_ACTIONS", "{r:?}");
        }
        // A Flink application's code: exactly one object version, guarded against a concurrent
        // change, followed within the invocation's budget.
        Action::UpdateApplication(u) => {
            assert!(FLINK_APPLICATION.accepts(&u.application_name), "{u:?}");
            assert!(
                u.conditional_token.is_some() != u.current_application_version_id.is_some(),
                "exactly one guard: {u:?}"
            );
            let location = &u
                .application_configuration_update
                .application_code_configuration_update
                .code_content_update
                .s3_content_location_update;
            assert!(location.bucket_arn_update.starts_with("arn:"), "{u:?}");
            assert!(!location.file_key_update.is_empty(), "{u:?}");
            assert!(!location.object_version_update.is_empty(), "pinned: {u:?}");
            for run in [&u.run_configuration_update, &u.then.start_application]
                .into_iter()
                .flatten()
            {
                if let Some(name) = &run.application_restore_configuration.snapshot_name {
                    assert!(FLINK_SNAPSHOT.accepts(name), "{u:?}");
                }
            }
            assert!(
                u.follow_until.is_bounded(),
                "followed within a budget: {u:?}"
            );
        }
        Action::UpdateFunctionCode(f) => {
            assert!(LAMBDA_FUNCTION.accepts(&f.function_name), "{f:?}");
            assert!(!f.s3_object_version.is_empty(), "pinned: {f:?}");
            assert!(f.then.publish_version.description.len() <= 256, "{f:?}");
            if let Some(alias) = &f.then.update_alias {
                assert!(naming::is_lambda_alias(alias), "{f:?}");
            }
            assert!(f.wait_until.is_bounded(), "waited within a budget: {f:?}");
        }
    }
}

fn assert_token(token: &str) {
    assert_eq!(token.len(), 64, "{token:?}");
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()), "{token:?}");
}

/// For webhook targets: a decision on a request whose signature was wrong.
pub fn assert_unauthenticated(d: &Decision) {
    assert_eq!(
        d.outcome,
        Outcome::Rejected(RejectKind::Unauthenticated),
        "a forged request got {d:?}"
    );
}
