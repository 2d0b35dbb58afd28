use super::teardown::TeardownPlan;
use super::BranchConfig;
use crate::actions::codebuild::{EnvironmentVariable, StartBuild};
use crate::git_hosts::BranchLookup;
use crate::idempotency;
use crate::naming::{self, BranchNames};
use crate::plan::{Decision, FunctionName};
use crate::refs::RefKind;
use crate::sources::{RefChange, RefEvent, RefSource};

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

/// A branch event this function acts on: a branch of an allowed repository, not the default
/// branch, through the filter, created or deleted.
#[derive(Debug)]
pub struct Admitted<'a> {
    event: &'a RefEvent,
    request: BranchRequest,
    names: BranchNames,
}

impl Admitted<'_> {
    /// The branch was deleted: its teardown plan must be observed before deciding.
    pub fn is_deletion(&self) -> bool {
        self.request == BranchRequest::Destroy
    }

    pub fn branch_id(&self) -> &str {
        &self.names.branch_id
    }

    /// The commit the build is pinned to once the host agrees with the event (a created branch
    /// exists, a deleted one is gone): the event's, or the head the host reported when the
    /// event has none (GitHub `create`). `Err` is the skip when the host disagrees.
    pub fn confirmed_commit<'c>(
        &'c self,
        host: &'c HostConfirmation,
    ) -> Result<Option<&'c str>, Decision> {
        let event = self.event;
        let branch = event.name.as_str();
        let event_commit = match &event.change {
            RefChange::Created { commit } => commit.as_deref(),
            RefChange::Deleted { old_commit } => old_commit.as_deref(),
            RefChange::Updated { commit, .. } => Some(commit.as_str()),
        };
        let host_name = event.source.host();
        match (self.request, host) {
            (BranchRequest::Deploy, HostConfirmation::Said(BranchLookup::Missing)) => {
                Err(Decision::skip(format!(
                    "the event says branch {branch:?} of {} was created, but {host_name} has no such branch (deleted since, or the event is not genuine); nothing started",
                    event.repository
                )))
            }
            (BranchRequest::Destroy, HostConfirmation::Said(BranchLookup::Exists { head, .. })) => {
                Err(Decision::skip(format!(
                    "the event says branch {branch:?} of {} was deleted, but {host_name} still has it at {head}; nothing torn down",
                    event.repository
                )))
            }
            (BranchRequest::Deploy, HostConfirmation::Said(BranchLookup::Exists { head, .. })) => {
                Ok(Some(event_commit.unwrap_or(head)))
            }
            _ => Ok(event_commit),
        }
    }
}

/// Which events act, and why the others are skipped: the policy checks an event passes before
/// anything is asked. `Err` is the final decision (a skip with its reason). Pure.
pub fn admit<'a>(event: &'a RefEvent, config: &BranchConfig) -> Result<Admitted<'a>, Decision> {
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
    let request = match &event.change {
        RefChange::Created { .. } => BranchRequest::Deploy,
        RefChange::Deleted { .. } => BranchRequest::Destroy,
        RefChange::Updated { .. } => {
            return Err(Decision::skip(format!(
                "branch {branch:?} was updated; its pipeline follows the branch by itself"
            )))
        }
    };
    Ok(Admitted {
        event,
        request,
        // Names derive from the repository id, which includes the host: the same path on two
        // hosts never shares a pipeline.
        names: naming::branch_names(&config.prefix, &event.repository, branch),
    })
}

/// The whole policy of `branch-pipelines` for an event, as a pure function: the event is
/// [`admit`]ted, acted on only when the host agrees ([`Admitted::confirmed_commit`]); a created
/// branch starts the deployer, a deleted one the destroyer with `teardown` (observed before
/// deciding, see [`super::teardown::observe`]). A deletion without a plan is refused, never
/// guessed.
pub fn decide(
    event: &RefEvent,
    config: &BranchConfig,
    host: &HostConfirmation,
    teardown: Option<&TeardownPlan>,
) -> Decision {
    let admitted = match admit(event, config) {
        Ok(admitted) => admitted,
        Err(skip) => return skip,
    };
    let commit = match admitted.confirmed_commit(host) {
        Ok(commit) => commit,
        Err(skip) => return skip,
    };
    let branch = event.name.as_str();
    let names = &admitted.names;
    let (build, reason) = match (admitted.request, teardown) {
        (BranchRequest::Destroy, None) => {
            return Decision::invalid(
                "a deleted branch needs its observed teardown plan; none was given",
            )
        }
        (BranchRequest::Destroy, Some(plan)) => (
            BranchBuild::Destroy { teardown: plan },
            format!(
                "branch {branch:?} in {}: {}",
                event.repository,
                teardown_summary(names, plan)
            ),
        ),
        (BranchRequest::Deploy, _) => (
            BranchBuild::Deploy,
            format!(
                "branch {branch:?} in {}: create pipeline stack {}",
                event.repository, names.stack
            ),
        ),
    };
    let build = branch_build(
        config,
        build,
        &BuildFor {
            repository: &event.repository,
            branch,
            commit,
            source: event.source,
        },
        names,
        idempotency::token(FunctionName::BranchPipelines, &event.event_id, 0),
    );
    Decision::act(reason, vec![build.into()])
}

