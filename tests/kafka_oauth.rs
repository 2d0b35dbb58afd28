//! The SASL/OAUTHBEARER login MSK IAM uses, end to end except for the token: the test broker's
//! OAUTHBEARER listener (`tests/kafka-connect/cluster.sh` exports `KAFKA_OAUTH_BOOTSTRAP_SERVERS`;
//! Kafka's unsecured validator) takes an unsigned JWT, set through `switchyard-kafka-oauth` on the
//! same admin client, plan and writes the Lambda and the CLI use. What MSK checks in the token
//! itself (the SigV4 presigned request) is tests/msk_iam_token.rs.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{future, ProvideCredentials, SharedCredentialsProvider};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rdkafka::error::RDKafkaErrorCode;
use switchyard_adapters::connect::{ConnectCredentials, HttpConnect, TokioClock};
use switchyard_adapters::kafka::oauth::{now_ms, TokenFuture};
use switchyard_adapters::kafka::{
    admin_client, KafkaTopicAdmin, MskIamTokens, OAuthToken, TokenSource,
};
use switchyard_core::kafka_sync::apply::ApplyOptions;
use switchyard_core::kafka_sync::brokers::BrokersConfig;
use switchyard_core::kafka_sync::retry::Backoff;
use switchyard_core::kafka_sync::run::{self, SyncFailure};
use switchyard_core::kafka_sync::topics::diff::TopicOptions;
use switchyard_core::kafka_sync::topics::{AdminErrorKind, NewTopicSpec, TopicAdmin};
use switchyard_core::kafka_sync::{ChangePlan, DiffOptions, ManagedScope, Redactor, SourceFile};
use switchyard_core::secret::Secret;
use switchyard_test_support::connect::{self, ConnectCluster};
use switchyard_test_support::kafka_sync::broker_has_topic;

const CLUSTER: &str = "oauth-tests";

/// Unsigned JWTs (`{"alg":"none"}`) for `sub`, valid `lifetime`: what Kafka's unsecured validator
/// accepts, standing in for MSK IAM tokens (which only MSK validates). Counted. With `claims`
/// replaced, a token the broker refuses.
struct UnsecuredJwt {
    sub: &'static str,
    lifetime: Duration,
    claims: Option<serde_json::Value>,
    made: AtomicU32,
}

impl UnsecuredJwt {
    fn new(sub: &'static str) -> Self {
        UnsecuredJwt {
            sub,
            lifetime: Duration::from_secs(900),
            claims: None,
            made: AtomicU32::new(0),
        }
    }
}

impl TokenSource for UnsecuredJwt {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(async move {
            self.made.fetch_add(1, Ordering::SeqCst);
            let now = now_ms();
            let expires_at_ms = now + i64::try_from(self.lifetime.as_millis()).unwrap();
            let claims = self.claims.clone().unwrap_or_else(|| {
                serde_json::json!({"sub": self.sub, "iat": now / 1000, "exp": expires_at_ms / 1000})
            });
            let part = |v: serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
            Ok(OAuthToken {
                value: Secret::new(format!(
                    "{}.{}.",
                    part(serde_json::json!({"alg": "none"})),
                    part(claims)
                )),
                expires_at_ms,
                principal: self.sub.to_owned(),
            })
        })
    }

    fn describe(&self) -> String {
        "unsecured test JWT".into()
    }
}

/// A credential chain that finds nothing (as on a machine without AWS credentials), for the MSK
/// IAM signer.
#[derive(Debug)]
struct NoCredentials;

impl ProvideCredentials for NoCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::ready(Err(CredentialsError::not_loaded(
            "no providers in chain provided credentials",
        )))
    }
}

/// The OAUTHBEARER listener as a cluster's `kafka` block with MSK IAM auth. Without TLS: the
/// test listener is SASL_PLAINTEXT on loopback (a checked config refuses AWS_MSK_IAM without
/// TLS; the client's settings are otherwise MSK's: SASL OAUTHBEARER, the token set by us).
struct OAuthListener {
    connect: &'static ConnectCluster,
    brokers: BrokersConfig,
    plaintext: BrokersConfig,
}

