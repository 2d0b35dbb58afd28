//! S3: reading a desired-state bundle (a zip), with the function's own role (S3 bundle uploads)
//! or with a CodePipeline job's temporary `artifactCredentials` (the job's input artifact).

use aws_config::SdkConfig;
use aws_sdk_s3::config::Credentials;
use aws_sdk_s3::Client;
use aws_smithy_types::error::display::DisplayErrorContext;
use switchyard_core::secret::Secret;

use super::errors::is_retryable;

pub const IAM_ACTIONS: &[&str] = &["s3:GetObject", "s3:GetObjectVersion"];

/// A bundle is a few YAML files; anything this large is not one.
pub const MAX_OBJECT_BYTES: i64 = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
#[error("cannot read s3://{bucket}/{key}: {message}")]
pub struct S3Error {
    pub bucket: String,
    pub key: String,
    pub message: String,
    /// Throttling (`SlowDown`), a 5xx or a network problem: a later attempt may succeed
    /// ([`super::errors::is_retryable`]).
    pub retryable: bool,
}

/// An S3 client that signs with temporary credentials (a job's `artifactCredentials`), in the
/// function's region, honouring `AWS_ENDPOINT_URL` like every other client.
pub fn client_with_credentials(
    sdk: &SdkConfig,
    access_key_id: &Secret,
    secret_access_key: &Secret,
    session_token: &Secret,
) -> Client {
    let credentials = Credentials::new(
        access_key_id.expose(),
        secret_access_key.expose(),
        Some(session_token.expose().to_owned()),
        None,
        "codepipeline-artifact-credentials",
    );
    let config = aws_sdk_s3::config::Builder::from(sdk)
        .credentials_provider(credentials)
        .force_path_style(sdk.endpoint_url().is_some())
        .build();
    Client::from_conf(config)
}

/// An S3 client with the function's own role. Path-style addressing only when an endpoint is
/// overridden (moto, local S3), where virtual-host names do not resolve.
pub fn client(sdk: &SdkConfig) -> Client {
    let config = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(sdk.endpoint_url().is_some())
        .build();
    Client::from_conf(config)
}

/// The object's current version id (`HeadObject` without a version id: one request, no body,
/// allowed by `s3:GetObject` alone; `ListObjectVersions` would list every version and need
/// `s3:ListBucketVersions`). `None`: the object has no current version (deleted since, its latest
/// version a delete marker) or the bucket keeps no versions.
pub async fn current_version(
    client: &Client,
    bucket: &str,
    key: &str,
) -> Result<Option<String>, S3Error> {
    match client.head_object().bucket(bucket).key(key).send().await {
        Ok(out) => Ok(out.version_id.filter(|v| v != "null")),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
        Err(e) => Err(S3Error {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            message: DisplayErrorContext(&e).to_string(),
            retryable: is_retryable(&e),
        }),
    }
}

/// When that version of the object was written (`HeadObject` with its version id: one request,
/// no body, `s3:GetObjectVersion`); `None`: no such version.
pub async fn last_modified(
    client: &Client,
    bucket: &str,
    key: &str,
    version: &str,
) -> Result<Option<time::OffsetDateTime>, S3Error> {
    let head = client
        .head_object()
        .bucket(bucket)
        .key(key)
        .version_id(version)
        .send()
        .await;
    match head {
        Ok(out) => Ok(out
            .last_modified
            .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t.secs()).ok())),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
        Err(e) => Err(S3Error {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            message: DisplayErrorContext(&e).to_string(),
            retryable: is_retryable(&e),
        }),
    }
}

/// An object's bytes, and when S3 wrote that version.
pub struct S3Object {
    pub bytes: Vec<u8>,
    /// `LastModified` (one-second resolution); the epoch when S3 sent none.
    pub last_modified: std::time::SystemTime,
}

/// The object's bytes (that exact version when given), refusing objects over
/// [`MAX_OBJECT_BYTES`].
pub async fn get_object(
    client: &Client,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
) -> Result<S3Object, S3Error> {
    let error = |message: String, retryable: bool| S3Error {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        message,
        retryable,
    };
    let out = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(version_id.map(str::to_owned))
        .send()
        .await
        .map_err(|e| error(DisplayErrorContext(&e).to_string(), is_retryable(&e)))?;
    if out.content_length().unwrap_or(0) > MAX_OBJECT_BYTES {
        return Err(error(
            format!("the object is larger than {MAX_OBJECT_BYTES} bytes"),
            false,
        ));
    }
    let last_modified = out
        .last_modified
        .and_then(|t| std::time::SystemTime::try_from(t).ok())
        .unwrap_or(std::time::UNIX_EPOCH);
    let bytes = out
        .body
        .collect()
        .await
        .map_err(|e| error(e.to_string(), true))?
        .into_bytes();
    if bytes.len() as i64 > MAX_OBJECT_BYTES {
        return Err(error(
            format!("the object is larger than {MAX_OBJECT_BYTES} bytes"),
            false,
        ));
    }
    Ok(S3Object {
        bytes: bytes.to_vec(),
        last_modified,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use aws_config::{BehaviorVersion, Region};
    use aws_smithy_mocks::{create_mock_http_client, mock, MockResponseInterceptor, Rule};
    use aws_smithy_types::retry::RetryConfig;

    use super::*;

    /// A real S3 client answered by `rule`, with production's three attempts. Built by hand:
    /// `mock_client!` needs aws-sdk-s3's `test-util` feature, a rebuild of the whole crate.
    fn s3(rule: &Rule) -> Client {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-west-1"))
            .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .http_client(create_mock_http_client())
            .interceptor(MockResponseInterceptor::new().with_rule(rule))
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(3)
                    .with_initial_backoff(Duration::from_millis(1)),
            )
            .build();
        Client::from_conf(config)
    }

    /// An error as S3 sends it (REST-XML).
    fn xml_error(code: &str) -> Option<String> {
        Some(format!(
            "<Error><Code>{code}</Code><Message>mocked</Message></Error>"
        ))
    }

    async fn read_failure(status: u16, code: &str) -> (S3Error, usize) {
        let rule = mock!(Client::get_object)
            .sequence()
            .http_status(status, xml_error(code))
            .repeatedly()
            .build();
        let Err(err) = get_object(&s3(&rule), "bundles", "payments.zip", None).await else {
            panic!("the read succeeded")
        };
        (err, rule.num_calls())
    }

    #[tokio::test]
    async fn slow_down_is_retryable_and_access_denied_is_final() {
        let (err, attempts) = read_failure(503, "SlowDown").await;
        assert!(err.retryable, "{err}");
        assert!(err.message.contains("SlowDown"), "{err}");
        assert_eq!(attempts, 3, "the SDK retried it too");

        let (err, attempts) = read_failure(403, "AccessDenied").await;
        assert!(!err.retryable, "{err}");
        assert_eq!(attempts, 1);
        assert!(
            err.to_string()
                .starts_with("cannot read s3://bundles/payments.zip: "),
            "{err}"
        );
    }
}
