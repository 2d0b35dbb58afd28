use super::teardown::TeardownPlan;
use super::BranchConfig;
use crate::actions::codebuild::{EnvironmentVariable, StartBuild};
use crate::idempotency;
use crate::naming::{self, BranchNames};
use crate::plan::{Decision, FunctionName};
use crate::refs::RefKind;
use crate::sources::{RefChange, RefEvent};

/// A branch event this function acts on: a branch of an allowed repository, not the default
/// branch, through the filter, created or deleted.
#[derive(Debug)]
pub struct Admitted<'a> {
    event: &'a RefEvent,
    names: BranchNames,
}

impl Admitted<'_> {
    /// The branch was deleted: its teardown plan must be observed before deciding.
    pub fn is_deletion(&self) -> bool {
        matches!(self.event.change, RefChange::Deleted { .. })
    }

    pub fn branch_id(&self) -> &str {
        &self.names.branch_id
    }
}

/// Which events act, and why the others are skipped. Pure.
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
    if let RefChange::Updated { .. } = event.change {
        return Err(Decision::skip(format!(
            "branch {branch:?} was updated; its pipeline follows the branch by itself"
        )));
    }
    Ok(Admitted {
        event,
        names: naming::branch_names(&config.prefix, &event.repository, branch),
    })
}

/// The whole policy of `branch-pipelines`, as a pure function: a created branch starts the
/// deployer; a deleted one starts the destroyer with `teardown` (observed before deciding, see
/// [`super::teardown::observe`]). A deletion without a plan is refused, never guessed.
pub fn decide(
    event: &RefEvent,
    config: &BranchConfig,
    teardown: Option<&TeardownPlan>,
) -> Decision {
    match admit(event, config) {
        Err(skip) => skip,
        Ok(admitted) => match (&admitted.event.change, teardown) {
            (RefChange::Deleted { .. }, None) => Decision::invalid(
                "a deleted branch needs its observed teardown plan; none was given",
            ),
            (_, teardown) => build(&admitted, config, teardown),
        },
    }
}

fn build(admitted: &Admitted, config: &BranchConfig, teardown: Option<&TeardownPlan>) -> Decision {
    let event = admitted.event;
    let names = &admitted.names;
    let branch = event.name.as_str();
    let (project, commit) = match &event.change {
        RefChange::Created { commit } => (&config.deployer_project, commit.as_deref()),
        RefChange::Deleted { old_commit } => (&config.destroyer_project, old_commit.as_deref()),
        RefChange::Updated { .. } => unreachable!("admit skips updates"),
    };
    let tags = stack_tags(&event.repository, branch, &names.branch_id);
    let mut env = vec![
        ("BRANCH_NAME", branch.to_owned()),
        ("REPOSITORY", event.repository.clone()),
        ("COMMIT_ID", commit.unwrap_or("").to_owned()),
        ("SOURCE_PROVIDER", event.source.as_str().to_owned()),
        ("PIPELINE_NAME", names.pipeline.clone()),
        ("STACK_NAME", names.stack.clone()),
        ("BUILD_PROJECT_NAME", names.build_project.clone()),
        ("ARTIFACT_PREFIX", names.artifact_prefix.clone()),
        ("BRANCH_ID", names.branch_id.clone()),
        ("ENVIRONMENT_STACK_PREFIX", names.environment_prefix.clone()),
        ("STACK_TAGS", tags),
    ];
    let reason = match teardown {
        None => format!(
            "branch {branch:?} in {}: create pipeline stack {}",
            event.repository, names.stack
        ),
        Some(plan) => {
            env.push(("TEARDOWN_STACKS", plan.environment.join(" ")));
            teardown_reason(branch, &event.repository, names, plan)
        }
    };
    let build = StartBuild {
        project_name: project.clone(),
        // The deployer and destroyer are NO_SOURCE projects: a source version has no meaning
        // there (CodeBuild takes one only for a source it checks out). The commit travels as
        // COMMIT_ID.
        source_version: None,
        environment_variables_override: env
            .into_iter()
            .map(|(k, v)| EnvironmentVariable::plaintext(k, v))
            .collect(),
        idempotency_token: idempotency::token(FunctionName::BranchPipelines, &event.event_id, 0),
    };
    Decision::act(reason, vec![build.into()])
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

fn teardown_reason(
    branch: &str,
    repository: &str,
    names: &BranchNames,
    plan: &TeardownPlan,
) -> String {
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
        "branch {branch:?} in {repository}: tear down {environment}; then pipeline stack {} and artifact folder {}/",
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
    use crate::plan::{Action, Outcome};
    use crate::refs::RefName;
    use crate::sources::RefSource;
    use std::collections::HashMap;

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

    fn config() -> BranchConfig {
        let vars: HashMap<String, String> = [
            ("BRANCH_DEPLOYER_PROJECT", "deployer"),
            ("BRANCH_DESTROYER_PROJECT", "destroyer"),
            ("BRANCH_REPOSITORIES", "app,acme/app"),
            ("BRANCH_INCLUDE", "feature/**,bugfix/**"),
            ("BRANCH_EXCLUDE", "dependabot/**"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        BranchConfig::from_vars(&vars).unwrap()
    }

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

    fn start_build(d: &Decision) -> &StartBuild {
        match d.actions.as_slice() {
            [Action::StartBuild(b)] => b,
            other => panic!("expected one StartBuild, got {other:?}"),
        }
    }

    fn env<'a>(b: &'a StartBuild, name: &str) -> &'a str {
        &b.environment_variables_override
            .iter()
            .find(|v| v.name == name)
            .unwrap()
            .value
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
        let d = decide(&deleted, &config(), Some(&plan));
        assert!(
            d.reason
                .contains("2 environment stack(s) in this order: sy-x-api, sy-x-queue"),
            "{}",
            d.reason
        );
        let refused = decide(&deleted, &config(), None);
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
            let d = decide(&e, &config(), Some(&TeardownPlan::default()));
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
