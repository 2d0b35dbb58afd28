//! Kafka state stays as declared: after every successful apply the desired state is recorded per
//! cluster ([`record`]: what, from where, how, and when S3 wrote it, which orders desired states
//! so that an older one is refused), and a scheduled check ([`drift`], started by a
//! `kafka-drift` [`crate::sources::schedule`] event) re-reads it, plans it against the cluster
//! through the one plan entry point ([`crate::kafka_sync::run::plan_changes`]) and reports drift.
//! What the check may do is the cluster's [`ReconcileMode`]: report only, [`heal`] failed
//! connectors, or enforce (heal, and re-apply the recorded state's changes, never deleting).

pub mod drift;
pub mod heal;
pub mod record;
pub mod scheduled;

use std::time::Duration;

use serde::Deserialize;

use heal::HealPolicy;

/// The value of the `switchyard` field that marks a drift check event.
pub const DRIFT_MARK: &str = "kafka-drift";

/// What the scheduled check may do to a cluster (`KAFKA_CLUSTERS.<name>.reconcile.mode`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReconcileMode {
    /// Not checked.
    #[default]
    Off,
    /// Reads only: reports drift, writes nothing.
    Report,
    /// Also restarts failed connectors and tasks (with back-off and a daily cap).
    Heal,
    /// Also re-applies the recorded desired state's changes (creates and updates, never
    /// deletes).
    Enforce,
}

impl ReconcileMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ReconcileMode::Off => "off",
            ReconcileMode::Report => "report",
            ReconcileMode::Heal => "heal",
            ReconcileMode::Enforce => "enforce",
        }
    }

    pub fn heals(self) -> bool {
        matches!(self, ReconcileMode::Heal | ReconcileMode::Enforce)
    }
}

fn default_backoff_minutes() -> u64 {
    5
}

fn default_max_backoff_minutes() -> u64 {
    360
}

fn default_max_restarts_per_day() -> u32 {
    10
}

/// `KAFKA_CLUSTERS.<name>.reconcile`: `{"mode": "heal", "backoff_minutes": 5,
/// "max_backoff_minutes": 360, "max_restarts_per_day": 10}` (all optional; mode off).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReconcileConfig {
    #[serde(default)]
    pub mode: ReconcileMode,
    /// The wait after a connector's first restart (doubled after each further one).
    #[serde(default = "default_backoff_minutes")]
    pub backoff_minutes: u64,
    #[serde(default = "default_max_backoff_minutes")]
    pub max_backoff_minutes: u64,
    #[serde(default = "default_max_restarts_per_day")]
    pub max_restarts_per_day: u32,
}

impl Default for ReconcileConfig {
    fn default() -> Self {
        ReconcileConfig {
            mode: ReconcileMode::Off,
            backoff_minutes: default_backoff_minutes(),
            max_backoff_minutes: default_max_backoff_minutes(),
            max_restarts_per_day: default_max_restarts_per_day(),
        }
    }
}

impl ReconcileConfig {
    pub fn policy(&self) -> HealPolicy {
        HealPolicy {
            backoff: Duration::from_secs(60 * self.backoff_minutes),
            max_backoff: Duration::from_secs(60 * self.max_backoff_minutes),
            max_restarts_per_day: self.max_restarts_per_day,
        }
    }

    /// A problem with the values, for the configuration error.
    pub fn problem(&self) -> Option<String> {
        if self.backoff_minutes == 0 || self.backoff_minutes > self.max_backoff_minutes {
            return Some(format!(
                "backoff_minutes {} must be at least 1 and at most max_backoff_minutes {}",
                self.backoff_minutes, self.max_backoff_minutes
            ));
        }
        if self.max_backoff_minutes > 7 * 24 * 60 {
            return Some("max_backoff_minutes is over a week".into());
        }
        None
    }
}
