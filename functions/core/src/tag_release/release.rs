//! Everything a release needs, derived from a parsed tag and the configuration: where the
//! Terraform state lives, which region and account it deploys to, and which target starts it.

use serde::Serialize;

use super::config::{TagReleaseConfig, TargetKind};
use super::grammar::{ReleaseTag, Scope};

/// A parsed tag with its derived values. Serializes as `switchyard tag check` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Release {
    /// As pushed.
    pub tag: String,
    /// Without a `v` before the version.
    pub canonical_tag: String,
    pub environment: String,
    pub scope: Scope,
    pub team: String,
    /// Normalised semantic version.
    pub version: String,
    /// The scope's region, or the environment's home region for `global`.
    pub region: &'static str,
    pub target_account: String,
    /// `<TAG_TF_PREFIX>-<env>`.
    pub tf_state_bucket: String,
    /// `<TAG_TF_PREFIX>-lock-<env>`.
    pub tf_lock_table: String,
    /// `<team>/<env>-<scope>/terraform.tfstate`.
    pub tf_state_key: String,
    pub target: Target,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    /// `pipeline` or `codebuild`.
    pub kind: &'static str,
    /// The pipeline or CodeBuild project name.
    pub name: String,
    /// The pipeline source action pinned to the commit (pipelines only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_action: Option<String>,
}

impl Release {
    /// `tag` must come from `config.grammar` (its environment is configured).
    pub fn derive(tag: &ReleaseTag, config: &TagReleaseConfig) -> Release {
        let env = tag.environment.as_str();
        let settings = config.environment(env);
        let region = match tag.scope {
            Scope::Global => settings.global_region,
            Scope::Region(r) => r,
        };
        let prefix = &config.tf_prefix;
        Release {
            tag: tag.tag.clone(),
            canonical_tag: tag.canonical(),
            environment: env.to_owned(),
            scope: tag.scope,
            team: tag.team.clone(),
            version: tag.version.to_string(),
            region,
            target_account: settings.account.clone(),
            tf_state_bucket: format!("{prefix}-{env}"),
            tf_lock_table: format!("{prefix}-lock-{env}"),
            tf_state_key: format!("{}/{env}-{}/terraform.tfstate", tag.team, tag.scope),
            target: Target {
                kind: settings.target.as_str(),
                name: settings
                    .target_name
                    .render(env, &tag.team, tag.scope, region),
                source_action: (settings.target == TargetKind::Pipeline)
                    .then(|| settings.source_action.clone()),
            },
        }
    }

    /// The values the release pipeline (as pipeline variables) or build (as environment
    /// variables) receives.
    pub fn variables(&self) -> [(&'static str, &str); 10] {
        [
            ("ENV", &self.environment),
            ("REGION", self.region),
            ("SCOPE", self.scope.as_str()),
            ("TEAM", &self.team),
            ("VERSION", &self.version),
            ("TAG", &self.tag),
            ("TF_STATE_BUCKET", &self.tf_state_bucket),
            ("TF_STATE_KEY", &self.tf_state_key),
            ("TF_LOCK_TABLE", &self.tf_lock_table),
            ("TARGET_ACCOUNT", &self.target_account),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tag_release::config::test_config as config;
    use std::collections::HashMap;

    #[test]
    fn regional_and_global_releases() {
        let c = config(&[("TAG_GLOBAL_REGION_PROD", "eu-central-1")]);
        let r = Release::derive(
            &c.grammar.parse("prod_eu-west-1/payments/v2.4.0").unwrap(),
            &c,
        );
        assert_eq!(r.region, "eu-west-1");
        assert_eq!(r.version, "2.4.0");
        assert_eq!(r.tag, "prod_eu-west-1/payments/v2.4.0");
        assert_eq!(r.canonical_tag, "prod_eu-west-1/payments/2.4.0");
        assert_eq!(r.target_account, "333333333333");
        assert_eq!(r.tf_state_bucket, "acme-tfstate-prod");
        assert_eq!(r.tf_lock_table, "acme-tfstate-lock-prod");
        assert_eq!(r.tf_state_key, "payments/prod-eu-west-1/terraform.tfstate");
        assert_eq!(r.target.name, "release-prod");
        assert_eq!(r.target.source_action.as_deref(), Some("Source"));

        let g = Release::derive(&c.grammar.parse("prod_global/payments/2.4.0").unwrap(), &c);
        assert_eq!(g.region, "eu-central-1");
        assert_eq!(g.scope, Scope::Global);
        assert_eq!(g.tf_state_key, "payments/prod-global/terraform.tfstate");
        let d = Release::derive(&c.grammar.parse("dev_global/payments/2.4.0").unwrap(), &c);
        assert_eq!(d.region, "us-east-1");

        let vars: HashMap<_, _> = r.variables().into_iter().collect();
        assert_eq!(vars.len(), 10);
        assert_eq!(vars["SCOPE"], "eu-west-1");
        assert_eq!(vars["TAG"], "prod_eu-west-1/payments/v2.4.0");
    }

    #[test]
    fn target_name_patterns() {
        let c = config(&[
            ("TAG_TARGET_NAME", "{team}-{env}-{scope}-{region}"),
            ("TAG_TARGET_DEV", "codebuild"),
        ]);
        let r = Release::derive(&c.grammar.parse("dev_global/payments/1.0.0").unwrap(), &c);
        assert_eq!(r.target.name, "payments-dev-global-us-east-1");
        assert_eq!(r.target.kind, "codebuild");
        assert_eq!(r.target.source_action, None);
    }
}
