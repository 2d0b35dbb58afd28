//! Observed topics: the cluster's topics in scope, read in at most two admin requests whatever
//! their number — one Metadata request for every topic, then one DescribeConfigs for the topics
//! in scope (none when no topic is) — each retried as Connect requests are.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::kafka_sync::ports::Clock;
use crate::kafka_sync::retry::{with_retries, Backoff};
use crate::kafka_sync::topics::ports::{AdminError, AdminErrorKind, TopicAdmin, TopicOverrides};

/// One topic on the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedTopic {
    pub partitions: u32,
    pub replication_factor: u32,
    /// Topic-level overrides only: broker and cluster defaults are not here.
    pub overrides: TopicOverrides,
}

/// The cluster's topics in scope (managed or desired), by name. Topics outside the scope are not
/// described and not listed: nothing in the plan can touch them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObservedTopics {
    pub topics: BTreeMap<String, ObservedTopic>,
}

/// Reads the topics `in_scope` keeps.
pub async fn read_topics<A: TopicAdmin, C: Clock>(
    admin: &A,
    in_scope: impl Fn(&str) -> bool,
    clock: &C,
    backoff: Backoff,
    deadline: Duration,
) -> Result<ObservedTopics, AdminError> {
    let metadata = with_retries(
        clock,
        backoff,
        deadline,
        || admin.metadata(),
        || async { None },
    )
    .await?;
    let scoped: Vec<_> = metadata.into_iter().filter(|t| in_scope(&t.name)).collect();
    if scoped.is_empty() {
        return Ok(ObservedTopics::default());
    }
    let names: Vec<String> = scoped.iter().map(|t| t.name.clone()).collect();
    let mut overrides = with_retries(
        clock,
        backoff,
        deadline,
        || admin.override_configs(&names),
        || async { None },
    )
    .await?;
    let mut topics = BTreeMap::new();
    for t in scoped {
        // Without its overrides a topic cannot be compared: never take "none" for "unknown".
        let overrides = overrides.remove(&t.name).ok_or_else(|| {
            AdminError::new(
                AdminErrorKind::Other,
                format!("DescribeConfigs {}", t.name),
                "the answer has no entry for this topic",
            )
        })?;
        let observed = ObservedTopic {
            partitions: t.partitions,
            replication_factor: t.replication_factor,
            overrides,
        };
        topics.insert(t.name, observed);
    }
    Ok(ObservedTopics { topics })
}
