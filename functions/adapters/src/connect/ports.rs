//! kafka-sync's ports in the Lambda: one Connect client per configured cluster (credentials
//! from Secrets Manager, read once at cold start), one Kafka admin client per cluster with
//! `kafka` brokers (a SASL login from Secrets Manager, or MSK IAM tokens signed with the
//! function's role), the S3 reader of the desired state, the DynamoDB state store, and the real
//! clock.

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_config::SdkConfig;
use switchyard_core::kafka_sync::brokers::BrokerAuth;
use switchyard_core::kafka_sync::config::KafkaSyncConfig;
use switchyard_core::kafka_sync::ports::ConnectApi;
use switchyard_core::kafka_sync::triggers::ConnectPorts;

use super::{ConnectCredentials, HttpConnect, S3Artifacts, TokioClock};
use crate::aws::kafka_state::DynamoKafkaState;
use crate::kafka::{KafkaTopicAdmin, MskIamTokens, SaslCredentials, TokenError};

pub struct KafkaSyncPorts<A = HttpConnect> {
    pub clusters: BTreeMap<String, A>,
    /// Clusters with `kafka` brokers configured: their admin client.
    pub topic_admins: BTreeMap<String, KafkaTopicAdmin>,
    pub artifacts: S3Artifacts,
    pub store: DynamoKafkaState,
    pub clock: TokioClock,
}

#[derive(Debug, thiserror::Error)]
pub enum PortsError {
    #[error(transparent)]
    Credentials(#[from] super::credentials::CredentialsError),
    #[error(transparent)]
    Client(#[from] super::http::ClientError),
    #[error("KAFKA_CLUSTERS.{cluster}.kafka: {error}")]
    Kafka {
        cluster: String,
        error: rdkafka::error::KafkaError,
    },
    #[error("KAFKA_CLUSTERS.{cluster}.kafka.auth: {error}")]
    MskIam { cluster: String, error: TokenError },
}

impl KafkaSyncPorts {
    /// Every configured cluster's client, its credentials read from Secrets Manager now.
    pub async fn connect(config: &KafkaSyncConfig, sdk: &SdkConfig) -> Result<Self, PortsError> {
        let secrets = aws_sdk_secretsmanager::Client::new(sdk);
        let mut clusters = BTreeMap::new();
        for (name, cluster) in &config.clusters {
            let credentials = match &cluster.credentials_secret_id {
                Some(id) => ConnectCredentials::from_secrets_manager(&secrets, id).await?,
                None => ConnectCredentials::default(),
            };
            let api = HttpConnect::new(&cluster.url, credentials, config.request_timeout)?;
            clusters.insert(name.clone(), api);
        }
        let mut ports = KafkaSyncPorts::with_clusters(clusters, sdk);
        for (name, cluster) in &config.clusters {
            let Some(brokers) = &cluster.kafka else {
                continue;
            };
            let admin = if let Some(BrokerAuth::MskIam { region }) = &brokers.auth {
                // Tokens signed with the function's role, made at each invocation's first
                // request (and again within 5 minutes of their end).
                let tokens = MskIamTokens::from_sdk_config(region, sdk).map_err(|error| {
                    PortsError::MskIam {
                        cluster: name.clone(),
                        error,
                    }
                })?;
                KafkaTopicAdmin::connect_with_tokens(
                    brokers,
                    Arc::new(tokens),
                    config.request_timeout,
                )
            } else {
                // The brokers' login, read now beside the Connect credentials.
                let credentials = SaslCredentials::for_brokers(&secrets, brokers).await?;
                KafkaTopicAdmin::connect(brokers, credentials.as_ref(), config.request_timeout)
            }
            .map_err(|error| PortsError::Kafka {
                cluster: name.clone(),
                error,
            })?;
            ports.topic_admins.insert(name.clone(), admin);
        }
        Ok(ports)
    }
}

impl<A> KafkaSyncPorts<A> {
    pub fn with_clusters(clusters: BTreeMap<String, A>, sdk: &SdkConfig) -> Self {
        KafkaSyncPorts {
            clusters,
            topic_admins: BTreeMap::new(),
            artifacts: S3Artifacts::new(sdk),
            store: DynamoKafkaState::from_sdk(sdk),
            clock: TokioClock::start(),
        }
    }
}

impl<A: ConnectApi + Send> ConnectPorts for KafkaSyncPorts<A> {
    type Api = A;
    type Admin = KafkaTopicAdmin;
    type Artifacts = S3Artifacts;
    type Clock = TokioClock;
    type Store = DynamoKafkaState;

    fn cluster(&self, name: &str) -> Option<&A> {
        self.clusters.get(name)
    }

    fn topic_admin(&self, name: &str) -> Option<&KafkaTopicAdmin> {
        self.topic_admins.get(name)
    }

    fn artifacts(&self) -> &S3Artifacts {
        &self.artifacts
    }

    fn clock(&self) -> &TokioClock {
        &self.clock
    }

    fn store(&self) -> &DynamoKafkaState {
        &self.store
    }
}
