//! After writing: wait until every changed connector and its tasks reached their target state,
//! polling all statuses in one request (`GET /connectors?expand=status`) per round. A connector
//! missing right after its create (the brief 404) is simply not there yet. A FAILED connector or
//! task is optionally restarted once (`restart?includeTasks=true&onlyFailed=true`), then reported
//! with its trace.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::kafka_sync::apply::progress::{ApplyProgress, ConnectorStanding, Standing, WaitPoll};
use crate::kafka_sync::changes::diff::{ChangeKind, ChangePlan};
use crate::kafka_sync::desired::TargetState;
use crate::kafka_sync::observed::ReadError;
use crate::kafka_sync::observed::{self, ConnectVersion, ConnectorStatus, RunState};
use crate::kafka_sync::ports::{Clock, ConnectApi};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitOptions {
    /// Measured on the clock.
    pub deadline: Duration,
    pub poll_interval: Duration,
    /// Restart failed connectors/tasks once before reporting them.
    pub restart_failed: bool,
}

/// How many polls a RUNNING connector with no tasks must stay so before it counts as settled
/// (tasks appear a moment after the connector starts; a few connectors legitimately have none).
const POLLS_FOR_TASKLESS: u32 = 3;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum WaitOutcome {
    Reached {
        state: RunState,
    },
    Failed {
        trace: String,
    },
    /// Still on its way at the deadline (`state`: last seen, if any).
    Pending {
        state: Option<RunState>,
    },
}

