//! Desired topics: the files under `topics/` of a desired state, loaded by the one loader
//! ([`crate::kafka_sync::desired::load()`]) with the same `{{ env.x }}` values and `environments:`
//! filter as connector files, and every problem reported at once (file, topic and key named).
//!
//! Why a folder and not a `kind:` field: which files are topics is visible in the tree and in a
//! review, connector files keep their schema unchanged, and nothing is guessed from content.
//! A topic file lists topics:
//!
//! ```yaml
//! topics:
//!   - name: orders.v1
//!     partitions: 6                       # required; `{{ env.x }}` allowed; increase only
//!     replication_factor: 3               # optional: without it the broker's default, never diffed
//!     config:                             # topic-level overrides; anything else is the broker's
//!       retention.ms: "{{ env.orders.retention_ms }}"
//!       cleanup.policy: delete
//!     environments: [prod]                # optional, as for connectors
//!   - name: orders.v0
//!     delete: true                        # deletable: deleted with prune, inside the scope
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::kafka_sync::desired::files::{declared_for, parse_file, render_value, LoadError};
use crate::kafka_sync::desired::values::RawValue;
use crate::kafka_sync::desired::{ConnectorConfig, SourceFile};
use crate::kafka_sync::topics::names::{is_topic_config, metric_name, topic_name_problem};

/// Files under this folder are topic files.
pub const TOPICS_DIR: &str = "topics/";

/// Kafka's limit on a topic's replicas (an `INT16` in CreateTopics).
const MAX_REPLICATION_FACTOR: u32 = i16::MAX as u32;
/// Kafka's limit on partitions (an `INT32`).
const MAX_PARTITIONS: u32 = i32::MAX as u32;

/// One topic as declared in Git, rendered for one environment.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredTopic {
    pub name: String,
    /// Where it was declared, for messages.
    pub file: String,
    pub want: TopicWant,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TopicWant {
    /// The topic exists with these settings.
    Present(TopicSettings),
    /// `delete: true`: the topic is deletable (deleted only with prune, inside the managed scope).
    Deleted,
}

/// A topic's partitions, replicas and topic-level overrides. The overrides use the connector
/// configs' string map (its `Debug` lists keys only), so the one redactor's scrubber takes both.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicSettings {
    pub partitions: u32,
    /// `None`: the broker's `default.replication.factor`, and no comparison.
    pub replication_factor: Option<u32>,
    pub config: ConnectorConfig,
}

