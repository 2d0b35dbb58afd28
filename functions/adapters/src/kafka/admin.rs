//! The topic admin port ([`TopicAdmin`]) over rdkafka's `AdminClient` ([`KafkaAdmin`], built by
//! [`super::connection::admin_client`]): one Kafka request per port method, counted
//! ([`KafkaTopicAdmin::requests`]) so a test can show that observing is a fixed number of
//! requests whatever the topic count.
//!
//! - Metadata: one request for every topic (librdkafka's `rd_kafka_metadata` with all topics).
//! - DescribeConfigs: one request for every topic in scope; only entries whose source is
//!   `DYNAMIC_TOPIC_CONFIG` (a topic-level override) are kept, so broker and cluster defaults
//!   never reach a diff.
//! - AlterConfigs: rdkafka 0.39 has no IncrementalAlterConfigs; its `alter_configs` is the
//!   legacy request, which replaces the topic's whole override set, so the caller sends all of
//!   them (keys left out go back to the broker's default).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rdkafka::admin::{
    AdminOptions, AlterConfig, ConfigSource, NewPartitions, NewTopic, OwnedResourceSpecifier,
    ResourceSpecifier, TopicReplication, TopicResult,
};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use switchyard_core::kafka_sync::topics::{
    AdminError, AdminErrorKind, NewTopicSpec, TopicAdmin, TopicMetadata, TopicOverrides,
};

use switchyard_core::kafka_sync::brokers::BrokersConfig;

use super::connection::{admin_client, connection_failure, KafkaAdmin, SaslCredentials};
use super::oauth::{OAuthLogin, TokenSource};

/// Kafka's own internal topics (`org.apache.kafka.common.internals.Topic`): never in a plan.
const INTERNAL_TOPICS: &[&str] = &[
    "__consumer_offsets",
    "__transaction_state",
    "__share_group_state",
];

/// A cluster's admin client with its request counter.
pub struct KafkaTopicAdmin {
    client: Arc<KafkaAdmin>,
    timeout: Duration,
    requests: AtomicU64,
    /// What the client was built from ([`KafkaTopicAdmin::connect`]), to find out why the
    /// brokers do not answer.
    brokers: Option<Arc<(BrokersConfig, Option<SaslCredentials>)>>,
    /// A SASL/OAUTHBEARER login (MSK IAM): its token is made fresh before each request.
    login: Option<OAuthLogin>,
}

/// How long the probe of [`connection_failure`] may take after a failed Metadata request.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

impl KafkaTopicAdmin {
    /// `timeout` bounds each request (and, for writes, the broker's wait for the change).
    pub fn new(client: KafkaAdmin, timeout: Duration) -> Self {
        KafkaTopicAdmin {
            client: Arc::new(client),
            timeout,
            requests: AtomicU64::new(0),
            brokers: None,
            login: None,
        }
    }

    /// The admin client of `brokers` whose auth is SASL/OAUTHBEARER (MSK IAM), logging in with
    /// the tokens of `tokens`: the first is made at the first request, and a new one before any
    /// request that finds less than `oauth::REFRESH_MARGIN` left. A failure to make or set one
    /// fails that request, saying why (no request reaches the brokers without a token); a token
    /// the brokers refuse is `Unauthorized`, as a refused password is.
    pub fn connect_with_tokens(
        brokers: &BrokersConfig,
        tokens: Arc<dyn TokenSource>,
        timeout: Duration,
    ) -> Result<Self, KafkaError> {
        let mut admin = Self::new(admin_client(brokers, None)?, timeout);
        admin.login = Some(OAuthLogin::new(tokens));
        admin.brokers = Some(Arc::new((brokers.clone(), None)));
        Ok(admin)
    }

    /// The admin client of `brokers`, logging in with `credentials`. A Metadata request that
    /// fails with a transport error or a timeout then says why, through [`connection_failure`]
    /// (a refused login is `Unauthorized`, not retried).
    pub fn connect(
        brokers: &BrokersConfig,
        credentials: Option<&SaslCredentials>,
        timeout: Duration,
    ) -> Result<Self, KafkaError> {
        let mut admin = Self::new(admin_client(brokers, credentials)?, timeout);
        admin.brokers = Some(Arc::new((brokers.clone(), credentials.cloned())));
        Ok(admin)
    }

