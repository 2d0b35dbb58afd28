//! The policy of `tag-release`, as pure functions: [`prepare`] everything that needs no
//! observation, then [`decide`] with the observation (if the environment needs one).

use super::config::{EnvironmentSettings, MovedTagPolicy, TagReleaseConfig, TargetKind};
use super::ports::BranchMembership;
use super::release::Release;
use crate::actions::codebuild::{EnvironmentVariable, StartBuild};
use crate::actions::codepipeline::{
    PipelineVariable, SourceRevisionOverride, StartPipelineExecution,
};
use crate::idempotency;
use crate::plan::{Action, Decision, FunctionName};
use crate::refs::RefKind;
use crate::sources::{RefChange, RefEvent, RefSource};

/// A tag event that passed every check that needs no observation.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    pub event: &'a RefEvent,
    pub release: Release,
    /// The tagged commit: what the release is pinned to.
    pub commit: String,
    pub settings: &'a EnvironmentSettings,
    /// Set when the environment only releases commits of the default branch: the branch to ask
    /// about.
    pub required_branch: Option<String>,
}

/// Everything up to the observation. `Err` is the final decision (skip or reject).
pub fn prepare<'a>(
    event: &'a RefEvent,
    config: &'a TagReleaseConfig,
) -> Result<Candidate<'a>, Decision> {
    let tag = event.name.as_str();
    if event.kind != RefKind::Tag {
        return Err(Decision::skip(format!(
            "{} event: branches are handled by branch-pipelines",
            event.kind.as_str()
        )));
    }
    if !config.repositories.allows(&event.repository) {
        return Err(Decision::skip(format!(
            "repository {:?} is not in TAG_REPOSITORIES",
            event.repository
        )));
    }
    if let RefChange::Deleted { .. } = event.change {
        return Err(Decision::skip(format!(
            "tag {tag:?} was deleted; a deletion releases nothing and undeploys nothing"
        )));
    }
    let parsed = config.grammar.parse(tag).map_err(|e| {
        if config.grammar.claims(tag) {
            Decision::invalid(format!("tag {tag:?} is not a release tag: {e}"))
        } else {
            Decision::skip(format!(
                "not a release tag: {tag:?} is outside the release namespace ({})",
                super::grammar::SHAPE
            ))
        }
    })?;
    let team_repositories = &config.team_repositories[&parsed.team];
    if !team_repositories.allows(&event.repository) {
        return Err(Decision::invalid(format!(
            "tag {tag:?} names team {:?}, which repository {:?} may not release (TAG_TEAM_REPOSITORIES binds the team to {team_repositories})",
            parsed.team, event.repository
        )));
    }
    let settings = config.environment(&parsed.environment);
    let commit = match &event.change {
        RefChange::Created {
            commit: Some(commit),
        } => commit.clone(),
        RefChange::Created { commit: None } => {
            return Err(Decision::skip(format!(
                "GitHub \"create\" event for tag {tag:?} names no commit; the \"push\" event for the same tag starts the release"
            )))
        }
        RefChange::Updated { commit, old_commit } => match settings.moved_tag {
            MovedTagPolicy::Redeploy => commit.clone(),
            MovedTagPolicy::Reject => {
                return Err(Decision::invalid(format!(
                    "tag {tag:?} was moved from {} to {commit}; a released version must keep meaning one commit ({} is reject for {:?}; push a new version instead)",
                    old_commit.as_deref().unwrap_or("an unknown commit"),
                    moved_tag_var(&parsed.environment),
                    parsed.environment,
                )))
            }
        },
        RefChange::Deleted { .. } => unreachable!("handled above"),
    };
    let required_branch = settings.default_branch_only.then(|| {
        event
            .default_branch
            .clone()
            .unwrap_or_else(|| config.default_branch.clone())
    });
    Ok(Candidate {
        event,
        release: Release::derive(&parsed, config),
        commit,
        settings,
        required_branch,
    })
}

fn moved_tag_var(env: &str) -> String {
    super::config::per_env_var("TAG_MOVED_TAG", env)
}

/// What a GitHub push says about the default branch: `base_ref` names the branch whose head is
/// the tagged commit, when there is one. GitHub leaves it `null` for a commit that is not a
/// branch head, even if it is on the default branch: the policy then fails closed.
pub fn github_membership(event: &RefEvent, branch: &str) -> BranchMembership {
    match event.base_ref.as_deref() {
        Some(base) if base == format!("refs/heads/{branch}") => BranchMembership::OnBranch,
        Some(_) => BranchMembership::NotOnBranch,
        None => BranchMembership::Unknown(
            "the GitHub push has no base_ref (GitHub sets it only when the tagged commit is the head of a branch)".into(),
        ),
    }
}

