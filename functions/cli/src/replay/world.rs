//! `--world`: observed state for the dry run, as JSON. An absent file is an empty, healthy world.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

// No `deny_unknown_fields`: serde refuses every key when it is combined with `flatten`, and the
// flattened map is meant to take every top-level key anyway (each part checks its own shape).
#[derive(Debug, Default, Deserialize)]
pub struct World {
    /// Functions that observe read their part of the world from here; each documents its shape
    /// (`tag-release`: `switchyard_core::tag_release::WorldDefaultBranch`; `health`:
    /// `switchyard_core::health::world::WorldHealth`; `pipelines`:
    /// `switchyard_core::stage_retry::world::WorldPipelines`). `now` (RFC 3339) is the dry run's
    /// clock for health-gate and stage-retry.
    #[serde(flatten)]
    pub parts: serde_json::Map<String, Value>,
}

impl World {
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read world file {}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}
