//! `heal`: restart failed connectors and tasks (`POST /connectors/{name}/restart?includeTasks=true&onlyFailed=true`),
//! as Strimzi's auto-restart does: a connector that fails again waits twice as long as the last
//! time before its next restart, and no connector is restarted more than a number of times a
//! (UTC) day. Both live in the cluster's [`RestartLedger`], kept in the state store, so they hold
//! across Lambda instances; [`step`] is the pure rule.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::kafka_sync::apply::ApplyOptions;
use crate::kafka_sync::changes::ChangePlan;
use crate::kafka_sync::ports::{Clock, ConnectApi};
use crate::kafka_sync::retry::with_retries;
use crate::timestamps::{epoch_seconds, format_system, from_epoch_seconds};

const DAY: i64 = 86_400;

/// How `heal` spaces and caps restarts (`KAFKA_CLUSTERS.<name>.reconcile`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealPolicy {
    /// The wait after a connector's first restart, doubled after each further one.
    pub backoff: Duration,
    /// The longest wait.
    pub max_backoff: Duration,
    /// Restarts of one connector per UTC day.
    pub max_restarts_per_day: u32,
}

/// One connector's restarts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restarts {
    /// Restarts since the connector was last seen healthy.
    pub consecutive: u32,
    /// The last restart, seconds since the epoch.
    pub last: i64,
    /// The UTC day (days since the epoch) `today` counts.
    pub day: i64,
    /// Restarts on `day`.
    pub today: u32,
}

/// Every connector's restarts on one cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestartLedger {
    pub connectors: BTreeMap<String, Restarts>,
}

/// What `heal` does about one failed connector now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Restart it: the `attempt`th restart since it was healthy.
    Restart { attempt: u32 },
    /// Still backing off after the last restart.
    BackingOff { until: SystemTime },
    /// The day's restarts are spent.
    Capped { cap: u32 },
}

impl HealPolicy {
    /// The wait after the `n`th consecutive restart: `backoff`, doubled each time, at most
    /// `max_backoff`.
    pub fn wait_after(&self, n: u32) -> Duration {
        let doublings = n.saturating_sub(1).min(30);
        self.backoff
            .saturating_mul(1u32 << doublings)
            .min(self.max_backoff)
    }
}

/// The rule for a failed connector with these `restarts` at `now`. Pure.
pub fn step(policy: &HealPolicy, restarts: &Restarts, now: SystemTime) -> Step {
    let now_s = epoch_seconds(now);
    let today = if restarts.day == now_s.div_euclid(DAY) {
        restarts.today
    } else {
        0
    };
    if today >= policy.max_restarts_per_day {
        return Step::Capped {
            cap: policy.max_restarts_per_day,
        };
    }
    if restarts.consecutive > 0 {
        let until = from_epoch_seconds(restarts.last) + policy.wait_after(restarts.consecutive);
        if now < until {
            return Step::BackingOff { until };
        }
    }
    Step::Restart {
        attempt: restarts.consecutive + 1,
    }
}

/// What `heal` did about one connector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "heal", rename_all = "snake_case")]
pub enum HealOutcome {
    Restarted {
        connector: String,
        attempt: u32,
        /// No restart before then if it fails again.
        next_not_before: String,
    },
    BackingOff {
        connector: String,
        until: String,
    },
    /// Not restarted: the day's cap is reached.
    Capped {
        connector: String,
        cap: u32,
    },
    RestartFailed {
        connector: String,
        error: String,
    },
}

impl std::fmt::Display for HealOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HealOutcome::Restarted {
                connector,
                attempt,
                next_not_before,
            } => write!(
                f,
                "{connector}: restarted its failed connector and tasks (restart {attempt}; if it fails again, not before {next_not_before})"
            ),
            HealOutcome::BackingOff { connector, until } => write!(
                f,
                "{connector}: failed, backing off: next restart not before {until}"
            ),
            HealOutcome::Capped { connector, cap } => write!(
                f,
                "{connector}: failed, not restarted: the daily cap of {cap} restarts is reached (max_restarts_per_day)"
            ),
            HealOutcome::RestartFailed { connector, error } => {
                write!(f, "{connector}: restart failed: {error}")
            }
        }
    }
}

