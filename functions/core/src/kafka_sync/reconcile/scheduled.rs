//! The scheduled drift check: a `kafka-drift` event ([`crate::sources::schedule`]) from the
//! EventBridge Scheduler schedule in `template.yaml` checks every cluster whose reconcile mode is
//! not `off`, one after another ([`drift::check_cluster`]). Each cluster's report is one decision
//! line carrying the `KafkaDrift` metric under its `cluster` dimension (1 drift, 0 none; no value
//! when nothing could be compared), which the stack's alarm watches.

use std::time::Instant;

use serde_json::{json, Value};

use crate::deadline::Deadline;
use crate::entry::{self, DecisionLine, HandlerError};
use crate::kafka_sync::config::KafkaSyncConfig;
use crate::kafka_sync::ports::Clock;
use crate::kafka_sync::reconcile::drift::{self, DriftReport, DriftStatus};
use crate::kafka_sync::reconcile::{ReconcileMode, DRIFT_MARK};
use crate::kafka_sync::triggers::ConnectPorts;
use crate::metrics::{Gauge, Reported, Split, Tally};
use crate::plan::{Decision, FunctionName, RecordDecision};
use crate::sources::schedule;

/// Why a drift check checks nothing.
pub const NOTHING_TO_CHECK: &str =
    "no cluster has a reconcile mode (KAFKA_CLUSTERS.<name>.reconcile.mode): nothing to check";

/// Whether `raw` asks for a drift check (routing; cheap).
pub fn is_drift_event(raw: &Value) -> bool {
    schedule::is_marked(raw, DRIFT_MARK)
}

/// Whether `raw` is a scheduled event of any mark (`{"switchyard": …}`): kafka-sync answers
/// those here, refusing all but its own.
pub fn is_scheduled_event(raw: &Value) -> bool {
    raw.get("switchyard").is_some()
}

/// Checks every cluster with a reconcile mode. `Err`: the event is not a valid drift event
/// (the field named), nothing checked.
pub async fn check_all<P: ConnectPorts>(
    raw: &Value,
    config: &KafkaSyncConfig,
    ports: &P,
    deadline: Deadline,
) -> Result<Vec<DriftReport>, String> {
    if !is_drift_event(raw) {
        return Err(format!(
            "switchyard: {} is not kafka-sync's scheduled event ({DRIFT_MARK:?})",
            crate::text::truncate_for_message(&raw["switchyard"].to_string())
        ));
    }
    schedule::parse(raw).map_err(|e| e.to_string())?;
    let clock = ports.clock();
    let until = clock.elapsed() + deadline.budget_at(clock.now());
    let mut reports = Vec::new();
    for (name, cluster) in &config.clusters {
        if cluster.reconcile.mode == ReconcileMode::Off {
            continue;
        }
        // A mode is configured only with a table (checked at cold start).
        let Some(table) = &config.state_table else {
            continue;
        };
        reports.push(drift::check_cluster(name, cluster, table, config, ports, until).await);
    }
    Ok(reports)
}

/// The metric outcome of a report: a check that wrote acted; one that could not compare failed.
pub fn reported(report: &DriftReport) -> Reported {
    match report.status {
        DriftStatus::Unreachable | DriftStatus::Failed => Reported::Failed,
        _ if report.wrote() => Reported::Acted,
        _ => Reported::Skipped,
    }
}

/// The report's metrics: `KafkaDrift` for its cluster, when something was compared.
pub fn tally(report: &DriftReport) -> Tally {
    let mut tally = Tally::default().split_by(Split::Cluster(report.cluster.clone()));
    match report.status {
        DriftStatus::Drift => tally.measure(Gauge::KafkaDrift, 1),
        DriftStatus::NoDrift => tally.measure(Gauge::KafkaDrift, 0),
        _ => {}
    }
    tally
}

fn record_name(report: &DriftReport) -> String {
    format!("cluster {}", report.cluster)
}

/// The dry run's decisions (replay): one per checked cluster, its report as the reason.
pub async fn decide<P: ConnectPorts>(
    raw: &Value,
    config: &KafkaSyncConfig,
    ports: &P,
    deadline: Deadline,
) -> Vec<RecordDecision> {
    let reports = match check_all(raw, config, ports, deadline).await {
        Ok(reports) => reports,
        Err(e) => return vec![RecordDecision::whole(Decision::invalid(e))],
    };
    if reports.is_empty() {
        return vec![RecordDecision::whole(Decision::skip(NOTHING_TO_CHECK))];
    }
    reports
        .iter()
        .map(|report| RecordDecision {
            record: Some(record_name(report)),
            ..RecordDecision::whole(Decision::skip(report.summary()))
        })
        .collect()
}

