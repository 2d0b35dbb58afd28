//! Helpers for `aws-smithy-mocks` rules (APIs moto lacks): requests kept for assertions, and the
//! retry configuration production clients get from `aws_config` defaults.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_types::retry::RetryConfig;

/// Requests a mock rule received, in order.
#[derive(Clone)]
pub struct Requests<T>(Arc<Mutex<Vec<T>>>);

impl<T> Default for Requests<T> {
    fn default() -> Self {
        Requests(Arc::new(Mutex::new(Vec::new())))
    }
}

impl<T: Clone> Requests<T> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&self, request: &T) {
        self.0.lock().unwrap().push(request.clone());
    }

    pub fn all(&self) -> Vec<T> {
        self.0.lock().unwrap().clone()
    }
}

/// Standard retries as in production (`aws_config` defaults: 3 attempts), with a short backoff so
/// tests do not sleep.
pub fn standard_retries() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(1))
}

/// A JSON-protocol error response, as AWS sends it (`__type` carries the error code).
pub fn aws_json_error(code: &str) -> Option<String> {
    Some(format!(
        r#"{{"__type":"{code}","message":"{code} (mocked)"}}"#
    ))
}

/// An RPC v2 CBOR error response (AWS Health's protocol), as AWS sends it: a CBOR map whose
/// `__type` carries the error code, with the `smithy-protocol` header.
pub fn aws_cbor_error(status: u16, code: &str) -> aws_smithy_runtime_api::http::Response {
    #[derive(serde::Serialize)]
    struct ErrorBody<'a> {
        #[serde(rename = "__type")]
        code: &'a str,
        message: String,
    }
    let mut body = Vec::new();
    ciborium::into_writer(
        &ErrorBody {
            code,
            message: format!("{code} (mocked)"),
        },
        &mut body,
    )
    .expect("an error body encodes as CBOR");
    let mut response = aws_smithy_runtime_api::http::Response::new(
        aws_smithy_runtime_api::http::StatusCode::try_from(status).unwrap(),
        aws_smithy_types::body::SdkBody::from(body),
    );
    response
        .headers_mut()
        .insert("smithy-protocol", "rpc-v2-cbor");
    response
        .headers_mut()
        .insert("content-type", "application/cbor");
    response
}
