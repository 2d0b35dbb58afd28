//! The Kafka admin protocol, as `kafka-sync` uses it for topics: one method per admin request.
//! The rdkafka adapter is `switchyard_adapters::kafka::admin`; the dry run's is in
//! [`crate::kafka_sync::triggers::dry_run`].
//!
//! Observing is two requests whatever the topic count: [`TopicAdmin::metadata`] (one Metadata
//! request for every topic) and [`TopicAdmin::override_configs`] (one DescribeConfigs for every
//! topic in scope, answering only topic-level overrides, so broker and cluster defaults never
//! reach a diff).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::future::Future;

use crate::kafka_sync::changes::redact;

/// One topic as the Metadata request answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicMetadata {
    pub name: String,
    pub partitions: u32,
    /// Replicas of the topic's partitions (the largest count when they differ).
    pub replication_factor: u32,
}

/// A topic's topic-level overrides (DescribeConfigs entries whose source is
/// `DYNAMIC_TOPIC_CONFIG`). `Debug` lists keys only: values can be secrets.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct TopicOverrides {
    /// Key → value; `None` when the broker hides a sensitive value.
    pub values: BTreeMap<String, Option<String>>,
    /// Keys the broker marks sensitive.
    pub sensitive: BTreeSet<String>,
}

impl fmt::Debug for TopicOverrides {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.values.keys()).finish()
    }
}

/// A topic to create. `Debug` lists config keys only.
#[derive(Clone, PartialEq, Eq)]
pub struct NewTopicSpec {
    pub name: String,
    pub partitions: u32,
    /// `None`: the broker's `default.replication.factor`.
    pub replication_factor: Option<u32>,
    pub configs: BTreeMap<String, String>,
}

impl fmt::Debug for NewTopicSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewTopicSpec")
            .field("name", &self.name)
            .field("partitions", &self.partitions)
            .field("replication_factor", &self.replication_factor)
            .field("configs", &self.configs.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// What a failed admin request means for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminErrorKind {
    /// Kafka says a retry can help (leader not available, request timed out, controller moved,
    /// broker not reachable…).
    Retriable,
    /// CreateTopics: the topic exists (an earlier attempt landed, or a race).
    AlreadyExists,
    /// The topic is not there (deleted meanwhile).
    UnknownTopic,
    /// The request is wrong (invalid config, partitions, replication factor): retrying cannot help.
    Invalid,
    /// Authentication or authorization failed.
    Unauthorized,
    Other,
}

/// A failed admin request. `message` is Kafka's (one line, bounded, embedded credentials cut
/// out by [`redact::scrub_message`]); never a request's config values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{request}: {message}")]
pub struct AdminError {
    pub kind: AdminErrorKind,
    /// e.g. `CreateTopics orders.v1`.
    pub request: String,
    pub message: String,
}

impl AdminError {
    pub fn new(kind: AdminErrorKind, request: String, message: &str) -> Self {
        AdminError {
            kind,
            request,
            message: redact::scrub_message(message),
        }
    }

    pub fn is_retryable(&self) -> bool {
        self.kind == AdminErrorKind::Retriable
    }
}

type Answer<T> = Result<T, AdminError>;

/// The Kafka admin API, one method per request.
pub trait TopicAdmin: Sync {
    /// One Metadata request: every topic of the cluster (internal topics excluded).
    fn metadata(&self) -> impl Future<Output = Answer<Vec<TopicMetadata>>> + Send;
    /// One DescribeConfigs request for all of `topics`: each topic's topic-level overrides only.
    /// A topic of `topics` missing from the answer is an error.
    fn override_configs(
        &self,
        topics: &[String],
    ) -> impl Future<Output = Answer<BTreeMap<String, TopicOverrides>>> + Send;
    /// CreateTopics for one topic, with its override configs.
    fn create_topic(&self, topic: &NewTopicSpec) -> impl Future<Output = Answer<()>> + Send;
    /// CreatePartitions: raises `topic` to `total` partitions.
    fn create_partitions(&self, topic: &str, total: u32)
        -> impl Future<Output = Answer<()>> + Send;
    /// AlterConfigs (the legacy, non-incremental request): `overrides` becomes the topic's whole
    /// override set; every key not in it returns to the broker's default.
    fn alter_configs(
        &self,
        topic: &str,
        overrides: &BTreeMap<String, String>,
    ) -> impl Future<Output = Answer<()>> + Send;
    /// DeleteTopics for one topic.
    fn delete_topic(&self, topic: &str) -> impl Future<Output = Answer<()>> + Send;
}

/// A cluster without brokers: no value of this type exists, so `None::<&NoBrokers>` is the
/// admin of a sync that has no topics (the connector-only callers and tests).
#[derive(Debug)]
pub enum NoBrokers {}

impl TopicAdmin for NoBrokers {
    async fn metadata(&self) -> Answer<Vec<TopicMetadata>> {
        match *self {}
    }
    async fn override_configs(&self, _: &[String]) -> Answer<BTreeMap<String, TopicOverrides>> {
        match *self {}
    }
    async fn create_topic(&self, _: &NewTopicSpec) -> Answer<()> {
        match *self {}
    }
    async fn create_partitions(&self, _: &str, _: u32) -> Answer<()> {
        match *self {}
    }
    async fn alter_configs(&self, _: &str, _: &BTreeMap<String, String>) -> Answer<()> {
        match *self {}
    }
    async fn delete_topic(&self, _: &str) -> Answer<()> {
        match *self {}
    }
}
