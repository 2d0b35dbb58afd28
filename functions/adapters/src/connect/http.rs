//! The Kafka Connect REST API over reqwest: [`ConnectApi`] for a real worker.
//!
//! An observer may see each request line (method and path, never a body) before it is sent: the
//! CLI counts them, tests record them. The client itself keeps nothing per request, so a warm
//! Lambda does not grow.

use std::sync::Arc;
use std::time::Duration;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::{Client, Method};
use serde_json::{json, Value};
use switchyard_core::kafka_sync::desired::is_dot_segment;
use switchyard_core::kafka_sync::ports::{ConnectApi, ConnectError, ErrorKind, StateOp};
use switchyard_core::kafka_sync::{ConnectorConfig, TargetState};
use switchyard_core::text::truncate;

use super::credentials::ConnectCredentials;

/// Path-segment encoding: everything but unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `s` as one path segment. `.` and `..` cannot be one: the URL parser resolves them, even
/// percent-encoded (`%2E%2E`), so `/connectors/..` would reach `/`. They are refused before any
/// request is sent (the desired state's loader rejects such names too).
fn segment(method: &Method, s: &str) -> Result<String, ConnectError> {
    if is_dot_segment(s) {
        return Err(ConnectError {
            kind: ErrorKind::Invalid,
            request: format!("{method} /connectors/{s}"),
            status: None,
            message: format!("{s:?} is not a name a URL path can carry; no request was sent"),
        });
    }
    Ok(utf8_percent_encode(s, SEGMENT).to_string())
}

/// Sees each request line (`METHOD /path`) before it is sent.
pub type RequestObserver = Arc<dyn Fn(&str) + Send + Sync>;

