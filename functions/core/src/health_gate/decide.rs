//! The whole policy of `health-gate`, as pure functions of (job, observed Health, now).

use std::collections::BTreeMap;

use time::OffsetDateTime;

use super::continuation::Wait;
use super::params::GateParameters;
use crate::actions::codepipeline::FailureType;
use crate::health::ports::HealthError;
use crate::health::{list_events, HealthEvent, HealthQuery, OnUnsupportedPlan};
use crate::pipeline_job::{parameters, Job, JobResult, MAX_FAILURE_MESSAGE};
use crate::plan::Decision;
use crate::timestamps;

/// A job that passed validation: what to check, and the wait in progress if this is a
/// re-invocation.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub job_id: String,
    pub params: GateParameters,
    pub query: HealthQuery,
    pub wait: Option<Wait>,
}

/// Validates the job before anything is read: `UserParameters` (→ `ConfigurationError` naming
/// the field) and, on a re-invocation, the continuation token (→ `JobFailed` saying why).
pub fn prepare(job: &Job, now: OffsetDateTime) -> Result<Check, Decision> {
    let params: GateParameters = parameters(job).map_err(|e| {
        JobResult::failed(FailureType::ConfigurationError, e.to_string())
            .decide(&job.id, e.to_string())
    })?;
    let query = params.query().map_err(|e| {
        JobResult::failed(FailureType::ConfigurationError, e.to_string())
            .decide(&job.id, e.to_string())
    })?;
    let wait = match &job.continuation_token {
        None => None,
        Some(token) => Some(Wait::from_token(token, &params, now).map_err(|why| {
            JobResult::failed(FailureType::JobFailed, why.clone()).decide(&job.id, why)
        })?),
    };
    Ok(Check {
        job_id: job.id.clone(),
        params,
        query,
        wait,
    })
}

/// Decides the job's single result from what Health said.
pub fn decide(
    check: &Check,
    observed: &Result<Vec<HealthEvent>, HealthError>,
    now: OffsetDateTime,
) -> Decision {
    let scope = check.query.describe();
    match observed {
        Ok(events) if events.is_empty() => clear(check, now, "clear", &scope),
        Ok(events) => {
            let listing = list_events(events, MAX_FAILURE_MESSAGE - 300);
            let headline = format!(
                "{} open AWS Health event{} for {scope}",
                events.len(),
                if events.len() == 1 { "" } else { "s" }
            );
            wait_or_fail(check, now, &headline, &listing)
        }
        Err(HealthError::SubscriptionRequired) => match check.params.on_unsupported_plan {
            OnUnsupportedPlan::Pass => clear(
                check,
                now,
                "unchecked",
                &format!(
                    "{scope} (not checked: {}; passing because on_unsupported_plan is pass)",
                    HealthError::SubscriptionRequired
                ),
            ),
            OnUnsupportedPlan::Fail => {
                let why = format!(
                    "{}; failing because on_unsupported_plan is fail (set it to pass to deploy without the check)",
                    HealthError::SubscriptionRequired
                );
                JobResult::failed(FailureType::ConfigurationError, why.clone())
                    .decide(&check.job_id, why)
            }
        },
        Err(e @ HealthError::Unavailable(_)) => wait_or_fail(check, now, &e.to_string(), ""),
    }
}

/// Success with the output variables later actions can read (`#{Health.HealthStatus}`).
fn clear(check: &Check, now: OffsetDateTime, status: &str, scope: &str) -> Decision {
    let checked_at = timestamps::format(now);
    let waited = check
        .wait
        .map(|w| format!(" after waiting since {}", timestamps::format(w.started)))
        .unwrap_or_default();
    let summary = match status {
        "clear" => format!("AWS Health is clear for {scope} at {checked_at}{waited}"),
        _ => format!("AWS Health {scope}"),
    };
    let output_variables = BTreeMap::from([
        ("HealthStatus".to_owned(), status.to_owned()),
        ("CheckedAt".to_owned(), checked_at),
        ("Regions".to_owned(), check.query.regions.join(",")),
    ]);
    JobResult::Succeeded {
        summary: summary.clone(),
        output_variables,
    }
    .decide(&check.job_id, summary)
}

