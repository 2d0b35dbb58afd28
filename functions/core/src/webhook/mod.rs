//! Webhooks delivered to a Lambda function URL, from every git host CodePipeline connects to
//! (GitHub, GitHub Enterprise Server, GitLab, Bitbucket Cloud): the one authentication path for
//! every function that takes webhooks.
//!
//! Order matters: the raw body is authenticated (each host's scheme, constant time) before a
//! single byte of it is parsed, so an unauthenticated request can neither cause an action nor
//! steer a decision. A missing or wrong signature or token is 401; a host's ping is 200; other
//! event kinds are acknowledged with 200 "ignored" so the host does not mark the hook as failing.
//! Each host's module says what it signs: [`signature`] (GitHub, Bitbucket), [`gitlab`].

pub mod gitlab;
mod host;
pub mod secrets;
pub mod signature;

use serde_json::Value;
use time::OffsetDateTime;

pub use host::{server_name, Host};
pub use secrets::WebhookSecrets;
pub use signature::sign;

use crate::json::FieldError;
use crate::plan::{Decision, Outcome, RejectKind};
use crate::secret::Secret;
use crate::sources::function_url::{parse_http_request, HttpRequest};

/// An authenticated delivery from any host.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub host: Host,
    /// The server a GitHub Enterprise Server delivery names (`X-GitHub-Enterprise-Host`).
    pub server: Option<String>,
    /// The event header: `push` (GitHub), `Push Hook` (GitLab), `repo:push` (Bitbucket)…
    pub event: String,
    /// The delivery header ([`Host::delivery_headers`]): unique per delivery, kept on redelivery.
    pub delivery_id: String,
    pub payload: Value,
}

/// Why a request is not authenticated. Never holds a secret or a signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing {0} header")]
    Missing(&'static str),
    #[error("{header} must be {expected}")]
    Malformed {
        header: &'static str,
        expected: &'static str,
    },
    #[error("{0} does not match the body")]
    Mismatch(&'static str),
    #[error("{0} is not the hook's secret token")]
    WrongToken(&'static str),
    #[error(
        "{header} is more than {tolerance_seconds} seconds from now: a stale or replayed delivery"
    )]
    Stale {
        header: &'static str,
        tolerance_seconds: i64,
    },
    #[error("no {host} webhook secret is configured ({var}); refusing unauthenticated webhooks")]
    Unconfigured {
        host: &'static str,
        var: &'static str,
    },
}

const GITHUB_SIGNATURE: &str = "X-Hub-Signature-256";
const BITBUCKET_SIGNATURE: &str = "X-Hub-Signature";

/// Verifies GitHub's `X-Hub-Signature-256` in constant time.
pub fn verify_signature(
    secret: &Secret,
    body: &[u8],
    header: Option<&str>,
) -> Result<(), AuthError> {
    signature::verify(GITHUB_SIGNATURE, secret, body, header)
}

/// Authenticates a request as its host signs it, with that host's secret.
fn authenticate(
    host: Host,
    secrets: &WebhookSecrets,
    request: &HttpRequest,
    now: OffsetDateTime,
) -> Result<(), AuthError> {
    let unconfigured = AuthError::Unconfigured {
        host: host.display_name(),
        var: secrets::secret_vars(host).0,
    };
    let header = |name: &str| request.headers.get(name).map(String::as_str);
    let body = &request.body;
    match host {
        Host::GitHub | Host::GitHubEnterprise => {
            let secret = match host {
                Host::GitHub => secrets.github.as_ref(),
                _ => secrets.github_enterprise.as_ref(),
            };
            let secret = secret.ok_or(unconfigured)?;
            signature::verify(
                GITHUB_SIGNATURE,
                secret,
                body,
                header("x-hub-signature-256"),
            )
        }
        Host::Bitbucket => {
            let secret = secrets.bitbucket.as_ref().ok_or(unconfigured)?;
            signature::verify(BITBUCKET_SIGNATURE, secret, body, header("x-hub-signature"))
        }
        Host::GitLab => {
            let secret = secrets.gitlab.as_ref().ok_or(unconfigured)?;
            gitlab::authenticate(secret, &request.headers, body, now)
        }
    }
}

