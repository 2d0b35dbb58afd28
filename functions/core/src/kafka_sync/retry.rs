//! Retries of Connect and Kafka admin requests: only what can succeed later (rebalances, timeouts,
//! unreachable workers, Kafka's retriable errors), with exponential backoff and jitter, never past
//! the deadline. After a "Request timed out" the worker may still apply the request, so the
//! caller's check runs before a retry.

use std::future::Future;
use std::time::Duration;

use crate::kafka_sync::ports::{Clock, ConnectError, ErrorKind};
use crate::kafka_sync::topics::AdminError;

/// An error [`with_retries`] can judge.
pub trait Retryable {
    fn is_retryable(&self) -> bool;
    /// The peer may have applied the request anyway: check before retrying.
    fn timed_out(&self) -> bool;
    /// The same error, its message extended with why the retries stopped.
    fn gave_up(self, note: &str) -> Self;
}

impl Retryable for ConnectError {
    fn is_retryable(&self) -> bool {
        self.kind.is_retryable()
    }
    fn timed_out(&self) -> bool {
        self.kind == ErrorKind::TimedOut
    }
    fn gave_up(self, note: &str) -> Self {
        ConnectError {
            message: format!("{} ({note})", self.message),
            ..self
        }
    }
}

impl Retryable for AdminError {
    fn is_retryable(&self) -> bool {
        AdminError::is_retryable(self)
    }
    fn timed_out(&self) -> bool {
        false
    }
    fn gave_up(self, note: &str) -> Self {
        AdminError {
            message: format!("{} ({note})", self.message),
            ..self
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(250),
            max: Duration::from_secs(8),
        }
    }
}

impl Backoff {
    /// "Equal jitter": half the exponential step is fixed, half random, so concurrent retries
    /// spread out without ever retrying immediately.
    pub fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let step = self
            .base
            .saturating_mul(1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX))
            .min(self.max);
        step / 2 + step.mul_f64(jitter.clamp(0.0, 1.0) / 2.0)
    }
}

/// Runs `request` until it succeeds, fails for good, or the next wait would pass `deadline`
/// (measured on `clock`). When a request timed out on the worker, `applied` is asked whether it
/// took effect anyway; `Some(value)` ends the retries with that value.
pub async fn with_retries<T, E, C, Req, ReqFut, Chk, ChkFut>(
    clock: &C,
    backoff: Backoff,
    deadline: Duration,
    mut request: Req,
    mut applied: Chk,
) -> Result<T, E>
where
    E: Retryable,
    C: Clock,
    Req: FnMut() -> ReqFut,
    ReqFut: Future<Output = Result<T, E>>,
    Chk: FnMut() -> ChkFut,
    ChkFut: Future<Output = Option<T>>,
{
    let mut attempt = 0;
    loop {
        let err = match request().await {
            Ok(value) => return Ok(value),
            Err(err) => err,
        };
        if !err.is_retryable() {
            return Err(err);
        }
        if err.timed_out() {
            if let Some(value) = applied().await {
                return Ok(value);
            }
        }
        let wait = backoff.delay(attempt, clock.jitter());
        if clock.elapsed() + wait >= deadline {
            return Err(err.gave_up(&format!(
                "gave up after {} attempts: the deadline is reached",
                attempt + 1
            )));
        }
        clock.sleep(wait).await;
        attempt += 1;
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::kafka_sync::ports::SimulatedClock;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn err(kind: ErrorKind) -> ConnectError {
        ConnectError {
            kind,
            request: "PUT /connectors/a/config".into(),
            status: Some(409),
            message: "m".into(),
        }
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let b = Backoff::default();
        assert_eq!(b.delay(0, 0.0), Duration::from_millis(125));
        assert_eq!(b.delay(0, 1.0), Duration::from_millis(250));
        assert_eq!(b.delay(3, 1.0), Duration::from_secs(2));
        assert_eq!(b.delay(30, 1.0), Duration::from_secs(8));
        assert!(b.delay(2, 0.3) < b.delay(2, 0.9));
    }

    #[tokio::test]
    async fn retries_rebalances_until_success() {
        let clock = SimulatedClock::default();
        let calls = AtomicU32::new(0);
        let result = with_retries(
            &clock,
            Backoff::default(),
            Duration::from_secs(60),
            || async {
                match calls.fetch_add(1, Ordering::SeqCst) {
                    0 | 1 => Err(err(ErrorKind::Rebalancing)),
                    _ => Ok("done"),
                }
            },
            || async { None },
        )
        .await;
        assert_eq!(result.unwrap(), "done");
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert!(clock.elapsed() > Duration::ZERO);
    }

    #[tokio::test]
    async fn does_not_retry_already_exists_or_invalid() {
        for kind in [
            ErrorKind::AlreadyExists,
            ErrorKind::Invalid,
            ErrorKind::NotFound,
        ] {
            let calls = AtomicU32::new(0);
            let result: Result<(), _> = with_retries(
                &SimulatedClock::default(),
                Backoff::default(),
                Duration::from_secs(60),
                || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Err(err(kind))
                },
                || async { None },
            )
            .await;
            assert_eq!(result.unwrap_err().kind, kind);
            assert_eq!(calls.load(Ordering::SeqCst), 1);
        }
    }

    #[tokio::test]
    async fn stops_at_the_deadline() {
        let clock = SimulatedClock::default();
        let result: Result<(), _> = with_retries(
            &clock,
            Backoff::default(),
            Duration::from_secs(10),
            || async { Err(err(ErrorKind::Unreachable)) },
            || async { None },
        )
        .await;
        let e = result.unwrap_err();
        assert!(e.message.contains("gave up after"), "{}", e.message);
        assert!(clock.elapsed() < Duration::from_secs(10));
    }

    #[tokio::test]
    async fn a_timed_out_request_that_landed_is_not_repeated() {
        let calls = AtomicU32::new(0);
        let checks = AtomicU32::new(0);
        let result = with_retries(
            &SimulatedClock::default(),
            Backoff::default(),
            Duration::from_secs(60),
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(err(ErrorKind::TimedOut))
            },
            || async {
                checks.fetch_add(1, Ordering::SeqCst);
                Some("already applied")
            },
        )
        .await;
        assert_eq!(result.unwrap(), "already applied");
        assert_eq!((calls.into_inner(), checks.into_inner()), (1, 1));
    }
}
