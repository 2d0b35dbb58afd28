//! What a failed AWS call means, for every service: one classifier, the SDK's own.
//!
//! The SDK retries a failed call itself (standard mode) and hands back the last error. Whether a
//! *later* attempt (the event source retrying the invocation) may succeed is decided here by the
//! rules the SDK's retry classifiers apply, so a failure is retryable exactly when the SDK would
//! have retried it:
//! - the service's model marks the error retryable (`ProvideErrorKind::retryable_error_kind`,
//!   aws-smithy-runtime's `ModeledAsRetryableClassifier`);
//! - its code is one of the SDK's throttling or transient codes (`ThrottlingException`, `SlowDown`,
//!   `RequestTimeout`…: aws-runtime's `AwsErrorCodeClassifier` lists);
//! - the response is a 5xx (`HttpStatusCodeClassifier` retries 500, 502, 503 and 504; every 5xx is
//!   taken here) or a 429, whatever its code;
//! - nothing usable came back: a timeout, a connection or I/O failure, an unreadable response
//!   (`TransientErrorClassifier`).
//!
//! A few codes are added to the SDK's rules ([`TRANSIENT_FOR_EVENTS`]): conditions that outlast
//! one call's backoff but not the event source's retries.
//!
//! Everything else is final: access denied, validation, not found, a request that cannot be
//! built. Retrying those would repeat the same answer forever.

use aws_runtime::retries::classifiers::{THROTTLING_ERRORS, TRANSIENT_ERRORS};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::retry::ProvideErrorKind;
use switchyard_core::ports::{ActError, ObserveError};

/// Too Many Requests: a throttle, even from a service whose error code the SDK does not list.
const TOO_MANY_REQUESTS: u16 = 429;

/// Codes the SDK does not retry within one call (their condition outlasts its backoff) but that
/// a later attempt of the whole event can get past, so the event source must retry rather than
/// dead-letter: CodeBuild's `AccountLimitExceededException` from `StartBuild` is the concurrent
/// build limit, which frees up as running builds finish; `ConcurrentModificationException` is
/// another writer that a later attempt no longer races; Lambda's `ResourceConflictException`
/// (409) is another update of the function still in progress (`UpdateFunctionCode`,
/// `PublishVersion`, `UpdateAlias` while `LastUpdateStatus` is `InProgress`), over once it is
/// applied.
const TRANSIENT_FOR_EVENTS: &[&str] = &[
    "AccountLimitExceededException",
    "ConcurrentModificationException",
    "ResourceConflictException",
];

/// Whether a later attempt of the failed call may succeed (see the module documentation).
pub fn is_retryable<E: ProvideErrorKind>(err: &SdkError<E, HttpResponse>) -> bool {
    match err {
        SdkError::ServiceError(service) => {
            let error = service.err();
            let status = service.raw().status();
            error.retryable_error_kind().is_some()
                || error.code().is_some_and(|code| {
                    THROTTLING_ERRORS.contains(&code)
                        || TRANSIENT_ERRORS.contains(&code)
                        || TRANSIENT_FOR_EVENTS.contains(&code)
                })
                || status.is_server_error()
                || status.as_u16() == TOO_MANY_REQUESTS
        }
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => true,
        // As the SDK decides: a timeout or an I/O failure, or an error the connector itself
        // classified; not a "user" error (a misconfigured client), which would fail again.
        SdkError::DispatchFailure(failure) => {
            failure.is_timeout() || failure.is_io() || failure.as_other().is_some()
        }
        // ConstructionFailure: the request was never sent, and would be built the same way again.
        _ => false,
    }
}

/// An action's failure: what failed, the SDK's whole error chain, and [`is_retryable`].
pub fn act_error<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> ActError
where
    E: ProvideErrorKind + std::error::Error + 'static,
{
    observe_error(operation, err).into()
}

