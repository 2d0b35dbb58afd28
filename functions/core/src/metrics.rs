//! Decision metrics, in CloudWatch's embedded metric format (EMF), carried by the one structured
//! line every decision is logged as ([`crate::entry`]): CloudWatch Logs extracts them from the
//! log line itself, so no metric API is called on the hot path.
//!
//! The format (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>):
//! the line is a JSON object whose `_aws` member holds `Timestamp` (ms since the epoch) and
//! `CloudWatchMetrics`, a list of directives `{Namespace, Dimensions: [[key…]…], Metrics:
//! [{Name, Unit}…]}`; every dimension key and metric name is a member of the line itself (a
//! string for a dimension, a number for a metric).
//!
//! Every decision counts once in [`DECISIONS`] under dimensions `function` and `outcome`
//! ([`Reported`]), and the time its actions took in [`ACTION_LATENCY`]; what a function did counts
//! in its own [`Count`]s, under `function` (and, for some, one bounded [`Split`] as well); what it
//! measures whatever the outcome (kafka-sync's drift) in its [`Gauge`]s. Dimension values are
//! only names from this module, allow-listed configuration values (a tag's environment, a
//! configured Kafka cluster's name) and enums: never a branch, a key, or anything else an event
//! makes up, and never a secret.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::ser::SerializeMap;
use serde::Serialize;

use crate::plan::FunctionName;

/// The CloudWatch namespace of every Switchyard metric.
pub const NAMESPACE: &str = "Switchyard";
/// One per decision, dimensions `function` and `outcome`.
pub const DECISIONS: &str = "Decisions";
/// Milliseconds the decision's actions took (only for decisions whose actions ran).
pub const ACTION_LATENCY: &str = "ActionLatency";
/// The dimension keys.
pub const FUNCTION: &str = "function";
pub const OUTCOME: &str = "outcome";

/// What became of a decision once its actions ran: the `outcome` dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reported {
    /// Its actions ran (in a dry run: would run).
    Acted,
    Skipped,
    Rejected,
    /// An action failed (or, for a pipeline job, the run did not finish): the event is retried.
    Failed,
}

impl Reported {
    pub const ALL: [Reported; 4] = [
        Reported::Acted,
        Reported::Skipped,
        Reported::Rejected,
        Reported::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reported::Acted => "acted",
            Reported::Skipped => "skipped",
            Reported::Rejected => "rejected",
            Reported::Failed => "failed",
        }
    }
}

impl From<crate::plan::Outcome> for Reported {
    fn from(outcome: crate::plan::Outcome) -> Self {
        use crate::plan::Outcome;
        match outcome {
            Outcome::Acted => Reported::Acted,
            Outcome::Skipped => Reported::Skipped,
            Outcome::Rejected(_) => Reported::Rejected,
        }
    }
}

/// What a function did that operators count, one metric each (unit `Count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Count {
    BranchEnvironmentsCreated,
    BranchEnvironmentsDestroyed,
    ReleasesStarted,
    ArtifactsDeployed,
    GatePasses,
    GateFails,
    GateWaits,
    StageRetries,
    ConnectorsCreated,
    ConnectorsUpdated,
    ConnectorsDeleted,
}

impl Count {
    pub const ALL: [Count; 11] = [
        Count::BranchEnvironmentsCreated,
        Count::BranchEnvironmentsDestroyed,
        Count::ReleasesStarted,
        Count::ArtifactsDeployed,
        Count::GatePasses,
        Count::GateFails,
        Count::GateWaits,
        Count::StageRetries,
        Count::ConnectorsCreated,
        Count::ConnectorsUpdated,
        Count::ConnectorsDeleted,
    ];

