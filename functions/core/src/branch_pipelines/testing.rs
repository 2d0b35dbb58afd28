//! What the tests of `branch-pipelines` (events and the sweep) share: one configuration, and
//! reading the build a decision starts.

use std::collections::HashMap;

use super::BranchConfig;
use crate::actions::codebuild::StartBuild;
use crate::plan::{Action, Decision};

pub fn config() -> BranchConfig {
    let vars: HashMap<String, String> = [
        ("BRANCH_DEPLOYER_PROJECT", "deployer"),
        ("BRANCH_DESTROYER_PROJECT", "destroyer"),
        ("BRANCH_REPOSITORIES", "app,acme/app"),
        ("BRANCH_INCLUDE", "feature/**,bugfix/**"),
        ("BRANCH_EXCLUDE", "dependabot/**,feature/wip-**"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    BranchConfig::from_vars(&vars).unwrap()
}

/// The one build `decision` starts.
pub fn start_build(decision: &Decision) -> &StartBuild {
    match decision.actions.as_slice() {
        [Action::StartBuild(b)] => b,
        other => panic!("expected one StartBuild, got {other:?}"),
    }
}

/// The value of a build's environment variable.
pub fn env<'a>(build: &'a StartBuild, name: &str) -> &'a str {
    &build
        .environment_variables_override
        .iter()
        .find(|v| v.name == name)
        .unwrap()
        .value
}
