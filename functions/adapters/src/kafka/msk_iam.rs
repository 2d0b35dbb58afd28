//! Amazon MSK IAM authentication tokens: what the SASL/OAUTHBEARER login sends to brokers with
//! IAM access control, signed with the function's role (the SDK's credential chain).
//!
//! The token, as Amazon's signers make it (aws-msk-iam-sasl-signer-python, -go, -js; and
//! aws-msk-iam-auth's `IAMOAuthBearerLoginCallbackHandler` for Java): a SigV4 *presigned* request
//! `GET https://kafka.<region>.amazonaws.com/?Action=kafka-cluster%3AConnect` for the service
//! `kafka-cluster`, valid 900 s (`X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`,
//! `X-Amz-Expires=900`, `X-Amz-SignedHeaders=host`, `X-Amz-Security-Token` with temporary
//! credentials, `X-Amz-Signature`; the payload hash of the canonical request is that of an empty
//! body), then `&User-Agent=<name>/<version>` added after signing, the whole URL base64url-encoded
//! without padding. It expires 900 s after `X-Amz-Date` (or with the credentials, if sooner).
//! tests/msk_iam_token.rs checks it against Amazon's Python signer and botocore.
//!
//! Signed with the official `aws-sigv4` crate, already in every binary through the SDK. The
//! third-party `aws-msk-iam-sasl-signer` crate (1.0.1, one maintainer, two releases) does the same
//! in 150 lines but brings chrono, thiserror 1, url and aws-sdk-sts, and signs at the wall clock
//! only, so its output cannot be compared with another signer's for a fixed date.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What the brokers authorize with MSK IAM (not AWS API calls: each Kafka request is checked
/// against the role): the login, and per topic Metadata (DescribeTopic), DescribeConfigs,
/// CreateTopics, CreatePartitions (AlterTopic), AlterConfigs and DeleteTopics.
pub const IAM_ACTIONS: &[&str] = &[
    "kafka-cluster:Connect",
    "kafka-cluster:DescribeTopic",
    "kafka-cluster:DescribeTopicDynamicConfiguration",
    "kafka-cluster:CreateTopic",
    "kafka-cluster:AlterTopic",
    "kafka-cluster:AlterTopicDynamicConfiguration",
    "kafka-cluster:DeleteTopic",
];

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::provider::{error::CredentialsError, ProvideCredentials};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
};
use aws_sigv4::sign::v4;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use switchyard_core::secret::Secret;

use super::oauth::{OAuthToken, TokenError, TokenFuture, TokenSource};

/// The service the request is signed for.
pub const SIGNING_NAME: &str = "kafka-cluster";
/// How long a token is valid (X-Amz-Expires), as in every official signer.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(900);
/// The principal name aws-msk-iam-auth's token reports (`IAMOAuthBearerToken.principalName()`);
/// librdkafka keeps it beside the token and does not send it.
pub const PRINCIPAL: &str = "kafka-cluster";
/// The `User-Agent` parameter: who signed (the broker's logs show it).
const USER_AGENT: &str = concat!("switchyard/", env!("CARGO_PKG_VERSION"));

/// RFC 3986 unreserved characters stay, everything else is percent-encoded: SigV4's encoding,
/// which botocore uses for the presigned URL too.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The MSK IAM token for `region`, signed with `credentials` at `at`.
pub fn sign_token(
    region: &str,
    credentials: &Credentials,
    at: SystemTime,
) -> Result<OAuthToken, TokenError> {
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        TokenError::new(
            format!("cannot sign the MSK IAM request: {what}: {e}"),
            false,
        )
    };
    let url = format!("https://kafka.{region}.amazonaws.com/?Action=kafka-cluster%3AConnect");
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(TOKEN_LIFETIME);
    let identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(SIGNING_NAME)
        .time(at)
        .settings(settings)
        .build()
        .map_err(|e| failed("signing parameters", &e))?;
    let request = SignableRequest::new("GET", &url, std::iter::empty(), SignableBody::Bytes(&[]))
        .map_err(|e| failed("request", &e))?;
    let (instructions, signature) = sign(request, &params.into())
        .map_err(|e| failed("signature", &e))?
        .into_parts();
    // In botocore's order (the signature last, after the session token), so that the URL is
    // byte for byte what Amazon's Python signer makes.
    let mut signed = url;
    let mut append = |name: &str, value: &str| {
        signed.push('&');
        signed.push_str(name);
        signed.push('=');
        signed.extend(utf8_percent_encode(value, QUERY_VALUE));
    };
    for (name, value) in instructions.params() {
        if *name != "X-Amz-Signature" {
            append(name, value);
        }
    }
    append("X-Amz-Signature", &signature);
    append("User-Agent", USER_AGENT);
    let signed_ms = at
        .duration_since(UNIX_EPOCH)
        .map_err(|e| failed("signing time", &e))?
        .as_secs()
        * 1000;
    let mut expires_at_ms = i64::try_from(signed_ms + TOKEN_LIFETIME.as_secs() * 1000)
        .map_err(|e| failed("expiry", &e))?;
    // Temporary credentials that end sooner end the token with them: refresh before that.
    if let Some(expiry) = credentials.expiry() {
        if let Ok(ms) = expiry.duration_since(UNIX_EPOCH) {
            expires_at_ms = expires_at_ms.min(i64::try_from(ms.as_millis()).unwrap_or(i64::MAX));
        }
    }
    Ok(OAuthToken {
        value: Secret::new(URL_SAFE_NO_PAD.encode(signed)),
        expires_at_ms,
        principal: PRINCIPAL.to_owned(),
    })
}

