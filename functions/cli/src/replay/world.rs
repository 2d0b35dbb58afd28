//! `--world`: observed state for the dry run, as JSON. An absent file is an empty, healthy world.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct World {
    /// Functions that observe read their part of the world from here; each documents its shape.
    #[allow(dead_code)] // read by the observing functions (health-gate, stage-retry, connect-sync)
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