impl WaitOutcome {
    /// `RUNNING`, `FAILED`, `pending (UNASSIGNED)`…
    pub fn label(&self) -> String {
        match self {
            WaitOutcome::Reached { state } => state.as_str().to_owned(),
            WaitOutcome::Failed { .. } => "FAILED".to_owned(),
            WaitOutcome::Pending { state } => {
                format!(
                    "pending ({})",
                    state.map_or("not reported yet", |s| s.as_str())
                )
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaitResult {
    pub name: String,
    #[serde(flatten)]
    pub outcome: WaitOutcome,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub restarted: bool,
}

/// The connectors a plan changed, with the state each should reach.
pub fn targets(plan: &ChangePlan) -> Vec<(String, TargetState)> {
    plan.connectors
        .iter()
        .filter(|c| c.writes() && !matches!(c.kind, ChangeKind::Delete))
        .filter_map(|c| c.desired.as_ref().map(|d| (c.name.clone(), d.state)))
        .collect()
}

enum Progress {
    Reached(RunState),
    Failed(String),
    Waiting,
}

/// The state a connector reaches for `target` on this version (no STOPPED before Kafka 3.5: it
/// is paused instead).
fn wanted_state(target: TargetState, version: Option<ConnectVersion>) -> RunState {
    match target {
        TargetState::Running => RunState::Running,
        TargetState::Paused => RunState::Paused,
        TargetState::Stopped if version.is_some_and(|v| v.supports_stop()) => RunState::Stopped,
        TargetState::Stopped => RunState::Paused,
    }
}

fn progress_of(
    status: &ConnectorStatus,
    target: TargetState,
    version: Option<ConnectVersion>,
    taskless_polls: u32,
) -> Progress {
    if let Some(trace) = status.failure() {
        return Progress::Failed(trace);
    }
    let wanted = wanted_state(target, version);
    if status.state != wanted {
        return Progress::Waiting;
    }
    match target {
        TargetState::Running if status.tasks.is_empty() && taskless_polls < POLLS_FOR_TASKLESS => {
            Progress::Waiting
        }
        TargetState::Running if status.tasks.iter().any(|t| t.state != RunState::Running) => {
            Progress::Waiting
        }
        _ => Progress::Reached(wanted),
    }
}

/// Where every target stands after a poll, for [`ApplyProgress::wait_polled`].
fn standings<'a>(
    targets: &'a [(String, TargetState)],
    version: Option<ConnectVersion>,
    pending: &BTreeMap<&str, (TargetState, Option<RunState>, u32, bool)>,
    done: &[WaitResult],
) -> Vec<ConnectorStanding<'a>> {
    let done: BTreeMap<&str, &WaitOutcome> =
        done.iter().map(|r| (r.name.as_str(), &r.outcome)).collect();
    targets
        .iter()
        .map(|(name, target)| ConnectorStanding {
            name,
            wanted: wanted_state(*target, version),
            standing: match (pending.get(name.as_str()), done.get(name.as_str())) {
                (Some((_, last, _, _)), _) => Standing::Waiting { last: *last },
                (None, Some(WaitOutcome::Reached { .. })) => Standing::Reached,
                (None, Some(WaitOutcome::Failed { .. })) => Standing::Failed,
                (None, _) => Standing::Waiting { last: None },
            },
        })
        .collect()
}

/// Polls until every target settled or the deadline; each poll is told to `progress`.
pub async fn wait_for<A: ConnectApi, C: Clock, P: ApplyProgress>(
    targets: &[(String, TargetState)],
    version: Option<ConnectVersion>,
    api: &A,
    clock: &C,
    options: &WaitOptions,
    progress: &P,
) -> Result<Vec<WaitResult>, ReadError> {
    let started = clock.elapsed();
    let mut pending: BTreeMap<&str, (TargetState, Option<RunState>, u32, bool)> = targets
        .iter()
        .map(|(n, t)| (n.as_str(), (*t, None, 0, false)))
        .collect();
    let mut done = Vec::new();
    while !pending.is_empty() {
        let statuses = match api.connector_statuses().await {
            Ok(body) => Some(observed::parse_expanded_connectors(&body)?),
            Err(e) if e.kind.is_retryable() => None, // a rebalance or a restarting worker: poll again
            Err(e) => return Err(e.into()),
        };
        let mut settled = Vec::new();
        for (name, (target, last, taskless, restarted)) in pending.iter_mut() {
            let Some(status) = statuses
                .as_ref()
                .and_then(|s| s.get(*name))
                .and_then(|c| c.status.as_ref())
            else {
                continue;
            };
            *last = Some(status.state);
            if status.state == RunState::Running && status.tasks.is_empty() {
                *taskless += 1;
            }
            match progress_of(status, *target, version, *taskless) {
                Progress::Waiting => {}
                Progress::Reached(state) => settled.push((*name, WaitOutcome::Reached { state })),
                Progress::Failed(trace) => {
                    let can_restart = version.is_none_or(|v| v.supports_restart_failed_tasks());
                    if options.restart_failed && !*restarted && can_restart {
                        *restarted = true;
                        // A failed restart request is not fatal: the next poll reports the state.
                        let _ = api.restart_failed(name).await;
                    } else {
                        settled.push((*name, WaitOutcome::Failed { trace }));
                    }
                }
            }
        }
        for (name, outcome) in settled {
            let (_, _, _, restarted) = pending.remove(name).expect("pending");
            done.push(WaitResult {
                name: name.to_owned(),
                outcome,
                restarted,
            });
        }
        progress.wait_polled(&WaitPoll {
            elapsed: clock.elapsed().saturating_sub(started),
            connectors: standings(targets, version, &pending, &done),
        });
        if pending.is_empty() || clock.elapsed() + options.poll_interval >= options.deadline {
            break;
        }
        clock.sleep(options.poll_interval).await;
    }
    done.extend(
        pending
            .into_iter()
            .map(|(name, (_, last, _, restarted))| WaitResult {
                name: name.to_owned(),
                outcome: WaitOutcome::Pending { state: last },
                restarted,
            }),
    );
    done.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka_sync::apply::progress::tests::Recorder;
    use crate::kafka_sync::apply::progress::NoProgress;
    use crate::kafka_sync::desired::ConnectorConfig;
    use crate::kafka_sync::ports::SimulatedClock;
    use crate::kafka_sync::ports::{ConnectError, StateOp};
    use serde_json::{json, Value};
    use std::collections::VecDeque;
    use std::sync::Mutex;

    /// Answers a scripted sequence of status bodies, the last one forever.
    struct Statuses {
        bodies: Mutex<VecDeque<Value>>,
        restarts: Mutex<Vec<String>>,
    }

    impl ConnectApi for Statuses {
        async fn server_info(&self) -> Result<Value, ConnectError> {
            unreachable!()
        }
        async fn connectors_expanded(&self) -> Result<Value, ConnectError> {
            unreachable!()
        }
        async fn connector_statuses(&self) -> Result<Value, ConnectError> {
            let mut b = self.bodies.lock().unwrap();
            let body = if b.len() > 1 {
                b.pop_front().unwrap()
            } else {
                b[0].clone()
            };
            if body == json!("rebalancing") {
                return Err(ConnectError::from_response(
                    "GET".into(),
                    409,
                    "rebalance".into(),
                ));
            }
            Ok(body)
        }
        async fn connector_config(&self, _: &str) -> Result<Value, ConnectError> {
            unreachable!()
        }
        async fn put_config(&self, _: &str, _: &ConnectorConfig) -> Result<(), ConnectError> {
            unreachable!()
        }
        async fn create(
            &self,
            _: &str,
            _: &ConnectorConfig,
            _: TargetState,
        ) -> Result<(), ConnectError> {
            unreachable!()
        }
        async fn set_state(&self, _: &str, _: StateOp) -> Result<(), ConnectError> {
            unreachable!()
        }
        async fn delete(&self, _: &str) -> Result<(), ConnectError> {
            unreachable!()
        }
        async fn restart_failed(&self, name: &str) -> Result<(), ConnectError> {
            self.restarts.lock().unwrap().push(name.into());
            Ok(())
        }
        async fn validate(&self, _: &str, _: &ConnectorConfig) -> Result<Value, ConnectError> {
            unreachable!()
        }
    }

    fn status(connector: &str, tasks: &[&str]) -> Value {
        let tasks: Vec<Value> = tasks
            .iter()
            .enumerate()
            .map(|(i, s)| json!({"id": i, "state": s, "worker_id": "w", "trace": if *s == "FAILED" { "org.Boom: at line 1\n\tat x" } else { "" }}))
            .collect();
        json!({"status": {"connector": {"state": connector, "worker_id": "w"}, "tasks": tasks}})
    }

    fn api(bodies: Vec<Value>) -> Statuses {
        Statuses {
            bodies: Mutex::new(bodies.into()),
            restarts: Mutex::default(),
        }
    }

    fn opts(restart_failed: bool) -> WaitOptions {
        WaitOptions {
            deadline: Duration::from_secs(30),
            poll_interval: Duration::from_secs(1),
            restart_failed,
        }
    }

    const V: Option<ConnectVersion> = Some(ConnectVersion { major: 3, minor: 9 });

    #[tokio::test]
    async fn tolerates_the_404_after_create_and_rebalances() {
        let api = api(vec![
            json!({}),
            json!("rebalancing"),
            json!({"a": status("RUNNING", &[])}),
            json!({"a": status("RUNNING", &["RUNNING"]), "b": status("PAUSED", &["PAUSED"])}),
        ]);
        let targets = [
            ("a".to_owned(), TargetState::Running),
            ("b".to_owned(), TargetState::Paused),
        ];
        let r = wait_for(
            &targets,
            V,
            &api,
            &SimulatedClock::default(),
            &opts(false),
            &NoProgress,
        )
        .await
        .unwrap();
        assert_eq!(
            r[0].outcome,
            WaitOutcome::Reached {
                state: RunState::Running
            }
        );
        assert_eq!(
            r[1].outcome,
            WaitOutcome::Reached {
                state: RunState::Paused
            }
        );
    }

    #[tokio::test]
    async fn failed_tasks_are_restarted_once_then_reported_with_their_trace() {
        let api = api(vec![json!({"a": status("RUNNING", &["FAILED"])})]);
        let targets = [("a".to_owned(), TargetState::Running)];
        let r = wait_for(
            &targets,
            V,
            &api,
            &SimulatedClock::default(),
            &opts(true),
            &NoProgress,
        )
        .await
        .unwrap();
        assert_eq!(api.restarts.lock().unwrap().as_slice(), ["a"]);
        assert!(r[0].restarted);
        assert!(
            matches!(&r[0].outcome, WaitOutcome::Failed { trace } if trace.contains("task 0: org.Boom"))
        );
    }

    #[tokio::test]
    async fn reports_pending_at_the_deadline() {
        let api = api(vec![json!({"a": status("UNASSIGNED", &[])})]);
        let clock = SimulatedClock::default();
        let r = wait_for(
            &[("a".to_owned(), TargetState::Running)],
            V,
            &api,
            &clock,
            &opts(false),
            &NoProgress,
        )
        .await
        .unwrap();
        assert_eq!(
            r[0].outcome,
            WaitOutcome::Pending {
                state: Some(RunState::Unassigned)
            }
        );
        assert!(clock.elapsed() <= Duration::from_secs(30));
    }

    #[tokio::test]
    async fn taskless_connectors_settle_after_a_few_polls() {
        let api = api(vec![json!({"a": status("RUNNING", &[])})]);
        let r = wait_for(
            &[("a".to_owned(), TargetState::Running)],
            V,
            &api,
            &SimulatedClock::default(),
            &opts(false),
            &NoProgress,
        )
        .await
        .unwrap();
        assert_eq!(
            r[0].outcome,
            WaitOutcome::Reached {
                state: RunState::Running
            }
        );
    }

    #[tokio::test]
    async fn each_poll_is_reported_with_who_is_still_waited_for() {
        let api = api(vec![
            json!({}),
            json!({"a": status("UNASSIGNED", &[]), "b": status("PAUSED", &["PAUSED"])}),
            json!({"a": status("RUNNING", &["RUNNING"]), "b": status("PAUSED", &["PAUSED"])}),
        ]);
        let targets = [
            ("a".to_owned(), TargetState::Running),
            ("b".to_owned(), TargetState::Paused),
        ];
        let recorder = Recorder::default();
        wait_for(
            &targets,
            V,
            &api,
            &SimulatedClock::default(),
            &opts(false),
            &recorder,
        )
        .await
        .unwrap();
        assert_eq!(
            recorder.lines(),
            [
                "0/1 RUNNING, 0/1 PAUSED, 0 s; pending: a (not reported yet), b (not reported yet)",
                "0/1 RUNNING, 1/1 PAUSED, 1 s; pending: a (UNASSIGNED)",
                "1/1 RUNNING, 1/1 PAUSED, 2 s",
            ],
            "one report per poll, the last with nothing left to wait for"
        );
    }
}
