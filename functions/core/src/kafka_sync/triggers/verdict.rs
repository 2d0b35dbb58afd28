//! What one run of the function concludes, for a pipeline job (result, execution summary, output
//! variables, continuation token) or an S3 bundle upload. Pure.
//!
//! A job that must wait longer than one invocation answers "in progress" with a continuation
//! token ([`Progress`]); the next invocation plans again (a no-op when the writes landed), applies
//! what is still different, and waits again. The token carries the first round's counts so the
//! final output variables describe what the job changed, and when it started, so the total wait
//! is bounded.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::kafka_sync::changes::diff::{ChangePlan, Summary};
use crate::kafka_sync::run::Applied;
use crate::metrics::{Count, Tally};
use crate::text::one_line;

/// CodePipeline's limit for a continuation token.
const MAX_TOKEN: usize = 2048;

/// Carried between invocations of one pipeline job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// What the first invocation planned.
    pub summary: Summary,
    /// Connectors still on their way.
    pub pending: Vec<String>,
    /// Seconds since the epoch when the job's first invocation started.
    pub started_at: u64,
    /// Invocations so far.
    pub round: u32,
}

impl Progress {
    /// JSON, at most 2048 characters: with too many pending names, the names are dropped (the
    /// next round then waits for every connector it planned).
    pub fn encode(&self) -> String {
        let text = serde_json::to_string(self).unwrap_or_default();
        if text.len() <= MAX_TOKEN {
            return text;
        }
        serde_json::to_string(&Progress {
            pending: Vec::new(),
            ..self.clone()
        })
        .unwrap_or_default()
    }

    pub fn decode(token: &str) -> Result<Progress, String> {
        // serde's message quotes the token's text: one bounded line of it.
        serde_json::from_str(token).map_err(|e| {
            format!(
                "invalid continuation token: {}",
                one_line(&e.to_string(), 300)
            )
        })
    }
}

/// The conclusion of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncVerdict {
    Succeeded {
        summary: String,
        /// `Created`, `Updated`, `Deleted`, `Unchanged`.
        output_variables: BTreeMap<String, String>,
    },
    /// Writes landed; some connectors are not in their state yet.
    Waiting {
        summary: String,
        progress: Progress,
    },
    Failed {
        message: String,
    },
}

/// The CodePipeline output variables for a summary.
pub fn output_variables(summary: &Summary) -> BTreeMap<String, String> {
    [
        ("Created", summary.created),
        ("Updated", summary.updated),
        ("Deleted", summary.deleted),
        ("Unchanged", summary.unchanged),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_string()))
    .collect()
}

/// Adds a finished sync's counts (its [`output_variables`]) to `tally`, for its metrics.
pub fn count_connectors(output_variables: &BTreeMap<String, String>, tally: &mut Tally) {
    let counts = [
        ("Created", Count::ConnectorsCreated),
        ("Updated", Count::ConnectorsUpdated),
        ("Deleted", Count::ConnectorsDeleted),
    ];
    for (variable, count) in counts {
        let n = output_variables.get(variable).and_then(|v| v.parse().ok());
        tally.add(count, n.unwrap_or(0));
    }
}

fn headline(plan: &ChangePlan, cluster: &str, summary: &Summary) -> String {
    let topics = if plan.topics.is_empty() {
        String::new()
    } else {
        format!("; topics: {}", plan.topics.summary)
    };
    format!(
        "{} on {cluster} (Kafka Connect {}): {} created, {} updated, {} deleted, {} unchanged{topics}",
        plan.environment,
        plan.cluster_version,
        summary.created,
        summary.updated,
        summary.deleted,
        summary.unchanged
    )
}