fn oauth_listener(test: &str) -> Option<OAuthListener> {
    let connect = connect::cluster(test)?;
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!("{test}: the test cluster runs but {name} is not set; restart it with tests/kafka-connect/cluster.sh start")
        })
    };
    let brokers = serde_json::from_value(serde_json::json!({
        "bootstrap_servers": [var("KAFKA_OAUTH_BOOTSTRAP_SERVERS")],
        "auth": {"mechanism": "AWS_MSK_IAM", "region": "eu-west-1"},
        "managed_topic_prefixes": ["sy-oauth-"],
    }))
    .unwrap();
    let plaintext = serde_json::from_value(serde_json::json!({
        "bootstrap_servers": [var("KAFKA_BOOTSTRAP_SERVERS")],
    }))
    .unwrap();
    Some(OAuthListener {
        connect,
        brokers,
        plaintext,
    })
}

/// A desired state with one topic, `topic`.
fn desired(topic: &str) -> Vec<SourceFile> {
    vec![
        SourceFile {
            path: "environments/oauth.yaml".into(),
            contents: b"team: oauth\n".to_vec(),
        },
        SourceFile {
            path: "topics/oauth.yaml".into(),
            contents: format!(
                "topics:\n  - name: {topic}\n    partitions: 1\n    replication_factor: 1\n"
            )
            .into_bytes(),
        },
    ]
}

/// `switchyard kafka plan` of `desired(topic)` through `admin`, as the CLI runs it.
async fn plan(
    l: &OAuthListener,
    admin: &KafkaTopicAdmin,
    topic: &str,
) -> Result<ChangePlan, SyncFailure> {
    let api = HttpConnect::new(
        &l.connect.url,
        ConnectCredentials::default(),
        Duration::from_secs(30),
    )
    .unwrap();
    let options = DiffOptions {
        scope: ManagedScope::new(vec!["sy-oauth-".to_owned()], []),
        prune: false,
        redactor: Redactor::default(),
        allow_unmanaged_writes: false,
        topics: TopicOptions::for_cluster(CLUSTER, Some(&l.brokers)),
    };
    let apply_options = ApplyOptions {
        concurrency: 1,
        deadline: Duration::from_secs(60),
        backoff: Backoff::default(),
        allow_dangerous: false,
    };
    run::plan_changes(
        &desired(topic),
        "oauth",
        &options,
        false,
        &api,
        Some(admin),
        &TokioClock::start(),
        &apply_options,
    )
    .await
}

fn new_topic(name: &str) -> NewTopicSpec {
    NewTopicSpec {
        name: name.to_owned(),
        partitions: 1,
        replication_factor: Some(1),
        configs: Default::default(),
    }
}