    /// The metric name.
    pub fn name(self) -> &'static str {
        match self {
            Count::BranchEnvironmentsCreated => "BranchEnvironmentsCreated",
            Count::BranchEnvironmentsDestroyed => "BranchEnvironmentsDestroyed",
            Count::ReleasesStarted => "ReleasesStarted",
            Count::ArtifactsDeployed => "ArtifactsDeployed",
            Count::GatePasses => "GatePasses",
            Count::GateFails => "GateFails",
            Count::GateWaits => "GateWaits",
            Count::StageRetries => "StageRetries",
            Count::ConnectorsCreated => "ConnectorsCreated",
            Count::ConnectorsUpdated => "ConnectorsUpdated",
            Count::ConnectorsDeleted => "ConnectorsDeleted",
        }
    }

    /// The function that emits it.
    pub fn function(self) -> FunctionName {
        match self {
            Count::BranchEnvironmentsCreated | Count::BranchEnvironmentsDestroyed => {
                FunctionName::BranchPipelines
            }
            Count::ReleasesStarted => FunctionName::TagRelease,
            Count::ArtifactsDeployed => FunctionName::ArtifactRelease,
            Count::GatePasses | Count::GateFails | Count::GateWaits => FunctionName::HealthGate,
            Count::StageRetries => FunctionName::StageRetry,
            Count::ConnectorsCreated | Count::ConnectorsUpdated | Count::ConnectorsDeleted => {
                FunctionName::KafkaSync
            }
        }
    }

    /// The dimension key of the [`Split`] it is also published under, if any.
    pub fn split_key(self) -> Option<&'static str> {
        match self {
            Count::ReleasesStarted => Some(Split::ENVIRONMENT),
            Count::ArtifactsDeployed => Some(Split::TARGET),
            _ => None,
        }
    }
}

/// The kind of target an artifact was deployed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetKind {
    Pipeline,
    Build,
    /// A Managed Flink application's code.
    Flink,
    /// A Lambda function's code.
    Lambda,
}

impl TargetKind {
    pub const ALL: [TargetKind; 4] = [
        TargetKind::Pipeline,
        TargetKind::Build,
        TargetKind::Flink,
        TargetKind::Lambda,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Pipeline => "pipeline",
            TargetKind::Build => "build",
            TargetKind::Flink => "flink",
            TargetKind::Lambda => "lambda",
        }
    }
}

/// A second, bounded dimension some counts are also published under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Split {
    /// A tag's environment: one of `TAG_ENVIRONMENTS`, the allow-list the tag was checked against.
    Environment(String),
    Target(TargetKind),
    /// A Kafka cluster: one of `KAFKA_CLUSTERS`' names (configuration, never an event's).
    Cluster(String),
}

impl Split {
    pub const ENVIRONMENT: &'static str = "environment";
    pub const TARGET: &'static str = "target";
    pub const CLUSTER: &'static str = "cluster";

    fn key(&self) -> &'static str {
        match self {
            Split::Environment(_) => Split::ENVIRONMENT,
            Split::Target(_) => Split::TARGET,
            Split::Cluster(_) => Split::CLUSTER,
        }
    }

    /// The dimension sets its counts are published under: `function` alone, and with the split.
    fn dimensions(&self) -> &'static [&'static [&'static str]] {
        match self {
            Split::Environment(_) => &[&[FUNCTION], &[FUNCTION, Split::ENVIRONMENT]],
            Split::Target(_) => &[&[FUNCTION], &[FUNCTION, Split::TARGET]],
            Split::Cluster(_) => &[&[FUNCTION], &[FUNCTION, Split::CLUSTER]],
        }
    }

    fn value(&self) -> &str {
        match self {
            Split::Environment(e) => e,
            Split::Target(t) => t.as_str(),
            Split::Cluster(c) => c,
        }
    }
}

/// What a decision measures, whatever its outcome (unit `Count`): a drift check reports 1 for
/// drift and 0 for none, so an alarm can require drift in consecutive checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gauge {
    /// kafka-sync's scheduled check: the cluster (the tally's [`Split::Cluster`]) differs from
    /// its last applied desired state.
    KafkaDrift,
}

impl Gauge {
    pub const ALL: [Gauge; 1] = [Gauge::KafkaDrift];

