//! Helpers for `aws-smithy-mocks` rules (APIs moto lacks): requests kept for assertions, and the
//! retry configuration production clients get from `aws_config` defaults.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_types::retry::RetryConfig;

/// Requests a mock rule received, in order.
#[derive(Clone)]
pub struct Requests<T>(Arc<Mutex<Vec<T>>>);

impl<T: Clone> Requests<T> {
    pub fn new() -> Self {
        Requests(Arc::new(Mutex::new(Vec::new())))
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
