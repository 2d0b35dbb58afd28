//! Ports: the only ways a function touches the world. Adapters (AWS SDK, reqwest) implement them
//! in `switchyard-adapters`; the dry run and tests implement them in memory.

use std::future::Future;

use serde::Serialize;

use crate::plan::Action;

/// Runs one action. Implementations must be idempotent for a repeated action (the tokens in the
/// inputs make them so) and must treat "already exists" on create / "not found" on delete as
/// success.
pub trait ActionExecutor: Sync {
    fn execute(
        &self,
        action: &Action,
    ) -> impl Future<Output = Result<ActionReport, ActError>> + Send;
}

/// What an executed action returned that is worth showing (ids, not payloads).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionReport {
    pub operation: &'static str,
    pub result: serde_json::Value,
}

/// An action failed. `retryable` tells the entry point whether the event source should retry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation} failed: {message}")]
pub struct ActError {
    pub operation: &'static str,
    pub message: String,
    pub retryable: bool,
}

/// Reading the world failed (a pipeline's state, a branch, AWS Health), whatever the observer.
/// `retryable`: a later attempt may succeed (throttling, a 5xx, a timeout); otherwise the failure
/// is final (access denied, a rejected request) and retrying the event cannot change it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation} failed: {message}")]
pub struct ObserveError {
    pub operation: &'static str,
    pub message: String,
    pub retryable: bool,
}

/// An observation that fails the invocation fails it like an action would: retried by the event
/// source exactly when the observation is retryable.
impl From<ObserveError> for ActError {
    fn from(e: ObserveError) -> Self {
        ActError {
            operation: e.operation,
            message: e.message,
            retryable: e.retryable,
        }
    }
}

/// Runs a plan's actions in order and stops at the first failure, which is returned: the event
/// source retries the whole event, and the idempotency tokens make the retry safe.
pub async fn act<E: ActionExecutor>(
    actions: &[Action],
    executor: &E,
) -> Result<Vec<ActionReport>, ActError> {
    let mut reports = Vec::with_capacity(actions.len());
    for action in actions {
        reports.push(executor.execute(action).await?);
    }
    Ok(reports)
}
