//! SASL/OAUTHBEARER logins for the admin client: a [`TokenSource`] makes the token (in
//! production the MSK IAM signer, [`super::msk_iam::MskIamTokens`]), and [`OAuthLogin`] sets it
//! on the client through `switchyard_kafka_oauth` before each admin request that finds it missing
//! or about to expire.
//!
//! Why before each request and not on librdkafka's refresh event: rdkafka 0.39's `AdminClient`
//! never serves that event (fede1024/rust-rdkafka#757, see the `switchyard-kafka-oauth` crate).
//! Why not on a timer: a Lambda's process is frozen between invocations, so a timer would fire
//! after the first request of the next invocation had already tried an expired token; checking
//! before each request refreshes at every invocation's start and, during a long `switchyard kafka
//! apply`, whenever one comes after the refresh margin.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rdkafka::client::{Client, ClientContext};
use switchyard_core::secret::Secret;
use tokio::sync::Mutex;

/// A token, when it expires and whose it is. `Debug` never shows the value: it is a bearer
/// credential (an MSK IAM token is a presigned request anyone holding it may replay).
#[derive(Clone)]
pub struct OAuthToken {
    pub value: Secret,
    /// Milliseconds since the Unix epoch.
    pub expires_at_ms: i64,
    /// The principal name librdkafka keeps beside the token.
    pub principal: String,
}

impl fmt::Debug for OAuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthToken")
            .field("value", &self.value)
            .field("expires_at_ms", &self.expires_at_ms)
            .field("principal", &self.principal)
            .finish()
    }
}

/// Why no token could be made or set (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TokenError {
    pub message: String,
    /// A retry may succeed (a credentials endpoint that timed out), as opposed to missing
    /// credentials or a refused token, which need a person.
    pub retriable: bool,
}

impl TokenError {
    pub fn new(message: impl Into<String>, retriable: bool) -> Self {
        TokenError {
            message: message.into(),
            retriable,
        }
    }
}

pub type TokenFuture<'a> =
    Pin<Box<dyn Future<Output = Result<OAuthToken, TokenError>> + Send + 'a>>;

/// Makes OAUTHBEARER tokens.
pub trait TokenSource: Send + Sync {
    /// A fresh token.
    fn token(&self) -> TokenFuture<'_>;
    /// What the tokens are, for errors (e.g. `MSK IAM token for eu-west-1`).
    fn describe(&self) -> String;
}

/// A token is replaced once less than this is left of it: more than an admin request with its
/// retries takes, and less than MSK IAM's 15-minute lifetime, so a long run refreshes about every
/// ten minutes.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// One client's OAUTHBEARER login: the source and the token last set.
pub struct OAuthLogin {
    source: Arc<dyn TokenSource>,
    current: Mutex<Option<OAuthToken>>,
}

impl OAuthLogin {
    pub fn new(source: Arc<dyn TokenSource>) -> Self {
        OAuthLogin {
            source,
            current: Mutex::new(None),
        }
    }

    /// Makes sure `client` has a token with at least [`REFRESH_MARGIN`] left, making and setting
    /// a new one if not. Concurrent callers wait for one refresh.
    pub async fn refresh_if_due<C: ClientContext>(
        &self,
        client: &Client<C>,
    ) -> Result<(), TokenError> {
        let mut current = self.current.lock().await;
        let due = now_ms() + i64::try_from(REFRESH_MARGIN.as_millis()).unwrap_or(i64::MAX);
        if current.as_ref().is_some_and(|t| t.expires_at_ms > due) {
            return Ok(());
        }
        let what = self.source.describe();
        let token = self.source.token().await.map_err(|e| TokenError {
            message: format!("cannot make the {what}: {}", e.message),
            retriable: e.retriable,
        })?;
        switchyard_kafka_oauth::set_oauth_token(
            client,
            token.value.expose(),
            token.expires_at_ms,
            &token.principal,
        )
        .map_err(|e| TokenError::new(format!("librdkafka refused the {what}: {e}"), false))?;
        *current = Some(token);
        Ok(())
    }