    pub fn name(self) -> &'static str {
        match self {
            Gauge::KafkaDrift => "KafkaDrift",
        }
    }

    pub fn function(self) -> FunctionName {
        match self {
            Gauge::KafkaDrift => FunctionName::KafkaSync,
        }
    }
}

/// What one decision did, in [`Count`]s: each function's `Function::tally` says, from its
/// decision's typed actions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    counts: Vec<(Count, u32)>,
    split: Option<Split>,
    gauges: Vec<(Gauge, u32)>,
}

impl Tally {
    /// Adds `n` to `count` (nothing when `n` is 0).
    pub fn add(&mut self, count: Count, n: u32) {
        if n == 0 {
            return;
        }
        match self.counts.iter_mut().find(|(c, _)| *c == count) {
            Some((_, total)) => *total += n,
            None => self.counts.push((count, n)),
        }
    }

    /// Publishes the counts that have a split key under `split` as well.
    pub fn split_by(mut self, split: Split) -> Self {
        self.split = Some(split);
        self
    }

    pub fn counts(&self) -> &[(Count, u32)] {
        &self.counts
    }

    /// Measures `gauge` (published whatever the decision's outcome, under the split if any).
    pub fn measure(&mut self, gauge: Gauge, value: u32) {
        self.gauges.retain(|(g, _)| *g != gauge);
        self.gauges.push((gauge, value));
    }

    pub fn gauges(&self) -> &[(Gauge, u32)] {
        &self.gauges
    }
}

/// The dimension set of metrics published under `function` alone.
const FUNCTION_ONLY: &[&[&str]] = &[&[FUNCTION]];

/// The metric members of one decision line: `_aws` and the values its directives name. Written
/// into the line's JSON map by [`Metrics::write`].
pub struct Metrics<'a> {
    pub reported: Reported,
    /// How long the actions took; `None` when none ran.
    pub latency: Option<Duration>,
    /// Counted only when the decision acted: a failed or refused decision did nothing.
    pub tally: &'a Tally,
}

impl Metrics<'_> {
    /// Writes the members into `map`, stamped `now`. The dimension members `function` and
    /// `outcome` are the line's own; this writes the split's, if any. Written from borrowed,
    /// mostly static parts (no JSON tree, no allocation): this runs for every decision.
    pub fn write<M: SerializeMap>(&self, map: &mut M, now: SystemTime) -> Result<(), M::Error> {
        let counts: &[(Count, u32)] = if self.reported == Reported::Acted {
            self.tally.counts()
        } else {
            &[]
        };
        let split_key = self.tally.split.as_ref().map(Split::key);
        let is_split = |c: &Count| split_key.is_some() && c.split_key() == split_key;
        let gauges = self.tally.gauges.as_slice();
        let split = self
            .tally
            .split
            .as_ref()
            .filter(|_| counts.iter().any(|(c, _)| is_split(c)));
        let measured = (!gauges.is_empty()).then(|| Directive {
            dimensions: self
                .tally
                .split
                .as_ref()
                .map_or(FUNCTION_ONLY, Split::dimensions),
            metrics: DirectiveMetrics::Gauges(gauges),
        });
        let split_member = split.or(self.tally.split.as_ref().filter(|_| !gauges.is_empty()));
        let decisions = Directive {
            dimensions: &[&[FUNCTION, OUTCOME]],
            metrics: DirectiveMetrics::Decisions {
                latency: self.latency.is_some(),
            },
        };
        let plain = Directive {
            dimensions: &[&[FUNCTION]],
            metrics: DirectiveMetrics::Counts {
                counts,
                split_key,
                split: false,
            },
        };
        let with_split = split.map(|s| Directive {
            dimensions: s.dimensions(),
            metrics: DirectiveMetrics::Counts {
                counts,
                split_key,
                split: true,
            },
        });
        let has_plain = counts.iter().any(|(c, _)| !is_split(c));
        let timestamp = now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        map.serialize_entry(
            "_aws",
            &Envelope {
                timestamp,
                directives: [
                    Some(decisions),
                    has_plain.then_some(plain),
                    with_split,
                    measured,
                ],
            },
        )?;
        map.serialize_entry(DECISIONS, &1)?;
        if let Some(latency) = self.latency {
            map.serialize_entry(ACTION_LATENCY, &(latency.as_secs_f64() * 1000.0))?;
        }
        for (count, n) in counts {
            map.serialize_entry(count.name(), n)?;
        }
        for (gauge, n) in gauges {
            map.serialize_entry(gauge.name(), n)?;
        }
        if let Some(split) = split_member {
            map.serialize_entry(split.key(), split.value())?;
        }
        Ok(())
    }
}

