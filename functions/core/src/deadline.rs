//! The Lambda deadline turned into a time budget, once for every pipeline-invoked function: the
//! job runner's guard reports "timed out" `margin` before the deadline, and the work it guards
//! stops in time to answer first.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::config::{self, ConfigError, Vars};

/// How long before the Lambda deadline the guard reports "timed out": enough for one result call
/// with the SDK's retries. The Lambda timeout must be well above it (the template uses 60 s).
pub const DEFAULT_MARGIN: Duration = Duration::from_secs(5);

/// The variable that overrides [`DEFAULT_MARGIN`], in whole seconds.
pub const MARGIN_VAR: &str = "JOB_DEADLINE_MARGIN_SECONDS";
const MARGIN_RANGE: std::ops::RangeInclusive<u64> = 1..=60;

/// The deadline guard's margin from `JOB_DEADLINE_MARGIN_SECONDS` (1–60, default 5), read once at
/// cold start; anything else is an error naming the variable.
pub fn margin_from_vars(vars: &dyn Vars) -> Result<Duration, ConfigError> {
    let seconds = config::number(vars, MARGIN_VAR, DEFAULT_MARGIN.as_secs(), MARGIN_RANGE)?;
    Ok(Duration::from_secs(seconds))
}

/// When the invocation ends, and how early the work must stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    at: SystemTime,
    margin: Duration,
}

impl Deadline {
    pub fn new(at: SystemTime, margin: Duration) -> Self {
        Deadline { at, margin }
    }

    /// From a Lambda context's `deadline` (milliseconds since the epoch).
    pub fn from_epoch_millis(millis: u64, margin: Duration) -> Self {
        Deadline::new(UNIX_EPOCH + Duration::from_millis(millis), margin)
    }

    pub fn margin(&self) -> Duration {
        self.margin
    }

    /// The deadline of work that must end `reserve` before this budget does (to judge and report
    /// its result before the guard of this deadline fires).
    pub fn reserving(self, reserve: Duration) -> Self {
        Deadline {
            margin: self.margin + reserve,
            ..self
        }
    }

    /// Time the work may still use at `now`: zero when the margin is already eaten.
    pub fn budget_at(&self, now: SystemTime) -> Duration {
        self.at
            .duration_since(now)
            .unwrap_or_default()
            .saturating_sub(self.margin)
    }

    /// Time the work may still use now.
    pub fn budget(&self) -> Duration {
        self.budget_at(SystemTime::now())
    }
}

/// How long the act step may wait on what an action started (a Flink operation, a Lambda code
/// update): the invocation's deadline, handed to the action by decide. It bounds acting and is no
/// part of what was decided: two plans that differ only in it are equal, and it is never printed,
/// so replays of one event give identical plans.
#[derive(Clone, Copy, Default)]
pub struct WaitUntil(Option<Deadline>);

impl WaitUntil {
    /// `None`: no waiting at all (what was started is reported in progress).
    pub fn new(deadline: Option<Deadline>) -> Self {
        WaitUntil(deadline)
    }

    /// Whether there is time left for a wait of `wait` (and the look after it).
    pub fn allows(&self, wait: Duration) -> bool {
        self.0.is_some_and(|d| d.budget() > wait)
    }

    pub fn is_bounded(&self) -> bool {
        self.0.is_some()
    }
}

impl PartialEq for WaitUntil {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for WaitUntil {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "WaitUntil(the invocation's deadline)"
        } else {
            "WaitUntil(no wait)"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn the_margin_comes_from_its_variable_or_defaults() {
        let vars = |v: &str| HashMap::from([(MARGIN_VAR.to_owned(), v.to_owned())]);
        assert_eq!(margin_from_vars(&HashMap::new()).unwrap(), DEFAULT_MARGIN);
        assert_eq!(
            margin_from_vars(&vars(" 12 ")).unwrap(),
            Duration::from_secs(12)
        );
        for bad in ["0", "61", "5s", "-1"] {
            let err = margin_from_vars(&vars(bad)).unwrap_err();
            assert_eq!(err.var, MARGIN_VAR, "{bad}");
            assert!(err.message.contains("from 1 to 60"), "{bad}: {err}");
        }
    }

    #[test]
    fn a_wait_bound_is_no_part_of_a_plan() {
        let soon = WaitUntil::new(Some(Deadline::new(
            SystemTime::now() + Duration::from_secs(60),
            DEFAULT_MARGIN,
        )));
        assert!(soon.allows(Duration::from_secs(10)));
        assert!(!soon.allows(Duration::from_secs(60)));
        assert!(!WaitUntil::new(None).allows(Duration::ZERO));
        assert_eq!(soon, WaitUntil::new(None), "plans compare without it");
    }

    #[test]
    fn the_budget_ends_the_margin_and_any_reserve_before_the_deadline() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        let deadline = Deadline::from_epoch_millis(1_060_000, Duration::from_secs(12));
        assert_eq!(deadline.budget_at(now), Duration::from_secs(48));
        let handler = deadline.reserving(Duration::from_secs(5));
        assert_eq!(handler.margin(), Duration::from_secs(17));
        assert_eq!(handler.budget_at(now), Duration::from_secs(43));
        assert_eq!(
            deadline.budget_at(now + Duration::from_secs(55)),
            Duration::ZERO,
            "the margin is eaten"
        );
        assert_eq!(
            deadline.budget_at(now + Duration::from_secs(70)),
            Duration::ZERO,
            "past the deadline"
        );
    }
}