/// An observation's failure: what failed, the SDK's whole error chain, and [`is_retryable`].
pub fn observe_error<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> ObserveError
where
    E: ProvideErrorKind + std::error::Error + 'static,
{
    ObserveError {
        operation,
        retryable: is_retryable(&err),
        message: DisplayErrorContext(&err).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;
    use std::time::Duration;

    use aws_sdk_codepipeline::operation::get_pipeline_state::GetPipelineStateError;
    use aws_sdk_codepipeline::Client;
    use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
    use aws_smithy_types::retry::RetryConfig;
    use aws_smithy_types::timeout::TimeoutConfig;

    use super::*;

    /// Standard retries as in production (three attempts), without the backoff's wait.
    fn standard_retries() -> RetryConfig {
        RetryConfig::standard()
            .with_max_attempts(3)
            .with_initial_backoff(Duration::from_millis(1))
    }

    /// An error as a JSON-protocol service (CodePipeline) sends it.
    fn json_error(code: &str) -> Option<String> {
        Some(format!(r#"{{"__type":"{code}","message":"mocked"}}"#))
    }

    async fn failed_read(client: &Client) -> SdkError<GetPipelineStateError, HttpResponse> {
        client
            .get_pipeline_state()
            .name("payments-release")
            .send()
            .await
            .expect_err("the mock fails every attempt")
    }

    /// The same answer on every attempt, and how many attempts the SDK made.
    async fn answered(status: u16, body: Option<String>) -> (bool, usize) {
        let rule: Rule = mock!(Client::get_pipeline_state)
            .sequence()
            .http_status(status, body)
            .repeatedly()
            .build();
        let client = mock_client!(aws_sdk_codepipeline, RuleMode::MatchAny, [&rule], |c| c
            .retry_config(standard_retries()));
        let err = failed_read(&client).await;
        (is_retryable(&err), rule.num_calls())
    }

    #[tokio::test]
    async fn retryable_exactly_when_the_sdk_itself_retried() {
        let cases = [
            (400, json_error("ThrottlingException"), true),
            (400, json_error("AccessDeniedException"), false),
            (400, json_error("ValidationException"), false),
            (400, json_error("PipelineNotFoundException"), false),
            (500, json_error("InternalFailure"), true),
            (503, json_error("ServiceUnavailableException"), true),
            (502, None, true),
        ];
        for (status, body, retryable) in cases {
            let case = format!("{status} {body:?}");
            let (classified, attempts) = answered(status, body).await;
            assert_eq!(classified, retryable, "{case}");
            let sdk_attempts = if retryable { 3 } else { 1 };
            assert_eq!(attempts, sdk_attempts, "{case}: the SDK's own verdict");
        }
    }

    /// Beyond the SDK's status list (500, 502, 503, 504): any 5xx, and a 429 with a code no list
    /// knows, still mean "later".
    #[tokio::test]
    async fn any_5xx_or_429_is_retryable_whatever_its_code() {
        for (status, code) in [(429, "SomeNewQuotaException"), (507, "InsufficientStorage")] {
            let (classified, _) = answered(status, json_error(code)).await;
            assert!(classified, "{status} {code}");
        }
    }

    /// The concurrent-build limit and a concurrent writer: final for one call, not for the event.
    #[tokio::test]
    async fn limits_that_free_up_are_retryable_for_the_event() {
        for code in TRANSIENT_FOR_EVENTS {
            let (classified, attempts) = answered(400, json_error(code)).await;
            assert!(classified, "{code}");
            assert_eq!(attempts, 1, "{code}: the SDK itself does not retry it");
        }
    }

    /// Lambda (REST-JSON, the code in its `x-amzn-ErrorType` header) answering `UpdateFunctionCode`
    /// with 409 `ResourceConflictException`, as it does while another update of the function is
    /// in progress: retryable for the event,
    /// and not retried by the SDK within the call.
    #[tokio::test]
    async fn a_lambda_update_in_progress_is_retryable_for_the_event() {
        let rule: Rule = mock!(aws_sdk_lambda::Client::update_function_code)
            .sequence()
            .http_response(|| {
                let mut response = HttpResponse::new(
                    aws_smithy_runtime_api::http::StatusCode::try_from(409).unwrap(),
                    aws_smithy_types::body::SdkBody::from(
                        r#"{"Type":"User","message":"The operation cannot be performed at this time. An update is in progress for resource: arn:aws:lambda:eu-west-1:123456789012:function:thumbnailer"}"#,
                    ),
                );
                response
                    .headers_mut()
                    .insert("x-amzn-ErrorType", "ResourceConflictException");
                response
            })
            .repeatedly()
            .build();
        let client = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&rule], |c| c
            .retry_config(standard_retries()));
        let err = client
            .update_function_code()
            .function_name("thumbnailer")
            .s3_bucket("acme-artifacts")
            .s3_key("lambda/thumbnailer/thumbnailer.zip")
            .s3_object_version("Uo4Yi8Tr2Ew6Qa0Sd3Fg7Hj1Kl5Zx9Cv")
            .send()
            .await
            .expect_err("the mock fails every attempt");
        assert!(
            err.as_service_error()
                .is_some_and(|e| e.is_resource_conflict_exception()),
            "{err:?}"
        );
        assert!(is_retryable(&err));
        assert_eq!(rule.num_calls(), 1, "the SDK itself does not retry it");
    }

    fn unmocked_client(endpoint: String, timeouts: TimeoutConfig) -> Client {
        Client::from_conf(
            aws_sdk_codepipeline::Config::builder()
                .with_test_defaults_v2()
                .endpoint_url(endpoint)
                .retry_config(RetryConfig::disabled())
                .timeout_config(timeouts)
                .build(),
        )
    }

    #[tokio::test]
    async fn no_answer_is_retryable() {
        // Connection refused: a port nobody listens on.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let refused = unmocked_client(
            format!("http://127.0.0.1:{port}"),
            TimeoutConfig::disabled(),
        );
        let err = failed_read(&refused).await;
        assert!(matches!(err, SdkError::DispatchFailure(_)), "{err:?}");
        assert!(is_retryable(&err));

        // Connected (the kernel accepts into the backlog) but never answered.
        let silent = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = unmocked_client(
            format!("http://{}", silent.local_addr().unwrap()),
            TimeoutConfig::builder()
                .operation_attempt_timeout(Duration::from_millis(200))
                .build(),
        );
        let err = failed_read(&client).await;
        assert!(matches!(err, SdkError::TimeoutError(_)), "{err:?}");
        assert!(is_retryable(&err));
    }

    #[tokio::test]
    async fn errors_name_the_operation_and_carry_the_verdict() {
        let rule: Rule = mock!(Client::get_pipeline_state)
            .sequence()
            .http_status(400, json_error("AccessDeniedException"))
            .build();
        let client = mock_client!(aws_sdk_codepipeline, [&rule]);
        let observed = observe_error("GetPipelineState", failed_read(&client).await);
        assert_eq!(observed.operation, "GetPipelineState");
        assert!(
            observed.message.contains("AccessDeniedException"),
            "{observed}"
        );
        assert!(!observed.retryable);
    }
}
