//! One admin client per cluster, built from its brokers' configuration.

use rdkafka::admin::AdminClient;
use rdkafka::client::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::error::KafkaError;
use switchyard_core::kafka_sync::brokers::BrokersConfig;
use switchyard_core::secret::Secret;

/// The client's context: where librdkafka's callbacks land.
#[derive(Debug, Default)]
pub struct KafkaContext;

impl ClientContext for KafkaContext {}

pub type KafkaAdmin = AdminClient<KafkaContext>;

/// SASL username and password (SCRAM or PLAIN), from the secret the cluster's auth names.
#[derive(Clone)]
pub struct SaslCredentials {
    pub username: String,
    pub password: Secret,
}

/// An admin client for `brokers`. Nothing is sent until the first request.
pub fn admin_client(
    brokers: &BrokersConfig,
    _credentials: Option<&SaslCredentials>,
) -> Result<KafkaAdmin, KafkaError> {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", brokers.bootstrap_servers.join(","));
    config.create_with_context(KafkaContext)
}
