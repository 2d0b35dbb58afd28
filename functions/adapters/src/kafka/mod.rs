//! The Kafka admin protocol, through rdkafka (librdkafka, statically linked): [`connection`]
//! turns a cluster's [`BrokersConfig`](switchyard_core::kafka_sync::brokers::BrokersConfig) into
//! an admin client; [`admin`] is the topic admin port over it, with its request counter.

pub mod admin;
pub mod connection;

pub use admin::KafkaTopicAdmin;
pub use connection::{
    admin_client, connection_failure, ConnectionFailure, KafkaAdmin, KafkaContext, SaslCredentials,
};
