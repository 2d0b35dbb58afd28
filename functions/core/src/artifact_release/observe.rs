//! What a target runs, compared with the uploaded version: the same version is never deployed
//! twice and an older one never replaces a newer one, whatever order events arrive in.
//!
//! S3 version ids carry no order, so the order is S3's: the key's current version is the newest
//! there is; otherwise the two versions' `LastModified` decide, and a tie (one second) or a
//! deployed version that no longer exists is "not newer": only a provably newer version is
//! deployed over one that runs.

use time::OffsetDateTime;

use super::pin;
use super::ports::{ArtifactTargets, FlinkApplication, LambdaVersion, ObjectVersion};
use super::route::{Matched, Pin, Resolved};
use super::rules::{RevisionKind, Target};
use crate::ports::ObserveError;

/// What was read about a matched record's target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observation {
    /// Nothing can be read about what the target runs (a CodeBuild project; a pipeline pinned by
    /// key; an unversioned object).
    Unread,
    /// The target does not exist (`what` names it).
    Missing(String),
    Flink {
        application: FlinkApplication,
        comparison: Comparison,
    },
    /// `alias`: what the alias points at (no alias: nothing recorded to compare with).
    Lambda {
        alias: Option<(LambdaVersion, Comparison)>,
    },
    Pipeline {
        comparison: Comparison,
    },
}

impl Observation {
    pub fn comparison(&self) -> Option<&Comparison> {
        match self {
            Observation::Flink { comparison, .. } | Observation::Pipeline { comparison } => {
                Some(comparison)
            }
            Observation::Lambda {
                alias: Some((_, comparison)),
            } => Some(comparison),
            Observation::Lambda { alias: None } | Observation::Unread | Observation::Missing(_) => {
                None
            }
        }
    }
}

/// The uploaded version against the one the target runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comparison {
    /// The target runs no version of this key (another key, no S3 code, or nothing yet).
    Unrelated,
    /// The target runs exactly the uploaded version.
    Same,
    /// The uploaded version is newer than the deployed one.
    Newer { deployed: String },
    /// The uploaded version is older than the deployed one, or cannot be shown newer.
    NotNewer { deployed: String, why: String },
    /// The uploaded version no longer exists.
    Gone,
}

/// Reads what `matched`'s target runs and how the uploaded version compares with it.
pub async fn observe<T: ArtifactTargets>(
    matched: &Matched<'_>,
    targets: &T,
) -> Result<Observation, ObserveError> {
    let Pin::Version(version) = matched.pin else {
        return Ok(Observation::Unread);
    };
    let object = matched.object;
    let compare = |running: Option<ObjectVersion>| {
        comparison(targets, &object.bucket, &object.key, version, running)
    };
    match (&matched.rule.target, &matched.target) {
        (_, Resolved::Flink { application, .. }) => {
            match targets.flink_application(application).await? {
                None => Ok(Observation::Missing(format!(
                    "the Managed Flink application {application}"
                ))),
                Some(app) => Ok(Observation::Flink {
                    comparison: compare(app.code.clone()).await?,
                    application: app,
                }),
            }
        }
        (_, Resolved::Lambda { function, alias }) => {
            match targets.lambda_function(function, alias.as_deref()).await? {
                None => Ok(Observation::Missing(match alias {
                    Some(alias) => format!("the Lambda function {function} or its alias {alias}"),
                    None => format!("the Lambda function {function}"),
                })),
                Some(_) if alias.is_none() => Ok(Observation::Lambda { alias: None }),
                Some(current) => {
                    let comparison = compare(pin::read(&current.description)).await?;
                    Ok(Observation::Lambda {
                        alias: Some((current, comparison)),
                    })
                }
            }
        }
        (
            Target::Pipeline {
                source_action,
                revision: RevisionKind::VersionId,
                ..
            },
            Resolved::Pipeline { name },
        ) => {
            // The source action watches this very key, so its revision is a version of it.
            let running = targets
                .pipeline_source_revision(name, source_action)
                .await?
                .map(|revision| ObjectVersion {
                    bucket: object.bucket.clone(),
                    key: object.key.clone(),
                    version: Some(revision),
                });
            Ok(Observation::Pipeline {
                comparison: compare(running).await?,
            })
        }
        _ => Ok(Observation::Unread),
    }
}

async fn comparison<T: ArtifactTargets>(
    targets: &T,
    bucket: &str,
    key: &str,
    version: &str,
    running: Option<ObjectVersion>,
) -> Result<Comparison, ObserveError> {
    let deployed = match running {
        Some(ObjectVersion {
            bucket: b,
            key: k,
            version: Some(deployed),
        }) if b == bucket && k == key => deployed,
        _ => return Ok(Comparison::Unrelated),
    };
    if deployed == version {
        return Ok(Comparison::Same);
    }
    if targets.current_version(bucket, key).await?.as_deref() == Some(version) {
        return Ok(Comparison::Newer { deployed });
    }
    let Some(uploaded_at) = targets.object_last_modified(bucket, key, version).await? else {
        return Ok(Comparison::Gone);
    };
    let deployed_at = targets.object_last_modified(bucket, key, &deployed).await?;
    Ok(order(uploaded_at, deployed, deployed_at))
}

/// The order of a version that is not the key's current one against the deployed version.
fn order(
    uploaded_at: OffsetDateTime,
    deployed: String,
    deployed_at: Option<OffsetDateTime>,
) -> Comparison {
    let at = |t: OffsetDateTime| crate::timestamps::format(t);
    match deployed_at {
        Some(d) if uploaded_at > d => Comparison::Newer { deployed },
        Some(d) if uploaded_at < d => Comparison::NotNewer {
            why: format!("uploaded {}, the deployed one {}", at(uploaded_at), at(d)),
            deployed,
        },
        Some(_) => Comparison::NotNewer {
            why: format!(
                "both uploaded at {} and this one is not the key's current version",
                at(uploaded_at)
            ),
            deployed,
        },
        None => Comparison::NotNewer {
            why: "the deployed version no longer exists and this one is not the key's current version, so nothing shows it is newer".into(),
            deployed,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_provably_newer_version_is_newer() {
        let d = || "v1".to_owned();
        let early = crate::timestamps::parse("t", "2026-11-20T09:00:00Z").unwrap();
        let late = crate::timestamps::parse("t", "2026-11-20T10:00:00Z").unwrap();
        assert_eq!(
            order(late, d(), Some(early)),
            Comparison::Newer { deployed: d() }
        );
        assert!(matches!(
            order(early, d(), Some(late)),
            Comparison::NotNewer { .. }
        ));
        assert!(
            matches!(order(early, d(), Some(early)), Comparison::NotNewer { why, .. } if why.contains("not the key's current")),
            "a tie is not newer"
        );
        assert!(matches!(
            order(late, d(), None),
            Comparison::NotNewer { .. }
        ));
    }
}