#[tokio::test]
async fn a_token_set_through_the_shim_plans_and_writes_through_the_oauthbearer_listener() {
    let test = "a_token_set_through_the_shim_plans_and_writes_through_the_oauthbearer_listener";
    let Some(l) = oauth_listener(test) else {
        return;
    };
    let topic = connect::unique_name("sy-oauth-ok");
    let tokens = Arc::new(UnsecuredJwt::new("switchyard-tests"));
    let admin =
        KafkaTopicAdmin::connect_with_tokens(&l.brokers, tokens.clone(), Duration::from_secs(10))
            .unwrap();
    // Metadata + DescribeConfigs through the OAUTHBEARER listener: the topic is planned as a
    // create.
    let planned = plan(&l, &admin, &topic).await.expect("plan");
    let names: Vec<_> = planned
        .topics
        .changes
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(names, [topic.as_str()]);
    // And writes go through it, with the same token (made once: 15 minutes is far away).
    admin
        .create_topic(&new_topic(&topic))
        .await
        .expect("CreateTopics through the OAUTHBEARER listener");
    assert!(broker_has_topic(&l.plaintext, &topic));
    admin.delete_topic(&topic).await.unwrap();
    assert_eq!(tokens.made.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_admin_client_waits_for_a_token_and_proceeds_once_the_shim_sets_one() {
    let test = "an_admin_client_waits_for_a_token_and_proceeds_once_the_shim_sets_one";
    let Some(l) = oauth_listener(test) else {
        return;
    };
    let admin = admin_client(&l.brokers, None).unwrap();
    // No token: librdkafka does not log in ("OAUTHBEARER cannot log in because there is no
    // token available", on the main queue the admin client does not poll), and the request fails.
    let waiting = admin
        .inner()
        .fetch_metadata(None, Duration::from_secs(3))
        .map(|_| ())
        .unwrap_err();
    assert!(
        matches!(
            waiting.rdkafka_error_code(),
            Some(RDKafkaErrorCode::BrokerTransportFailure | RDKafkaErrorCode::OperationTimedOut)
        ),
        "without a token: {waiting}"
    );
    let token = UnsecuredJwt::new("switchyard-tests").token().await.unwrap();
    switchyard_kafka_oauth::set_oauth_token(
        admin.inner(),
        token.value.expose(),
        token.expires_at_ms,
        &token.principal,
    )
    .unwrap();
    let metadata = admin
        .inner()
        .fetch_metadata(None, Duration::from_secs(10))
        .expect("metadata once the token is set");
    assert_eq!(metadata.brokers().len(), 1);
}

#[tokio::test]
async fn no_aws_credentials_fail_the_plan_naming_the_cluster_and_write_nothing() {
    let test = "no_aws_credentials_fail_the_plan_naming_the_cluster_and_write_nothing";
    let Some(l) = oauth_listener(test) else {
        return;
    };
    let topic = connect::unique_name("sy-oauth-none");
    let tokens = MskIamTokens::new("eu-west-1", SharedCredentialsProvider::new(NoCredentials));
    let admin =
        KafkaTopicAdmin::connect_with_tokens(&l.brokers, Arc::new(tokens), Duration::from_secs(5))
            .unwrap();
    let failure = plan(&l, &admin, &topic).await.unwrap_err();
    let SyncFailure::ReadTopics { cluster, error } = &failure else {
        panic!("expected a failure to read the topics, got {failure}");
    };
    assert_eq!(cluster, CLUSTER);
    assert_eq!(error.kind, AdminErrorKind::Unauthorized, "{failure}");
    assert!(!failure.is_retryable());
    let message = failure.to_string();
    assert!(
        message.contains(&format!("cluster {CLUSTER:?}"))
            && message.contains("cannot make the MSK IAM token for eu-west-1: no AWS credentials (the credential provider was not enabled: no providers in chain provided credentials"),
        "{message}"
    );
    // Nothing is sent without a token: the write fails the same way, and nothing lands.
    let write = admin.create_topic(&new_topic(&topic)).await.unwrap_err();
    assert_eq!(write.kind, AdminErrorKind::Unauthorized, "{write}");
    assert_eq!(admin.requests(), 0);
    assert!(
        !broker_has_topic(&l.plaintext, &topic),
        "{topic} was created"
    );
}

#[tokio::test]
async fn a_token_the_broker_refuses_is_an_authentication_error_without_the_token() {
    let test = "a_token_the_broker_refuses_is_an_authentication_error_without_the_token";
    let Some(l) = oauth_listener(test) else {
        return;
    };
    let topic = connect::unique_name("sy-oauth-refused");
    // No `sub`: the broker's validator refuses the login (librdkafka cannot tell).
    let refused = Arc::new(UnsecuredJwt {
        claims: Some(serde_json::json!({"iat": now_ms() / 1000, "exp": now_ms() / 1000 + 900})),
        ..UnsecuredJwt::new("switchyard-tests")
    });
    let sent = refused.token().await.unwrap();
    let admin =
        KafkaTopicAdmin::connect_with_tokens(&l.brokers, refused, Duration::from_secs(5)).unwrap();
    let failure = plan(&l, &admin, &topic).await.unwrap_err();
    let SyncFailure::ReadTopics { cluster, error } = &failure else {
        panic!("expected a failure to read the topics, got {failure}");
    };
    assert_eq!(cluster, CLUSTER);
    assert_eq!(error.kind, AdminErrorKind::Unauthorized, "{failure}");
    let message = failure.to_string();
    assert!(
        message.contains(&format!("cluster {CLUSTER:?}"))
            && message.contains("SASL authentication error")
            && message.contains("invalid_token"),
        "{message}"
    );
    // The token's claims part never shows (the header is the same for every unsigned JWT).
    let claims = sent.value.expose().split('.').nth(1).unwrap();
    assert!(!message.contains(claims), "{message}");
    assert!(!broker_has_topic(&l.plaintext, &topic));
}
