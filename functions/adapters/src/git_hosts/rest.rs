//! What the REST clients of the git hosts (GitHub, GitLab, Bitbucket) share: one reqwest client
//! (timeouts, no redirects), the token sent only to the configured API's origin, answers read in
//! their documented shapes, and (GitLab, Bitbucket) non-2xx answers as the port's errors (rate
//! limits and 5xx retryable, the rest final). The token never reaches an error message or a log.

use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use reqwest::header::HeaderMap;
use reqwest::{Client, StatusCode, Url};
use switchyard_core::git_hosts::access::GitHubAccess;
use switchyard_core::ports::ObserveError;
use switchyard_core::secret::Secret;
use switchyard_core::text::truncate;

/// A host client that cannot be set up (a bad API URL, no TLS backend): a configuration error.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the git host client: {0}")]
pub struct ClientError(pub(crate) String);

/// Path-segment encoding: everything but unreserved characters (git allows `#`, `?`, `%` and
/// more in branch names, and GitLab's project ids are `group%2Fproject`).
pub const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A host's REST API: its base URL and token.
pub struct RestApi {
    /// For messages: `GitHub`, `GitLab`, `Bitbucket`.
    pub host: &'static str,
    base: Url,
    token: Secret,
    client: Client,
    /// Headers every request carries (GitHub's media type and API version).
    headers: &'static [(&'static str, &'static str)],
}

/// An answer: status, headers and body.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl RestApi {
    pub fn new(
        host: &'static str,
        url_var: &str,
        access: &GitHubAccess,
        headers: &'static [(&'static str, &'static str)],
    ) -> Result<Self, ClientError> {
        let base = Url::parse(&format!("{}/", access.api_url))
            .map_err(|e| ClientError(format!("{url_var} {:?}: {e}", access.api_url)))?;
        let client = Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            // A redirect is not the branch asked about, and would take the token elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("switchyard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError(e.to_string()))?;
        Ok(RestApi {
            host,
            base,
            token: access.token.clone(),
            client,
            headers,
        })
    }

    /// `path` (already encoded) under the API's base URL.
    pub fn url(&self, operation: &'static str, path: &str) -> Result<Url, ObserveError> {
        self.base.join(path).map_err(|e| ObserveError {
            operation,
            message: format!("cannot build the {} URL {path:?}: {e}", self.host),
            retryable: false,
        })
    }

    /// A `next` page is followed only on the API's own origin: the token goes nowhere else.
    pub fn same_origin(&self, operation: &'static str, next: &str) -> Result<Url, ObserveError> {
        let url = Url::parse(next).map_err(|e| ObserveError {
            operation,
            message: format!("{}'s next page URL is invalid: {e}", self.host),
            retryable: false,
        })?;
        if url.origin() != self.base.origin() {
            return Err(ObserveError {
                operation,
                message: format!(
                    "{}'s next page points to another origin ({}); refusing to send the token there",
                    self.host,
                    url.origin().ascii_serialization()
                ),
                retryable: false,
            });
        }
        Ok(url)
    }

    pub async fn get(&self, operation: &'static str, url: Url) -> Result<Answer, ObserveError> {
        let host = self.host;
        let mut request = self.client.get(url).bearer_auth(self.token.expose());
        for (name, value) in self.headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.map_err(|e| ObserveError {
            operation,
            message: format!("{host} did not answer: {}", e.without_url()),
            retryable: true,
        })?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(|e| ObserveError {
            operation,
            message: format!("{host}'s answer was cut off: {}", e.without_url()),
            retryable: true,
        })?;
        Ok(Answer {
            status,
            headers,
            body: body.to_vec(),
        })
    }

    pub fn parse<T: serde::de::DeserializeOwned>(
        &self,
        operation: &'static str,
        body: &[u8],
    ) -> Result<T, ObserveError> {
        serde_json::from_slice(body).map_err(|e| ObserveError {
            operation,
            message: format!("{}'s answer is not in the documented shape: {e}", self.host),
            retryable: false,
        })
    }

    /// A non-2xx answer as an observation error: 429 (and any answer with `Retry-After`) and
    /// 5xx are retryable; 401, 403 and 404 (a repository the token cannot see) are final.
    pub fn answer_error(
        &self,
        operation: &'static str,
        repository: &str,
        answer: &Answer,
    ) -> ObserveError {
        let body = String::from_utf8_lossy(&answer.body);
        let message = truncate(&body, 300);
        let status = answer.status;
        let rate_limited =
            status == StatusCode::TOO_MANY_REQUESTS || answer.headers.contains_key("retry-after");
        ObserveError {
            operation,
            message: if rate_limited {
                format!(
                    "{repository}: {} rate limit reached ({status}: {message})",
                    self.host
                )
            } else {
                format!("{repository}: {} answered {status}: {message}", self.host)
            },
            retryable: rate_limited || status.is_server_error(),
        }
    }
}