/// Authenticates and decodes a function URL request. `Err` is the final decision for the request
/// (401 for authentication, 400 for a malformed request, 200 for a ping). `now` is the clock
/// signed GitLab deliveries are dated against.
pub fn receive(
    raw: &Value,
    secrets: &WebhookSecrets,
    now: OffsetDateTime,
) -> Result<Delivery, Decision> {
    let request = parse_http_request(raw).map_err(|e| Decision::invalid(e.to_string()))?;
    let host = Host::of_headers(&request.headers);
    authenticate(host, secrets, &request, now)
        .map_err(|e| Decision::reject(RejectKind::Unauthenticated, e.to_string()))?;

    let checked = |name: &str, value: Option<&String>| -> Result<String, Decision> {
        match value {
            Some(v) if !v.is_empty() && v.len() <= 100 && v.is_ascii() => Ok(v.clone()),
            Some(_) => Err(Decision::invalid(format!(
                "headers.{name}: must be 1 to 100 ASCII characters"
            ))),
            None => Err(Decision::invalid(format!("headers.{name}: is missing"))),
        }
    };
    let header = |name: &str| checked(name, request.headers.get(name));
    let event = header(host.event_header())?;
    let delivery_id = match host
        .delivery_headers()
        .iter()
        .find(|h| request.headers.contains_key(**h))
    {
        Some(name) => header(name)?,
        None => header(host.delivery_headers()[0])?,
    };
    let server = match host.server_header() {
        None => None,
        Some(name) => Some(
            server_name(&header(name)?)
                .ok_or_else(|| Decision::invalid(format!("headers.{name}: is not a host name")))?,
        ),
    };
    let payload = decode_payload(host, &request).map_err(|e| Decision::invalid(e.to_string()))?;
    if host.is_ping(&event) {
        return Err(Decision::skip(format!(
            "{event}: the webhook is reachable and its signature is valid"
        )));
    }
    Ok(Delivery {
        host,
        server,
        event,
        delivery_id,
        payload,
    })
}

/// A request's delivery read without authentication: for routing only (which function's
/// authentication it goes to). `None` when it has no event header or no JSON body.
pub fn unverified(raw: &Value) -> Option<Delivery> {
    let request = parse_http_request(raw).ok()?;
    let host = Host::of_headers(&request.headers);
    Some(Delivery {
        host,
        server: None,
        event: request.headers.get(host.event_header())?.clone(),
        delivery_id: String::new(),
        payload: serde_json::from_slice(&request.body).ok()?,
    })
}

/// The body as JSON. GitHub (and GitHub Enterprise Server) may also send
/// `application/x-www-form-urlencoded` with the JSON in the `payload` field; the other hosts send
/// JSON only.
fn decode_payload(host: Host, request: &HttpRequest) -> Result<Value, FieldError> {
    let content_type = request
        .headers
        .get("content-type")
        .map(|c| c.to_ascii_lowercase())
        .unwrap_or_default();
    let form = matches!(host, Host::GitHub | Host::GitHubEnterprise)
        && content_type.starts_with("application/x-www-form-urlencoded");
    let json_bytes = if form {
        form_urlencoded::parse(&request.body)
            .find(|(k, _)| k == "payload")
            .map(|(_, v)| v.into_owned().into_bytes())
            .ok_or_else(|| FieldError::new("body", "form body has no payload field"))?
    } else {
        request.body.clone()
    };
    let payload: Value = serde_json::from_slice(&json_bytes)
        .map_err(|e| FieldError::new("body", format!("invalid JSON: {e}")))?;
    if !payload.is_object() {
        return Err(FieldError::new("body", "expected a JSON object"));
    }
    Ok(payload)
}