/// `_aws`: the metadata of the line's metrics.
struct Envelope<'a> {
    timestamp: u64,
    /// The directives present, in order.
    directives: [Option<Directive<'a>>; 4],
}

impl Serialize for Envelope<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Present<'a, 'b>(&'a [Option<Directive<'b>>]);
        impl Serialize for Present<'_, '_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.iter().flatten())
            }
        }
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("Timestamp", &self.timestamp)?;
        map.serialize_entry("CloudWatchMetrics", &Present(&self.directives))?;
        map.end()
    }
}

/// One metric directive: its dimension sets and metrics, in [`NAMESPACE`].
struct Directive<'a> {
    dimensions: &'static [&'static [&'static str]],
    metrics: DirectiveMetrics<'a>,
}

/// The metrics a directive lists.
enum DirectiveMetrics<'a> {
    /// `Decisions`, and `ActionLatency` when actions ran.
    Decisions { latency: bool },
    /// The counts published under the tally's split as well (`split`), or under `function` only.
    Counts {
        counts: &'a [(Count, u32)],
        /// The key of the tally's split, if it has one.
        split_key: Option<&'static str>,
        split: bool,
    },
    /// The tally's gauges.
    Gauges(&'a [(Gauge, u32)]),
}

impl Serialize for Directive<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(3))?;
        map.serialize_entry("Namespace", NAMESPACE)?;
        map.serialize_entry("Dimensions", self.dimensions)?;
        map.serialize_entry("Metrics", &self.metrics)?;
        map.end()
    }
}

impl Serialize for DirectiveMetrics<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let definition = |name: &'static str, unit: &'static str| MetricDefinition { name, unit };
        match self {
            DirectiveMetrics::Decisions { latency } => {
                let all = [
                    definition(DECISIONS, "Count"),
                    definition(ACTION_LATENCY, "Milliseconds"),
                ];
                s.collect_seq(&all[..if *latency { 2 } else { 1 }])
            }
            DirectiveMetrics::Counts {
                counts,
                split_key,
                split,
            } => s.collect_seq(
                counts
                    .iter()
                    .filter(|(c, _)| (split_key.is_some() && c.split_key() == *split_key) == *split)
                    .map(|(c, _)| definition(c.name(), "Count")),
            ),
            DirectiveMetrics::Gauges(gauges) => {
                s.collect_seq(gauges.iter().map(|(g, _)| definition(g.name(), "Count")))
            }
        }
    }
}

#[derive(Serialize)]
struct MetricDefinition {
    #[serde(rename = "Name")]
    name: &'static str,
    #[serde(rename = "Unit")]
    unit: &'static str,
}