/// Which build a branch gets: a destroy always carries the teardown plan it carries out.
#[derive(Debug, Clone, Copy)]
pub enum BranchBuild<'a> {
    Deploy,
    Destroy { teardown: &'a TeardownPlan },
}

/// The branch a build is for.
pub struct BuildFor<'a> {
    pub repository: &'a str,
    pub branch: &'a str,
    pub commit: Option<&'a str>,
    /// Which source action the pipeline stack gets (`SOURCE_PROVIDER`).
    pub source: RefSource,
}

/// The deployer or destroyer build for one branch: the one place its inputs are written, for
/// events and the sweep alike. Every value travels as an environment variable.
pub fn branch_build(
    config: &BranchConfig,
    build: BranchBuild,
    target: &BuildFor,
    names: &BranchNames,
    idempotency_token: String,
) -> StartBuild {
    let project = match build {
        BranchBuild::Deploy => &config.deployer_project,
        BranchBuild::Destroy { .. } => &config.destroyer_project,
    };
    let mut env = vec![
        ("BRANCH_NAME", target.branch.to_owned()),
        ("REPOSITORY", target.repository.to_owned()),
        // What the pipeline's source action names the repository by (FullRepositoryId).
        (
            "FULL_REPOSITORY_ID",
            target.source.repository_path(target.repository).to_owned(),
        ),
        ("COMMIT_ID", target.commit.unwrap_or("").to_owned()),
        ("SOURCE_PROVIDER", target.source.as_str().to_owned()),
        ("PIPELINE_NAME", names.pipeline.clone()),
        ("STACK_NAME", names.stack.clone()),
        ("BUILD_PROJECT_NAME", names.build_project.clone()),
        ("ARTIFACT_PREFIX", names.artifact_prefix.clone()),
        ("BRANCH_ID", names.branch_id.clone()),
        ("ENVIRONMENT_STACK_PREFIX", names.environment_prefix.clone()),
        (
            "STACK_TAGS",
            stack_tags(target.repository, target.branch, &names.branch_id),
        ),
    ];
    if let BranchBuild::Destroy { teardown } = build {
        env.push(("TEARDOWN_STACKS", teardown.environment.join(" ")));
    }
    StartBuild {
        project_name: project.clone(),
        // The deployer and destroyer are NO_SOURCE projects: a source version has no meaning
        // there (CodeBuild takes one only for a source it checks out). The commit travels as
        // COMMIT_ID.
        source_version: None,
        environment_variables_override: env
            .into_iter()
            .map(|(k, v)| EnvironmentVariable::plaintext(k, v))
            .collect(),
        idempotency_token,
    }
}

/// `switchyard:repository=… switchyard:branch=… switchyard:branch-id=…`: the tags every stack of
/// the branch carries, as words for `--tags` (every character is a tag character, none a space or
/// a glob). A branch whose tag value would not fit in 256 characters goes without
/// `switchyard:branch`; the id still identifies it.
fn stack_tags(repository: &str, branch: &str, branch_id: &str) -> String {
    use crate::branch_stacks::{TAG_BRANCH, TAG_BRANCH_ID, TAG_REPOSITORY};
    let mut tags = vec![format!("{TAG_REPOSITORY}={repository}")];
    if let Some(value) = naming::branch_tag_value(branch) {
        tags.push(format!("{TAG_BRANCH}={value}"));
    }
    tags.push(format!("{TAG_BRANCH_ID}={branch_id}"));
    tags.join(" ")
}

