//! Any bytes as a Lambda event (EventBridge CodeCommit events, function URL requests, S3
//! notifications, CodePipeline jobs…): JSON parsing, routing, and every function's parse →
//! decide. Whatever arrives, each function answers with a sound decision and never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use switchyard_integration_tests::decide_with_every_function;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    decide_with_every_function(&raw);
});
