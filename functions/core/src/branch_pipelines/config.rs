use crate::config::{self, ConfigError, Vars};
use crate::filters::{AllowList, RefFilter};
use crate::naming::{self, NamePrefix};

/// Configuration of `branch-pipelines`. Every variable is documented in the README.
#[derive(Debug, Clone)]
pub struct BranchConfig {
    /// `BRANCH_DEPLOYER_PROJECT`: CodeBuild project that creates or updates a branch's stack.
    pub deployer_project: String,
    /// `BRANCH_DESTROYER_PROJECT`: CodeBuild project that deletes it.
    pub destroyer_project: String,
    /// `DEFAULT_BRANCH` (default `main`): never gets a per-branch pipeline.
    pub default_branch: String,
    /// `BRANCH_INCLUDE` / `BRANCH_EXCLUDE`: comma-separated globs.
    pub filter: RefFilter,
    /// `BRANCH_REPOSITORIES`: comma-separated names (`owner/name` for GitHub), or `*`.
    pub repositories: AllowList,
    /// `NAME_PREFIX` (default `sy`): first part of every derived name.
    pub prefix: NamePrefix,
}

fn project_name(vars: &dyn Vars, var: &str) -> Result<String, ConfigError> {
    let name = config::required(vars, var)?;
    if naming::CODEBUILD.accepts(&name) {
        Ok(name)
    } else {
        Err(ConfigError::new(
            var,
            format!("{name:?} is not a valid CodeBuild project name"),
        ))
    }
}

impl BranchConfig {
    pub fn from_vars(vars: &dyn Vars) -> Result<Self, ConfigError> {
        let repositories = config::list(vars, "BRANCH_REPOSITORIES");
        if repositories.is_empty() {
            return Err(ConfigError::new(
                "BRANCH_REPOSITORIES",
                "is not set; list the repositories to act for, or `*` for all",
            ));
        }
        let filter = RefFilter::new(
            &config::list(vars, "BRANCH_INCLUDE"),
            &config::list(vars, "BRANCH_EXCLUDE"),
        )
        .map_err(|e| ConfigError::new("BRANCH_INCLUDE/BRANCH_EXCLUDE", e.to_string()))?;
        let prefix = NamePrefix::parse(
            &config::optional(vars, "NAME_PREFIX").unwrap_or_else(|| "sy".into()),
        )
        .map_err(|e| ConfigError::new("NAME_PREFIX", e.to_string()))?;
        Ok(BranchConfig {
            deployer_project: project_name(vars, "BRANCH_DEPLOYER_PROJECT")?,
            destroyer_project: project_name(vars, "BRANCH_DESTROYER_PROJECT")?,
            default_branch: config::optional(vars, "DEFAULT_BRANCH")
                .unwrap_or_else(|| "main".into()),
            filter,
            repositories: AllowList::new(repositories),
            prefix,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::config::test_vars as vars;

    #[test]
    fn errors_name_the_variable() {
        let base = [
            ("BRANCH_DEPLOYER_PROJECT", "deployer"),
            ("BRANCH_DESTROYER_PROJECT", "destroyer"),
            ("BRANCH_REPOSITORIES", "*"),
        ];
        assert!(BranchConfig::from_vars(&vars(&base)).is_ok());
        let cases = [
            ("BRANCH_DEPLOYER_PROJECT", "bad name;"),
            ("BRANCH_REPOSITORIES", ""),
            ("NAME_PREFIX", "9x"),
            ("BRANCH_INCLUDE", "a[b"),
        ];
        for (var, value) in cases {
            let mut v = vars(&base);
            v.insert(var.into(), value.into());
            let err = BranchConfig::from_vars(&v).unwrap_err();
            assert!(err.var.contains(var), "{err}");
        }
    }
}
