//! The Kafka admin protocol, through rdkafka (librdkafka, statically linked): [`connection`]
//! turns a cluster's [`BrokersConfig`](switchyard_core::kafka_sync::brokers::BrokersConfig) into
//! an admin client; [`admin`] is the topic admin port over it, with its request counter;
//! [`oauth`] keeps a SASL/OAUTHBEARER login's token set, [`msk_iam`] makes Amazon MSK IAM tokens.

pub mod admin;
pub mod connection;
pub mod msk_iam;
pub mod oauth;

pub use admin::KafkaTopicAdmin;
pub use connection::{
    admin_client, connection_failure, ConnectionFailure, KafkaAdmin, KafkaContext, SaslCredentials,
};
pub use msk_iam::MskIamTokens;
pub use oauth::{OAuthLogin, OAuthToken, TokenError, TokenSource};
