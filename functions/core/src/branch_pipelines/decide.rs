use super::BranchConfig;
use crate::actions::codebuild::{EnvironmentVariable, StartBuild};
use crate::git_hosts::BranchLookup;
use crate::idempotency;
use crate::naming;
use crate::plan::{Decision, FunctionName};
use crate::refs::RefKind;
use crate::sources::{RefChange, RefEvent};

/// What an event asks for, once it passed the policy: a build for one branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BranchRequest {
    /// The branch was created: start the deployer.
    Deploy,
    /// The branch was deleted: start the destroyer.
    Destroy,
}

/// What the git host said about the event's branch, asked before acting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostConfirmation {
    /// The host cannot be asked (GitHub without a token): the event is taken as it is, after
    /// its body was checked against its event header (`sources::github`).
    Unavailable,
    Said(BranchLookup),
}

/// The policy checks an event passes before anything is asked: a branch of an allowed
/// repository, not the default branch, through the filters, created or deleted. `Err` is the
/// final decision (a skip with its reason).
pub fn request(event: &RefEvent, config: &BranchConfig) -> Result<BranchRequest, Decision> {
    let branch = event.name.as_str();
    if event.kind != RefKind::Branch {
        return Err(Decision::skip(format!(
            "{} event: tags are handled by tag-release",
            event.kind.as_str()
        )));
    }
    if !config.repositories.allows(&event.repository) {
        return Err(Decision::skip(format!(
            "repository {:?} is not in BRANCH_REPOSITORIES",
            event.repository
        )));
    }
    let default_branch = event
        .default_branch
        .as_deref()
        .unwrap_or(&config.default_branch);
    if branch == config.default_branch || branch == default_branch {
        return Err(Decision::skip(format!(
            "{branch:?} is the default branch; it has no per-branch pipeline"
        )));
    }
    config.filter.check(branch).map_err(Decision::skip)?;
    match &event.change {
        RefChange::Created { .. } => Ok(BranchRequest::Deploy),
        RefChange::Deleted { .. } => Ok(BranchRequest::Destroy),
        RefChange::Updated { .. } => Err(Decision::skip(format!(
            "branch {branch:?} was updated; its pipeline follows the branch by itself"
        ))),
    }
}

/// The whole policy of `branch-pipelines` for an event, as a pure function: the event's
/// [`request`], acted on only when the host agrees (a created branch exists, a deleted one is
/// gone). A created branch's build is pinned to the event's commit, or to the head the host
/// reported when the event has none (GitHub `create`).
pub fn decide(event: &RefEvent, config: &BranchConfig, host: &HostConfirmation) -> Decision {
    let request = match request(event, config) {
        Ok(request) => request,
        Err(decision) => return decision,
    };
    let branch = event.name.as_str();
    let event_commit = match &event.change {
        RefChange::Created { commit } => commit.as_deref(),
        RefChange::Deleted { old_commit } => old_commit.as_deref(),
        RefChange::Updated { commit, .. } => Some(commit.as_str()),
    };
    let verb = match request {
        BranchRequest::Deploy => "create",
        BranchRequest::Destroy => "tear down",
    };
    let host_name = event.source.host();
    let commit = match (request, host) {
        (BranchRequest::Deploy, HostConfirmation::Said(BranchLookup::Missing)) => {
            return Decision::skip(format!(
                "the event says branch {branch:?} of {} was created, but {host_name} has no such branch (deleted since, or the event is not genuine); nothing started",
                event.repository
            ))
        }
        (BranchRequest::Destroy, HostConfirmation::Said(BranchLookup::Exists { head, .. })) => {
            return Decision::skip(format!(
                "the event says branch {branch:?} of {} was deleted, but {host_name} still has it at {head}; nothing torn down",
                event.repository
            ))
        }
        (BranchRequest::Deploy, HostConfirmation::Said(BranchLookup::Exists { head, .. })) => {
            Some(event_commit.unwrap_or(head))
        }
        _ => event_commit,
    };
    let names = naming::branch_names(&config.prefix, &event.repository, branch);
    let build = branch_build(
        config,
        request,
        &BuildFor {
            repository: &event.repository,
            branch,
            commit,
            source_provider: event.source.as_str(),
        },
        &names,
        idempotency::token(FunctionName::BranchPipelines, &event.event_id, 0),
    );
    Decision::act(
        format!(
            "branch {branch:?} in {}: {verb} pipeline stack {}",
            event.repository, names.stack
        ),
        vec![build.into()],
    )
}

/// The branch a build is for.
pub struct BuildFor<'a> {
    pub repository: &'a str,
    pub branch: &'a str,
    pub commit: Option<&'a str>,
    /// `codecommit` or `github`: which source action the pipeline stack gets.
    pub source_provider: &'a str,
}

