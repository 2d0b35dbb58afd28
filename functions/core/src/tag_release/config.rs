//! Configuration of `tag-release`, from environment variables (documented in
//! `docs/tag-release.md`). Per-environment settings are `TAG_<SETTING>_<ENV>` (the environment
//! name upper-cased, `-` as `_`), falling back to `TAG_<SETTING>`, then to the default.

use std::collections::BTreeMap;

use super::grammar::{Scope, TagGrammar};
use crate::config::{self, ConfigError, Vars};
use crate::filters::AllowList;
use crate::naming::{self, NameRules};
use crate::regions;

/// What a release starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// CodePipeline `StartPipelineExecution` (`TAG_TARGET=pipeline`).
    Pipeline,
    /// CodeBuild `StartBuild` (`TAG_TARGET=codebuild`).
    CodeBuild,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Pipeline => "pipeline",
            TargetKind::CodeBuild => "codebuild",
        }
    }

    fn rules(self) -> &'static NameRules {
        match self {
            TargetKind::Pipeline => &naming::CODEPIPELINE,
            TargetKind::CodeBuild => &naming::CODEBUILD,
        }
    }
}

/// What to do when an existing tag is moved to another commit (CodeCommit `referenceUpdated`,
/// GitHub forced tag push).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MovedTagPolicy {
    /// Release the new commit.
    Redeploy,
    /// Refuse: a released version must keep meaning one commit.
    Reject,
}

/// A target name with `{env}`, `{team}`, `{scope}` and `{region}` placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamePattern(String);

const PLACEHOLDERS: [&str; 4] = ["{env}", "{team}", "{scope}", "{region}"];

impl NamePattern {
    fn parse(var: &str, pattern: &str) -> Result<Self, ConfigError> {
        let mut rest = pattern.to_owned();
        for p in PLACEHOLDERS {
            rest = rest.replace(p, "");
        }
        if rest.contains(['{', '}']) {
            return Err(ConfigError::new(
                var,
                format!(
                    "{pattern:?} has an unknown placeholder; use {}",
                    PLACEHOLDERS.join(", ")
                ),
            ));
        }
        Ok(NamePattern(pattern.to_owned()))
    }

