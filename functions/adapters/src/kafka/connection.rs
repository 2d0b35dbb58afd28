//! One admin client per cluster, built from its brokers' configuration: the one place a Kafka
//! client is configured (bootstrap servers, TLS, SASL).

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use rdkafka::admin::AdminClient;
use rdkafka::client::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, DeliveryResult, Producer, ProducerContext};
use switchyard_core::kafka_sync::brokers::{BrokerAuth, BrokersConfig};
use switchyard_core::secret::Secret;

use super::oauth::OAuthToken;
use crate::connect::credentials::{ConnectCredentials, CredentialsError};

/// The client's context: where librdkafka's callbacks land.
#[derive(Debug, Default)]
pub struct KafkaContext;

impl ClientContext for KafkaContext {}

pub type KafkaAdmin = AdminClient<KafkaContext>;

/// What the brokers' secret holds: the SASL login (SCRAM or PLAIN) and, optionally, the brokers'
/// private CA. Never logged: `Debug` shows the username and which parts are present.
#[derive(Clone)]
pub struct SaslCredentials {
    pub username: String,
    pub password: Secret,
    /// Extra trusted CA certificate(s), PEM, for brokers behind a private CA.
    pub ca_pem: Option<String>,
}

impl fmt::Debug for SaslCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SaslCredentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("ca_pem", &self.ca_pem.is_some())
            .finish()
    }
}

impl SaslCredentials {
    /// From a secret of the Connect credentials' shape: username and password are required, a
    /// client certificate is refused (the brokers' mutual TLS is not supported).
    pub fn from_secret(
        source_name: &str,
        secret: ConnectCredentials,
    ) -> Result<Self, CredentialsError> {
        let err = |message: &str| CredentialsError {
            source_name: source_name.to_owned(),
            message: message.to_owned(),
        };
        if secret.client_identity_pem.is_some() {
            return Err(err(
                "client_cert_pem / client_key_pem are not supported for Kafka brokers; give username and password",
            ));
        }
        let (username, password) = secret
            .basic
            .ok_or_else(|| err("SASL needs username and password"))?;
        Ok(SaslCredentials {
            username,
            password,
            ca_pem: secret.ca_pem,
        })
    }

    /// The secret `brokers.auth` names, read from Secrets Manager (at cold start); `None` when
    /// the brokers take no SASL login.
    pub async fn for_brokers(
        secrets: &aws_sdk_secretsmanager::Client,
        brokers: &BrokersConfig,
    ) -> Result<Option<Self>, CredentialsError> {
        let Some(secret_id) = brokers.secret_id() else {
            return Ok(None);
        };
        let secret = ConnectCredentials::from_secrets_manager(secrets, secret_id).await?;
        Self::from_secret(&format!("secret {secret_id:?}"), secret).map(Some)
    }
}

/// An admin client for `brokers`, authenticating with `credentials` when the brokers' auth is
/// SASL. Nothing is sent until the first request.
pub fn admin_client(
    brokers: &BrokersConfig,
    credentials: Option<&SaslCredentials>,
) -> Result<KafkaAdmin, KafkaError> {
    client_config(brokers, credentials)?.create_with_context(KafkaContext)
}

/// Why requests to a cluster's brokers fail, as librdkafka reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionFailure {
    /// The brokers refused the login (wrong password, unknown user, wrong mechanism).
    pub authentication: bool,
    /// librdkafka's words; never the password.
    pub message: String,
}

/// Why requests to `brokers` fail, in librdkafka's words about a fresh connection: a refused
/// login (`SASL authentication error: … invalid credentials …`), a TLS failure, a name that does
/// not resolve. `None` when a metadata request succeeds within `within`.
///
/// An admin request cannot say it: librdkafka reports such failures as error events on the
/// client's main queue, which rdkafka 0.39's `AdminClient` never polls, so the request itself
/// only times out. Call this (blocking, up to `within`) when one did; a producer client, which
/// does poll its main queue, connects with the same settings and listens. It sends no write.
/// With an OAUTHBEARER login (MSK IAM), `token` is the one the admin client has.
pub fn connection_failure(
    brokers: &BrokersConfig,
    credentials: Option<&SaslCredentials>,
    token: Option<&OAuthToken>,
    within: Duration,
) -> Option<ConnectionFailure> {
    let failure = |error: &KafkaError, message: String| ConnectionFailure {
        authentication: matches!(
            error.rdkafka_error_code(),
            Some(RDKafkaErrorCode::Authentication | RDKafkaErrorCode::SaslAuthenticationFailed)
        ),
        message,
    };
    let probe: BaseProducer<FirstError> = match client_config(brokers, credentials)
        .and_then(|c| c.create_with_context(FirstError::default()))
    {
        Ok(probe) => probe,
        Err(e) => return Some(failure(&e, e.to_string())),
    };
    if let Some(token) = token {
        if let Err(message) = switchyard_kafka_oauth::set_oauth_token(
            probe.client(),
            token.value.expose(),
            token.expires_at_ms,
            &token.principal,
        ) {
            return Some(ConnectionFailure {
                authentication: true,
                message,
            });
        }
    }
    let metadata = probe.client().fetch_metadata(None, within);
    // Serve the error events the connection attempts queued (poll serves events until the
    // timeout is over).
    probe.poll(Duration::from_millis(200));
    let first = probe.context().0.lock().ok()?.take();
    match (metadata, first) {
        (Ok(_), _) => None,
        (Err(_), Some((error, reason))) => Some(failure(&error, reason)),
        (Err(e), None) => Some(failure(&e, e.to_string())),
    }
}

