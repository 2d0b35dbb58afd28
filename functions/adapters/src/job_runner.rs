//! Runs a CodePipeline job so that it gets exactly one result, always.
//!
//! CodePipeline waits for `PutJobSuccessResult` / `PutJobFailureResult`; a job that gets none
//! hangs until the action times out (up to an hour), and a job reported twice is a bug. The runner
//! guarantees one result per job:
//!
//! | what happens in the handler            | result reported                                  |
//! |----------------------------------------|--------------------------------------------------|
//! | returns a plan ending in its result     | that result (after the plan's other actions)     |
//! | returns a plan without a result         | failure `JobFailed` with the plan's reason       |
//! | an action before the result fails       | failure `JobFailed` naming the action            |
//! | returns an error                        | failure `JobFailed` with the error               |
//! | panics                                  | failure `JobFailed` "the handler panicked"       |
//! | still runs `margin` before the deadline | failure `JobFailed` "timed out"; handler aborted |
//! | success rejected as invalid by the API  | failure `JobFailed` saying why                   |
//! | the job's id reads, the rest does not   | failure `ConfigurationError` naming the field    |
//! | CodePipeline does not confirm the job   | failure `JobFailed` saying why; handler not run  |
//!
//! A result refused with `InvalidJobStateException` means the job was already reported, which
//! counts as reported (see [`crate::aws::pipeline_jobs`]).
//!
//! The handler runs in its own task, so a panic is caught at the task boundary (`panic = "unwind"`
//! in the release profile keeps that working) and the deadline guard can abort it. The job event
//! itself is never logged: only the job id and the decision are.

use std::future::Future;
use std::time::{Duration, Instant};

use serde_json::Value;
use switchyard_core::actions::codepipeline::FailureType;
use switchyard_core::deadline::Deadline;
use switchyard_core::entry::{DecisionLine, Handled, HandlerError};
use switchyard_core::metrics::{Reported, Tally};
use switchyard_core::pipeline_job::{is_job_result, job_id, job_id_of, Job, JobDetails, JobResult};
use switchyard_core::plan::{Action, Decision, FunctionName, Outcome, RejectKind};
use switchyard_core::ports::{ActionExecutor, ActionReport};
use tokio::task::{AbortHandle, JoinError};