    pub fn render(&self, env: &str, team: &str, scope: Scope, region: &str) -> String {
        self.0
            .replace("{env}", env)
            .replace("{team}", team)
            .replace("{scope}", scope.as_str())
            .replace("{region}", region)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where and how one environment releases.
#[derive(Debug, Clone)]
pub struct EnvironmentSettings {
    /// From `TAG_ACCOUNTS`: the 12-digit account id this environment deploys to.
    pub account: String,
    /// `TAG_TARGET[_<ENV>]` (default `pipeline`).
    pub target: TargetKind,
    /// `TAG_TARGET_NAME[_<ENV>]` (default `release-{env}`).
    pub target_name: NamePattern,
    /// `TAG_SOURCE_ACTION[_<ENV>]` (default `Source`): the pipeline's source action that is
    /// pinned to the tagged commit.
    pub source_action: String,
    /// `TAG_MOVED_TAG[_<ENV>]` (default `reject`).
    pub moved_tag: MovedTagPolicy,
    /// Listed in `TAG_DEFAULT_BRANCH_ONLY`: tags only on commits of the default branch.
    pub default_branch_only: bool,
    /// `TAG_GLOBAL_REGION[_<ENV>]` (default `us-east-1`): where `global` releases deploy.
    pub global_region: &'static str,
}

/// Configuration of `tag-release`.
#[derive(Debug, Clone)]
pub struct TagReleaseConfig {
    /// `TAG_ENVIRONMENTS`, `TAG_TEAMS`, `TAG_REGIONS[_<ENV>]`.
    pub grammar: TagGrammar,
    /// `TAG_REPOSITORIES`: comma-separated names (`owner/name` for GitHub), or `*`.
    pub repositories: AllowList,
    /// `TAG_TEAM_REPOSITORIES`: which repositories may release each team (every team has an
    /// entry): a tag naming a team from any other repository is refused.
    pub team_repositories: BTreeMap<String, AllowList>,
    /// Per environment, in `TAG_ENVIRONMENTS` order.
    pub environments: BTreeMap<String, EnvironmentSettings>,
    /// `TAG_TF_PREFIX`: Terraform state bucket `<prefix>-<env>`, lock table `<prefix>-lock-<env>`.
    pub tf_prefix: String,
    /// `DEFAULT_BRANCH` (default `main`): the default branch of CodeCommit repositories (GitHub
    /// payloads name their own).
    pub default_branch: String,
}

/// `TAG_<SETTING>_<ENV>`.
pub fn per_env_var(setting: &str, env: &str) -> String {
    format!("{setting}_{}", env.to_ascii_uppercase().replace('-', "_"))
}

/// The per-environment value and the variable it came from.
fn per_env(vars: &dyn Vars, setting: &str, env: &str) -> Option<(String, String)> {
    let specific = per_env_var(setting, env);
    config::optional(vars, &specific)
        .map(|v| (specific, v))
        .or_else(|| config::optional(vars, setting).map(|v| (setting.to_owned(), v)))
}

fn valid_environment(name: &str) -> bool {
    // No `_`: it separates the environment from the scope in a tag.
    (1..=16).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn valid_team(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn names(
    vars: &dyn Vars,
    var: &str,
    valid: fn(&str) -> bool,
    rule: &str,
) -> Result<Vec<String>, ConfigError> {
    let list = config::list(vars, var);
    if list.is_empty() {
        return Err(ConfigError::new(var, "is not set"));
    }
    if let Some(bad) = list.iter().find(|n| !valid(n)) {
        return Err(ConfigError::new(var, format!("{bad:?}: {rule}")));
    }
    if let Some(dup) = list
        .iter()
        .enumerate()
        .find_map(|(i, n)| list[..i].contains(n).then_some(n))
    {
        return Err(ConfigError::new(var, format!("{dup:?} is listed twice")));
    }
    Ok(list)
}

/// `TAG_TEAM_REPOSITORIES=payments=payments-service,payments=acme/payments-service,ledger=*`:
/// `<team>=<repository>` pairs (a team may appear several times; `*` lets any repository in
/// `TAG_REPOSITORIES` release the team). Every team in `TAG_TEAMS` needs at least one: without a
/// binding, anyone who can push a tag to any allowed repository could release any team.
fn team_repositories(
    vars: &dyn Vars,
    teams: &[String],
) -> Result<BTreeMap<String, AllowList>, ConfigError> {
    const VAR: &str = "TAG_TEAM_REPOSITORIES";
    let mut bound: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for entry in config::list(vars, VAR) {
        let Some((team, repository)) = entry.split_once('=') else {
            return Err(ConfigError::new(
                VAR,
                format!("{entry:?}: expected <team>=<repository>"),
            ));
        };
        let (team, repository) = (team.trim(), repository.trim());
        if !teams.iter().any(|t| t == team) {
            return Err(ConfigError::new(
                VAR,
                format!("{team:?} is not in TAG_TEAMS"),
            ));
        }
        if repository.is_empty() {
            return Err(ConfigError::new(
                VAR,
                format!("{entry:?}: the repository is empty"),
            ));
        }
        bound
            .entry(team.to_owned())
            .or_default()
            .push(repository.to_owned());
    }
    if let Some(unbound) = teams.iter().find(|t| !bound.contains_key(*t)) {
        return Err(ConfigError::new(
            VAR,
            format!("binds no repository to team {unbound:?}; add {unbound}=<repository> (or {unbound}=* for any allowed repository)"),
        ));
    }
    Ok(bound
        .into_iter()
        .map(|(team, repositories)| (team, AllowList::new(repositories)))
        .collect())
}

/// `TAG_ACCOUNTS=dev=111111111111,prod=333333333333`.
fn accounts(
    vars: &dyn Vars,
    environments: &[String],
) -> Result<BTreeMap<String, String>, ConfigError> {
    const VAR: &str = "TAG_ACCOUNTS";
    let mut map = BTreeMap::new();
    for entry in config::list(vars, VAR) {
        let Some((env, account)) = entry.split_once('=') else {
            return Err(ConfigError::new(
                VAR,
                format!("{entry:?}: expected <env>=<12-digit account id>"),
            ));
        };
        let (env, account) = (env.trim(), account.trim());
        if !environments.iter().any(|e| e == env) {
            return Err(ConfigError::new(
                VAR,
                format!("{env:?} is not in TAG_ENVIRONMENTS"),
            ));
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ConfigError::new(
                VAR,
                format!("account for {env:?} must be 12 digits, got {account:?}"),
            ));
        }
        if map.insert(env.to_owned(), account.to_owned()).is_some() {
            return Err(ConfigError::new(VAR, format!("{env:?} is listed twice")));
        }
    }
    if let Some(missing) = environments.iter().find(|e| !map.contains_key(*e)) {
        return Err(ConfigError::new(
            VAR,
            format!("has no account for environment {missing:?}"),
        ));
    }
    Ok(map)
}

fn scopes(var: &str, list: &str) -> Result<Vec<Scope>, ConfigError> {
    let scopes = list
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            Scope::parse(s).ok_or_else(|| {
                ConfigError::new(
                    var,
                    format!("{s:?} is neither a known AWS region nor \"global\""),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if scopes.is_empty() {
        return Err(ConfigError::new(var, "lists no region"));
    }
    Ok(scopes)
}

/// `TAG_TF_PREFIX`: every state bucket it names, `<prefix>-<env>`, must be a valid S3 bucket name
/// (and the lock tables `<prefix>-lock-<env>` are then valid DynamoDB names too).
fn tf_prefix(vars: &dyn Vars, environments: &[String]) -> Result<String, ConfigError> {
    const VAR: &str = "TAG_TF_PREFIX";
    let prefix = config::required(vars, VAR)?;
    if let Some(env) = environments
        .iter()
        .find(|e| !naming::is_s3_bucket_name(&format!("{prefix}-{e}")))
    {
        return Err(ConfigError::new(
            VAR,
            format!("{prefix:?} names the state bucket \"{prefix}-{env}\", which is not a valid S3 bucket name (3 to 63 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit)"),
        ));
    }
    Ok(prefix)
}

impl TagReleaseConfig {
    pub fn from_vars(vars: &dyn Vars) -> Result<Self, ConfigError> {
        let environments = names(
            vars,
            "TAG_ENVIRONMENTS",
            valid_environment,
            "environment names are 1-16 of a-z, 0-9 and '-', starting with a letter (no '_': it separates environment and scope in a tag)",
        )?;
        let teams = names(
            vars,
            "TAG_TEAMS",
            valid_team,
            "team names are 1-32 of a-z, 0-9, '-' and '_', starting with a letter or digit",
        )?;
        let repositories = config::list(vars, "TAG_REPOSITORIES");
        if repositories.is_empty() {
            return Err(ConfigError::new(
                "TAG_REPOSITORIES",
                "is not set; list the repositories whose tags release, or `*` for all",
            ));
        }
        let accounts = accounts(vars, &environments)?;
        let default_branch_only = config::list(vars, "TAG_DEFAULT_BRANCH_ONLY");
        if let Some(bad) = default_branch_only
            .iter()
            .find(|e| !environments.contains(e))
        {
            return Err(ConfigError::new(
                "TAG_DEFAULT_BRANCH_ONLY",
                format!("{bad:?} is not in TAG_ENVIRONMENTS"),
            ));
        }

        let mut allowed_scopes = BTreeMap::new();
        let mut settings = BTreeMap::new();
        for env in &environments {
            if let Some((var, list)) = per_env(vars, "TAG_REGIONS", env) {
                allowed_scopes.insert(env.clone(), scopes(&var, &list)?);
            }
            let target = match per_env(vars, "TAG_TARGET", env) {
                None => TargetKind::Pipeline,
                Some((var, v)) => config::one_of(
                    &var,
                    &v,
                    &[
                        ("pipeline", TargetKind::Pipeline),
                        ("codebuild", TargetKind::CodeBuild),
                    ],
                )?,
            };
            let (name_var, pattern) = per_env(vars, "TAG_TARGET_NAME", env)
                .unwrap_or_else(|| ("TAG_TARGET_NAME".into(), "release-{env}".into()));
            let target_name = NamePattern::parse(&name_var, &pattern)?;
            let source_action = match per_env(vars, "TAG_SOURCE_ACTION", env) {
                None => "Source".to_owned(),
                Some((var, v)) => {
                    if !naming::CODEPIPELINE.accepts(&v) {
                        return Err(ConfigError::new(
                            &var,
                            format!("{v:?} is not a valid CodePipeline action name"),
                        ));
                    }
                    v
                }
            };
            let moved_tag = match per_env(vars, "TAG_MOVED_TAG", env) {
                None => MovedTagPolicy::Reject,
                Some((var, v)) => config::one_of(
                    &var,
                    &v,
                    &[
                        ("redeploy", MovedTagPolicy::Redeploy),
                        ("reject", MovedTagPolicy::Reject),
                    ],
                )?,
            };
            let global_region = match per_env(vars, "TAG_GLOBAL_REGION", env) {
                None => "us-east-1",
                Some((var, v)) => regions::known(&v).ok_or_else(|| {
                    ConfigError::new(&var, format!("{v:?} is not a known AWS region"))
                })?,
            };
            settings.insert(
                env.clone(),
                EnvironmentSettings {
                    account: accounts[env].clone(),
                    target,
                    target_name,
                    source_action,
                    moved_tag,
                    default_branch_only: default_branch_only.contains(env),
                    global_region,
                },
            );
        }
        let team_repositories = team_repositories(vars, &teams)?;
        let grammar = TagGrammar::new(environments.clone(), teams, allowed_scopes);
        check_target_names(&grammar, &settings, vars)?;
        Ok(TagReleaseConfig {
            grammar,
            repositories: AllowList::new(repositories),
            team_repositories,
            environments: settings,
            tf_prefix: tf_prefix(vars, &environments)?,
            default_branch: config::optional(vars, "DEFAULT_BRANCH")
                .unwrap_or_else(|| "main".into()),
        })
    }

    /// The settings of an environment the grammar accepted.
    pub fn environment(&self, env: &str) -> &EnvironmentSettings {
        &self.environments[env]
    }
}

/// Renders every target name a valid tag could produce and checks it against the service's
/// naming rules, so a bad pattern fails at cold start instead of at the first release.
fn check_target_names(
    grammar: &TagGrammar,
    settings: &BTreeMap<String, EnvironmentSettings>,
    vars: &dyn Vars,
) -> Result<(), ConfigError> {
    let every_scope: Vec<Scope> = regions::REGIONS
        .iter()
        .map(|(r, _)| Scope::Region(r))
        .chain([Scope::Global])
        .collect();
    for (env, s) in settings {
        let scopes = grammar.allowed_scopes(env).unwrap_or(&every_scope);
        for team in grammar.teams() {
            for scope in scopes {
                let region = match scope {
                    Scope::Global => s.global_region,
                    Scope::Region(r) => r,
                };
                let name = s.target_name.render(env, team, *scope, region);
                let rules = s.target.rules();
                if !rules.is_valid(&name) {
                    let var = per_env(vars, "TAG_TARGET_NAME", env)
                        .map(|(var, _)| var)
                        .unwrap_or_else(|| "TAG_TARGET_NAME".into());
                    return Err(ConfigError::new(
                        &var,
                        format!(
                            "{:?} renders {name:?}, which is not a valid {} name (letters, digits and the allowed separators, starting with a letter, at most {} characters)",
                            s.target_name.as_str(),
                            rules.service,
                            rules.max_len
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// A valid configuration for unit tests: environments dev, qa, prod; teams payments, ledger;
/// `extra` variables laid over it.
#[cfg(test)]
pub(crate) fn test_config(extra: &[(&str, &str)]) -> TagReleaseConfig {
    let mut vars: std::collections::HashMap<String, String> = tests::BASE
        .iter()
        .chain(extra)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    vars.retain(|_, v| !v.is_empty());
    TagReleaseConfig::from_vars(&vars).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::config::test_vars as vars;

    pub(super) const BASE: [(&str, &str); 6] = [
        ("TAG_ENVIRONMENTS", "dev,qa,prod"),
        ("TAG_TEAMS", "payments,ledger"),
        ("TAG_REPOSITORIES", "*"),
        (
            "TAG_TEAM_REPOSITORIES",
            "payments=payments-service,payments=acme/payments-service,ledger=ledger-service",
        ),
        (
            "TAG_ACCOUNTS",
            "dev=111111111111,qa=222222222222,prod=333333333333",
        ),
        ("TAG_TF_PREFIX", "acme-tfstate"),
    ];

    #[test]
    fn every_team_is_bound_to_its_repositories() {
        let c = TagReleaseConfig::from_vars(&vars(&BASE)).unwrap();
        assert!(c.team_repositories["payments"].allows("acme/payments-service"));
        assert!(!c.team_repositories["ledger"].allows("payments-service"));
        for (value, says) in [
            (
                "payments=payments-service",
                "binds no repository to team \"ledger\"",
            ),
            ("payments=a,ledger=b,ops=c", "\"ops\" is not in TAG_TEAMS"),
            ("payments,ledger=b", "expected <team>=<repository>"),
            ("payments=,ledger=b", "the repository is empty"),
        ] {
            let mut v = vars(&BASE);
            v.insert("TAG_TEAM_REPOSITORIES".into(), value.into());
            let err = TagReleaseConfig::from_vars(&v).unwrap_err();
            assert_eq!(err.var, "TAG_TEAM_REPOSITORIES", "{value}");
            assert!(err.message.contains(says), "{value}: {err}");
        }
    }

    #[test]
    fn defaults_and_per_environment_overrides() {
        let mut v = vars(&BASE);
        v.insert("TAG_TARGET_PROD".into(), "codebuild".into());
        v.insert("TAG_TARGET_NAME".into(), "{team}-release-{env}".into());
        v.insert("TAG_MOVED_TAG".into(), "redeploy".into());
        v.insert("TAG_MOVED_TAG_PROD".into(), "reject".into());
        v.insert("TAG_REGIONS_PROD".into(), "eu-west-1, global".into());
        v.insert("TAG_GLOBAL_REGION_QA".into(), "eu-central-1".into());
        v.insert("TAG_DEFAULT_BRANCH_ONLY".into(), "prod".into());
        let c = TagReleaseConfig::from_vars(&v).unwrap();
        let dev = c.environment("dev");
        assert_eq!(dev.target, TargetKind::Pipeline);
        assert_eq!(dev.source_action, "Source");
        assert_eq!(dev.moved_tag, MovedTagPolicy::Redeploy);
        assert_eq!(dev.global_region, "us-east-1");
        assert!(!dev.default_branch_only);
        let prod = c.environment("prod");
        assert_eq!(prod.target, TargetKind::CodeBuild);
        assert_eq!(prod.moved_tag, MovedTagPolicy::Reject);
        assert_eq!(prod.account, "333333333333");
        assert!(prod.default_branch_only);
        assert_eq!(c.environment("qa").global_region, "eu-central-1");
        assert_eq!(
            c.grammar.allowed_scopes("prod"),
            Some(&[Scope::Region("eu-west-1"), Scope::Global][..])
        );
        assert_eq!(c.grammar.allowed_scopes("dev"), None);
        assert_eq!(c.default_branch, "main");
        assert_eq!(per_env_var("TAG_TARGET", "pre-prod"), "TAG_TARGET_PRE_PROD");
    }

    #[test]
    fn errors_name_the_variable() {
        assert!(TagReleaseConfig::from_vars(&vars(&BASE)).is_ok());
        let cases = [
            ("TAG_ENVIRONMENTS", "dev,pro_d", "TAG_ENVIRONMENTS"),
            ("TAG_ENVIRONMENTS", "dev,dev", "TAG_ENVIRONMENTS"),
            ("TAG_ENVIRONMENTS", "", "TAG_ENVIRONMENTS"),
            ("TAG_TEAMS", "Payments", "TAG_TEAMS"),
            ("TAG_TEAMS", "a/b", "TAG_TEAMS"),
            ("TAG_REPOSITORIES", "", "TAG_REPOSITORIES"),
            (
                "TAG_ACCOUNTS",
                "dev=111111111111,qa=222222222222",
                "TAG_ACCOUNTS",
            ),
            (
                "TAG_ACCOUNTS",
                "dev=1,qa=222222222222,prod=333333333333",
                "TAG_ACCOUNTS",
            ),
            (
                "TAG_ACCOUNTS",
                "dev=111111111111,qa=222222222222,prod=333333333333,stg=444444444444",
                "TAG_ACCOUNTS",
            ),
            ("TAG_TF_PREFIX", "Acme_State", "TAG_TF_PREFIX"),
            ("TAG_TF_PREFIX", "", "TAG_TF_PREFIX"),
            ("TAG_TARGET", "lambda", "TAG_TARGET"),
            ("TAG_TARGET_QA", "lambda", "TAG_TARGET_QA"),
            (
                "TAG_TARGET_NAME",
                "release-{environment}",
                "TAG_TARGET_NAME",
            ),
            (
                "TAG_TARGET_NAME_PROD",
                "9release-{env}",
                "TAG_TARGET_NAME_PROD",
            ),
            ("TAG_TARGET_NAME", "release {env}", "TAG_TARGET_NAME"),
            ("TAG_SOURCE_ACTION", "Source action", "TAG_SOURCE_ACTION"),
            ("TAG_MOVED_TAG_DEV", "ignore", "TAG_MOVED_TAG_DEV"),
            ("TAG_REGIONS_PROD", "eu-west-9", "TAG_REGIONS_PROD"),
            ("TAG_REGIONS", " , ", "TAG_REGIONS"),
            ("TAG_GLOBAL_REGION", "global", "TAG_GLOBAL_REGION"),
            ("TAG_DEFAULT_BRANCH_ONLY", "prd", "TAG_DEFAULT_BRANCH_ONLY"),
        ];
        for (var, value, named) in cases {
            let mut v = vars(&BASE);
            v.insert(var.into(), value.into());
            let err = TagReleaseConfig::from_vars(&v).unwrap_err();
            assert_eq!(err.var, named, "{var}={value:?}: {err}");
        }
        // A CodeBuild project name may not contain '.', which a pipeline name may.
        let mut v = vars(&BASE);
        v.insert("TAG_TARGET_NAME".into(), "release.{env}".into());
        assert!(TagReleaseConfig::from_vars(&v).is_ok());
        v.insert("TAG_TARGET".into(), "codebuild".into());
        assert_eq!(
            TagReleaseConfig::from_vars(&v).unwrap_err().var,
            "TAG_TARGET_NAME"
        );
    }
}
