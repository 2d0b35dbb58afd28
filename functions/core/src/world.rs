//! The dry-run world: observed state from a JSON file (`switchyard replay --world`), and a
//! [`Resolve`] that reads nothing from AWS. With these, every function runs its real
//! parse → observe → decide and nothing outside the process is read or written.
//!
//! World shape: each part is documented by the type that reads it, and an absent part is an
//! empty, healthy world:
//! - `tag-release`: [`crate::tag_release::WorldDefaultBranch`];
//! - `health`: [`crate::health::world::WorldHealth`];
//! - `pipelines`: [`crate::stage_retry::world::WorldPipelines`];
//! - `kafka-sync`: desired state, Kafka Connect clusters and their topics
//!   ([`crate::kafka_sync::triggers::dry_run::DryRunConnectPorts::from_world`]);
//! - `deliveries`: [`crate::deliveries::WorldDeliveries`];
//! - `branches`: what git hosts list ([`crate::git_hosts::world::WorldBranches`]);
//! - `stacks`: every branch's stacks and their tags ([`crate::branch_stacks::world::WorldStacks`]);
//! - `artifact-release`: what its targets run
//!   ([`crate::artifact_release::world::WorldArtifactTargets`]);
//! - `now` (RFC 3339): the clock of health-gate and stage-retry, so samples decide the same way
//!   every day (absent: the real clock).

use std::sync::Arc;
use std::time::SystemTime;

use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::artifact_release::world::WorldArtifactTargets;
use crate::branch_stacks::world::WorldStacks;
use crate::config::ConfigError;
use crate::deliveries::WorldDeliveries;
use crate::function::{Function, Ports, Resolve};
use crate::git_hosts::world::WorldBranches;
use crate::health::world::WorldHealth;
use crate::kafka_sync::triggers::dry_run::DryRunConnectPorts;
use crate::registry::PortsFor;
use crate::secret::Secret;
use crate::stage_retry::world::WorldPipelines;
use crate::tag_release::WorldDefaultBranch;
use crate::timestamps;

/// The ports of a dry run.
#[derive(Debug)]
pub struct DryRunPorts {
    default_branch: WorldDefaultBranch,
    deliveries: WorldDeliveries,
    health: WorldHealth,
    pipelines: WorldPipelines,
    connect: DryRunConnectPorts,
    branches: WorldBranches,
    stacks: WorldStacks,
    artifacts: WorldArtifactTargets,
    now: Option<OffsetDateTime>,
}

impl DryRunPorts {
    /// Reads a world document (the parsed `--world` file); errors name the part.
    pub fn from_world(world: &Value) -> Result<Self, String> {
        let empty = Map::new();
        let parts = match world {
            Value::Object(parts) => parts,
            Value::Null => &empty,
            _ => return Err("world: expected a JSON object".into()),
        };
        let now = match parts.get("now") {
            None => None,
            Some(value) => {
                let text = value
                    .as_str()
                    .ok_or("world: now: expected an RFC 3339 timestamp string")?;
                Some(timestamps::parse("now", text).map_err(|e| format!("world: {e}"))?)
            }
        };
        let connect_clock = now.map_or_else(SystemTime::now, SystemTime::from);
        Ok(DryRunPorts {
            default_branch: WorldDefaultBranch::from_world(parts.get("tag-release"))?,
            deliveries: WorldDeliveries::from_world(parts.get("deliveries"))?,
            health: WorldHealth::from_world(parts.get("health"))?,
            pipelines: WorldPipelines::from_world(parts.get("pipelines"))?,
            connect: DryRunConnectPorts::from_world(parts.get("kafka-sync"), connect_clock)?,
            branches: WorldBranches::from_world(parts.get("branches"))?,
            stacks: WorldStacks::from_world(parts.get("stacks"))?,
            artifacts: WorldArtifactTargets::from_world(parts.get("artifact-release"))?,
            now,
        })
    }
}

impl Ports for DryRunPorts {
    type DefaultBranch = WorldDefaultBranch;
    type Deliveries = WorldDeliveries;
    type Health = WorldHealth;
    type Pipelines = WorldPipelines;
    type Connect = DryRunConnectPorts;
    type GitHosts = WorldBranches;
    type Stacks = WorldStacks;
    type Artifacts = WorldArtifactTargets;

    fn default_branch(&self) -> &WorldDefaultBranch {
        &self.default_branch
    }

    fn deliveries(&self) -> &WorldDeliveries {
        &self.deliveries
    }

    fn health(&self) -> &WorldHealth {
        &self.health
    }

    fn pipelines(&self) -> &WorldPipelines {
        &self.pipelines
    }

    fn connect(&self) -> &DryRunConnectPorts {
        &self.connect
    }

    fn git_hosts(&self) -> &WorldBranches {
        &self.branches
    }

    fn stacks(&self) -> &WorldStacks {
        &self.stacks
    }

    fn artifacts(&self) -> &WorldArtifactTargets {
        &self.artifacts
    }

    fn now(&self) -> OffsetDateTime {
        self.now.unwrap_or_else(OffsetDateTime::now_utc)
    }
}

/// Every function of a dry run sees the same world.
impl PortsFor for Arc<DryRunPorts> {
    type Ports = DryRunPorts;

    async fn ports_for<F: Function>(&self, _function: &F) -> Result<Arc<DryRunPorts>, ConfigError> {
        Ok(self.clone())
    }
}

/// Configuration resolution in a dry run: values must be inline, nothing is read from AWS.
#[derive(Debug, Clone, Copy, Default)]
pub struct DryRunResolve;

fn refused(var: &str, what: &str, id: &str, inline_var: &str) -> ConfigError {
    ConfigError::new(
        var,
        format!("names {what} {id:?}, and a dry run reads nothing from AWS: set {inline_var} for local replay, or use --execute"),
    )
}

impl Resolve for DryRunResolve {
    async fn secret(&self, var: &str, id: &str, inline_var: &str) -> Result<Secret, ConfigError> {
        Err(refused(var, "the Secrets Manager secret", id, inline_var))
    }

    async fn parameter(
        &self,
        var: &str,
        name: &str,
        inline_var: &str,
    ) -> Result<String, ConfigError> {
        Err(refused(var, "the SSM parameter", name, inline_var))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_absent_world_is_empty_and_a_bad_part_is_named() {
        assert!(DryRunPorts::from_world(&Value::Null).is_ok());
        let err = DryRunPorts::from_world(&json!({"now": 3})).unwrap_err();
        assert!(err.contains("now"), "{err}");
        let err = DryRunPorts::from_world(&json!({"tag-release": {"nope": 1}})).unwrap_err();
        assert!(err.contains("tag-release"), "{err}");
        let at = DryRunPorts::from_world(&json!({"now": "2026-11-20T10:10:00Z"})).unwrap();
        assert_eq!(at.now().unix_timestamp(), 1_795_169_400);
    }
}