/// The probe's context: keeps the first error librdkafka reports, with its reason.
#[derive(Default)]
struct FirstError(Mutex<Option<(KafkaError, String)>>);

impl ClientContext for FirstError {
    fn error(&self, error: KafkaError, reason: &str) {
        if let Ok(mut first) = self.0.lock() {
            first.get_or_insert_with(|| (error, reason.to_owned()));
        }
    }
}

impl ProducerContext for FirstError {
    type DeliveryOpaque = ();
    fn delivery(&self, _: &DeliveryResult<'_>, _: ()) {}
}

/// The librdkafka settings for `brokers` (see librdkafka's CONFIGURATION.md).
fn client_config(
    brokers: &BrokersConfig,
    credentials: Option<&SaslCredentials>,
) -> Result<ClientConfig, KafkaError> {
    let refused = |why: &str| KafkaError::ClientCreation(why.to_owned());
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", brokers.bootstrap_servers.join(","))
        // What the brokers' request logs and quotas see.
        .set("client.id", "switchyard");
    let sasl = match &brokers.auth {
        None => None,
        Some(BrokerAuth::MskIam { .. }) => return Ok(oauthbearer(config, brokers.tls)),
        Some(auth) => {
            let credentials = credentials.ok_or_else(|| {
                refused(&format!(
                    "SASL {} needs the username and password of auth.secret_id",
                    auth.mechanism()
                ))
            })?;
            Some((auth.mechanism(), credentials))
        }
    };
    let protocol = match (brokers.tls, sasl.is_some()) {
        (false, false) => "plaintext",
        (true, false) => "ssl",
        (false, true) => "sasl_plaintext",
        (true, true) => "sasl_ssl",
    };
    config.set("security.protocol", protocol);
    if let Some((mechanism, credentials)) = sasl {
        config
            .set("sasl.mechanism", mechanism)
            .set("sasl.username", &credentials.username)
            .set("sasl.password", credentials.password.expose());
        if let Some(ca_pem) = &credentials.ca_pem {
            // Without it, the statically linked OpenSSL probes the system's CA bundle paths
            // (on Lambda: /etc/pki/tls/certs/ca-bundle.crt).
            config.set("ssl.ca.pem", ca_pem);
        }
    }
    Ok(config)
}

/// SASL/OAUTHBEARER with tokens the application sets (`oauth::OAuthLogin`, for MSK IAM), over TLS
/// when `tls` (always, for a checked MSK IAM config). Neither of librdkafka's own token makers:
/// no `enable.sasl.oauthbearer.unsecure.jwt` (unsigned test tokens) and no
/// `sasl.oauthbearer.method=oidc` (an OIDC client); with neither and no refresh callback,
/// librdkafka holds every connection until `rd_kafka_oauthbearer_set_token` gives it a token.
fn oauthbearer(mut config: ClientConfig, tls: bool) -> ClientConfig {
    config
        .set(
            "security.protocol",
            if tls { "sasl_ssl" } else { "sasl_plaintext" },
        )
        .set("sasl.mechanism", "OAUTHBEARER");
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brokers(json: &str) -> BrokersConfig {
        serde_json::from_str(json).unwrap()
    }

    fn credentials() -> SaslCredentials {
        SaslCredentials {
            username: "sync".into(),
            password: Secret::new("hunter2-pw"),
            ca_pem: Some("-----BEGIN CERTIFICATE-----".into()),
        }
    }

    fn setting<'a>(config: &'a ClientConfig, key: &str) -> Option<&'a str> {
        config.get(key)
    }

    #[test]
    fn security_protocol_follows_tls_and_sasl() {
        let scram = r#""auth": {"mechanism": "SCRAM-SHA-512", "secret_id": "k"}"#;
        let cases = [
            (r#"{"bootstrap_servers": ["a:1"]}"#.to_owned(), "plaintext", None),
            (
                r#"{"bootstrap_servers": ["a:1"], "tls": true}"#.to_owned(),
                "ssl",
                None,
            ),
            (
                format!(r#"{{"bootstrap_servers": ["a:1", "b:2"], {scram}}}"#),
                "sasl_plaintext",
                Some("SCRAM-SHA-512"),
            ),
            (
                r#"{"bootstrap_servers": ["a:1"], "tls": true, "auth": {"mechanism": "PLAIN", "secret_id": "k"}}"#
                    .to_owned(),
                "sasl_ssl",
                Some("PLAIN"),
            ),
        ];
        let creds = credentials();
        for (json, protocol, mechanism) in cases {
            let b = brokers(&json);
            let config = client_config(&b, Some(&creds)).unwrap();
            assert_eq!(
                setting(&config, "security.protocol"),
                Some(protocol),
                "{json}"
            );
            assert_eq!(setting(&config, "sasl.mechanism"), mechanism, "{json}");
            assert_eq!(
                setting(&config, "sasl.password").is_some(),
                mechanism.is_some()
            );
            assert_eq!(
                setting(&config, "ssl.ca.pem").is_some(),
                mechanism.is_some()
            );
        }
        let b = brokers(&format!(
            r#"{{"bootstrap_servers": ["a:1", "b:2"], {scram}}}"#
        ));
        assert_eq!(
            setting(
                &client_config(&b, Some(&creds)).unwrap(),
                "bootstrap.servers"
            ),
            Some("a:1,b:2")
        );
    }

    #[test]
    fn msk_iam_is_oauthbearer_over_tls_with_no_login_and_no_builtin_token() {
        let b = brokers(
            r#"{"bootstrap_servers": ["b-1.msk:9098"], "tls": true, "auth": {"mechanism": "AWS_MSK_IAM", "region": "eu-west-1"}}"#,
        );
        let config = client_config(&b, None).unwrap();
        assert_eq!(setting(&config, "security.protocol"), Some("sasl_ssl"));
        assert_eq!(setting(&config, "sasl.mechanism"), Some("OAUTHBEARER"));
        for unset in [
            "sasl.username",
            "sasl.password",
            "enable.sasl.oauthbearer.unsecure.jwt",
            "sasl.oauthbearer.method",
        ] {
            assert_eq!(setting(&config, unset), None, "{unset}");
        }
        admin_client(&b, None).expect("librdkafka accepts the settings");
    }

    #[test]
    fn sasl_without_credentials_is_refused_and_secrets_never_print() {
        let b = brokers(
            r#"{"bootstrap_servers": ["a:1"], "auth": {"mechanism": "SCRAM-SHA-256", "secret_id": "k"}}"#,
        );
        let err = client_config(&b, None).unwrap_err().to_string();
        assert!(err.contains("SCRAM-SHA-256 needs the username"), "{err}");
        let debug = format!("{:?}", credentials());
        assert!(
            debug.contains("sync") && !debug.contains("hunter2-pw"),
            "{debug}"
        );
    }

    #[test]
    fn the_secret_needs_a_login_and_no_client_certificate() {
        let parse = |json: &str| {
            SaslCredentials::from_secret(
                "secret \"k\"",
                ConnectCredentials::from_secret_json("secret \"k\"", json).unwrap(),
            )
        };
        let ok = parse(r#"{"username": "u", "password": "hunter2-pw", "ca_pem": "CA"}"#).unwrap();
        assert_eq!(
            (
                ok.username.as_str(),
                ok.password.expose(),
                ok.ca_pem.as_deref()
            ),
            ("u", "hunter2-pw", Some("CA"))
        );
        for (json, words) in [
            (r#"{"ca_pem": "CA"}"#, "needs username and password"),
            (
                r#"{"username": "u", "password": "hunter2-pw", "client_cert_pem": "C", "client_key_pem": "K"}"#,
                "not supported",
            ),
        ] {
            let err = parse(json).unwrap_err().to_string();
            assert!(err.contains(words) && err.contains("secret \"k\""), "{err}");
            assert!(!err.contains("hunter2-pw"), "{err}");
        }
    }
}