/// Not clear (open events, or Health unreadable): keep waiting while the wait allows, else fail.
fn wait_or_fail(check: &Check, now: OffsetDateTime, headline: &str, listing: &str) -> Decision {
    let wait = match check.wait {
        Some(w) => Some(w),
        None if check.params.wait_minutes > 0 => Some(Wait::start(now, &check.params)),
        None => None,
    };
    match wait {
        Some(w) if now < w.deadline => {
            let summary = format!(
                "{headline}; re-checking until {}",
                timestamps::format(w.deadline)
            );
            JobResult::InProgress {
                summary: summary.clone(),
                continuation_token: w.token(&check.params),
            }
            .decide(&check.job_id, summary)
        }
        Some(w) => {
            let message = format!(
                "{headline}, still after waiting {} minutes (since {}):{listing}",
                check.params.wait_minutes,
                timestamps::format(w.started)
            );
            JobResult::failed(FailureType::JobFailed, message.clone())
                .decide(&check.job_id, message)
        }
        None => {
            let message = format!("{headline}:{listing}");
            JobResult::failed(FailureType::JobFailed, message.clone())
                .decide(&check.job_id, message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Action, Outcome};
    use time::Duration;

    const JOB: &str = "11111111-abcd-1111-abcd-111111abcdef";

    fn job(params: &str, token: Option<&str>) -> Job {
        Job {
            id: JOB.into(),
            account_id: None,
            function_name: Some("sy-health-gate".into()),
            user_parameters: Some(params.into()),
            input_artifacts: vec![],
            continuation_token: token.map(str::to_owned),
            artifact_credentials: None,
            pipeline: None,
        }
    }

    fn now() -> OffsetDateTime {
        timestamps::parse("now", "2026-11-23T10:00:00Z").unwrap()
    }

    fn event(service: &str, region: &str) -> HealthEvent {
        HealthEvent {
            arn: format!(
                "arn:aws:health:{region}::event/{service}/AWS_{service}_OPERATIONAL_ISSUE/abc"
            ),
            service: service.into(),
            event_type_code: format!("AWS_{service}_OPERATIONAL_ISSUE"),
            category: "issue".into(),
            region: region.into(),
            start_time: Some(now() - Duration::minutes(40)),
            status: "open".into(),
        }
    }

    /// What the pipeline sees: operation, failure type, continuation token, output variables.
    struct Seen {
        operation: &'static str,
        failure: Option<FailureType>,
        message: String,
        token: Option<String>,
        variables: BTreeMap<String, String>,
    }

    fn seen(d: &Decision) -> Seen {
        assert_eq!(d.outcome, Outcome::Acted, "{d:?}");
        assert_eq!(d.actions.len(), 1, "exactly one result");
        match &d.actions[0] {
            Action::PutJobSuccessResult(r) => {
                assert_eq!(r.job_id, JOB);
                Seen {
                    operation: "PutJobSuccessResult",
                    failure: None,
                    message: r.execution_details.as_ref().unwrap().summary.clone(),
                    token: r.continuation_token.clone(),
                    variables: r.output_variables.clone(),
                }
            }
            Action::PutJobFailureResult(r) => {
                assert_eq!(r.job_id, JOB);
                Seen {
                    operation: "PutJobFailureResult",
                    failure: Some(r.failure_details.kind),
                    message: r.failure_details.message.clone(),
                    token: None,
                    variables: BTreeMap::new(),
                }
            }
            other => panic!("not a job result: {other:?}"),
        }
    }

    fn run(
        job: &Job,
        observed: Result<Vec<HealthEvent>, HealthError>,
        now: OffsetDateTime,
    ) -> Decision {
        match prepare(job, now) {
            Ok(check) => decide(&check, &observed, now),
            Err(d) => d,
        }
    }

    const BASIC: &str = r#"{"regions":["eu-west-1"],"services":["EC2","RDS"]}"#;
    const WAITING: &str = r#"{"regions":["eu-west-1"],"services":["EC2"],"wait_minutes":30}"#;
    const PASSING: &str = r#"{"regions":["eu-west-1"],"on_unsupported_plan":"pass"}"#;

    #[test]
    fn table_of_parameters_and_observations() {
        let open = || Ok(vec![event("EC2", "eu-west-1"), event("RDS", "global")]);
        let unavailable = || {
            Err(HealthError::Unavailable(crate::ports::ObserveError {
                operation: "DescribeEvents",
                message: "timeout".into(),
                retryable: true,
            }))
        };
        // (parameters, observed, operation, failure type, text the message must contain)
        type Case = (
            &'static str,
            Result<Vec<HealthEvent>, HealthError>,
            &'static str,
            Option<FailureType>,
            &'static str,
        );
        let cases: Vec<Case> = vec![
            (BASIC, Ok(vec![]), "PutJobSuccessResult", None, "clear for EC2, RDS in eu-west-1, global"),
            (BASIC, open(), "PutJobFailureResult", Some(FailureType::JobFailed), "2 open AWS Health events"),
            (BASIC, open(), "PutJobFailureResult", Some(FailureType::JobFailed), "AWS_RDS_OPERATIONAL_ISSUE since 2026-11-23T09:20:00Z"),
            (BASIC, open(), "PutJobFailureResult", Some(FailureType::JobFailed), "https://health.aws.amazon.com/health/home#/account/event-log?eventID=arn:aws:health:eu-west-1::event/EC2/"),
            (BASIC, Err(HealthError::SubscriptionRequired), "PutJobFailureResult", Some(FailureType::ConfigurationError), "on_unsupported_plan is fail"),
            (BASIC, unavailable(), "PutJobFailureResult", Some(FailureType::JobFailed), "could not be read: timeout"),
            (PASSING, Err(HealthError::SubscriptionRequired), "PutJobSuccessResult", None, "passing because on_unsupported_plan is pass"),
            (PASSING, Ok(vec![]), "PutJobSuccessResult", None, "clear for all services"),
            (WAITING, open(), "PutJobSuccessResult", None, "re-checking until 2026-11-23T10:30:00Z"),
            (WAITING, unavailable(), "PutJobSuccessResult", None, "re-checking until"),
            (WAITING, Ok(vec![]), "PutJobSuccessResult", None, "clear"),
            (r#"{"regions":[]}"#, Ok(vec![]), "PutJobFailureResult", Some(FailureType::ConfigurationError), "UserParameters.regions: is empty"),
            (r#"{"regions":["eu-west-1","mars-1"]}"#, Ok(vec![]), "PutJobFailureResult", Some(FailureType::ConfigurationError), "UserParameters.regions[1]"),
            (r#"{"regions":["eu-west-1"],"categories":["outage"]}"#, Ok(vec![]), "PutJobFailureResult", Some(FailureType::ConfigurationError), "UserParameters.categories[0]"),
            (r#"{"regions":["eu-west-1"],"on_unsupported_plan":"maybe"}"#, Ok(vec![]), "PutJobFailureResult", Some(FailureType::ConfigurationError), "UserParameters.on_unsupported_plan"),
            (r#"{"regions":["eu-west-1"],"wait_minutes":9999}"#, Ok(vec![]), "PutJobFailureResult", Some(FailureType::ConfigurationError), "UserParameters.wait_minutes"),
            (r#"{"region":["eu-west-1"]}"#, Ok(vec![]), "PutJobFailureResult", Some(FailureType::ConfigurationError), "UserParameters.region"),
            ("not json", Ok(vec![]), "PutJobFailureResult", Some(FailureType::ConfigurationError), "UserParameters: is not valid JSON"),
        ];
        for (params, observed, operation, failure, text) in cases {
            let s = seen(&run(&job(params, None), observed, now()));
            assert_eq!(s.operation, operation, "{params}: {}", s.message);
            assert_eq!(s.failure, failure, "{params}: {}", s.message);
            assert!(
                s.message.contains(text),
                "{params}: {:?} should contain {text:?}",
                s.message
            );
        }
    }

    #[test]
    fn clear_sets_the_output_variables() {
        let s = seen(&run(&job(BASIC, None), Ok(vec![]), now()));
        assert_eq!(s.variables["HealthStatus"], "clear");
        assert_eq!(s.variables["CheckedAt"], "2026-11-23T10:00:00Z");
        assert_eq!(s.variables["Regions"], "eu-west-1,global");
        let s = seen(&run(
            &job(PASSING, None),
            Err(HealthError::SubscriptionRequired),
            now(),
        ));
        assert_eq!(s.variables["HealthStatus"], "unchecked");
    }

    #[test]
    fn a_wait_continues_until_clear_or_its_deadline() {
        let open = || Ok(vec![event("EC2", "eu-west-1")]);
        let first = seen(&run(&job(WAITING, None), open(), now()));
        let token = first.token.expect("in progress carries a token");

        // Re-invoked 10 minutes later, still open: same wait, same token.
        let again = seen(&run(
            &job(WAITING, Some(&token)),
            open(),
            now() + Duration::minutes(10),
        ));
        assert_eq!(again.token.as_deref(), Some(token.as_str()));

        // Clear within the wait: success, saying how long it waited.
        let clear = seen(&run(
            &job(WAITING, Some(&token)),
            Ok(vec![]),
            now() + Duration::minutes(20),
        ));
        assert_eq!(clear.token, None);
        assert!(
            clear
                .message
                .contains("after waiting since 2026-11-23T10:00:00Z"),
            "{}",
            clear.message
        );

        // Still open at the deadline: failure listing the events.
        let late = seen(&run(
            &job(WAITING, Some(&token)),
            open(),
            now() + Duration::minutes(30),
        ));
        assert_eq!(late.failure, Some(FailureType::JobFailed));
        assert!(
            late.message.contains("still after waiting 30 minutes"),
            "{}",
            late.message
        );
        assert!(late.message.contains("AWS_EC2_OPERATIONAL_ISSUE"));

        // A token that does not belong to these parameters is refused, whatever Health says.
        let tampered = seen(&run(
            &job(WAITING, Some("hg1.1.2.deadbeef")),
            Ok(vec![]),
            now(),
        ));
        assert_eq!(tampered.failure, Some(FailureType::JobFailed));
        assert!(
            tampered.message.contains("continuation token"),
            "{}",
            tampered.message
        );
    }

    #[test]
    fn many_events_stay_within_the_failure_message_limit() {
        let events: Vec<HealthEvent> = (0..200).map(|_| event("EC2", "eu-west-1")).collect();
        let s = seen(&run(&job(BASIC, None), Ok(events), now()));
        assert!(s.message.chars().count() <= MAX_FAILURE_MESSAGE);
        assert!(s.message.contains("more"), "the rest is counted");
        assert!(
            !s.message.ends_with('…'),
            "cut at an event boundary, not mid-line"
        );
    }
}