/// The decision, given the observation [`Candidate::required_branch`] asked for (`None` when it
/// asked nothing).
pub fn decide(candidate: &Candidate<'_>, membership: Option<&BranchMembership>) -> Decision {
    let Candidate {
        event,
        release,
        commit,
        settings,
        required_branch,
    } = candidate;
    if let Some(branch) = required_branch {
        let refusal = |why: String| {
            Decision::invalid(format!(
                "tag {:?}: environment {:?} only releases commits on the default branch {branch:?} (TAG_DEFAULT_BRANCH_ONLY), and {why}",
                release.tag, release.environment
            ))
        };
        match membership {
            Some(BranchMembership::OnBranch) => {}
            Some(BranchMembership::NotOnBranch) => {
                return refusal(format!("commit {commit} is not on it"))
            }
            Some(BranchMembership::Unknown(why)) => {
                return refusal(format!("it cannot be confirmed for commit {commit}: {why}"))
            }
            None => return refusal("no observation was made".into()),
        }
    }
    let token = idempotency::token(FunctionName::TagRelease, &event.event_id, 0);
    let action: Action = match settings.target {
        TargetKind::Pipeline => StartPipelineExecution {
            name: release.target.name.clone(),
            variables: release
                .variables()
                .iter()
                .map(|(name, value)| PipelineVariable {
                    name: (*name).to_owned(),
                    value: (*value).to_owned(),
                })
                .collect(),
            source_revisions: vec![SourceRevisionOverride {
                action_name: settings.source_action.clone(),
                revision_type: "COMMIT_ID",
                revision_value: commit.clone(),
            }],
            client_request_token: token,
        }
        .into(),
        TargetKind::CodeBuild => StartBuild {
            project_name: release.target.name.clone(),
            source_version: Some(commit.clone()),
            environment_variables_override: release
                .variables()
                .iter()
                .copied()
                .chain([
                    ("COMMIT_ID", commit.as_str()),
                    ("REPOSITORY", event.repository.as_str()),
                    ("SOURCE_PROVIDER", event.source.as_str()),
                ])
                .map(|(name, value)| EnvironmentVariable::plaintext(name, value))
                .collect(),
            idempotency_token: token,
        }
        .into(),
    };
    let short = &commit[..commit.len().min(12)];
    let moved = matches!(event.change, RefChange::Updated { .. });
    Decision::act(
        format!(
            "{}release {} (commit {short}) of {}: {} {} → account {} in {}",
            if moved { "moved tag, re-" } else { "" },
            release.tag,
            event.repository,
            settings.target.as_str(),
            release.target.name,
            release.target_account,
            release.region
        ),
        vec![action],
    )
}

