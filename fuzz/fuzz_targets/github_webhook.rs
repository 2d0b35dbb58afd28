//! GitHub webhooks through a Lambda function URL: the fuzzed bytes are the request body, signed
//! correctly (so the fuzzer gets past the HMAC and into the payload parser) or not (then the only
//! acceptable answer is 401 with no action), as JSON, base64 or form-encoded, under each event
//! header the functions care about.
#![no_main]

use base64::Engine;
use libfuzzer_sys::fuzz_target;
use serde_json::json;
use switchyard_core::webhook;
use switchyard_integration_tests::{assert_unauthenticated, decide_with_every_function, secret};

const EVENTS: [&str; 6] = ["push", "create", "delete", "ping", "issues", ""];

fuzz_target!(|data: &[u8]| {
    let Some((&control, body)) = data.split_first() else {
        return;
    };
    let event = EVENTS[usize::from(control & 0x7) % EVENTS.len()];
    let signed = control & 0x08 == 0;
    let form = control & 0x10 != 0;
    let base64_body = control & 0x20 != 0 || std::str::from_utf8(body).is_err();

    let signature = if signed {
        webhook::sign(secret(), body)
    } else {
        // A forgery: the right shape, a wrong MAC (the sample secret's MAC of another message).
        webhook::sign(secret(), &[body, b"!"].concat())
    };
    let content_type = if form {
        "application/x-www-form-urlencoded"
    } else {
        "application/json"
    };
    let body_field = if base64_body {
        base64::engine::general_purpose::STANDARD.encode(body)
    } else {
        String::from_utf8(body.to_vec()).unwrap()
    };
    let raw = json!({
        "version": "2.0",
        "headers": {
            "content-type": content_type,
            "x-github-event": event,
            "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
            "x-hub-signature-256": signature,
        },
        "requestContext": {"http": {"method": "POST", "path": "/"}, "requestId": "r-1"},
        "body": body_field,
        "isBase64Encoded": base64_body,
    });

    // Signature check alone: exactly the signed bodies verify.
    let verified = webhook::verify_signature(secret(), body, Some(&signature)).is_ok();
    assert_eq!(verified, signed);

    for (_, decision) in decide_with_every_function(&raw) {
        if !signed {
            assert_unauthenticated(&decision);
        }
        let status = webhook::http_status(&decision);
        assert!(matches!(status, 200 | 202 | 400 | 401), "{status}");
    }
});