/// Aborts the handler's task when the guard gives up on it (the future holding it is dropped).
struct AbortOnDrop(AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Reads the job id, asks CodePipeline what the job is (`confirm`: `GetJobDetails`), runs
/// `handler` on that answer under the deadline guard, and reports exactly one result through
/// `executor`. The event itself is only checked (a malformed one fails naming the field): what
/// the handler sees is CodePipeline's word, so a forged event changes nothing it decides on.
/// `Err` only when the event has no readable job id (no result can be reported) or when the
/// result itself could not be delivered (the invocation then fails and is retried). The decision
/// is logged once its result was sent (or could not be), with its metrics: `tally` counts what
/// the handler's plan did; a run the runner had to end itself is `failed`.
pub async fn run_job<H, Fut, E, C>(
    function: FunctionName,
    raw: &Value,
    deadline: Deadline,
    executor: &E,
    confirm: &C,
    handler: H,
    tally: impl Fn(&Decision) -> Tally,
) -> Result<Value, HandlerError>
where
    H: FnOnce(Job) -> Fut,
    Fut: Future<Output = Result<Decision, HandlerError>> + Send + 'static,
    E: ActionExecutor,
    C: JobDetails,
{
    let job_id = job_id(raw)
        .map_err(|e| {
            tracing::error!(function = function.as_str(), error = %e, "not a CodePipeline job");
            HandlerError::Rejected(e.to_string())
        })?
        .to_owned();
    let budget = deadline.budget();

    let work = async {
        // The pipeline waits for an answer until the action times out: a malformed job gets one.
        if let Err(e) = Job::parse(raw) {
            let message = e.to_string();
            let ran = settled(failure(&job_id, FailureType::ConfigurationError, message));
            return Ran {
                reported: Reported::Rejected,
                ..ran
            };
        }
        let job = match confirmed(&job_id, confirm).await {
            Ok(job) => job,
            Err(message) => return settled(failure(&job_id, FailureType::JobFailed, message)),
        };
        let task = tokio::spawn(handler(job));
        let _guard = AbortOnDrop(task.abort_handle());
        let decision = match task.await {
            Ok(Ok(decision)) => decision,
            Ok(Err(e)) => return settled(failure(&job_id, FailureType::JobFailed, e.to_string())),
            Err(e) => return settled(failure(&job_id, FailureType::JobFailed, panic_message(e))),
        };
        run_before_result(&job_id, decision, executor).await
    };
    let ran = match tokio::time::timeout(budget, work).await {
        Ok(done) => done,
        Err(_) => {
            let message = format!(
                "timed out: the check did not finish {} s before the Lambda deadline",
                deadline.margin().as_secs()
            );
            settled(failure(&job_id, FailureType::JobFailed, message))
        }
    };
    let Ran {
        decision,
        result,
        mut reports,
        reported,
        acting,
    } = ran;
    let reporting = Instant::now();
    let sent = report(&job_id, result, executor).await;
    let tally = tally(&decision);
    DecisionLine {
        function,
        event_id: Some(&job_id),
        record: None,
        reason: &decision.reason,
        actions: &decision.actions,
        reported: if sent.is_err() {
            Reported::Failed
        } else {
            reported
        },
        latency: Some(acting + reporting.elapsed()),
        tally: &tally,
    }
    .log();
    reports.push(sent?);
    let handled = Handled {
        function,
        outcome: decision.outcome,
        reason: &decision.reason,
        results: reports,
    };
    Ok(serde_json::to_value(&handled).unwrap_or(Value::Null))
}

/// The job as CodePipeline returns it for `job_id`, or why it cannot be had (fail closed: nothing
/// runs on an unconfirmed job).
async fn confirmed<C: JobDetails>(job_id: &str, confirm: &C) -> Result<Job, String> {
    let refused = |why: String| {
        format!("job {job_id} was not confirmed by CodePipeline (GetJobDetails): {why}; nothing was done")
    };
    let job = confirm
        .job_details(job_id)
        .await
        .map_err(|e| refused(e.to_string()))?;
    if job.id != job_id {
        return Err(refused(format!("CodePipeline answered for job {}", job.id)));
    }
    Ok(job)
}

/// A plan as run up to its result: the plan, the result still to send, the reports of the
/// actions before it, its outcome for the metrics and how long those actions took.
struct Ran {
    decision: Decision,
    result: Action,
    reports: Vec<ActionReport>,
    reported: Reported,
    acting: Duration,
}

/// A plan the runner made because the handler's could not be run (the job is unreadable or
/// unconfirmed, the handler failed, panicked or timed out): only its failure result.
fn settled(decision: Decision) -> Ran {
    let result = decision.actions[0].clone();
    Ran {
        decision,
        result,
        reports: Vec::new(),
        reported: Reported::Failed,
        acting: Duration::ZERO,
    }
}

fn failure(job_id: &str, kind: FailureType, message: String) -> Decision {
    JobResult::failed(kind, message.clone()).decide(job_id, message)
}

fn panic_message(e: JoinError) -> String {
    if !e.is_panic() {
        return "the handler was cancelled".into();
    }
    let payload = e.into_panic();
    let detail = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    format!("the handler panicked: {detail}")
}

/// Checks the plan's shape (its last action, and only that one, is this job's result), runs the
/// actions before the result, and returns the plan as run plus the result to report.
async fn run_before_result<E: ActionExecutor>(
    job_id: &str,
    decision: Decision,
    executor: &E,
) -> Ran {
    let results = decision.actions.iter().filter(|a| is_job_result(a)).count();
    let last_is_ours = decision
        .actions
        .last()
        .and_then(job_id_of)
        .is_some_and(|id| id == job_id);
    if results == 0 {
        // A rejection or skip: the pipeline still needs an answer, and it is the reason.
        let kind = match decision.outcome {
            Outcome::Rejected(RejectKind::Invalid) => FailureType::ConfigurationError,
            _ => FailureType::JobFailed,
        };
        let reported = decision.outcome.into();
        return Ran {
            reported,
            ..settled(failure(job_id, kind, decision.reason))
        };
    }
    if results != 1 || !last_is_ours {
        return settled(failure(
            job_id,
            FailureType::JobFailed,
            "internal error: the plan does not end in exactly one result for this job".into(),
        ));
    }
    let mut actions = decision.actions;
    let result = actions.pop().expect("checked above");
    let mut reports = Vec::with_capacity(actions.len());
    let started = Instant::now();
    for action in &actions {
        match executor.execute(action).await {
            Ok(r) => reports.push(r),
            Err(e) => {
                let failed = settled(failure(job_id, FailureType::JobFailed, e.to_string()));
                return Ran {
                    reports,
                    acting: started.elapsed(),
                    ..failed
                };
            }
        }
    }
    actions.push(result.clone());
    let decision = Decision {
        actions,
        ..decision
    };
    Ran {
        decision,
        result,
        reports,
        reported: Reported::Acted,
        acting: started.elapsed(),
    }
}

/// Sends the result. A success the API refuses as invalid (not a transient error) would leave the
/// job unanswered, so a failure saying why is sent instead.
async fn report<E: ActionExecutor>(
    job_id: &str,
    result: Action,
    executor: &E,
) -> Result<ActionReport, HandlerError> {
    match executor.execute(&result).await {
        Ok(r) => Ok(r),
        Err(e) if !e.retryable && matches!(result, Action::PutJobSuccessResult(_)) => {
            tracing::error!(job_id, error = %e, "success result refused; reporting failure");
            let fallback = JobResult::failed(
                FailureType::JobFailed,
                format!("could not report success: {e}"),
            )
            .into_action(job_id);
            Ok(executor.execute(&fallback).await?)
        }
        Err(e) => {
            tracing::error!(job_id, error = %e, retryable = e.retryable, "result not delivered");
            Err(e.into())
        }
    }
}
