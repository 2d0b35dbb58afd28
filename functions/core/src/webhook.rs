//! GitHub webhooks delivered to a Lambda function URL: the one authentication path for every
//! function that takes webhooks.
//!
//! Order matters: the raw body is authenticated (HMAC-SHA256, constant time) before a single byte
//! of it is parsed, so an unauthenticated request can neither cause an action nor steer a
//! decision. A missing or wrong signature is 401; `ping` is 200; other event kinds are
//! acknowledged with 200 "ignored" so GitHub does not mark the hook as failing.

use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::json::{self, FieldError};
use crate::plan::{Decision, Outcome, RejectKind};
use crate::secret::Secret;
use crate::sources::function_url::{parse_http_request, HttpRequest};

const SIGNATURE_HEADER: &str = "x-hub-signature-256";
const EVENT_HEADER: &str = "x-github-event";
const DELIVERY_HEADER: &str = "x-github-delivery";

/// An authenticated GitHub delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// `X-GitHub-Event`: `push`, `create`, `delete`, `ping`…
    pub event: String,
    /// `X-GitHub-Delivery`: unique per delivery, kept on redelivery.
    pub delivery_id: String,
    pub payload: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing X-Hub-Signature-256 header")]
    Missing,
    #[error("X-Hub-Signature-256 must be \"sha256=\" followed by 64 hex characters")]
    Malformed,
    #[error("X-Hub-Signature-256 does not match the body")]
    Mismatch,
}

/// The GitHub event header of a request, read without authentication; used only for routing.
pub fn event_header(v: &Value) -> Option<&str> {
    json::get(v, &["headers"])?
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(EVENT_HEADER))
        .and_then(|(_, v)| v.as_str())
}