/// Restarts the plan's failing connectors as the ledger allows, and forgets the consecutive
/// count of connectors that are healthy again. Returns what it did, and whether the ledger
/// changed (to be saved). A restart request is retried while Connect says a retry can help (a
/// rebalance: 409 "stale configuration"), on the apply's backoff and deadline.
pub async fn heal<A: ConnectApi, C: Clock>(
    plan: &ChangePlan,
    api: &A,
    clock: &C,
    options: &ApplyOptions,
    policy: &HealPolicy,
    ledger: &mut RestartLedger,
    now: SystemTime,
) -> (Vec<HealOutcome>, bool) {
    let mut outcomes = Vec::new();
    let mut changed = false;
    let now_s = epoch_seconds(now);
    let failing: Vec<&str> = plan.failing.iter().map(|f| f.name.as_str()).collect();
    // Healthy again: the back-off starts over (the day's count stays).
    for (name, restarts) in &mut ledger.connectors {
        if !failing.contains(&name.as_str()) && restarts.consecutive > 0 {
            restarts.consecutive = 0;
            changed = true;
        }
    }
    let before = ledger.connectors.len();
    ledger
        .connectors
        .retain(|name, r| failing.contains(&name.as_str()) || r.day == now_s.div_euclid(DAY));
    changed |= ledger.connectors.len() != before;
    for name in failing {
        let restarts = ledger.connectors.get(name).copied().unwrap_or_default();
        match step(policy, &restarts, now) {
            Step::Capped { cap } => outcomes.push(HealOutcome::Capped {
                connector: name.to_owned(),
                cap,
            }),
            Step::BackingOff { until } => outcomes.push(HealOutcome::BackingOff {
                connector: name.to_owned(),
                until: format_system(until),
            }),
            Step::Restart { attempt } => match with_retries(
                clock,
                options.backoff,
                options.deadline,
                || api.restart_failed(name),
                || async { None },
            )
            .await
            {
                Ok(()) => {
                    let day = now_s.div_euclid(DAY);
                    let today = if restarts.day == day {
                        restarts.today + 1
                    } else {
                        1
                    };
                    ledger.connectors.insert(
                        name.to_owned(),
                        Restarts {
                            consecutive: attempt,
                            last: now_s,
                            day,
                            today,
                        },
                    );
                    changed = true;
                    outcomes.push(HealOutcome::Restarted {
                        connector: name.to_owned(),
                        attempt,
                        next_not_before: format_system(now + policy.wait_after(attempt)),
                    });
                }
                Err(e) => outcomes.push(HealOutcome::RestartFailed {
                    connector: name.to_owned(),
                    error: plan.scrubber.scrub(&e.to_string()),
                }),
            },
        }
    }
    (outcomes, changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    const POLICY: HealPolicy = HealPolicy {
        backoff: Duration::from_secs(300),
        max_backoff: Duration::from_secs(3600),
        max_restarts_per_day: 3,
    };

    fn at(s: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(s)
    }

    #[test]
    fn the_back_off_doubles_up_to_its_maximum() {
        let waits: Vec<u64> = (1..=6).map(|n| POLICY.wait_after(n).as_secs()).collect();
        assert_eq!(waits, [300, 600, 1200, 2400, 3600, 3600]);
        assert_eq!(POLICY.wait_after(u32::MAX).as_secs(), 3600);
    }

    #[test]
    fn a_failed_connector_is_restarted_backed_off_then_capped_for_the_day() {
        let day = 20_000 * 86_400;
        let fresh = Restarts::default();
        assert_eq!(step(&POLICY, &fresh, at(day)), Step::Restart { attempt: 1 });
        let once = Restarts {
            consecutive: 1,
            last: day as i64,
            day: 20_000,
            today: 1,
        };
        assert_eq!(
            step(&POLICY, &once, at(day + 60)),
            Step::BackingOff {
                until: at(day + 300)
            }
        );
        assert_eq!(
            step(&POLICY, &once, at(day + 300)),
            Step::Restart { attempt: 2 }
        );
        let capped = Restarts {
            consecutive: 3,
            last: day as i64,
            day: 20_000,
            today: 3,
        };
        assert_eq!(
            step(&POLICY, &capped, at(day + 50_000)),
            Step::Capped { cap: 3 }
        );
        // A new UTC day: the count starts over (the back-off does not).
        assert_eq!(
            step(&POLICY, &capped, at(day + 86_400 + 60)),
            Step::Restart { attempt: 4 }
        );
    }
}