impl DesiredTopic {
    pub fn settings(&self) -> Option<&TopicSettings> {
        match &self.want {
            TopicWant::Present(s) => Some(s),
            TopicWant::Deleted => None,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TopicFile {
    topics: Vec<TopicEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TopicEntry {
    name: String,
    #[serde(default)]
    partitions: Option<RawValue>,
    #[serde(default)]
    replication_factor: Option<RawValue>,
    #[serde(default)]
    config: BTreeMap<String, RawValue>,
    #[serde(default)]
    environments: Option<Vec<String>>,
    #[serde(default)]
    delete: bool,
}

/// The topics of `files` (all under [`TOPICS_DIR`], sorted by path) declared for `env`; every
/// problem is appended to `errors`.
pub fn load_topics(
    files: &[&SourceFile],
    env: &str,
    env_file: &str,
    values: &BTreeMap<String, String>,
    errors: &mut Vec<LoadError>,
) -> BTreeMap<String, DesiredTopic> {
    let mut topics: BTreeMap<String, DesiredTopic> = BTreeMap::new();
    // Metric-name form → the first topic that has it.
    let mut metric_names: BTreeMap<String, String> = BTreeMap::new();
    for file in files {
        let parsed: TopicFile = match parse_file(file) {
            Ok(parsed) => parsed,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        for entry in parsed.topics {
            let problem = |key: Option<&str>, message: String| LoadError {
                file: file.path.clone(),
                connector: None,
                topic: Some(entry.name.clone()),
                key: key.map(str::to_owned),
                message,
            };
            match load_entry(&entry, env, env_file, values, &problem) {
                Err(mut e) => errors.append(&mut e),
                Ok(None) => {}
                Ok(Some(want)) => {
                    if let Some(first) = topics.get(&entry.name) {
                        errors.push(problem(None, format!("is also declared in {}", first.file)));
                        continue;
                    }
                    match metric_names.get(&metric_name(&entry.name)) {
                        Some(other) => errors.push(problem(
                            None,
                            format!("collides with topic {other:?}: Kafka refuses names that differ only in `.` and `_`"),
                        )),
                        None => {
                            metric_names.insert(metric_name(&entry.name), entry.name.clone());
                        }
                    }
                    topics.insert(
                        entry.name.clone(),
                        DesiredTopic {
                            name: entry.name.clone(),
                            file: file.path.clone(),
                            want,
                        },
                    );
                }
            }
        }
    }
    topics
}

/// One entry, or `None` when it is not declared for this environment.
fn load_entry(
    entry: &TopicEntry,
    env: &str,
    env_file: &str,
    values: &BTreeMap<String, String>,
    problem: &dyn Fn(Option<&str>, String) -> LoadError,
) -> Result<Option<TopicWant>, Vec<LoadError>> {
    if let Some(why) = topic_name_problem(&entry.name) {
        return Err(vec![problem(None, format!("the name {why}"))]);
    }
    match declared_for(entry.environments.as_deref(), env) {
        Ok(true) => {}
        Ok(false) => return Ok(None),
        Err(message) => return Err(vec![problem(Some("environments"), message)]),
    }
    if entry.delete {
        let extra: Vec<&str> = [
            entry.partitions.is_some().then_some("partitions"),
            entry
                .replication_factor
                .is_some()
                .then_some("replication_factor"),
            (!entry.config.is_empty()).then_some("config"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !extra.is_empty() {
            return Err(vec![problem(
                Some("delete"),
                format!("a deleted topic takes no {}", extra.join(", ")),
            )]);
        }
        return Ok(Some(TopicWant::Deleted));
    }
    let mut errors = Vec::new();
    let number = |key: &str, raw: &RawValue, max: u32| -> Result<u32, LoadError> {
        let text = render_value(raw, values, env_file).map_err(|m| problem(Some(key), m))?;
        match text.trim().parse::<u32>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(problem(
                Some(key),
                format!("{text:?} is not a whole number from 1 to {max}"),
            )),
        }
    };
    let partitions = match &entry.partitions {
        Some(raw) => number("partitions", raw, MAX_PARTITIONS),
        None => Err(problem(Some("partitions"), "is missing".into())),
    };
    let replication_factor = entry
        .replication_factor
        .as_ref()
        .map(|raw| number("replication_factor", raw, MAX_REPLICATION_FACTOR))
        .transpose();
    let (partitions, replication_factor) = match (partitions, replication_factor) {
        (Ok(p), Ok(r)) => (Some(p), r),
        (p, r) => {
            errors.extend(p.err());
            errors.extend(r.err());
            (None, None)
        }
    };
    let mut config = BTreeMap::new();
    for (key, raw) in &entry.config {
        if !is_topic_config(key) {
            errors.push(problem(
                Some(key),
                "is not a topic-level config of Kafka 4.3.1 (topics::names lists them)".into(),
            ));
            continue;
        }
        match render_value(raw, values, env_file) {
            Ok(value) => {
                config.insert(key.clone(), value);
            }
            Err(message) => errors.push(problem(Some(key), message)),
        }
    }
    match partitions {
        Some(partitions) if errors.is_empty() => Ok(Some(TopicWant::Present(TopicSettings {
            partitions,
            replication_factor,
            config: ConnectorConfig(config),
        }))),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use crate::kafka_sync::desired::load;
    use crate::kafka_sync::desired::load::tests::file;

    use super::*;

    fn files(topics: &str) -> Vec<SourceFile> {
        vec![
            file(
                "environments/prod.yaml",
                "orders:\n  partitions: 6\n  retention: 86400000\n",
            ),
            file("topics/orders.yaml", topics),
        ]
    }

    #[test]
    fn loads_topics_with_values_and_the_environment_filter() {
        let state = load(
            &files(
                "topics:\n  - name: orders.v1\n    partitions: \"{{ env.orders.partitions }}\"\n    replication_factor: 1\n    config:\n      retention.ms: \"{{ env.orders.retention }}\"\n      cleanup.policy: [compact, delete]\n  - name: dev.only\n    partitions: 1\n    environments: [dev]\n  - name: orders.v0\n    delete: true\n",
            ),
            "prod",
        )
        .unwrap();
        assert!(
            state.connectors.is_empty(),
            "topic files are not connectors"
        );
        assert_eq!(state.topics.len(), 2);
        let orders = state.topics["orders.v1"].settings().unwrap();
        assert_eq!(orders.partitions, 6);
        assert_eq!(orders.replication_factor, Some(1));
        assert_eq!(orders.config.get("retention.ms"), Some("86400000"));
        assert_eq!(orders.config.get("cleanup.policy"), Some("compact,delete"));
        assert_eq!(state.topics["orders.v0"].want, TopicWant::Deleted);
    }

    #[test]
    fn every_problem_at_once_naming_file_topic_and_key() {
        let errs = load(
            &files(
                "topics:\n  - name: a\n    partitions: six\n    config:\n      retention.msx: 1\n      segment.ms: \"{{ env.nope }}\"\n  - name: b/c\n    partitions: 1\n  - name: x.y\n    partitions: 1\n  - name: x.y\n    partitions: 1\n  - name: x_y\n    partitions: 1\n  - name: r\n    partitions: 0\n    replication_factor: 40000\n  - name: m\n  - name: d\n    delete: true\n    partitions: 3\n",
            ),
            "prod",
        )
        .unwrap_err();
        let text = errs.to_string();
        for expected in [
            "topics/orders.yaml: topic \"a\": key \"partitions\": \"six\" is not a whole number",
            "topics/orders.yaml: topic \"a\": key \"retention.msx\": is not a topic-level config of Kafka 4.3.1",
            "topics/orders.yaml: topic \"a\": key \"segment.ms\": {{ env.nope }} is not defined in environments/prod.yaml",
            "topics/orders.yaml: topic \"b/c\": the name may hold only",
            "topics/orders.yaml: topic \"x.y\": is also declared in topics/orders.yaml",
            "topics/orders.yaml: topic \"x_y\": collides with topic \"x.y\"",
            "topic \"r\": key \"partitions\": \"0\" is not a whole number from 1",
            "topic \"r\": key \"replication_factor\": \"40000\" is not a whole number from 1 to 32767",
            "topic \"m\": key \"partitions\": is missing",
            "topic \"d\": key \"delete\": a deleted topic takes no partitions",
        ] {
            assert!(text.contains(expected), "{expected:?} not in {text}");
        }
        assert_eq!(errs.0.len(), 10, "{text}");
    }

    #[test]
    fn a_topic_file_that_is_not_one_is_named() {
        let text = load(&files("name: a\nconfig: {connector.class: X}\n"), "prod")
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("topics/orders.yaml: unknown field `name`"),
            "{text}"
        );
    }
}
