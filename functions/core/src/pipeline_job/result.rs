//! The three results a job can have, and the plan action that reports each. A job's plan always
//! ends in exactly one of these actions.

use crate::text::truncate;
use std::collections::BTreeMap;

use crate::actions::codepipeline::{
    ExecutionDetails, FailureDetails, FailureType, PutJobFailureResult, PutJobSuccessResult,
};
use crate::plan::{Action, Decision};

/// `FailureDetails.message`: at most 5000 characters.
pub const MAX_FAILURE_MESSAGE: usize = 5000;
/// `ExecutionDetails.summary`: at most 2048 characters.
pub const MAX_SUMMARY: usize = 2048;
/// `continuationToken`: at most 2048 characters.
const MAX_CONTINUATION_TOKEN: usize = 2048;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobResult {
    Succeeded {
        summary: String,
        output_variables: BTreeMap<String, String>,
    },
    /// Not done yet: CodePipeline invokes the action again with this token.
    InProgress {
        summary: String,
        continuation_token: String,
    },
    Failed {
        kind: FailureType,
        message: String,
    },
}

impl JobResult {
    pub fn failed(kind: FailureType, message: impl Into<String>) -> Self {
        JobResult::Failed {
            kind,
            message: message.into(),
        }
    }

    /// The action that reports this result for `job_id`, with every text cut to the API's limits.
    pub fn into_action(self, job_id: &str) -> Action {
        let job_id = job_id.to_owned();
        match self {
            JobResult::Succeeded {
                summary,
                output_variables,
            } => PutJobSuccessResult {
                job_id,
                continuation_token: None,
                execution_details: Some(ExecutionDetails {
                    summary: truncate(&summary, MAX_SUMMARY),
                }),
                output_variables,
            }
            .into(),
            JobResult::InProgress {
                summary,
                continuation_token,
            } => {
                debug_assert!(continuation_token.len() <= MAX_CONTINUATION_TOKEN);
                PutJobSuccessResult {
                    job_id,
                    continuation_token: Some(continuation_token),
                    execution_details: Some(ExecutionDetails {
                        summary: truncate(&summary, MAX_SUMMARY),
                    }),
                    output_variables: BTreeMap::new(),
                }
                .into()
            }
            JobResult::Failed { kind, message } => PutJobFailureResult {
                job_id,
                failure_details: FailureDetails {
                    kind,
                    message: truncate(&message, MAX_FAILURE_MESSAGE),
                },
            }
            .into(),
        }
    }

    /// The job's plan: this result as its single action. The reason starts with what the pipeline
    /// will see (`job succeeded`, `job in progress`, `job failed (ConfigurationError)`).
    pub fn decide(self, job_id: &str, reason: impl AsRef<str>) -> Decision {
        let verdict = match &self {
            JobResult::Succeeded { .. } => "job succeeded".to_owned(),
            JobResult::InProgress { .. } => "job in progress".to_owned(),
            JobResult::Failed { kind, .. } => format!("job failed ({})", kind.as_str()),
        };
        Decision::act(
            format!("{verdict}: {}", reason.as_ref()),
            vec![self.into_action(job_id)],
        )
    }
}

/// Whether an action reports a job result.
pub fn is_job_result(action: &Action) -> bool {
    job_id_of(action).is_some()
}

/// The job a result action reports on.
pub fn job_id_of(action: &Action) -> Option<&str> {
    match action {
        Action::PutJobSuccessResult(r) => Some(&r.job_id),
        Action::PutJobFailureResult(r) => Some(&r.job_id),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Outcome;

    const JOB: &str = "11111111-abcd-1111-abcd-111111abcdef";

    #[test]
    fn truncates_by_characters_within_limits() {
        assert_eq!(truncate("short", 10), "short");
        let long = "é".repeat(6000);
        let cut = truncate(&long, MAX_FAILURE_MESSAGE);
        assert_eq!(cut.chars().count(), MAX_FAILURE_MESSAGE);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn each_result_is_one_action_for_the_job() {
        let results = [
            JobResult::Succeeded {
                summary: "ok".into(),
                output_variables: BTreeMap::from([("HealthStatus".into(), "clear".into())]),
            },
            JobResult::InProgress {
                summary: "waiting".into(),
                continuation_token: "t".into(),
            },
            JobResult::failed(FailureType::ConfigurationError, "x".repeat(9000)),
        ];
        let verdicts = [
            "job succeeded",
            "job in progress",
            "job failed (ConfigurationError)",
        ];
        for (result, verdict) in results.into_iter().zip(verdicts) {
            let d = result.decide(JOB, "because");
            assert_eq!(d.outcome, Outcome::Acted);
            assert_eq!(d.actions.len(), 1);
            assert_eq!(job_id_of(&d.actions[0]), Some(JOB));
            assert!(d.reason.starts_with(verdict), "{}", d.reason);
        }
        let failure = JobResult::failed(FailureType::JobFailed, "m".repeat(9000)).into_action(JOB);
        let json = serde_json::to_value(&failure).unwrap();
        assert_eq!(json["operation"], "PutJobFailureResult");
        assert_eq!(json["input"]["failureDetails"]["type"], "JobFailed");
        assert_eq!(
            json["input"]["failureDetails"]["message"]
                .as_str()
                .unwrap()
                .chars()
                .count(),
            MAX_FAILURE_MESSAGE
        );
    }
}