/// What a branch's destroy build tears down, in order, and what stands in its way: the reason of
/// every destroy, from an event or the sweep.
pub fn teardown_summary(names: &BranchNames, plan: &TeardownPlan) -> String {
    let environment = if plan.environment.is_empty() {
        "no environment stacks".to_owned()
    } else {
        format!(
            "{} environment stack(s) in this order: {}",
            plan.environment.len(),
            plan.environment.join(", ")
        )
    };
    let mut reason = format!(
        "tear down {environment}; then pipeline stack {} and artifact folder {}/",
        names.stack, names.artifact_prefix
    );
    for other in plan.pipeline_stacks.iter().filter(|s| **s != names.stack) {
        reason.push_str(&format!(
            "; stack {other} also carries this branch's id and a pipeline tag, and is left alone"
        ));
    }
    for import in &plan.outside_imports {
        reason.push_str(&format!(
            "; export {} of {} is imported by {}, which is not this branch's: that stack cannot be deleted until the import is gone",
            import.export, import.stack, import.importer
        ));
    }
    reason
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::branch_pipelines::testing::{config, env, start_build};
    use crate::plan::Outcome;
    use crate::refs::RefName;

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
            None,
        );
        assert_eq!(d.outcome, Outcome::Acted);
        let b = start_build(&d);
        assert_eq!(b.project_name, "deployer");
        // Regression: the deployer is a NO_SOURCE project; the commit travels as COMMIT_ID only.
        assert_eq!(b.source_version, None);
        let id = env(b, "BRANCH_ID");
        assert_eq!(id.len(), 20);
        assert_eq!(env(b, "ENVIRONMENT_STACK_PREFIX"), format!("sy-{id}-"));
        assert_eq!(
            env(b, "STACK_TAGS"),
            format!("switchyard:repository=app switchyard:branch=b64:ZmVhdHVyZS94OyQoaWQp switchyard:branch-id={id}")
        );
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
            None,
        );
        let deleted = event(
            "app",
            "feature/x",
            RefChange::Deleted {
                old_commit: Some(SHA.into()),
            },
        );
        let plan = TeardownPlan {
            environment: vec!["sy-x-api".into(), "sy-x-queue".into()],
            ..TeardownPlan::default()
        };
        let d = decide(
            &deleted,
            &config(),
            &HostConfirmation::Unavailable,
            Some(&plan),
        );
        assert!(
            d.reason
                .contains("2 environment stack(s) in this order: sy-x-api, sy-x-queue"),
            "{}",
            d.reason
        );
        let refused = decide(&deleted, &config(), &HostConfirmation::Unavailable, None);
        assert!(
            matches!(refused.outcome, Outcome::Rejected(_)),
            "no plan, no teardown"
        );
        let (c, d) = (start_build(&c), start_build(&d));
        assert_eq!(d.project_name, "destroyer");
        assert_eq!(
            d.source_version, None,
            "the destroyer is a NO_SOURCE project"
        );
        assert_eq!(env(d, "TEARDOWN_STACKS"), "sy-x-api sy-x-queue");
        for var in [
            "PIPELINE_NAME",
            "STACK_NAME",
            "BUILD_PROJECT_NAME",
            "ARTIFACT_PREFIX",
            "BRANCH_ID",
            "STACK_TAGS",
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
        let plan = TeardownPlan::default();
        let d = decide(&deleted, &config(), &exists, Some(&plan));
        assert_eq!(d.outcome, Outcome::Skipped);
        assert!(d.actions.is_empty());
        assert!(
            d.reason.contains("still has it") && d.reason.contains(SHA),
            "{}",
            d.reason
        );
        // A branch the host still has is skipped before any teardown plan is needed.
        assert_eq!(
            decide(&deleted, &config(), &exists, None).outcome,
            Outcome::Skipped
        );
        let d = decide(&created, &config(), &missing, None);
        assert_eq!(d.outcome, Outcome::Skipped);
        assert!(d.reason.contains("no such branch"), "{}", d.reason);
        // Confirmed: a create without a commit is pinned to the head the host reported.
        let d = decide(&created, &config(), &exists, None);
        assert_eq!(env(start_build(&d), "COMMIT_ID"), SHA);
        let d = decide(&deleted, &config(), &missing, Some(&plan));
        assert_eq!(start_build(&d).project_name, "destroyer");
    }

    #[test]
    fn every_host_gets_its_provider_and_repository_path_and_names_of_its_own() {
        let config = BranchConfig {
            repositories: crate::filters::AllowList::Any,
            ..config()
        };
        let mut stacks = Vec::new();
        for (source, server) in [
            (RefSource::GitHub, None),
            (RefSource::GitHubEnterprise, Some("ghe.acme.com")),
            (RefSource::GitLab, None),
            (RefSource::GitLabSelfManaged, Some("gitlab.acme.com")),
            (RefSource::Bitbucket, None),
        ] {
            let repository = source.repository_id(server, "acme/app");
            let mut e = event(
                &repository,
                "feature/x",
                RefChange::Created {
                    commit: Some(SHA.into()),
                },
            );
            e.source = source;
            let d = decide(&e, &config, &HostConfirmation::Unavailable, None);
            let b = start_build(&d);
            assert_eq!(env(b, "SOURCE_PROVIDER"), source.as_str());
            assert_eq!(env(b, "REPOSITORY"), repository);
            assert_eq!(env(b, "FULL_REPOSITORY_ID"), "acme/app");
            stacks.push(env(b, "STACK_NAME").to_owned());
        }
        stacks.sort();
        stacks.dedup();
        assert_eq!(
            stacks.len(),
            5,
            "one path on five hosts is five stacks: {stacks:?}"
        );
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
            let d = decide(
                &e,
                &config(),
                &HostConfirmation::Unavailable,
                Some(&TeardownPlan::default()),
            );
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
