//! The dry run's admin client: reads answer from the world's topics (an error when the world has
//! none for the cluster, as an unreachable broker's would), writes are recorded and succeed
//! without changing them. Wired into the dry-run ports by
//! [`crate::kafka_sync::triggers::dry_run`].

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::Deserialize;

use crate::kafka_sync::topics::ports::{
    AdminError, AdminErrorKind, NewTopicSpec, TopicAdmin, TopicMetadata, TopicOverrides,
};

/// One topic of a dry-run world: `{"name": "orders.v1", "partitions": 3, "replication_factor": 1,
/// "configs": {"retention.ms": "86400000"}}` (`configs`: the topic-level overrides only).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorldTopic {
    pub name: String,
    pub partitions: u32,
    pub replication_factor: u32,
    #[serde(default)]
    pub configs: BTreeMap<String, String>,
}

#[derive(Debug, Default)]
pub struct DryRunTopics {
    /// `None`: the world has no topics for this cluster.
    observed: Option<Vec<WorldTopic>>,
    writes: Mutex<Vec<String>>,
}

impl DryRunTopics {
    pub fn observing(topics: Vec<WorldTopic>) -> Self {
        DryRunTopics {
            observed: Some(topics),
            writes: Mutex::default(),
        }
    }

    /// The writes the Lambda would have sent, in order, as `Request topic …`.
    pub fn writes(&self) -> Vec<String> {
        self.writes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn topics(&self, request: &str) -> Result<&[WorldTopic], AdminError> {
        self.observed.as_deref().ok_or_else(|| {
            AdminError::new(
                AdminErrorKind::Retriable,
                request.to_owned(),
                "the dry run's world has no topics for this cluster",
            )
        })
    }

    fn write(&self, request: String) -> Result<(), AdminError> {
        self.writes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(request);
        Ok(())
    }
}

impl TopicAdmin for DryRunTopics {
    async fn metadata(&self) -> Result<Vec<TopicMetadata>, AdminError> {
        Ok(self
            .topics("Metadata")?
            .iter()
            .map(|t| TopicMetadata {
                name: t.name.clone(),
                partitions: t.partitions,
                replication_factor: t.replication_factor,
            })
            .collect())
    }

    async fn override_configs(
        &self,
        topics: &[String],
    ) -> Result<BTreeMap<String, TopicOverrides>, AdminError> {
        let world = self.topics("DescribeConfigs")?;
        Ok(world
            .iter()
            .filter(|t| topics.contains(&t.name))
            .map(|t| {
                let overrides = TopicOverrides {
                    values: t
                        .configs
                        .iter()
                        .map(|(k, v)| (k.clone(), Some(v.clone())))
                        .collect(),
                    sensitive: Default::default(),
                };
                (t.name.clone(), overrides)
            })
            .collect())
    }

    async fn create_topic(&self, topic: &NewTopicSpec) -> Result<(), AdminError> {
        self.write(format!("CreateTopics {} {}", topic.name, topic.partitions))
    }

    async fn create_partitions(&self, topic: &str, total: u32) -> Result<(), AdminError> {
        self.write(format!("CreatePartitions {topic} {total}"))
    }

    async fn alter_configs(
        &self,
        topic: &str,
        _overrides: &BTreeMap<String, String>,
    ) -> Result<(), AdminError> {
        self.write(format!("AlterConfigs {topic}"))
    }

    async fn delete_topic(&self, topic: &str) -> Result<(), AdminError> {
        self.write(format!("DeleteTopics {topic}"))
    }
}