    /// `error` of a Metadata request, with librdkafka's reason for the brokers not answering
    /// when it has one. Observing starts with Metadata, so a refused login ends the sync there,
    /// before any write.
    async fn explained(&self, error: AdminError) -> AdminError {
        let Some(brokers) = self.brokers.clone() else {
            return error;
        };
        if error.kind != AdminErrorKind::Retriable {
            return error;
        }
        let token = match &self.login {
            Some(login) => login.current().await,
            None => None,
        };
        let probe = tokio::task::spawn_blocking(move || {
            connection_failure(
                &brokers.0,
                brokers.1.as_ref(),
                token.as_ref(),
                PROBE_TIMEOUT,
            )
        });
        match probe.await {
            Ok(Some(failure)) => AdminError::new(
                if failure.authentication {
                    AdminErrorKind::Unauthorized
                } else {
                    AdminErrorKind::Retriable
                },
                error.request,
                &failure.message,
            ),
            _ => error,
        }
    }

    /// Admin requests sent so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// The options of one request (`request` names it in errors), counted, after making sure an
    /// OAUTHBEARER login has a fresh token.
    async fn options(&self, request: &str) -> Result<AdminOptions, AdminError> {
        if let Some(login) = &self.login {
            login
                .refresh_if_due(self.client.inner())
                .await
                .map_err(|e| {
                    let kind = if e.retriable {
                        AdminErrorKind::Retriable
                    } else {
                        AdminErrorKind::Unauthorized
                    };
                    AdminError::new(kind, request.to_owned(), &e.message)
                })?;
        }
        self.requests.fetch_add(1, Ordering::SeqCst);
        Ok(AdminOptions::new()
            .request_timeout(Some(self.timeout))
            .operation_timeout(Some(self.timeout)))
    }
}

/// What a Kafka error code means for the sync.
fn kind_of(code: RDKafkaErrorCode) -> AdminErrorKind {
    use RDKafkaErrorCode as C;
    match code {
        C::TopicAlreadyExists => AdminErrorKind::AlreadyExists,
        C::UnknownTopicOrPartition | C::UnknownTopic | C::UnknownTopicId => {
            AdminErrorKind::UnknownTopic
        }
        C::InvalidPartitions
        | C::InvalidReplicationFactor
        | C::InvalidReplicaAssignment
        | C::InvalidConfig
        | C::InvalidRequest
        | C::InvalidTopic
        | C::PolicyViolation
        | C::TopicDeletionDisabled
        | C::UnsupportedVersion => AdminErrorKind::Invalid,
        C::TopicAuthorizationFailed
        | C::ClusterAuthorizationFailed
        | C::SaslAuthenticationFailed
        | C::Authentication => AdminErrorKind::Unauthorized,
        C::RequestTimedOut
        | C::OperationTimedOut
        | C::MessageTimedOut
        | C::TimedOutQueue
        | C::LeaderNotAvailable
        | C::NotLeaderForPartition
        | C::NotController
        | C::BrokerNotAvailable
        | C::NetworkException
        | C::NotEnoughReplicas
        | C::KafkaStorageError
        | C::ThrottlingQuotaExceeded
        | C::BrokerTransportFailure
        | C::AllBrokersDown
        | C::Resolve => AdminErrorKind::Retriable,
        _ => AdminErrorKind::Other,
    }
}

fn code_error(request: &str, code: RDKafkaErrorCode) -> AdminError {
    AdminError::new(kind_of(code), request.to_owned(), &code.to_string())
}

/// A request-level failure (no per-topic answer).
fn request_error(request: &str, e: &KafkaError) -> AdminError {
    let kind = e
        .rdkafka_error_code()
        .map_or(AdminErrorKind::Other, kind_of);
    AdminError::new(kind, request.to_owned(), &e.to_string())
}

/// The per-topic result of a write: `Ok` or that topic's error.
fn topic_result(
    request: &str,
    answer: Result<Vec<TopicResult>, KafkaError>,
) -> Result<(), AdminError> {
    let results = answer.map_err(|e| request_error(request, &e))?;
    match results.into_iter().next() {
        Some(Ok(_)) => Ok(()),
        Some(Err((_, code))) => Err(code_error(request, code)),
        None => Err(AdminError::new(
            AdminErrorKind::Other,
            request.to_owned(),
            "no result in the answer",
        )),
    }
}