    /// The token last set, if any (for a probe connection with the same login).
    pub async fn current(&self) -> Option<OAuthToken> {
        self.current.lock().await.clone()
    }
}

/// Now, in milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use rdkafka::admin::AdminClient;
    use rdkafka::client::DefaultClientContext;
    use rdkafka::config::ClientConfig;

    use super::*;

    /// Tokens that live `lifetime` from when they are made, counted.
    struct Counted {
        lifetime: Duration,
        made: AtomicU32,
    }

    impl TokenSource for Counted {
        fn token(&self) -> TokenFuture<'_> {
            Box::pin(async move {
                let n = self.made.fetch_add(1, Ordering::SeqCst);
                Ok(OAuthToken {
                    value: Secret::new(format!("bearer-secret-{n}")),
                    expires_at_ms: now_ms() + i64::try_from(self.lifetime.as_millis()).unwrap(),
                    principal: "tests".into(),
                })
            })
        }
        fn describe(&self) -> String {
            "test token".into()
        }
    }

    struct Failing;

    impl TokenSource for Failing {
        fn token(&self) -> TokenFuture<'_> {
            Box::pin(async { Err(TokenError::new("no credentials in the chain", false)) })
        }
        fn describe(&self) -> String {
            "MSK IAM token for eu-west-1".into()
        }
    }

    fn oauth_client(mechanism: &str) -> AdminClient<DefaultClientContext> {
        ClientConfig::new()
            .set("bootstrap.servers", "127.0.0.1:1")
            .set("security.protocol", "sasl_plaintext")
            .set("sasl.mechanism", mechanism)
            .set("sasl.username", "u")
            .set("sasl.password", "p")
            .create()
            .unwrap()
    }

    #[tokio::test]
    async fn a_token_is_made_once_and_again_only_within_the_margin() {
        let client = oauth_client("OAUTHBEARER");
        let long = Arc::new(Counted {
            lifetime: Duration::from_secs(900),
            made: AtomicU32::new(0),
        });
        let login = OAuthLogin::new(long.clone());
        for _ in 0..3 {
            login.refresh_if_due(client.inner()).await.unwrap();
        }
        assert_eq!(long.made.load(Ordering::SeqCst), 1);
        // A token with less than the margin left is replaced at every request.
        let short = Arc::new(Counted {
            lifetime: REFRESH_MARGIN - Duration::from_secs(1),
            made: AtomicU32::new(0),
        });
        let login = OAuthLogin::new(short.clone());
        for _ in 0..3 {
            login.refresh_if_due(client.inner()).await.unwrap();
        }
        assert_eq!(short.made.load(Ordering::SeqCst), 3);
        let debug = format!("{:?}", login.current().await.unwrap());
        assert!(!debug.contains("bearer-secret"), "{debug}");
    }

    #[tokio::test]
    async fn failures_say_which_token_and_why_without_it() {
        let client = oauth_client("OAUTHBEARER");
        let err = OAuthLogin::new(Arc::new(Failing))
            .refresh_if_due(client.inner())
            .await
            .unwrap_err();
        assert_eq!(
            err.message,
            "cannot make the MSK IAM token for eu-west-1: no credentials in the chain"
        );
        // A client that does not use OAUTHBEARER refuses the token, in librdkafka's words.
        let plain = oauth_client("PLAIN");
        let err = OAuthLogin::new(Arc::new(Counted {
            lifetime: Duration::from_secs(900),
            made: AtomicU32::new(0),
        }))
        .refresh_if_due(plain.inner())
        .await
        .unwrap_err();
        assert!(
            err.message
                .starts_with("librdkafka refused the test token: SASL/OAUTHBEARER is not")
                && !err.message.contains("bearer-secret")
                && !err.retriable,
            "{err:?}"
        );
    }
}