/// Judges a run: `previous` is the decoded continuation token (if this is a later round), `now`
/// the current time in seconds since the epoch, `max_wait` the total wait allowed in seconds.
pub fn judge(
    plan: &ChangePlan,
    applied: &Applied,
    cluster: &str,
    previous: Option<&Progress>,
    now: u64,
    max_wait: u64,
) -> SyncVerdict {
    let summary = previous.map_or(plan.summary, |p| p.summary);
    let head = headline(plan, cluster, &summary);
    let failures = applied.failures();
    if !failures.is_empty() {
        return SyncVerdict::Failed {
            message: format!("{head}\n{}", failures.join("\n")),
        };
    }
    let pending = applied.pending();
    if pending.is_empty() {
        let tail =
            if applied.wait.is_empty() && !summary.has_changes() && !plan.topics.has_changes() {
                "nothing to change"
            } else {
                "every changed connector is in its target state"
            };
        return SyncVerdict::Succeeded {
            summary: format!("{head}; {tail}"),
            output_variables: output_variables(&summary),
        };
    }
    let started_at = previous.map_or(now, |p| p.started_at);
    let waited = now.saturating_sub(started_at);
    if waited >= max_wait {
        return SyncVerdict::Failed {
            message: format!(
                "{head}\nnot in their target state after {} minutes: {}",
                waited / 60,
                pending.join(", ")
            ),
        };
    }
    SyncVerdict::Waiting {
        summary: format!("{head}; waiting for {}", pending.join(", ")),
        progress: Progress {
            summary,
            pending: pending.into_iter().map(str::to_owned).collect(),
            started_at,
            round: previous.map_or(1, |p| p.round + 1),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka_sync::apply::wait::{WaitOutcome, WaitResult};
    use crate::kafka_sync::apply::{ApplyReport, WriteOutcome, WriteResult};
    use crate::kafka_sync::changes::diff::diff;
    use crate::kafka_sync::changes::diff::tests::{desired_state, observed_cluster, options};
    use crate::kafka_sync::observed::RunState;

    fn applied(wait: &[(&str, WaitOutcome)], failed: bool) -> Applied {
        Applied {
            topics: ApplyReport::default(),
            writes: ApplyReport {
                results: vec![WriteResult {
                    name: "sy-new".into(),
                    action: "create",
                    outcome: if failed {
                        WriteOutcome::Failed {
                            error: "PUT /connectors/sy-new/config: boom".into(),
                        }
                    } else {
                        WriteOutcome::Applied
                    },
                }],
            },
            wait: wait
                .iter()
                .map(|(n, o)| WaitResult {
                    name: (*n).into(),
                    outcome: o.clone(),
                    restarted: false,
                })
                .collect(),
        }
    }

    #[test]
    fn a_sync_counts_its_created_updated_and_deleted_connectors() {
        let summary = Summary {
            created: 2,
            updated: 1,
            deleted: 0,
            unchanged: 7,
        };
        let mut tally = Tally::default();
        count_connectors(&output_variables(&summary), &mut tally);
        assert_eq!(
            tally.counts(),
            &[(Count::ConnectorsCreated, 2), (Count::ConnectorsUpdated, 1)]
        );
    }

    #[test]
    fn success_carries_the_counts_as_output_variables() {
        let p = diff(&desired_state(), &observed_cluster(), &options(false)).unwrap();
        let v = judge(
            &p,
            &applied(
                &[(
                    "sy-new",
                    WaitOutcome::Reached {
                        state: RunState::Running,
                    },
                )],
                false,
            ),
            "main",
            None,
            100,
            600,
        );
        let SyncVerdict::Succeeded {
            summary,
            output_variables,
        } = v
        else {
            panic!("{v:?}")
        };
        assert!(
            summary.starts_with(
                "test on main (Kafka Connect 3.9.0): 1 created, 2 updated, 0 deleted, 1 unchanged"
            ),
            "{summary}"
        );
        assert_eq!(output_variables["Created"], "1");
        assert_eq!(output_variables["Updated"], "2");
        assert_eq!(output_variables["Unchanged"], "1");
    }

    #[test]
    fn failures_fail_with_the_trace() {
        let p = diff(&desired_state(), &observed_cluster(), &options(false)).unwrap();
        let v = judge(
            &p,
            &applied(
                &[(
                    "x",
                    WaitOutcome::Failed {
                        trace: "java.lang.Boom\n\tat a".into(),
                    },
                )],
                false,
            ),
            "main",
            None,
            100,
            600,
        );
        let SyncVerdict::Failed { message } = v else {
            panic!()
        };
        assert!(message.contains("x is FAILED: java.lang.Boom"), "{message}");
        let SyncVerdict::Failed { message } =
            judge(&p, &applied(&[], true), "main", None, 100, 600)
        else {
            panic!()
        };
        assert!(
            message.contains("create sy-new: PUT /connectors/sy-new/config: boom"),
            "{message}"
        );
    }

    #[test]
    fn pending_connectors_continue_until_the_total_wait_is_spent() {
        let p = diff(&desired_state(), &observed_cluster(), &options(false)).unwrap();
        let pending = applied(&[("sy-new", WaitOutcome::Pending { state: None })], false);
        let SyncVerdict::Waiting { progress, .. } = judge(&p, &pending, "main", None, 1000, 600)
        else {
            panic!()
        };
        assert_eq!(
            (
                progress.round,
                progress.started_at,
                progress.pending.clone()
            ),
            (1, 1000, vec!["sy-new".to_owned()])
        );
        let token = progress.encode();
        let back = Progress::decode(&token).unwrap();
        assert_eq!(back, progress);
        // A later round keeps the first round's counts and start.
        let later = ChangePlan {
            summary: Summary {
                unchanged: 4,
                ..Summary::default()
            },
            ..p.clone()
        };
        let SyncVerdict::Waiting { progress: next, .. } =
            judge(&later, &pending, "main", Some(&back), 1300, 600)
        else {
            panic!()
        };
        assert_eq!(
            (next.round, next.started_at, next.summary),
            (2, 1000, progress.summary)
        );
        let v = judge(&later, &pending, "main", Some(&back), 1700, 600);
        assert!(
            matches!(&v, SyncVerdict::Failed { message } if message.contains("not in their target state after 11 minutes: sy-new")),
            "{v:?}"
        );
        assert!(Progress::decode("{").is_err());
    }

    #[test]
    fn long_tokens_drop_the_names() {
        let progress = Progress {
            summary: Summary::default(),
            pending: (0..300).map(|i| format!("connector-{i}")).collect(),
            started_at: 1,
            round: 1,
        };
        let token = progress.encode();
        assert!(token.len() <= MAX_TOKEN);
        assert!(Progress::decode(&token).unwrap().pending.is_empty());
    }
}
