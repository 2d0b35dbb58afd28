//! Writing a plan (after the optional [`super::validate`]): creates and updates (bounded
//! concurrency), then deletions — cancelled if any write failed, so a half-applied change never also removes
//! connectors. Every request is retried only when a retry can help ([`crate::kafka_sync::retry`]).

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use serde::Serialize;

use crate::kafka_sync::changes::diff::{ChangeKind, ChangePlan, ConnectorChange, DangerousChanges};
use crate::kafka_sync::desired::{ConnectorConfig, TargetState};
use crate::kafka_sync::observed::{self, ConnectVersion};
use crate::kafka_sync::ports::{Clock, ConnectApi, ConnectError, ErrorKind, StateOp};
use crate::kafka_sync::retry::{with_retries, Backoff};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Connectors written at the same time (at least 1).
    pub concurrency: usize,
    /// Measured on the clock: no retry wait goes past it.
    pub deadline: Duration,
    pub backoff: Backoff,
    /// Apply changes to identity keys (`topic.prefix`, `slot.name`…). Off by default.
    pub allow_dangerous: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum WriteOutcome {
    Applied,
    Deleted,
    Failed {
        error: String,
    },
    /// Not attempted, with the reason.
    Cancelled {
        reason: String,
    },
}

impl WriteOutcome {
    pub fn label(&self) -> &'static str {
        match self {
            WriteOutcome::Applied => "applied",
            WriteOutcome::Deleted => "deleted",
            WriteOutcome::Failed { .. } => "failed",
            WriteOutcome::Cancelled { .. } => "cancelled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WriteResult {
    pub name: String,
    pub action: &'static str,
    #[serde(flatten)]
    pub outcome: WriteOutcome,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApplyReport {
    pub results: Vec<WriteResult>,
}

impl ApplyReport {
    pub fn failed(&self) -> impl Iterator<Item = &WriteResult> {
        self.results
            .iter()
            .filter(|r| !matches!(r.outcome, WriteOutcome::Applied | WriteOutcome::Deleted))
    }

    pub fn succeeded(&self) -> bool {
        self.failed().next().is_none()
    }

    pub fn is_empty(&self) -> bool {
        self.results.is_empty()
    }
}

/// Writes the plan: creates, updates and state changes first, deletions after (and only if every
/// write succeeded).
///
/// `held` are the connectors whose writes an earlier step stopped (a topic they name failed),
/// with the reason; `failed_before` counts that step's failures, which cancel the deletions too.
pub async fn apply<A: ConnectApi, C: Clock>(
    plan: &ChangePlan,
    api: &A,
    clock: &C,
    options: &ApplyOptions,
    held: &BTreeMap<String, String>,
    failed_before: usize,
) -> Result<ApplyReport, DangerousChanges> {
    plan.check_dangerous(options.allow_dangerous)?;
    let (held_back, writes): (Vec<&ConnectorChange>, Vec<&ConnectorChange>) = plan
        .changed()
        .filter(|c| !matches!(c.kind, ChangeKind::Delete))
        .partition(|c| held.contains_key(&c.name));
    let deletes: Vec<&ConnectorChange> = plan
        .connectors
        .iter()
        .filter(|c| matches!(c.kind, ChangeKind::Delete))
        .collect();
    // Futures built up front, as in `validate::validate_changes`.
    let writes: Vec<_> = writes
        .into_iter()
        .map(|change| async move {
            let outcome = match write_one(change, plan.version, api, clock, options).await {
                Ok(()) => WriteOutcome::Applied,
                Err(e) => WriteOutcome::Failed {
                    error: plan.scrubber.scrub(&e.to_string()),
                },
            };
            WriteResult {
                name: change.name.clone(),
                action: change.kind.label(),
                outcome,
            }
        })
        .collect();
    let mut results: Vec<WriteResult> = stream::iter(writes)
        .buffer_unordered(options.concurrency.max(1))
        .collect()
        .await;
    results.extend(held_back.into_iter().map(|c| WriteResult {
        name: c.name.clone(),
        action: c.kind.label(),
        outcome: WriteOutcome::Cancelled {
            reason: held[&c.name].clone(),
        },
    }));
    let write_failures = failed_before
        + results
            .iter()
            .filter(|r| r.outcome != WriteOutcome::Applied)
            .count();
    if write_failures > 0 {
        results.extend(deletes.into_iter().map(|c| WriteResult {
            name: c.name.clone(),
            action: "delete",
            outcome: WriteOutcome::Cancelled {
                reason: format!("{write_failures} create/update failed; deletions are cancelled"),
            },
        }));
    } else {
        let deletes: Vec<_> = deletes
            .into_iter()
            .map(|change| async move {
                let outcome = match delete_one(&change.name, api, clock, options).await {
                    Ok(()) => WriteOutcome::Deleted,
                    Err(e) => WriteOutcome::Failed {
                        error: e.to_string(),
                    },
                };
                WriteResult {
                    name: change.name.clone(),
                    action: "delete",
                    outcome,
                }
            })
            .collect();
        let deleted: Vec<WriteResult> = stream::iter(deletes)
            .buffer_unordered(options.concurrency.max(1))
            .collect()
            .await;
        results.extend(deleted);
    }
    results.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(ApplyReport { results })
}

async fn write_one<A: ConnectApi, C: Clock>(
    change: &ConnectorChange,
    version: Option<ConnectVersion>,
    api: &A,
    clock: &C,
    options: &ApplyOptions,
) -> Result<(), ConnectError> {
    let Some(want) = change.desired.as_ref() else {
        return Ok(());
    };
    let name = want.name.as_str();
    match &change.kind {
        ChangeKind::Create { state, .. } => {
            let initial_state = *state != TargetState::Running
                && version.is_some_and(|v| v.supports_initial_state());
            if initial_state {
                let created = with_retries(
                    clock,
                    options.backoff,
                    options.deadline,
                    || api.create(name, &want.config, *state),
                    || async { None },
                )
                .await;
                match created {
                    Ok(()) => return Ok(()),
                    // An earlier attempt (or someone else) created it: converge with PUT below.
                    Err(e) if e.kind == ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(e),
                }
            }
            put_config(name, &want.config, api, clock, options).await?;
            if *state != TargetState::Running {
                set_state(name, *state, version, api, clock, options).await?;
            }
            Ok(())
        }
        ChangeKind::Update { state, .. } => {
            put_config(name, &want.config, api, clock, options).await?;
            match state {
                Some(s) => set_state(name, s.to, version, api, clock, options).await,
                None => Ok(()),
            }
        }
        ChangeKind::SetState { state } => {
            set_state(name, state.to, version, api, clock, options).await
        }
        ChangeKind::Delete | ChangeKind::Unchanged { .. } => Ok(()),
    }
}

/// `PUT /connectors/{name}/config`; after a worker timeout, the stored config is read back and a
/// write that landed is not repeated (each write restarts the connector).
async fn put_config<A: ConnectApi, C: Clock>(
    name: &str,
    config: &ConnectorConfig,
    api: &A,
    clock: &C,
    options: &ApplyOptions,
) -> Result<(), ConnectError> {
    with_retries(
        clock,
        options.backoff,
        options.deadline,
        || api.put_config(name, config),
        || async {
            let stored = api.connector_config(name).await.ok()?;
            let stored = observed::parse_config("GET /connectors/{name}/config", &stored).ok()?;
            (stored == *config).then_some(())
        },
    )
    .await
}

async fn set_state<A: ConnectApi, C: Clock>(
    name: &str,
    target: TargetState,
    version: Option<ConnectVersion>,
    api: &A,
    clock: &C,
    options: &ApplyOptions,
) -> Result<(), ConnectError> {
    let mut op = StateOp::for_target(target);
    if op == StateOp::Stop && !version.is_some_and(|v| v.supports_stop()) {
        op = StateOp::Pause; // the plan warned: no STOPPED state before Kafka 3.5
    }
    with_retries(
        clock,
        options.backoff,
        options.deadline,
        || api.set_state(name, op),
        || async { None },
    )
    .await
}

async fn delete_one<A: ConnectApi, C: Clock>(
    name: &str,
    api: &A,
    clock: &C,
    options: &ApplyOptions,
) -> Result<(), ConnectError> {
    match with_retries(
        clock,
        options.backoff,
        options.deadline,
        || api.delete(name),
        || async { None },
    )
    .await
    {
        Err(e) if e.kind == ErrorKind::NotFound => Ok(()), // already gone: the goal is reached
        other => other,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::kafka_sync::changes::diff::diff;
    use crate::kafka_sync::changes::diff::tests::{desired_state, observed_cluster, options};
    use crate::kafka_sync::desired::ConnectorConfig;
    use crate::kafka_sync::ports::SimulatedClock;
    use serde_json::{json, Value};
    use std::collections::{BTreeMap, VecDeque};
    use std::sync::Mutex;

    /// An in-memory Connect: records requests and answers scripted errors first.
    #[derive(Default)]
    pub struct FakeConnect {
        pub requests: Mutex<Vec<String>>,
        pub failures: Mutex<BTreeMap<String, VecDeque<ConnectError>>>,
        pub stored: Mutex<BTreeMap<String, ConnectorConfig>>,
        pub validation: Mutex<Option<Value>>,
    }

    impl FakeConnect {
        pub fn fail(&self, request: &str, kind: ErrorKind, times: usize) {
            let status = match kind {
                ErrorKind::Rebalancing | ErrorKind::AlreadyExists => 409,
                ErrorKind::NotFound => 404,
                ErrorKind::Invalid => 400,
                _ => 500,
            };
            let mut f = self.failures.lock().unwrap();
            for _ in 0..times {
                f.entry(request.to_owned())
                    .or_default()
                    .push_back(ConnectError {
                        kind,
                        request: request.to_owned(),
                        status: Some(status),
                        message: format!("{kind:?}"),
                    });
            }
        }

        fn answer(&self, request: String) -> Result<(), ConnectError> {
            self.requests.lock().unwrap().push(request.clone());
            match self
                .failures
                .lock()
                .unwrap()
                .get_mut(&request)
                .and_then(VecDeque::pop_front)
            {
                Some(e) => Err(e),
                None => Ok(()),
            }
        }

        pub fn requests(&self) -> Vec<String> {
            self.requests.lock().unwrap().clone()
        }
    }

    impl ConnectApi for FakeConnect {
        async fn server_info(&self) -> Result<Value, ConnectError> {
            self.answer("GET /".into())?;
            Ok(json!({"version": "3.9.0"}))
        }
        async fn connectors_expanded(&self) -> Result<Value, ConnectError> {
            self.answer("GET /connectors?expand=info&expand=status".into())?;
            Ok(json!({}))
        }
        async fn connector_statuses(&self) -> Result<Value, ConnectError> {
            self.answer("GET /connectors?expand=status".into())?;
            Ok(json!({}))
        }
        async fn connector_config(&self, name: &str) -> Result<Value, ConnectError> {
            self.answer(format!("GET {name}/config"))?;
            let stored = self.stored.lock().unwrap();
            let c = stored
                .get(name)
                .ok_or_else(|| ConnectError::from_response(name.into(), 404, "not found".into()))?;
            Ok(serde_json::to_value(c).unwrap())
        }
        async fn put_config(
            &self,
            name: &str,
            config: &ConnectorConfig,
        ) -> Result<(), ConnectError> {
            let r = self.answer(format!("PUT {name}/config"));
            // A timed-out write still lands, as on a real worker.
            if r.is_ok() || r.as_ref().is_err_and(|e| e.kind == ErrorKind::TimedOut) {
                self.stored
                    .lock()
                    .unwrap()
                    .insert(name.into(), config.clone());
            }
            r
        }
        async fn create(
            &self,
            name: &str,
            config: &ConnectorConfig,
            state: TargetState,
        ) -> Result<(), ConnectError> {
            self.answer(format!("POST {name} {}", state.as_connect()))?;
            self.stored
                .lock()
                .unwrap()
                .insert(name.into(), config.clone());
            Ok(())
        }
        async fn set_state(&self, name: &str, op: StateOp) -> Result<(), ConnectError> {
            self.answer(format!("PUT {name}/{}", op.path_segment()))
        }
        async fn delete(&self, name: &str) -> Result<(), ConnectError> {
            self.answer(format!("DELETE {name}"))
        }
        async fn restart_failed(&self, name: &str) -> Result<(), ConnectError> {
            self.answer(format!("POST {name}/restart"))
        }
        async fn validate(
            &self,
            class: &str,
            _config: &ConnectorConfig,
        ) -> Result<Value, ConnectError> {
            self.answer(format!("VALIDATE {class}"))?;
            Ok(self
                .validation
                .lock()
                .unwrap()
                .clone()
                .unwrap_or(json!({"configs": []})))
        }
    }

    pub fn apply_options() -> ApplyOptions {
        ApplyOptions {
            concurrency: 4,
            deadline: Duration::from_secs(60),
            backoff: Backoff::default(),
            allow_dangerous: true,
        }
    }

    pub fn the_plan(prune: bool) -> ChangePlan {
        diff(&desired_state(), &observed_cluster(), &options(prune)).unwrap()
    }

    #[tokio::test]
    async fn writes_only_changes_then_deletes() {
        let api = FakeConnect::default();
        let report = apply(
            &the_plan(true),
            &api,
            &SimulatedClock::default(),
            &apply_options(),
            &BTreeMap::new(),
            0,
        )
        .await
        .unwrap();
        assert!(report.succeeded(), "{report:?}");
        let mut requests = api.requests();
        let last = requests.pop().unwrap();
        assert_eq!(last, "DELETE sy-orphan", "deletes come after every write");
        requests.sort();
        assert_eq!(
            requests,
            [
                "PUT sy-changed/config",
                "PUT sy-new/config",
                "PUT sy-paused/pause"
            ]
        );
    }

    #[tokio::test]
    async fn retries_rebalances_and_converges() {
        let api = FakeConnect::default();
        api.fail("PUT sy-new/config", ErrorKind::Rebalancing, 2);
        api.fail("DELETE sy-orphan", ErrorKind::NotFound, 1);
        let report = apply(
            &the_plan(true),
            &api,
            &SimulatedClock::default(),
            &apply_options(),
            &BTreeMap::new(),
            0,
        )
        .await
        .unwrap();
        assert!(report.succeeded(), "{report:?}");
        assert_eq!(
            api.requests()
                .iter()
                .filter(|r| *r == "PUT sy-new/config")
                .count(),
            3
        );
    }

    #[tokio::test]
    async fn a_failed_write_cancels_deletions() {
        let api = FakeConnect::default();
        api.fail("PUT sy-new/config", ErrorKind::Invalid, 1);
        let report = apply(
            &the_plan(true),
            &api,
            &SimulatedClock::default(),
            &apply_options(),
            &BTreeMap::new(),
            0,
        )
        .await
        .unwrap();
        assert!(!report.succeeded());
        assert!(!api.requests().iter().any(|r| r.starts_with("DELETE")));
        let orphan = report
            .results
            .iter()
            .find(|r| r.name == "sy-orphan")
            .unwrap();
        assert!(matches!(orphan.outcome, WriteOutcome::Cancelled { .. }));
        let new = report.results.iter().find(|r| r.name == "sy-new").unwrap();
        assert!(
            matches!(&new.outcome, WriteOutcome::Failed { error } if error.contains("PUT sy-new/config"))
        );
    }

    #[tokio::test]
    async fn a_write_that_timed_out_but_landed_is_not_repeated() {
        let api = FakeConnect::default();
        api.fail("PUT sy-new/config", ErrorKind::TimedOut, 1);
        let report = apply(
            &the_plan(false),
            &api,
            &SimulatedClock::default(),
            &apply_options(),
            &BTreeMap::new(),
            0,
        )
        .await
        .unwrap();
        assert!(report.succeeded(), "{report:?}");
        let r = api.requests();
        assert_eq!(r.iter().filter(|r| *r == "PUT sy-new/config").count(), 1);
        assert!(
            r.contains(&"GET sy-new/config".to_owned()),
            "re-read before retrying"
        );
    }

    #[tokio::test]
    async fn paused_creates_use_initial_state_and_fall_back_on_already_exists() {
        let mut p = the_plan(false);
        for c in &mut p.connectors {
            if let ChangeKind::Create { state, .. } = &mut c.kind {
                *state = TargetState::Paused;
            }
        }
        let api = FakeConnect::default();
        apply(
            &p,
            &api,
            &SimulatedClock::default(),
            &apply_options(),
            &BTreeMap::new(),
            0,
        )
        .await
        .unwrap();
        assert!(api.requests().contains(&"POST sy-new PAUSED".to_owned()));
        assert!(!api.requests().contains(&"PUT sy-new/config".to_owned()));

        let api = FakeConnect::default();
        api.fail("POST sy-new PAUSED", ErrorKind::AlreadyExists, 1);
        let report = apply(
            &p,
            &api,
            &SimulatedClock::default(),
            &apply_options(),
            &BTreeMap::new(),
            0,
        )
        .await
        .unwrap();
        assert!(report.succeeded());
        let r = api.requests();
        assert!(
            r.contains(&"PUT sy-new/config".to_owned())
                && r.contains(&"PUT sy-new/pause".to_owned()),
            "{r:?}"
        );
    }

    #[tokio::test]
    async fn dangerous_changes_write_nothing() {
        let api = FakeConnect::default();
        let opts = ApplyOptions {
            allow_dangerous: false,
            ..apply_options()
        };
        let err = apply(
            &the_plan(false),
            &api,
            &SimulatedClock::default(),
            &opts,
            &BTreeMap::new(),
            0,
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains("sy-changed topic.prefix"), "{err}");
        assert!(api.requests().is_empty());
    }
}