/// Every metric name a function can emit, for the stack template's dashboard and alarms.
pub fn metric_names(function: FunctionName) -> Vec<&'static str> {
    let mut names = vec![DECISIONS, ACTION_LATENCY];
    names.extend(
        Count::ALL
            .iter()
            .filter(|c| c.function() == function)
            .map(|c| c.name()),
    );
    names.extend(
        Gauge::ALL
            .iter()
            .filter(|g| g.function() == function)
            .map(|g| g.name()),
    );
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serializer;
    use serde_json::json;

    /// The members `write` writes, as a JSON object.
    fn to_value(metrics: &Metrics<'_>) -> serde_json::Value {
        struct Line<'a>(&'a Metrics<'a>);
        impl serde::Serialize for Line<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut map = s.serialize_map(None)?;
                self.0
                    .write(&mut map, UNIX_EPOCH + Duration::from_secs(1))?;
                map.end()
            }
        }
        serde_json::to_value(Line(metrics)).unwrap()
    }

    #[test]
    fn a_skip_is_one_decision_without_latency_or_counts() {
        let mut tally = Tally::default();
        tally.add(Count::GatePasses, 1);
        let v = to_value(&Metrics {
            reported: Reported::Skipped,
            latency: None,
            tally: &tally,
        });
        assert_eq!(v["_aws"]["Timestamp"], 1000);
        assert_eq!(
            v["_aws"]["CloudWatchMetrics"],
            json!([{"Namespace": "Switchyard", "Dimensions": [["function", "outcome"]], "Metrics": [{"Name": "Decisions", "Unit": "Count"}]}])
        );
        assert_eq!(v["Decisions"], 1);
        assert!(v.get("GatePasses").is_none() && v.get("ActionLatency").is_none());
    }

    #[test]
    fn an_acted_release_counts_under_its_environment_too() {
        let mut tally = Tally::default();
        tally.add(Count::ReleasesStarted, 1);
        let tally = tally.split_by(Split::Environment("prod".into()));
        let v = to_value(&Metrics {
            reported: Reported::Acted,
            latency: Some(Duration::from_micros(1500)),
            tally: &tally,
        });
        let directives = v["_aws"]["CloudWatchMetrics"].as_array().unwrap();
        assert_eq!(directives.len(), 2);
        assert_eq!(
            directives[1]["Dimensions"],
            json!([["function"], ["function", "environment"]])
        );
        assert_eq!(v["ReleasesStarted"], 1);
        assert_eq!(v["environment"], "prod");
        assert_eq!(v["ActionLatency"], 1.5);
    }

    #[test]
    fn a_release_without_an_environment_split_counts_under_function_only() {
        let mut tally = Tally::default();
        tally.add(Count::ReleasesStarted, 2);
        let v = to_value(&Metrics {
            reported: Reported::Acted,
            latency: None,
            tally: &tally,
        });
        assert_eq!(
            v["_aws"]["CloudWatchMetrics"][1],
            json!({"Namespace": "Switchyard", "Dimensions": [["function"]], "Metrics": [{"Name": "ReleasesStarted", "Unit": "Count"}]})
        );
        assert_eq!(v["_aws"]["CloudWatchMetrics"].as_array().unwrap().len(), 2);
        assert_eq!(v["ReleasesStarted"], 2);
    }

    #[test]
    fn a_gauge_is_published_per_cluster_whatever_the_outcome() {
        for (reported, drift) in [(Reported::Skipped, 0), (Reported::Failed, 1)] {
            let mut tally = Tally::default().split_by(Split::Cluster("main".into()));
            tally.measure(Gauge::KafkaDrift, drift);
            let v = to_value(&Metrics {
                reported,
                latency: None,
                tally: &tally,
            });
            assert_eq!(
                v["_aws"]["CloudWatchMetrics"][1],
                json!({"Namespace": "Switchyard", "Dimensions": [["function"], ["function", "cluster"]], "Metrics": [{"Name": "KafkaDrift", "Unit": "Count"}]})
            );
            assert_eq!(v["KafkaDrift"], drift);
            assert_eq!(v["cluster"], "main");
        }
        assert!(metric_names(FunctionName::KafkaSync).contains(&"KafkaDrift"));
    }

    #[test]
    fn a_failed_decision_counts_nothing_it_meant_to_do() {
        let mut tally = Tally::default();
        tally.add(Count::StageRetries, 2);
        tally.add(Count::StageRetries, 0);
        let v = to_value(&Metrics {
            reported: Reported::Failed,
            latency: Some(Duration::ZERO),
            tally: &tally,
        });
        assert_eq!(v["_aws"]["CloudWatchMetrics"].as_array().unwrap().len(), 1);
        assert!(v.get("StageRetries").is_none());
        assert_eq!(tally.counts(), &[(Count::StageRetries, 2)]);
    }
}