/// The Lambda's answer to a drift event: every cluster's report, each logged as its decision
/// line with its metric.
pub async fn handle<P: ConnectPorts>(
    raw: &Value,
    config: &KafkaSyncConfig,
    ports: &P,
    deadline: Deadline,
) -> Result<Value, HandlerError> {
    let event_id = entry::event_id(raw);
    let started = Instant::now();
    let log = |record: Option<&str>, reason: &str, reported: Reported, tally: &Tally| {
        DecisionLine {
            function: FunctionName::KafkaSync,
            event_id: event_id.as_deref(),
            record,
            reason,
            actions: &[],
            reported,
            latency: (reported == Reported::Acted).then(|| started.elapsed()),
            tally,
        }
        .log()
    };
    let reports = match check_all(raw, config, ports, deadline).await {
        Ok(reports) => reports,
        Err(e) => {
            log(None, &e, Reported::Rejected, &Tally::default());
            return Err(HandlerError::Rejected(e));
        }
    };
    if reports.is_empty() {
        log(None, NOTHING_TO_CHECK, Reported::Skipped, &Tally::default());
    }
    for report in &reports {
        let record = record_name(report);
        log(
            Some(&record),
            &report.summary(),
            reported(report),
            &tally(report),
        );
    }
    Ok(json!({"function": FunctionName::KafkaSync, "outcome": "checked", "results": reports}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_vars;
    use crate::kafka_sync::triggers::dry_run::DryRunConnectPorts;
    use std::time::SystemTime;

    const NOW: &str = "2026-11-23T08:00:05Z";

    fn config(mode: &str) -> KafkaSyncConfig {
        KafkaSyncConfig::from_vars(&test_vars(&[
            (
                "KAFKA_CLUSTERS",
                &format!(
                    r#"{{"main": {{"url": "http://c:8083", "managed_prefixes": ["sy-"], "reconcile": {{"mode": "{mode}"}}}}, "quiet": {{"url": "http://q:8083"}}}}"#
                ),
            ),
            ("KAFKA_STATE_TABLE", "t"),
        ]))
        .unwrap()
    }

    /// The sample drift world, with the orders connector's task FAILED.
    fn world(failed: bool) -> DryRunConnectPorts {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../events/worlds/kafka-drift.json"
        ))
        .unwrap();
        let mut world: Value = serde_json::from_str(&text).unwrap();
        if failed {
            world["kafka-sync"]["clusters"]["main"]["connectors"]["sy-audit-sink"]["status"]
                ["tasks"][0] = json!({"id": 0, "state": "FAILED", "worker_id": "w", "trace": "java.io.FileNotFoundException"});
        }
        let now = SystemTime::from(crate::timestamps::parse("now", NOW).unwrap());
        DryRunConnectPorts::from_world(world.get("kafka-sync"), now).unwrap()
    }

    fn event() -> Value {
        schedule::event_at(
            DRIFT_MARK,
            crate::timestamps::parse("t", NOW).unwrap(),
            "e-1",
        )
    }

    fn deadline(ports: &DryRunConnectPorts) -> Deadline {
        ports.deadline()
    }

    #[tokio::test]
    async fn report_writes_nothing_enforce_writes_the_one_changed_connector_heal_restarts() {
        let ports = world(true);
        let reports = check_all(&event(), &config("report"), &ports, deadline(&ports))
            .await
            .unwrap();
        // Only the cluster with a mode is checked.
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].status, DriftStatus::Drift);
        assert_eq!(reported(&reports[0]), Reported::Skipped);
        assert_eq!(tally(&reports[0]).gauges(), &[(Gauge::KafkaDrift, 1)]);
        let main = ports.cluster("main").unwrap();
        assert!(main.writes().is_empty(), "{:?}", main.writes());

        let ports = world(true);
        let reports = check_all(&event(), &config("heal"), &ports, deadline(&ports))
            .await
            .unwrap();
        assert_eq!(
            ports.cluster("main").unwrap().writes(),
            ["POST /connectors/sy-audit-sink/restart"]
        );
        assert!(reports[0]
            .summary()
            .contains("heal: sy-audit-sink: restarted"));
        assert_eq!(reported(&reports[0]), Reported::Acted);

        let ports = world(true);
        let reports = check_all(&event(), &config("enforce"), &ports, deadline(&ports))
            .await
            .unwrap();
        assert_eq!(
            ports.cluster("main").unwrap().writes(),
            [
                "POST /connectors/sy-audit-sink/restart",
                "PUT /connectors/sy-orders-sink/config"
            ]
        );
        assert!(
            reports[0]
                .summary()
                .ends_with("enforce: update sy-orders-sink applied"),
            "{}",
            reports[0].summary()
        );
    }

    #[tokio::test]
    async fn other_scheduled_events_and_clusters_without_a_mode_check_nothing() {
        let ports = world(false);
        let other = json!({"switchyard": "branch-sweep", "scheduledTime": NOW, "executionId": "x"});
        let err = check_all(&other, &config("report"), &ports, deadline(&ports))
            .await
            .unwrap_err();
        assert!(err.starts_with("switchyard: "), "{err}");
        let decisions = decide(&event(), &config("off"), &ports, deadline(&ports)).await;
        assert_eq!(decisions.len(), 1);
        assert_eq!(decisions[0].decision.reason, NOTHING_TO_CHECK);
    }
}
