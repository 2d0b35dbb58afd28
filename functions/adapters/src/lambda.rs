//! The Lambda runtime loop shared by every function binary.

use std::future::Future;

use lambda_runtime::{service_fn, Context, Diagnostic, Error, LambdaEvent};
use serde_json::Value;
use switchyard_core::entry::HandlerError;

/// Serves events until the runtime stops. Handler errors fail the invocation with an
/// `errorType` that says whether a retry can help (`Retryable…`) or not.
pub async fn serve<F, Fut>(handler: F) -> Result<(), Error>
where
    F: Fn(Value, Context) -> Fut,
    Fut: Future<Output = Result<Value, HandlerError>>,
{
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let fut = handler(event.payload, event.context);
        async move { fut.await.map_err(diagnostic) }
    }))
    .await
}

pub fn diagnostic(error: HandlerError) -> Diagnostic {
    let error_type = match &error {
        HandlerError::Rejected(_) => "Rejected",
        HandlerError::Act(e) if e.retryable => "RetryableActionError",
        HandlerError::Act(_) => "ActionError",
    };
    Diagnostic {
        error_type: error_type.into(),
        error_message: error.to_string(),
    }
}
