use super::BranchConfig;
use crate::actions::codebuild::{EnvironmentVariable, StartBuild};
use crate::idempotency;
use crate::naming;
use crate::plan::{Decision, FunctionName};
use crate::refs::RefKind;
use crate::sources::{RefChange, RefEvent};

/// The whole policy of `branch-pipelines`, as a pure function.
pub fn decide(event: &RefEvent, config: &BranchConfig) -> Decision {
    let branch = event.name.as_str();
    if event.kind != RefKind::Branch {
        return Decision::skip(format!(
            "{} event: tags are handled by tag-release",
            event.kind.as_str()
        ));
    }
    if !config.repositories.allows(&event.repository) {
        return Decision::skip(format!(
            "repository {:?} is not in BRANCH_REPOSITORIES",
            event.repository
        ));
    }
    let default_branch = event
        .default_branch
        .as_deref()
        .unwrap_or(&config.default_branch);
    if branch == config.default_branch || branch == default_branch {
        return Decision::skip(format!(
            "{branch:?} is the default branch; it has no per-branch pipeline"
        ));
    }
    if let Err(reason) = config.filter.check(branch) {
        return Decision::skip(reason);
    }
    let (project, commit, verb) = match &event.change {
        RefChange::Created { commit } => (&config.deployer_project, commit.as_deref(), "create"),
        RefChange::Deleted { old_commit } => (
            &config.destroyer_project,
            old_commit.as_deref(),
            "tear down",
        ),
        RefChange::Updated { .. } => {
            return Decision::skip(format!(
                "branch {branch:?} was updated; its pipeline follows the branch by itself"
            ))
        }
    };
    // Names derive from the repository id, which includes the host: the same path on two hosts
    // never shares a pipeline.
    let names = naming::branch_names(&config.prefix, &event.repository, branch);
    let env = [
        ("BRANCH_NAME", branch),
        ("REPOSITORY", event.repository.as_str()),
        // What the pipeline's source action names the repository by (FullRepositoryId).
        (
            "FULL_REPOSITORY_ID",
            event.source.repository_path(&event.repository),
        ),
        ("COMMIT_ID", commit.unwrap_or("")),
        ("SOURCE_PROVIDER", event.source.as_str()),
        ("PIPELINE_NAME", names.pipeline.as_str()),
        ("STACK_NAME", names.stack.as_str()),
        ("BUILD_PROJECT_NAME", names.build_project.as_str()),
        ("ARTIFACT_PREFIX", names.artifact_prefix.as_str()),
    ];
    let build = StartBuild {
        project_name: project.clone(),
        source_version: commit.map(str::to_owned),
        environment_variables_override: env
            .iter()
            .map(|(k, v)| EnvironmentVariable::plaintext(*k, *v))
            .collect(),
        idempotency_token: idempotency::token(FunctionName::BranchPipelines, &event.event_id, 0),
    };
    Decision::act(
        format!(
            "branch {branch:?} in {}: {verb} pipeline stack {}",
            event.repository, names.stack
        ),
        vec![build.into()],
    )
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
            let d = decide(&e, &config);
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
            let d = decide(&e, &config());
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