/// MSK IAM tokens for one region, from a credentials provider (the SDK's chain: in the Lambda,
/// the function's role).
pub struct MskIamTokens {
    region: String,
    credentials: SharedCredentialsProvider,
}

impl MskIamTokens {
    pub fn new(region: &str, credentials: SharedCredentialsProvider) -> Self {
        MskIamTokens {
            region: region.to_owned(),
            credentials,
        }
    }

    /// With the credentials of `sdk` (`aws_config::load_defaults`).
    pub fn from_sdk_config(region: &str, sdk: &aws_config::SdkConfig) -> Result<Self, TokenError> {
        let credentials = sdk.credentials_provider().ok_or_else(|| {
            TokenError::new(
                "the AWS SDK configuration has no credentials provider",
                false,
            )
        })?;
        Ok(Self::new(region, credentials))
    }
}

impl TokenSource for MskIamTokens {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(async move {
            let credentials = self
                .credentials
                .provide_credentials()
                .await
                .map_err(|e| credentials_error(&e))?;
            sign_token(&self.region, &credentials, SystemTime::now())
        })
    }

    fn describe(&self) -> String {
        format!("MSK IAM token for {}", self.region)
    }
}

/// The credential chain's failure: a timeout may pass, the rest needs a person. Its reason in
/// parentheses: after `credentials:` the error scrubber would take it for a secret value.
fn credentials_error(e: &CredentialsError) -> TokenError {
    let retriable = matches!(e, CredentialsError::ProviderTimedOut(_));
    TokenError::new(
        format!(
            "no AWS credentials ({})",
            aws_smithy_types::error::display::DisplayErrorContext(e)
        ),
        retriable,
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn decode(token: &OAuthToken) -> String {
        String::from_utf8(URL_SAFE_NO_PAD.decode(token.value.expose()).unwrap()).unwrap()
    }

    fn params(url: &str) -> BTreeMap<String, String> {
        let (_, query) = url.split_once('?').unwrap();
        query
            .split('&')
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap();
                (
                    k.to_owned(),
                    percent_encoding::percent_decode_str(v)
                        .decode_utf8()
                        .unwrap()
                        .into_owned(),
                )
            })
            .collect()
    }

    /// 2026-12-01T16:00:00Z.
    fn at() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_796_140_800)
    }

    #[test]
    fn the_token_is_the_presigned_connect_request_base64url_without_padding() {
        let credentials = Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            Some("IQoJb3JpZ2luX2VjE+/session=".into()),
            None,
            "tests",
        );
        let token = sign_token("eu-west-1", &credentials, at()).unwrap();
        assert!(!token.value.expose().contains(['=', '+', '/']));
        let url = decode(&token);
        assert!(
            url.starts_with(
                "https://kafka.eu-west-1.amazonaws.com/?Action=kafka-cluster%3AConnect&"
            ),
            "{url}"
        );
        let p = params(&url);
        let keys: Vec<&str> = p.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "Action",
                "User-Agent",
                "X-Amz-Algorithm",
                "X-Amz-Credential",
                "X-Amz-Date",
                "X-Amz-Expires",
                "X-Amz-Security-Token",
                "X-Amz-Signature",
                "X-Amz-SignedHeaders",
            ]
        );
        assert_eq!(p["Action"], "kafka-cluster:Connect");
        assert_eq!(p["X-Amz-Algorithm"], "AWS4-HMAC-SHA256");
        assert_eq!(
            p["X-Amz-Credential"],
            "AKIDEXAMPLE/20261201/eu-west-1/kafka-cluster/aws4_request"
        );
        assert_eq!(p["X-Amz-Date"], "20261201T160000Z");
        assert_eq!(p["X-Amz-Expires"], "900");
        assert_eq!(p["X-Amz-SignedHeaders"], "host");
        assert_eq!(p["X-Amz-Security-Token"], "IQoJb3JpZ2luX2VjE+/session=");
        assert_eq!(p["X-Amz-Signature"].len(), 64);
        assert_eq!(p["User-Agent"], USER_AGENT);
        // Encoded as SigV4 encodes: `+`, `/` and `=` of the session token are escaped.
        assert!(
            url.contains("X-Amz-Security-Token=IQoJb3JpZ2luX2VjE%2B%2Fsession%3D"),
            "{url}"
        );
        assert_eq!(token.expires_at_ms, 1_796_140_800_000 + 900_000);
        assert_eq!(token.principal, "kafka-cluster");
        let debug = format!("{token:?}");
        assert!(
            !debug.contains(token.value.expose()) && !debug.contains("AKID"),
            "{debug}"
        );
    }

    #[test]
    fn credentials_that_end_sooner_end_the_token_and_none_mean_no_session_token() {
        let credentials = Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            None,
            Some(at() + Duration::from_secs(60)),
            "tests",
        );
        let token = sign_token("us-east-1", &credentials, at()).unwrap();
        assert_eq!(token.expires_at_ms, 1_796_140_800_000 + 60_000);
        assert!(!params(&decode(&token)).contains_key("X-Amz-Security-Token"));
    }
}
