//! The `artifact-release` part of the replay world: what each target runs and the versions of
//! the objects involved, so `switchyard replay --world` plans exactly what the Lambda would.
//!
//! ```json
//! "artifact-release": {
//!   "flink": {"clickstream-enricher": {"status": "RUNNING", "versionId": 7,
//!     "conditionalToken": "…",
//!     "code": {"bucket": "acme-artifacts", "key": "flink/…jar", "version": "…"}}},
//!   "lambda": {"thumbnailer:live": {"version": "3", "codeSha256": "…", "description": "…"}},
//!   "pipelines": {"deploy-kafka-connector": {"PluginArtifact": "<version id>"}},
//!   "objects": {"acme-artifacts/flink/…jar": [
//!     {"version": "…", "lastModified": "2026-11-20T09:00:00Z"}, …]}
//! }
//! ```
//!
//! Lambda entries are keyed `function` or `function:alias`. Object versions are listed oldest
//! first; the last is the current one. Anything absent does not exist.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;

use super::ports::{ArtifactTargets, FlinkApplication, LambdaVersion, ObjectVersion};
use crate::ports::ObserveError;
use crate::timestamps;

#[derive(Debug, Clone, Default)]
pub struct WorldArtifactTargets {
    flink: BTreeMap<String, FlinkApplication>,
    lambda: BTreeMap<String, LambdaVersion>,
    pipelines: BTreeMap<String, BTreeMap<String, String>>,
    /// `bucket/key` → versions, oldest first.
    objects: BTreeMap<String, Vec<(String, OffsetDateTime)>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WorldPart {
    #[serde(default)]
    flink: BTreeMap<String, WorldFlink>,
    #[serde(default)]
    lambda: BTreeMap<String, WorldLambda>,
    #[serde(default)]
    pipelines: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    objects: BTreeMap<String, Vec<WorldObjectVersion>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WorldFlink {
    #[serde(default = "default_partition")]
    partition: String,
    status: String,
    version_id: i64,
    conditional_token: Option<String>,
    code: Option<WorldObject>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WorldObject {
    bucket: String,
    key: String,
    version: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WorldLambda {
    version: String,
    code_sha256: String,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WorldObjectVersion {
    version: String,
    last_modified: String,
}

fn default_partition() -> String {
    "aws".into()
}

impl WorldArtifactTargets {
    pub fn from_world(part: Option<&Value>) -> Result<Self, String> {
        let Some(part) = part else {
            return Ok(Self::default());
        };
        let part: WorldPart = serde_json::from_value(part.clone())
            .map_err(|e| format!("world: artifact-release: {e}"))?;
        let objects = part
            .objects
            .into_iter()
            .map(|(location, versions)| {
                let versions = versions
                    .into_iter()
                    .map(|v| {
                        timestamps::parse("lastModified", &v.last_modified)
                            .map(|at| (v.version, at))
                            .map_err(|e| {
                                format!("world: artifact-release: objects: {location}: {e}")
                            })
                    })
                    .collect::<Result<Vec<_>, String>>()?;
                Ok((location, versions))
            })
            .collect::<Result<_, String>>()?;
        Ok(WorldArtifactTargets {
            flink: part
                .flink
                .into_iter()
                .map(|(name, app)| {
                    let app = FlinkApplication {
                        partition: app.partition,
                        status: app.status,
                        version_id: app.version_id,
                        conditional_token: app.conditional_token,
                        code: app.code.map(|c| ObjectVersion {
                            bucket: c.bucket,
                            key: c.key,
                            version: c.version,
                        }),
                    };
                    (name, app)
                })
                .collect(),
            lambda: part
                .lambda
                .into_iter()
                .map(|(name, f)| {
                    let version = LambdaVersion {
                        version: f.version,
                        code_sha256: f.code_sha256,
                        description: f.description,
                    };
                    (name, version)
                })
                .collect(),
            pipelines: part.pipelines,
            objects,
        })
    }

    fn versions(&self, bucket: &str, key: &str) -> &[(String, OffsetDateTime)] {
        self.objects
            .get(&format!("{bucket}/{key}"))
            .map_or(&[], Vec::as_slice)
    }
}

impl ArtifactTargets for WorldArtifactTargets {
    async fn flink_application(
        &self,
        name: &str,
    ) -> Result<Option<FlinkApplication>, ObserveError> {
        Ok(self.flink.get(name).cloned())
    }

    async fn lambda_function(
        &self,
        name: &str,
        qualifier: Option<&str>,
    ) -> Result<Option<LambdaVersion>, ObserveError> {
        let id = match qualifier {
            Some(alias) => format!("{name}:{alias}"),
            None => name.to_owned(),
        };
        Ok(self.lambda.get(&id).cloned())
    }

    async fn pipeline_source_revision(
        &self,
        pipeline: &str,
        source_action: &str,
    ) -> Result<Option<String>, ObserveError> {
        Ok(self
            .pipelines
            .get(pipeline)
            .and_then(|actions| actions.get(source_action))
            .cloned())
    }

    async fn object_last_modified(
        &self,
        bucket: &str,
        key: &str,
        version: &str,
    ) -> Result<Option<OffsetDateTime>, ObserveError> {
        Ok(self
            .versions(bucket, key)
            .iter()
            .find(|(v, _)| v == version)
            .map(|(_, at)| *at))
    }

    async fn current_version(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<Option<String>, ObserveError> {
        Ok(self.versions(bucket, key).last().map(|(v, _)| v.clone()))
    }
}