pub struct HttpConnect {
    base: String,
    client: Client,
    credentials: ConnectCredentials,
    observer: Option<RequestObserver>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot set up the Kafka Connect client: {0}")]
pub struct ClientError(String);

impl HttpConnect {
    /// `base_url` like `https://connect.internal:8083`. `timeout` bounds each request; keep it
    /// above Connect's own 90 s request timeout so the worker's answer (and its "Request timed
    /// out" message) arrives.
    pub fn new(
        base_url: &str,
        credentials: ConnectCredentials,
        timeout: Duration,
    ) -> Result<Self, ClientError> {
        let base = base_url.trim_end_matches('/').to_owned();
        let parsed =
            reqwest::Url::parse(&base).map_err(|e| ClientError(format!("URL {base:?}: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ClientError(format!("URL {base:?}: expected http or https")));
        }
        let mut builder = Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("switchyard-kafka-sync/", env!("CARGO_PKG_VERSION")));
        if let Some(ca) = &credentials.ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(ca.as_bytes())
                .map_err(|e| ClientError(format!("CA certificate: {e}")))?;
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        if let Some(identity) = &credentials.client_identity_pem {
            let identity = reqwest::Identity::from_pem(identity.expose().as_bytes())
                .map_err(|_| ClientError("client certificate/key: not a valid PEM pair".into()))?;
            builder = builder.identity(identity);
        }
        let client = builder.build().map_err(|e| ClientError(e.to_string()))?;
        Ok(HttpConnect {
            base,
            client,
            credentials,
            observer: None,
        })
    }

    /// Calls `observer` with each request line before the request is sent.
    pub fn observing_requests(self, observer: RequestObserver) -> Self {
        HttpConnect {
            observer: Some(observer),
            ..self
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, ConnectError> {
        let request = format!("{method} {path}");
        if let Some(observer) = &self.observer {
            observer(&request);
        }
        let mut builder = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("accept", "application/json");
        if let Some((user, password)) = &self.credentials.basic {
            builder = builder.basic_auth(user, Some(password.expose()));
        }
        if let Some(body) = body {
            builder = builder.json(&body);
        }
        let response = builder
            .send()
            .await
            .map_err(|e| transport_error(&request, &e))?;
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| transport_error(&request, &e))?;
        if status >= 400 {
            let message = serde_json::from_slice::<Value>(&bytes)
                .ok()
                .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_else(|| truncate(&String::from_utf8_lossy(&bytes), 500));
            return Err(ConnectError::from_response(request, status, message));
        }
        if bytes.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes).map_err(|e| ConnectError {
            kind: ErrorKind::Other,
            request,
            status: Some(status),
            message: format!("response is not JSON: {e}"),
        })
    }
}

/// A request that got no HTTP answer. A client-side timeout is treated like Connect's own
/// "Request timed out": the write may have landed, so the caller re-reads before retrying.
fn transport_error(request: &str, e: &reqwest::Error) -> ConnectError {
    let mut err = ConnectError::unreachable(request.to_owned(), without_url(e));
    if e.is_timeout() {
        err.kind = ErrorKind::TimedOut;
    }
    err
}

/// reqwest errors name the URL; ours are already named by the request line.
fn without_url(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    if let Some(url) = e.url() {
        text = text
            .replace(&format!(" ({url})"), "")
            .replace(url.as_str(), "");
    }
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

impl ConnectApi for HttpConnect {
    async fn server_info(&self) -> Result<Value, ConnectError> {
        self.send(Method::GET, "/", None).await
    }

    async fn connectors_expanded(&self) -> Result<Value, ConnectError> {
        self.send(Method::GET, "/connectors?expand=info&expand=status", None)
            .await
    }

    async fn connector_statuses(&self) -> Result<Value, ConnectError> {
        self.send(Method::GET, "/connectors?expand=status", None)
            .await
    }

    async fn connector_config(&self, name: &str) -> Result<Value, ConnectError> {
        let path = format!("/connectors/{}/config", segment(&Method::GET, name)?);
        self.send(Method::GET, &path, None).await
    }

    async fn put_config(&self, name: &str, config: &ConnectorConfig) -> Result<(), ConnectError> {
        let body = serde_json::to_value(config).unwrap_or_default();
        let path = format!("/connectors/{}/config", segment(&Method::PUT, name)?);
        self.send(Method::PUT, &path, Some(body)).await.map(drop)
    }

    async fn create(
        &self,
        name: &str,
        config: &ConnectorConfig,
        initial_state: TargetState,
    ) -> Result<(), ConnectError> {
        // The name travels in the body here, but every later request puts it in a path.
        segment(&Method::POST, name)?;
        let body =
            json!({"name": name, "config": config, "initial_state": initial_state.as_connect()});
        self.send(Method::POST, "/connectors", Some(body))
            .await
            .map(drop)
    }

    async fn set_state(&self, name: &str, op: StateOp) -> Result<(), ConnectError> {
        let path = format!(
            "/connectors/{}/{}",
            segment(&Method::PUT, name)?,
            op.path_segment()
        );
        self.send(Method::PUT, &path, None).await.map(drop)
    }

    async fn delete(&self, name: &str) -> Result<(), ConnectError> {
        let path = format!("/connectors/{}", segment(&Method::DELETE, name)?);
        self.send(Method::DELETE, &path, None).await.map(drop)
    }

    async fn restart_failed(&self, name: &str) -> Result<(), ConnectError> {
        let path = format!(
            "/connectors/{}/restart?includeTasks=true&onlyFailed=true",
            segment(&Method::POST, name)?
        );
        self.send(Method::POST, &path, None).await.map(drop)
    }

    async fn validate(&self, class: &str, config: &ConnectorConfig) -> Result<Value, ConnectError> {
        let path = format!(
            "/connector-plugins/{}/config/validate",
            segment(&Method::PUT, class)?
        );
        let body = serde_json::to_value(config).unwrap_or_default();
        self.send(Method::PUT, &path, Some(body)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_encoded_as_one_path_segment() {
        let segment = |s| segment(&Method::GET, s).unwrap();
        assert_eq!(segment("orders cdc/../x?y"), "orders%20cdc%2F..%2Fx%3Fy");
        assert_eq!(
            segment("io.debezium.Pg_Connector-2"),
            "io.debezium.Pg_Connector-2"
        );
        assert_eq!(segment("..."), "...", "only `.` and `..` are dot segments");
    }

    /// `DELETE /connectors/..` would be sent as `DELETE /` (the URL parser resolves `..`, and
    /// `%2E%2E` alike), whose 404 a prune counts as "already gone": refused before sending.
    #[tokio::test]
    async fn dot_segment_names_are_refused_without_a_request() {
        let seen = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let record = seen.clone();
        let api = HttpConnect::new(
            "http://127.0.0.1:9",
            ConnectCredentials::default(),
            Duration::from_secs(1),
        )
        .unwrap()
        .observing_requests(Arc::new(move |r: &str| {
            record.lock().unwrap().push(r.to_owned())
        }));
        let config = ConnectorConfig::default();
        for name in [".", ".."] {
            let errors = [
                api.delete(name).await.unwrap_err(),
                api.connector_config(name).await.unwrap_err(),
                api.put_config(name, &config).await.unwrap_err(),
                api.create(name, &config, TargetState::Running)
                    .await
                    .unwrap_err(),
                api.set_state(name, StateOp::Pause).await.unwrap_err(),
                api.restart_failed(name).await.unwrap_err(),
            ];
            for err in errors {
                assert_eq!(err.kind, ErrorKind::Invalid, "{err}");
                assert!(!err.kind.is_retryable());
                assert!(err.message.contains("no request was sent"), "{err}");
            }
        }
        assert!(
            seen.lock().unwrap().is_empty(),
            "{:?}",
            seen.lock().unwrap()
        );
    }

    #[tokio::test]
    async fn an_unreachable_worker_is_a_retryable_error_naming_the_request() {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = seen.clone();
        let api = HttpConnect::new(
            "http://127.0.0.1:9",
            ConnectCredentials::default(),
            Duration::from_secs(5),
        )
        .unwrap()
        .observing_requests(Arc::new(move |r: &str| {
            record.lock().unwrap().push(r.to_owned())
        }));
        let err = api.server_info().await.unwrap_err();
        assert!(err.kind.is_retryable(), "{err:?}");
        assert!(err.to_string().starts_with("GET /: "), "{err}");
        assert_eq!(*seen.lock().unwrap(), ["GET /"]);
        assert!(HttpConnect::new(
            "ftp://x",
            ConnectCredentials::default(),
            Duration::from_secs(1)
        )
        .is_err());
    }
}