/// The deployer or destroyer build for one branch: the one place its inputs are written, for
/// events and the sweep alike. Every value travels as an environment variable.
pub fn branch_build(
    config: &BranchConfig,
    request: BranchRequest,
    target: &BuildFor,
    names: &naming::BranchNames,
    idempotency_token: String,
) -> StartBuild {
    let project = match request {
        BranchRequest::Deploy => &config.deployer_project,
        BranchRequest::Destroy => &config.destroyer_project,
    };
    let env = [
        ("BRANCH_NAME", target.branch),
        ("REPOSITORY", target.repository),
        ("COMMIT_ID", target.commit.unwrap_or("")),
        ("SOURCE_PROVIDER", target.source_provider),
        ("PIPELINE_NAME", names.pipeline.as_str()),
        ("STACK_NAME", names.stack.as_str()),
        ("BUILD_PROJECT_NAME", names.build_project.as_str()),
        ("ARTIFACT_PREFIX", names.artifact_prefix.as_str()),
    ];
    StartBuild {
        project_name: project.clone(),
        source_version: target.commit.map(str::to_owned),
        environment_variables_override: env
            .iter()
            .map(|(k, v)| EnvironmentVariable::plaintext(*k, *v))
            .collect(),
        idempotency_token,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::branch_pipelines::testing::{config, env, start_build};
    use crate::plan::Outcome;
    use crate::refs::RefName;
    use crate::sources::RefSource;

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

    fn event(repo: &str, branch: &str, change: RefChange) -> RefEvent {
        RefEvent {
            source: RefSource::CodeCommit,
            event_id: "evt-1".into(),
            repository: repo.into(),
            kind: RefKind::Branch,
            name: RefName::parse(branch).unwrap(),
            change,
            default_branch: None,
            base_ref: None,
        }
    }

    #[test]
    fn created_branch_starts_the_deployer_pinned_to_the_commit() {
        let d = decide(
            &event(
                "app",
                "feature/x;$(id)",
                RefChange::Created {
                    commit: Some(SHA.into()),
                },
            ),
            &config(),
            &HostConfirmation::Unavailable,
        );
        assert_eq!(d.outcome, Outcome::Acted);
        let b = start_build(&d);
        assert_eq!(b.project_name, "deployer");
        assert_eq!(b.source_version.as_deref(), Some(SHA));
        assert_eq!(env(b, "BRANCH_NAME"), "feature/x;$(id)");
        assert_eq!(env(b, "COMMIT_ID"), SHA);
        assert!(naming::CLOUDFORMATION.is_valid(env(b, "STACK_NAME")));
        assert_eq!(
            b.idempotency_token,
            idempotency::token(FunctionName::BranchPipelines, "evt-1", 0)
        );
    }

    #[test]
    fn deleted_branch_starts_the_destroyer_with_the_same_names() {
        let c = decide(
            &event(
                "app",
                "feature/x",
                RefChange::Created {
                    commit: Some(SHA.into()),
                },
            ),
            &config(),
            &HostConfirmation::Unavailable,
        );
        let d = decide(
            &event(
                "app",
                "feature/x",
                RefChange::Deleted {
                    old_commit: Some(SHA.into()),
                },
            ),
            &config(),
            &HostConfirmation::Unavailable,
        );
        let (c, d) = (start_build(&c), start_build(&d));
        assert_eq!(d.project_name, "destroyer");
        for var in [
            "PIPELINE_NAME",
            "STACK_NAME",
            "BUILD_PROJECT_NAME",
            "ARTIFACT_PREFIX",
        ] {
            assert_eq!(env(c, var), env(d, var));
        }
    }

    #[test]
    fn the_host_must_agree_with_the_event() {
        let created = event("app", "feature/x", RefChange::Created { commit: None });
        let deleted = event(
            "app",
            "feature/x",
            RefChange::Deleted {
                old_commit: Some(SHA.into()),
            },
        );
        let exists = HostConfirmation::Said(BranchLookup::Exists {
            head: SHA.into(),
            last_commit: None,
        });
        let missing = HostConfirmation::Said(BranchLookup::Missing);
        let d = decide(&deleted, &config(), &exists);
        assert_eq!(d.outcome, Outcome::Skipped);
        assert!(d.actions.is_empty());
        assert!(
            d.reason.contains("still has it") && d.reason.contains(SHA),
            "{}",
            d.reason
        );
        let d = decide(&created, &config(), &missing);
        assert_eq!(d.outcome, Outcome::Skipped);
        assert!(d.reason.contains("no such branch"), "{}", d.reason);
        // Confirmed: a create without a commit is pinned to the head the host reported.
        let d = decide(&created, &config(), &exists);
        assert_eq!(start_build(&d).source_version.as_deref(), Some(SHA));
        assert_eq!(env(start_build(&d), "COMMIT_ID"), SHA);
        let d = decide(&deleted, &config(), &missing);
        assert_eq!(start_build(&d).project_name, "destroyer");
    }

    #[test]
    fn skips_carry_their_reason() {
        let created = || RefChange::Created {
            commit: Some(SHA.into()),
        };
        let cases = [
            (
                event("other", "feature/x", created()),
                "BRANCH_REPOSITORIES",
            ),
            (event("app", "main", created()), "default branch"),
            (event("app", "dependabot/npm/x", created()), "exclude"),
            (event("app", "hotfix/x", created()), "no include pattern"),
            (
                event(
                    "app",
                    "feature/x",
                    RefChange::Updated {
                        commit: SHA.into(),
                        old_commit: None,
                    },
                ),
                "updated",
            ),
            (
                RefEvent {
                    kind: RefKind::Tag,
                    ..event("app", "v1", created())
                },
                "tag-release",
            ),
            (
                RefEvent {
                    default_branch: Some("trunk".into()),
                    ..event("app", "trunk", created())
                },
                "default branch",
            ),
        ];
        for (e, why) in cases {
            let d = decide(&e, &config(), &HostConfirmation::Unavailable);
            assert_eq!(d.outcome, Outcome::Skipped, "{e:?}");
            assert!(d.actions.is_empty());
            assert!(
                d.reason.contains(why),
                "{:?} should mention {why}",
                d.reason
            );
        }
    }
}