/// The HTTP status a webhook decision answers with.
pub fn http_status(decision: &Decision) -> u16 {
    match decision.outcome {
        Outcome::Acted => 202,
        Outcome::Skipped | Outcome::Rejected(RejectKind::Unsupported) => 200,
        Outcome::Rejected(RejectKind::Unauthenticated) => 401,
        Outcome::Rejected(RejectKind::Invalid) => 400,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use serde_json::json;

    fn secret() -> Secret {
        Secret::new("s3cr3t")
    }

    fn secrets() -> WebhookSecrets {
        WebhookSecrets {
            github: Some(secret()),
            github_enterprise: Some(Secret::new("enterprise")),
            gitlab: Some(gitlab::GitLabSecret::Token(Secret::new("gitlab-token"))),
            bitbucket: Some(Secret::new("bitbucket")),
        }
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_795_424_564).unwrap()
    }

    fn request(body: &str, headers: Value, base64: bool) -> Value {
        let body = if base64 {
            base64::engine::general_purpose::STANDARD.encode(body)
        } else {
            body.to_owned()
        };
        json!({"version":"2.0","headers":headers,"requestContext":{"http":{"method":"POST"}},"body":body,"isBase64Encoded":base64})
    }

    fn signed(body: &str, event: &str) -> Value {
        json!({"x-github-event":event,"x-github-delivery":"d-1","x-hub-signature-256":sign(&secret(), body.as_bytes()),"content-type":"application/json"})
    }

    #[test]
    fn valid_signature_plain_and_base64() {
        let body = r#"{"zen":"x"}"#;
        for b64 in [false, true] {
            let d = receive(
                &request(body, signed(body, "issues"), b64),
                &secrets(),
                now(),
            )
            .unwrap();
            assert_eq!(d.event, "issues");
            assert_eq!(d.delivery_id, "d-1");
        }
    }

    #[test]
    fn signature_failures_are_401() {
        let body = r#"{"a":1}"#;
        let mut wrong = signed(body, "push");
        wrong["x-hub-signature-256"] = json!(sign(&Secret::new("other"), body.as_bytes()));
        let mut missing = signed(body, "push");
        missing
            .as_object_mut()
            .unwrap()
            .remove("x-hub-signature-256");
        let mut sha1 = signed(body, "push");
        sha1["x-hub-signature-256"] =
            json!(sign(&secret(), body.as_bytes()).replace("sha256=", "sha1="));
        let tampered = request(r#"{"a":2}"#, signed(body, "push"), false);
        for req in [
            request(body, wrong, false),
            request(body, missing, false),
            request(body, sha1, false),
            tampered,
        ] {
            let d = receive(&req, &secrets(), now()).unwrap_err();
            assert_eq!(http_status(&d), 401, "{d:?}");
        }
        let none = WebhookSecrets::default();
        let d = receive(&request(body, signed(body, "push"), false), &none, now()).unwrap_err();
        assert_eq!(http_status(&d), 401);
        assert!(d.reason.contains("GITHUB_WEBHOOK_SECRET_ID"), "{d:?}");
    }

    #[test]
    fn ping_is_200_and_form_bodies_work() {
        let body = r#"{"zen":"Keep it logically awesome."}"#;
        let d = receive(
            &request(body, signed(body, "ping"), false),
            &secrets(),
            now(),
        )
        .unwrap_err();
        assert_eq!(http_status(&d), 200);
        let form = format!(
            "payload={}",
            form_urlencoded::byte_serialize(r#"{"a":"b c+"}"#.as_bytes()).collect::<String>()
        );
        let mut h = signed(&form, "push");
        h["content-type"] = json!("application/x-www-form-urlencoded");
        let d = receive(&request(&form, h, false), &secrets(), now()).unwrap();
        assert_eq!(d.payload, json!({"a":"b c+"}));
    }

    #[test]
    fn oversized_and_malformed_bodies_are_400() {
        let huge = "x".repeat(6 * 1024 * 1024);
        let d = receive(&request(&huge, json!({}), false), &secrets(), now()).unwrap_err();
        assert_eq!(http_status(&d), 400);
        let body = "not json";
        let d = receive(
            &request(body, signed(body, "push"), false),
            &secrets(),
            now(),
        )
        .unwrap_err();
        assert_eq!(http_status(&d), 400);
        assert!(d.reason.contains("invalid JSON"));
    }

    #[test]
    fn every_host_is_checked_with_its_own_secret() {
        let body = r#"{"object_kind":"push"}"#;
        let gitlab = json!({"x-gitlab-event":"Push Hook","x-gitlab-token":"gitlab-token","idempotency-key":"k-1"});
        let d = receive(&request(body, gitlab.clone(), false), &secrets(), now()).unwrap();
        assert_eq!(
            (d.host, d.event.as_str(), d.delivery_id.as_str()),
            (Host::GitLab, "Push Hook", "k-1")
        );
        let mut wrong = gitlab.clone();
        wrong["x-gitlab-token"] = json!("s3cr3t");
        let d = receive(&request(body, wrong, false), &secrets(), now()).unwrap_err();
        assert_eq!(
            (http_status(&d), d.reason.as_str()),
            (401, "X-Gitlab-Token is not the hook's secret token")
        );

        let bitbucket = |event: &str, secret: &str| {
            json!({"x-event-key":event,"x-request-uuid":"u-1",
            "x-hub-signature":sign(&Secret::new(secret), body.as_bytes())})
        };
        let d = receive(
            &request(body, bitbucket("repo:push", "bitbucket"), false),
            &secrets(),
            now(),
        )
        .unwrap();
        assert_eq!((d.host, d.delivery_id.as_str()), (Host::Bitbucket, "u-1"));
        // A Bitbucket delivery signed with the GitHub secret is refused: each host its own secret.
        let d = receive(
            &request(body, bitbucket("repo:push", "s3cr3t"), false),
            &secrets(),
            now(),
        )
        .unwrap_err();
        assert_eq!(
            (http_status(&d), d.reason.as_str()),
            (401, "X-Hub-Signature does not match the body")
        );
        let d = receive(
            &request(body, bitbucket("diagnostics:ping", "bitbucket"), false),
            &secrets(),
            now(),
        )
        .unwrap_err();
        assert_eq!(http_status(&d), 200);
        assert!(
            d.reason
                .starts_with("diagnostics:ping: the webhook is reachable"),
            "{d:?}"
        );

        let mut enterprise = signed(body, "push");
        enterprise["x-github-enterprise-host"] = json!("GHE.acme.com");
        let d = receive(&request(body, enterprise.clone(), false), &secrets(), now()).unwrap_err();
        assert_eq!(
            http_status(&d),
            401,
            "signed with github.com's secret: {d:?}"
        );
        enterprise["x-hub-signature-256"] =
            json!(sign(&Secret::new("enterprise"), body.as_bytes()));
        let d = receive(&request(body, enterprise.clone(), false), &secrets(), now()).unwrap();
        assert_eq!(
            (d.host, d.server.as_deref()),
            (Host::GitHubEnterprise, Some("ghe.acme.com"))
        );
        enterprise["x-github-enterprise-host"] = json!("ghe.acme.com/evil");
        let d = receive(&request(body, enterprise, false), &secrets(), now()).unwrap_err();
        assert_eq!(http_status(&d), 400);
    }

    #[test]
    fn missing_delivery_headers_are_400_after_authentication() {
        let body = "{}";
        let gitlab = json!({"x-gitlab-event":"Push Hook","x-gitlab-token":"gitlab-token"});
        let d = receive(&request(body, gitlab, false), &secrets(), now()).unwrap_err();
        assert_eq!(http_status(&d), 400);
        assert_eq!(d.reason, "headers.idempotency-key: is missing");
        let old = json!({"x-gitlab-event":"Push Hook","x-gitlab-token":"gitlab-token","x-gitlab-event-uuid":"e-1"});
        assert_eq!(
            receive(&request(body, old, false), &secrets(), now())
                .unwrap()
                .delivery_id,
            "e-1"
        );
    }
}