/// The answer to a default-branch question that needs no observation: GitHub (and GitHub
/// Enterprise Server) payloads answer it themselves; GitLab and Bitbucket tag pushes say nothing
/// about branches, and Switchyard does not ask those hosts, so the answer is "cannot be
/// confirmed" and the policy fails closed. `None`: ask the observer (CodeCommit).
pub fn answered_by_payload(event: &RefEvent, branch: &str) -> Option<BranchMembership> {
    match event.source {
        RefSource::GitHub | RefSource::GitHubEnterprise => Some(github_membership(event, branch)),
        RefSource::GitLab | RefSource::GitLabSelfManaged | RefSource::Bitbucket => {
            Some(BranchMembership::Unknown(format!(
                "a {} tag push does not say which branches hold the commit",
                event.source.as_str()
            )))
        }
        RefSource::CodeCommit => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Outcome;
    use crate::refs::RefName;
    use std::collections::HashMap;

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
    const OLD: &str = "89abcdef0123456789abcdef0123456789abcdef";

    fn config(extra: &[(&str, &str)]) -> TagReleaseConfig {
        let mut vars = vec![
            ("TAG_REPOSITORIES", "payments-service,acme/payments-service"),
            ("TAG_DEFAULT_BRANCH_ONLY", "prod"),
            ("TAG_MOVED_TAG_DEV", "redeploy"),
            ("TAG_TARGET_QA", "codebuild"),
        ];
        vars.extend_from_slice(extra);
        super::super::config::test_config(&vars)
    }

    fn event(tag: &str, change: RefChange) -> RefEvent {
        RefEvent {
            source: RefSource::CodeCommit,
            event_id: "evt-1".into(),
            repository: "payments-service".into(),
            kind: RefKind::Tag,
            name: RefName::parse(tag).unwrap(),
            change,
            default_branch: None,
            base_ref: None,
        }
    }

    fn created() -> RefChange {
        RefChange::Created {
            commit: Some(SHA.into()),
        }
    }

    fn run(e: &RefEvent, c: &TagReleaseConfig, m: Option<BranchMembership>) -> Decision {
        match prepare(e, c) {
            Ok(candidate) => decide(&candidate, m.as_ref()),
            Err(d) => d,
        }
    }

    #[test]
    fn a_valid_tag_starts_the_environment_pipeline_pinned_to_the_commit() {
        let c = config(&[]);
        let d = run(&event("dev_eu-west-1/payments/v2.4.0", created()), &c, None);
        assert_eq!(d.outcome, Outcome::Acted, "{}", d.reason);
        let [Action::StartPipelineExecution(p)] = d.actions.as_slice() else {
            panic!("{:?}", d.actions)
        };
        assert_eq!(p.name, "release-dev");
        let vars: HashMap<&str, &str> = p
            .variables
            .iter()
            .map(|v| (v.name.as_str(), v.value.as_str()))
            .collect();
        assert_eq!(vars["VERSION"], "2.4.0");
        assert_eq!(vars["TAG"], "dev_eu-west-1/payments/v2.4.0");
        assert_eq!(
            vars["TF_STATE_KEY"],
            "payments/dev-eu-west-1/terraform.tfstate"
        );
        assert_eq!(vars["TARGET_ACCOUNT"], "111111111111");
        assert_eq!(vars.len(), 10);
        assert_eq!(
            p.source_revisions,
            [SourceRevisionOverride {
                action_name: "Source".into(),
                revision_type: "COMMIT_ID",
                revision_value: SHA.into()
            }]
        );
        assert_eq!(
            p.client_request_token,
            idempotency::token(FunctionName::TagRelease, "evt-1", 0)
        );
    }

    #[test]
    fn codebuild_target_gets_the_same_values() {
        let c = config(&[]);
        let d = run(&event("qa_global/payments/1.0.0", created()), &c, None);
        let [Action::StartBuild(b)] = d.actions.as_slice() else {
            panic!("{:?}", d.actions)
        };
        assert_eq!(b.project_name, "release-qa");
        assert_eq!(b.source_version.as_deref(), Some(SHA));
        let env: HashMap<&str, &str> = b
            .environment_variables_override
            .iter()
            .map(|v| (v.name.as_str(), v.value.as_str()))
            .collect();
        assert_eq!(env["REGION"], "us-east-1");
        assert_eq!(env["SCOPE"], "global");
        assert_eq!(env["COMMIT_ID"], SHA);
        assert_eq!(env["REPOSITORY"], "payments-service");
    }

    #[test]
    fn skips_and_rejections_carry_their_reason() {
        let c = config(&[]);
        let moved = RefChange::Updated {
            commit: SHA.into(),
            old_commit: Some(OLD.into()),
        };
        let cases = [
            (
                event("prd_eu-west-1/payments/1.0.0", created()),
                Outcome::Rejected(crate::plan::RejectKind::Invalid),
                "unknown environment \"prd\"; expected one of dev, qa, prod",
            ),
            // Ordinary version tags are not release tags: skipped, not rejected (a rejection
            // would fail the invocation into the dead-letter queue for every `v1.2.3`).
            (
                event("v1.2.3", created()),
                Outcome::Skipped,
                "not a release tag: \"v1.2.3\" is outside the release namespace",
            ),
            (
                event("simple-tag", created()),
                Outcome::Skipped,
                "outside the release namespace",
            ),
            (
                event("dev_eu-west-1/ledger/1.0.0", created()),
                Outcome::Rejected(crate::plan::RejectKind::Invalid),
                "names team \"ledger\", which repository \"payments-service\" may not release (TAG_TEAM_REPOSITORIES binds the team to ledger-service)",
            ),
            (
                event("prod_eu-west-1", created()),
                Outcome::Rejected(crate::plan::RejectKind::Invalid),
                "missing team and version",
            ),
            (
                event(
                    "prod_eu-west-1/payments/1.0.0",
                    RefChange::Deleted {
                        old_commit: Some(SHA.into()),
                    },
                ),
                Outcome::Skipped,
                "deleted",
            ),
            (
                event(
                    "not-a-release/at/all",
                    RefChange::Deleted { old_commit: None },
                ),
                Outcome::Skipped,
                "deleted",
            ),
            (
                event("prod_eu-west-1/payments/1.0.0", moved.clone()),
                Outcome::Rejected(crate::plan::RejectKind::Invalid),
                "TAG_MOVED_TAG_PROD",
            ),
            (
                event(
                    "prod_eu-west-1/payments/1.0.0",
                    RefChange::Created { commit: None },
                ),
                Outcome::Skipped,
                "\"push\" event",
            ),
            (
                RefEvent {
                    repository: "other".into(),
                    ..event("dev_eu-west-1/payments/1.0.0", created())
                },
                Outcome::Skipped,
                "TAG_REPOSITORIES",
            ),
            (
                RefEvent {
                    kind: RefKind::Branch,
                    ..event("feature/x", created())
                },
                Outcome::Skipped,
                "branch-pipelines",
            ),
        ];
        for (e, outcome, why) in cases {
            let d = run(&e, &c, Some(BranchMembership::OnBranch));
            assert_eq!(d.outcome, outcome, "{e:?}: {}", d.reason);
            assert!(d.actions.is_empty());
            assert!(
                d.reason.contains(why),
                "{:?} should contain {why:?}",
                d.reason
            );
        }
        // A moved dev tag redeploys (TAG_MOVED_TAG_DEV=redeploy), with a token of its own event.
        let d = run(&event("dev_eu-west-1/payments/1.0.0", moved), &c, None);
        assert_eq!(d.outcome, Outcome::Acted);
        assert!(
            d.reason.starts_with("moved tag, re-release"),
            "{}",
            d.reason
        );
    }

    #[test]
    fn default_branch_policy_fails_closed() {
        let c = config(&[]);
        let e = event("prod_eu-west-1/payments/2.4.0", created());
        let candidate = prepare(&e, &c).unwrap();
        assert_eq!(candidate.required_branch.as_deref(), Some("main"));
        assert_eq!(
            decide(&candidate, Some(&BranchMembership::OnBranch)).outcome,
            Outcome::Acted
        );
        for m in [
            Some(BranchMembership::NotOnBranch),
            Some(BranchMembership::Unknown("diverged".into())),
            None,
        ] {
            let d = decide(&candidate, m.as_ref());
            assert!(d.is_rejected(), "{m:?}");
            assert!(d.reason.contains("TAG_DEFAULT_BRANCH_ONLY"), "{}", d.reason);
        }
        // Environments without the policy ask nothing.
        let dev = event("dev_eu-west-1/payments/2.4.0", created());
        assert_eq!(prepare(&dev, &c).unwrap().required_branch, None);
    }

    #[test]
    fn github_base_ref() {
        let mut e = event("prod_eu-west-1/payments/2.4.0", created());
        e.source = RefSource::GitHub;
        e.default_branch = Some("trunk".into());
        assert!(answered_by_payload(&e, "trunk").is_some());
        let c = config(&[]);
        assert_eq!(
            prepare(&e, &c).unwrap().required_branch.as_deref(),
            Some("trunk")
        );
        e.base_ref = Some("refs/heads/trunk".into());
        assert_eq!(github_membership(&e, "trunk"), BranchMembership::OnBranch);
        e.base_ref = Some("refs/heads/feature/x".into());
        assert_eq!(
            github_membership(&e, "trunk"),
            BranchMembership::NotOnBranch
        );
        e.base_ref = None;
        assert!(matches!(
            github_membership(&e, "trunk"),
            BranchMembership::Unknown(_)
        ));
    }

    #[test]
    fn hosts_whose_payloads_say_nothing_fail_closed_and_codecommit_is_asked() {
        let mut e = event("prod_eu-west-1/payments/2.4.0", created());
        assert_eq!(answered_by_payload(&e, "main"), None);
        for source in [
            RefSource::GitLab,
            RefSource::GitLabSelfManaged,
            RefSource::Bitbucket,
        ] {
            e.source = source;
            let Some(BranchMembership::Unknown(why)) = answered_by_payload(&e, "main") else {
                panic!("{source:?} must fail closed");
            };
            assert!(why.contains(source.as_str()), "{why}");
        }
    }
}
