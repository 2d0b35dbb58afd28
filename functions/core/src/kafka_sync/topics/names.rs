//! What Kafka accepts for a topic: its name ([`topic_name_problem`]) and its topic-level config
//! names ([`TOPIC_CONFIG_NAMES`]).

/// The topic-level config names of Apache Kafka 4.3.1 (the broker the tests run):
/// `org.apache.kafka.storage.internals.log.LogConfig.configNames()` of its `kafka-storage` jar,
/// which is the list the broker validates CreateTopics and AlterConfigs against (an unknown name
/// is refused there with `InvalidConfigurationException`), less `internal.segment.bytes`, an
/// internal config the broker never describes (not for users to set). The integration test
/// `kafka_topics::the_config_names_are_the_brokers` compares it with what the broker describes,
/// so a Kafka upgrade that adds or drops one fails that test instead of drifting silently.
pub const TOPIC_CONFIG_NAMES: &[&str] = &[
    "cleanup.policy",
    "compression.gzip.level",
    "compression.lz4.level",
    "compression.type",
    "compression.zstd.level",
    "delete.retention.ms",
    "file.delete.delay.ms",
    "flush.messages",
    "flush.ms",
    "follower.replication.throttled.replicas",
    "index.interval.bytes",
    "leader.replication.throttled.replicas",
    "local.retention.bytes",
    "local.retention.ms",
    "max.compaction.lag.ms",
    "max.message.bytes",
    "message.timestamp.after.max.ms",
    "message.timestamp.before.max.ms",
    "message.timestamp.type",
    "min.cleanable.dirty.ratio",
    "min.compaction.lag.ms",
    "min.insync.replicas",
    "preallocate",
    "remote.log.copy.disable",
    "remote.log.delete.on.disable",
    "remote.storage.enable",
    "retention.bytes",
    "retention.ms",
    "segment.bytes",
    "segment.index.bytes",
    "segment.jitter.ms",
    "segment.ms",
    "unclean.leader.election.enable",
];

pub fn is_topic_config(name: &str) -> bool {
    TOPIC_CONFIG_NAMES.binary_search(&name).is_ok()
}

/// Kafka's own rule (`org.apache.kafka.common.internals.Topic.validate`): 1–249 of
/// `[a-zA-Z0-9._-]`, and not `.` or `..`.
pub fn topic_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("is empty")
    } else if name == "." || name == ".." {
        Some("is `.` or `..`, which Kafka refuses")
    } else if name.len() > 249 {
        Some("is longer than 249 characters")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        Some("may hold only ASCII letters, digits, `.`, `_` and `-`")
    } else {
        None
    }
}

/// Kafka refuses a topic whose name differs from an existing one only in `.` versus `_` (their
/// metric names collide): the form two such names share.
pub fn metric_name(name: &str) -> String {
    name.replace('.', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_so_lookups_can_bisect() {
        assert!(TOPIC_CONFIG_NAMES.windows(2).all(|w| w[0] < w[1]));
        assert!(is_topic_config("retention.ms"));
        assert!(!is_topic_config("retention.msx"));
        assert!(
            !is_topic_config("message.downconversion.enable"),
            "removed in Kafka 4.0"
        );
    }

    #[test]
    fn names_kafka_refuses() {
        for bad in ["", ".", "..", "a/b", "a b", "ünï", &"x".repeat(250)] {
            assert!(topic_name_problem(bad).is_some(), "{bad:?}");
        }
        for good in ["orders.v1", "a_b-c", "...", &"x".repeat(249)] {
            assert_eq!(topic_name_problem(good), None, "{good:?}");
        }
        assert_eq!(metric_name("orders.v1"), metric_name("orders_v1"));
    }
}
