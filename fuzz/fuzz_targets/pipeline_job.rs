//! CodePipeline jobs and stage-retry triggers on arbitrary input, through health-gate,
//! kafka-sync and stage-retry with the sample configuration (events/switchyard.env) and world
//! (events/worlds/clear.json). The first byte picks what the rest is:
//!
//! - 0: a job's `UserParameters` text, in health-gate's and kafka-sync's sample jobs;
//! - 1: a job's continuation token (the progress an "in progress" answer carried), in both;
//! - 2: a whole event (JSON), given to the three functions.
//!
//! Whatever arrives: never a panic; every decision is sound (`assert_sound`: a job's plan is
//! exactly one result for its own job id, texts within CodePipeline's limits); a reason is one
//! bounded line; and a job never succeeds on parameters or a token that do not parse.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use switchyard_core::pipeline_job::{job_id_of, Job};
use switchyard_core::plan::{Action, Decision, FunctionName};
use switchyard_integration_tests::{assert_sound, decide};

const JOB_FUNCTIONS: [(FunctionName, &str); 2] = [
    (
        FunctionName::HealthGate,
        include_str!("../../events/health-gate/job-valid-parameters.json"),
    ),
    (
        FunctionName::KafkaSync,
        include_str!("../../events/kafka-sync/pipeline-job.json"),
    ),
];

fn samples() -> &'static [(FunctionName, Value)] {
    static SAMPLES: OnceLock<Vec<(FunctionName, Value)>> = OnceLock::new();
    SAMPLES.get_or_init(|| {
        JOB_FUNCTIONS
            .iter()
            .map(|(f, text)| (*f, serde_json::from_str(text).expect("sample job parses")))
            .collect()
    })
}

fn check(function: FunctionName, event: &Value) -> Vec<Decision> {
    let decisions = decide(function, event);
    for d in &decisions {
        assert_sound(d);
        assert!(!d.reason.contains('\n'), "{function}: {:?}", d.reason);
        assert!(d.reason.len() < 1024, "{function}: reason of {} bytes", d.reason.len());
        // A job's plan reports on that job and no other.
        if let Ok(job) = Job::parse(event) {
            for action in &d.actions {
                if let Some(id) = job_id_of(action) {
                    assert_eq!(id, job.id, "{function}: {action:?}");
                }
            }
        }
    }
    decisions
}

fn with_job_field(sample: &Value, field: &str, text: &str) -> Value {
    let mut event = sample.clone();
    let data = &mut event["CodePipeline.job"]["data"];
    match field {
        "UserParameters" => {
            data["actionConfiguration"]["configuration"]["UserParameters"] = text.into()
        }
        _ => data["continuationToken"] = text.into(),
    }
    event
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 | 1 => {
            let text = String::from_utf8_lossy(rest);
            let field = if mode % 3 == 0 { "UserParameters" } else { "continuationToken" };
            for (function, sample) in samples() {
                let event = with_job_field(sample, field, &text);
                for d in check(*function, &event) {
                    // Parameters that are not a JSON object never make a job succeed.
                    let parameters_parse = field != "UserParameters"
                        || text.trim().is_empty()
                        || serde_json::from_str::<serde_json::Map<String, Value>>(&text).is_ok();
                    if !parameters_parse {
                        assert!(
                            !d.actions
                                .iter()
                                .any(|a| matches!(a, Action::PutJobSuccessResult(_))),
                            "{function} succeeded on UserParameters {text:?}: {d:?}"
                        );
                    }
                }
            }
        }
        _ => {
            let Ok(event) = serde_json::from_slice::<Value>(rest) else {
                return;
            };
            for function in [
                FunctionName::HealthGate,
                FunctionName::KafkaSync,
                FunctionName::StageRetry,
            ] {
                check(function, &event);
            }
        }
    }
});