impl TopicAdmin for KafkaTopicAdmin {
    async fn metadata(&self) -> Result<Vec<TopicMetadata>, AdminError> {
        const REQUEST: &str = "Metadata";
        self.options(REQUEST).await?;
        let client = self.client.clone();
        let timeout = self.timeout;
        // librdkafka's metadata call blocks its thread: keep it off the async runtime's.
        let metadata =
            tokio::task::spawn_blocking(move || client.inner().fetch_metadata(None, timeout))
                .await
                .map_err(|e| {
                    AdminError::new(AdminErrorKind::Other, REQUEST.into(), &e.to_string())
                })?;
        let metadata = match metadata {
            Ok(metadata) => metadata,
            Err(e) => return Err(self.explained(request_error(REQUEST, &e)).await),
        };
        let mut topics = Vec::new();
        for topic in metadata.topics() {
            if INTERNAL_TOPICS.contains(&topic.name()) {
                continue;
            }
            if let Some(err) = topic.error() {
                return Err(code_error(
                    &format!("{REQUEST} {}", topic.name()),
                    RDKafkaErrorCode::from(err),
                ));
            }
            let replicas = topic
                .partitions()
                .iter()
                .map(|p| p.replicas().len())
                .max()
                .unwrap_or(0);
            topics.push(TopicMetadata {
                name: topic.name().to_owned(),
                partitions: u32::try_from(topic.partitions().len()).unwrap_or(u32::MAX),
                replication_factor: u32::try_from(replicas).unwrap_or(u32::MAX),
            });
        }
        Ok(topics)
    }

    async fn override_configs(
        &self,
        topics: &[String],
    ) -> Result<BTreeMap<String, TopicOverrides>, AdminError> {
        const REQUEST: &str = "DescribeConfigs";
        let specifiers: Vec<ResourceSpecifier<'_>> =
            topics.iter().map(|t| ResourceSpecifier::Topic(t)).collect();
        let results = self
            .client
            .describe_configs(&specifiers, &self.options(REQUEST).await?)
            .await
            .map_err(|e| request_error(REQUEST, &e))?;
        let mut out = BTreeMap::new();
        for result in results {
            // A per-topic error does not say which topic it is about: the request fails.
            let resource = result.map_err(|code| code_error(REQUEST, code))?;
            let OwnedResourceSpecifier::Topic(name) = resource.specifier else {
                continue;
            };
            let mut overrides = TopicOverrides::default();
            for entry in resource.entries {
                if entry.source != ConfigSource::DynamicTopic {
                    continue;
                }
                if entry.is_sensitive {
                    overrides.sensitive.insert(entry.name.clone());
                }
                overrides.values.insert(entry.name, entry.value);
            }
            out.insert(name, overrides);
        }
        // A topic the answer left out cannot be compared: never guess "no overrides".
        if let Some(missing) = topics.iter().find(|t| !out.contains_key(*t)) {
            return Err(AdminError::new(
                AdminErrorKind::Other,
                format!("{REQUEST} {missing}"),
                "the answer has no entry for this topic",
            ));
        }
        Ok(out)
    }

    async fn create_topic(&self, topic: &NewTopicSpec) -> Result<(), AdminError> {
        let request = format!("CreateTopics {}", topic.name);
        let partitions = i32::try_from(topic.partitions).unwrap_or(i32::MAX);
        // -1: the broker's default.replication.factor.
        let replicas = topic
            .replication_factor
            .map_or(-1, |r| i32::try_from(r).unwrap_or(i32::MAX));
        let mut new = NewTopic::new(&topic.name, partitions, TopicReplication::Fixed(replicas));
        for (k, v) in &topic.configs {
            new = new.set(k, v);
        }
        let answer = self
            .client
            .create_topics([&new], &self.options(&request).await?)
            .await;
        topic_result(&request, answer)
    }

    async fn create_partitions(&self, topic: &str, total: u32) -> Result<(), AdminError> {
        let request = format!("CreatePartitions {topic}");
        let new = NewPartitions::new(topic, usize::try_from(total).unwrap_or(usize::MAX));
        let answer = self
            .client
            .create_partitions([&new], &self.options(&request).await?)
            .await;
        topic_result(&request, answer)
    }

    async fn alter_configs(
        &self,
        topic: &str,
        overrides: &BTreeMap<String, String>,
    ) -> Result<(), AdminError> {
        let request = format!("AlterConfigs {topic}");
        let mut alter = AlterConfig::new(ResourceSpecifier::Topic(topic));
        for (k, v) in overrides {
            alter = alter.set(k, v);
        }
        let results = self
            .client
            .alter_configs([&alter], &self.options(&request).await?)
            .await
            .map_err(|e| request_error(&request, &e))?;
        match results.into_iter().next() {
            Some(Ok(_)) => Ok(()),
            Some(Err((_, code))) => Err(code_error(&request, code)),
            None => Err(AdminError::new(
                AdminErrorKind::Other,
                request,
                "no result in the answer",
            )),
        }
    }

    async fn delete_topic(&self, topic: &str) -> Result<(), AdminError> {
        let request = format!("DeleteTopics {topic}");
        let answer = self
            .client
            .delete_topics(&[topic], &self.options(&request).await?)
            .await;
        topic_result(&request, answer)
    }
}
