//! The Kafka admin protocol, through rdkafka (librdkafka, statically linked): [`connection`]
//! turns a cluster's [`BrokersConfig`](switchyard_core::kafka_sync::brokers::BrokersConfig) into
//! an admin client.

pub mod connection;

pub use connection::{admin_client, connection_failure, KafkaAdmin, KafkaContext, SaslCredentials};
