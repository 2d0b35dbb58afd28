//! Authentication to the brokers (issue 16), against the test broker's SASL/SCRAM-SHA-512
//! listener (`tests/kafka-connect/cluster.sh` creates its user at format time and exports
//! `KAFKA_SASL_BOOTSTRAP_SERVERS`, `KAFKA_SASL_USERNAME`, `KAFKA_SASL_PASSWORD`), through the one
//! client builder the Lambda and the CLI use (`adapters::kafka::admin_client`).

use std::time::Duration;

use rdkafka::admin::{AdminOptions, NewTopic, TopicReplication};
use switchyard_adapters::kafka::{admin_client, connection_failure, SaslCredentials};
use switchyard_core::kafka_sync::brokers::BrokersConfig;
use switchyard_core::secret::Secret;
use switchyard_test_support::connect;

/// The SCRAM listener as a cluster's `kafka` block, its credentials, and the plaintext listener
/// (to look at the broker without authenticating).
struct SaslListener {
    brokers: BrokersConfig,
    credentials: SaslCredentials,
    plaintext: BrokersConfig,
}

fn sasl_listener(test: &str) -> Option<SaslListener> {
    connect::cluster(test)?;
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!("{test}: the test cluster runs but {name} is not set; restart it with tests/kafka-connect/cluster.sh start")
        })
    };
    let brokers = serde_json::from_value(serde_json::json!({
        "bootstrap_servers": [var("KAFKA_SASL_BOOTSTRAP_SERVERS")],
        "auth": {"mechanism": "SCRAM-SHA-512", "secret_id": "kafka/tests"},
    }))
    .unwrap();
    let plaintext = serde_json::from_value(serde_json::json!({
        "bootstrap_servers": [var("KAFKA_BOOTSTRAP_SERVERS")],
    }))
    .unwrap();
    Some(SaslListener {
        brokers,
        credentials: SaslCredentials {
            username: var("KAFKA_SASL_USERNAME"),
            password: Secret::new(var("KAFKA_SASL_PASSWORD")),
            ca_pem: None,
        },
        plaintext,
    })
}

fn options() -> AdminOptions {
    AdminOptions::new().request_timeout(Some(Duration::from_secs(10)))
}

/// Whether the broker has `topic`, asked through the plaintext listener.
fn broker_has_topic(plaintext: &BrokersConfig, topic: &str) -> bool {
    let admin = admin_client(plaintext, None).unwrap();
    let metadata = admin
        .inner()
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .expect("metadata from the plaintext listener");
    metadata
        .topics()
        .iter()
        .any(|t| t.name() == topic && t.error().is_none())
}

#[tokio::test]
async fn scram_sha_512_login_creates_a_topic_through_the_sasl_listener() {
    let Some(l) = sasl_listener("scram_sha_512_login_creates_a_topic_through_the_sasl_listener")
    else {
        return;
    };
    let topic = connect::unique_name("sy-auth-ok");
    let admin = admin_client(&l.brokers, Some(&l.credentials)).unwrap();
    let created = admin
        .create_topics(
            &[NewTopic::new(&topic, 1, TopicReplication::Fixed(1))],
            &options(),
        )
        .await
        .expect("CreateTopics through the SCRAM listener");
    assert_eq!(created, vec![Ok(topic.clone())]);
    assert!(broker_has_topic(&l.plaintext, &topic));
    assert_eq!(
        connection_failure(&l.brokers, Some(&l.credentials), Duration::from_secs(10)),
        None
    );
    admin.delete_topics(&[&topic], &options()).await.unwrap();
}

#[tokio::test]
async fn a_wrong_password_is_an_authentication_error_and_writes_nothing() {
    let Some(l) = sasl_listener("a_wrong_password_is_an_authentication_error_and_writes_nothing")
    else {
        return;
    };
    let topic = connect::unique_name("sy-auth-refused");
    let wrong = SaslCredentials {
        password: Secret::new("not-the-password-7f3a"),
        ..l.credentials.clone()
    };
    let admin = admin_client(&l.brokers, Some(&wrong)).unwrap();
    let attempt = admin
        .create_topics(
            &[NewTopic::new(&topic, 1, TopicReplication::Fixed(1))],
            &options(),
        )
        .await;
    // All the admin request can say is that it timed out (see `connection_failure`)…
    assert!(attempt.is_err(), "{attempt:?}");
    // …and the probe says why, without the password.
    let why = connection_failure(&l.brokers, Some(&wrong), Duration::from_secs(10))
        .expect("a refused login is a connection failure");
    assert!(
        why.contains("SASL authentication error") && why.contains("invalid credentials"),
        "{why}"
    );
    assert!(!why.contains("not-the-password-7f3a"), "{why}");
    assert!(
        !broker_has_topic(&l.plaintext, &topic),
        "{topic} was created"
    );
}