/// Verifies GitHub's `X-Hub-Signature-256` in constant time.
pub fn verify_signature(
    secret: &Secret,
    body: &[u8],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let hex_sig = header
        .strip_prefix("sha256=")
        .ok_or(SignatureError::Malformed)?;
    if hex_sig.len() != 64 {
        return Err(SignatureError::Malformed);
    }
    let expected = hex::decode(hex_sig).map_err(|_| SignatureError::Malformed)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(body);
    mac.verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

/// Computes the header value GitHub would send; for tests and sample generation.
pub fn sign(secret: &Secret, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Authenticates and decodes a function URL request. `Err` is the final decision for the request
/// (401 for authentication, 400 for a malformed request, 200 for `ping`).
pub fn receive(raw: &Value, secret: Option<&Secret>) -> Result<Delivery, Decision> {
    let request = parse_http_request(raw).map_err(|e| Decision::invalid(e.to_string()))?;
    let Some(secret) = secret else {
        // Fail closed: without a secret nothing can be authenticated.
        return Err(Decision::reject(
            RejectKind::Unauthenticated,
            "no webhook secret is configured; refusing unauthenticated webhooks",
        ));
    };
    verify_signature(
        secret,
        &request.body,
        request.headers.get(SIGNATURE_HEADER).map(String::as_str),
    )
    .map_err(|e| Decision::reject(RejectKind::Unauthenticated, e.to_string()))?;

    let header = |name: &str| -> Result<String, Decision> {
        match request.headers.get(name) {
            Some(v) if !v.is_empty() && v.len() <= 100 && v.is_ascii() => Ok(v.clone()),
            Some(_) => Err(Decision::invalid(format!(
                "headers.{name}: must be 1 to 100 ASCII characters"
            ))),
            None => Err(Decision::invalid(format!("headers.{name}: is missing"))),
        }
    };
    let event = header(EVENT_HEADER)?;
    let delivery_id = header(DELIVERY_HEADER)?;
    let payload = decode_payload(&request).map_err(|e| Decision::invalid(e.to_string()))?;
    if event == "ping" {
        return Err(Decision::skip(
            "ping: the webhook is reachable and its signature is valid",
        ));
    }
    Ok(Delivery {
        event,
        delivery_id,
        payload,
    })
}

/// GitHub sends `application/json`, or `application/x-www-form-urlencoded` with the JSON in the
/// `payload` field.
fn decode_payload(request: &HttpRequest) -> Result<Value, FieldError> {
    let content_type = request
        .headers
        .get("content-type")
        .map(|c| c.to_ascii_lowercase())
        .unwrap_or_default();
    let json_bytes = if content_type.starts_with("application/x-www-form-urlencoded") {
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
mod secret_tests {
    use super::*;
    use crate::config::{test_vars, ConfigError};
    use crate::function::Resolve;

    struct Store(&'static str);
    impl Resolve for Store {
        async fn secret(&self, _: &str, _: &str, _: &str) -> Result<Secret, ConfigError> {
            Ok(Secret::new(self.0))
        }
        async fn parameter(&self, var: &str, _: &str, _: &str) -> Result<String, ConfigError> {
            Err(ConfigError::new(var, "unused"))
        }
    }

    fn resolve(vars: &[(&str, &str)], store: &Store) -> Result<Option<Secret>, ConfigError> {
        let vars = test_vars(vars);
        let future = std::pin::pin!(configured_secret(&vars, store));
        match future.poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
            std::task::Poll::Ready(r) => r,
            std::task::Poll::Pending => unreachable!("nothing to wait for"),
        }
    }

    use std::future::Future;

    #[test]
    fn weak_secrets_are_refused_naming_the_secret_never_its_value() {
        let weak = Store("hunter2");
        let err = resolve(&[("GITHUB_WEBHOOK_SECRET_ID", "sy/github")], &weak).unwrap_err();
        assert_eq!(err.var, "GITHUB_WEBHOOK_SECRET_ID");
        assert!(
            err.message.contains("\"sy/github\" is 7 bytes long"),
            "{err}"
        );
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let err = resolve(&[("GITHUB_WEBHOOK_SECRET", "short")], &weak).unwrap_err();
        assert_eq!(err.var, "GITHUB_WEBHOOK_SECRET");
        assert!(!err.to_string().contains("short"), "{err}");
        let strong = Store("0123456789abcdef0123456789abcdef");
        let ok = resolve(&[("GITHUB_WEBHOOK_SECRET_ID", "sy/github")], &strong).unwrap();
        assert_eq!(ok.unwrap().expose().len(), 32);
        assert!(resolve(&[], &weak).unwrap().is_none());
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
            let d = receive(&request(body, signed(body, "issues"), b64), Some(&secret())).unwrap();
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
            let d = receive(&req, Some(&secret())).unwrap_err();
            assert_eq!(http_status(&d), 401, "{d:?}");
        }
        let d = receive(&request(body, signed(body, "push"), false), None).unwrap_err();
        assert_eq!(http_status(&d), 401);
    }

    #[test]
    fn ping_is_200_and_form_bodies_work() {
        let body = r#"{"zen":"Keep it logically awesome."}"#;
        let d = receive(&request(body, signed(body, "ping"), false), Some(&secret())).unwrap_err();
        assert_eq!(http_status(&d), 200);
        let form = format!(
            "payload={}",
            form_urlencoded::byte_serialize(r#"{"a":"b c+"}"#.as_bytes()).collect::<String>()
        );
        let mut h = signed(&form, "push");
        h["content-type"] = json!("application/x-www-form-urlencoded");
        let d = receive(&request(&form, h, false), Some(&secret())).unwrap();
        assert_eq!(d.payload, json!({"a":"b c+"}));
    }

    #[test]
    fn oversized_and_malformed_bodies_are_400() {
        let huge = "x".repeat(6 * 1024 * 1024);
        let d = receive(&request(&huge, json!({}), false), Some(&secret())).unwrap_err();
        assert_eq!(http_status(&d), 400);
        let body = "not json";
        let d = receive(&request(body, signed(body, "push"), false), Some(&secret())).unwrap_err();
        assert_eq!(http_status(&d), 400);
        assert!(d.reason.contains("invalid JSON"));
    }
}

/// Where the webhook secret comes from, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// `GITHUB_WEBHOOK_SECRET_ID`: a Secrets Manager secret id or ARN, read once at cold start.
    SecretsManager(String),
    /// `GITHUB_WEBHOOK_SECRET`: the value itself; for local replay only.
    Inline(Secret),
    /// Neither: every webhook is refused with 401.
    Unset,
}

impl SecretSource {
    pub fn from_vars(vars: &dyn crate::config::Vars) -> Result<Self, crate::config::ConfigError> {
        use crate::config::{optional, ConfigError};
        match (
            optional(vars, "GITHUB_WEBHOOK_SECRET_ID"),
            vars.var("GITHUB_WEBHOOK_SECRET").filter(|s| !s.is_empty()),
        ) {
            (Some(_), Some(_)) => Err(ConfigError::new(
                "GITHUB_WEBHOOK_SECRET",
                "set either GITHUB_WEBHOOK_SECRET_ID or GITHUB_WEBHOOK_SECRET, not both",
            )),
            (Some(id), None) => Ok(SecretSource::SecretsManager(id)),
            (None, Some(value)) => Ok(SecretSource::Inline(Secret::new(value))),
            (None, None) => Ok(SecretSource::Unset),
        }
    }
}

/// Shortest webhook secret accepted: GitHub recommends a high-entropy secret, and a short one
/// can be guessed offline from any captured delivery and its signature.
pub const MIN_SECRET_BYTES: usize = 32;

/// The configured webhook secret, read once at cold start (`None`: every webhook gets 401). A
/// secret shorter than [`MIN_SECRET_BYTES`] is refused, naming where it came from (never its
/// value).
pub async fn configured_secret(
    vars: &(dyn crate::config::Vars + Sync),
    resolve: &impl crate::function::Resolve,
) -> Result<Option<Secret>, crate::config::ConfigError> {
    let (secret, var, origin) = match SecretSource::from_vars(vars)? {
        SecretSource::Unset => return Ok(None),
        SecretSource::Inline(secret) => (secret, "GITHUB_WEBHOOK_SECRET", "the secret".to_owned()),
        SecretSource::SecretsManager(id) => {
            let var = "GITHUB_WEBHOOK_SECRET_ID";
            let secret = resolve.secret(var, &id, "GITHUB_WEBHOOK_SECRET").await?;
            (secret, var, format!("secret {id:?}"))
        }
    };
    let len = secret.expose().len();
    if len < MIN_SECRET_BYTES {
        return Err(crate::config::ConfigError::new(
            var,
            format!("{origin} is {len} bytes long; a webhook secret needs at least {MIN_SECRET_BYTES} (e.g. `openssl rand -hex 32`)"),
        ));
    }
    Ok(Some(secret))
}
