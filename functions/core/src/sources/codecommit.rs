//! CodeCommit "CodeCommit Repository State Change" events, as EventBridge delivers them.

use serde_json::Value;

use super::{validate_commit, validate_repository, Home, RefChange, RefEvent, RefSource};
use crate::json::{self, FieldError};
use crate::refs::{RefKind, RefName};

pub const SOURCE: &str = "aws.codecommit";
pub const DETAIL_TYPE: &str = "CodeCommit Repository State Change";

/// True for an EventBridge event about a CodeCommit reference (whatever its contents).
pub fn is_reference_event(v: &Value) -> bool {
    json::get(v, &["source"]).and_then(Value::as_str) == Some(SOURCE)
        && json::get(v, &["detail-type"]).and_then(Value::as_str) == Some(DETAIL_TYPE)
}

/// The reference type the event names (`branch`, `tag`), before any other validation; used to
/// route the event to its function.
pub fn reference_type(v: &Value) -> Option<&str> {
    json::get(v, &["detail", "referenceType"]).and_then(Value::as_str)
}

/// Parses and validates the event. A delete carries `oldCommitId` and no `commitId`. The event
/// must come from `home`: its `account`, `region` and repository ARN (`resources`) agree with the
/// stack's and with each other.
pub fn parse(v: &Value, home: &Home) -> Result<RefEvent, FieldError> {
    let event_id = json::str(v, &["id"])?;
    if event_id.is_empty() || event_id.len() > 128 {
        return Err(FieldError::new("id", "must be 1 to 128 characters"));
    }
    let repository = validate_repository(
        "detail.repositoryName",
        json::str(v, &["detail", "repositoryName"])?,
    )?;
    if repository.contains('/') {
        return Err(FieldError::new(
            "detail.repositoryName",
            format!(
                "{repository:?} is not a CodeCommit repository name (only GitHub names have a '/')"
            ),
        ));
    }
    check_origin(v, home, &repository)?;
    let kind = match json::str(v, &["detail", "referenceType"])? {
        "branch" => RefKind::Branch,
        "tag" => RefKind::Tag,
        other => {
            return Err(FieldError::new(
                "detail.referenceType",
                format!(
                    "expected \"branch\" or \"tag\", got {:?}",
                    crate::text::truncate_for_message(other)
                ),
            ))
        }
    };
    let name = RefName::parse(json::str(v, &["detail", "referenceName"])?)
        .map_err(|e| FieldError::new("detail.referenceName", e.to_string()))?;
    if let Some(full) = json::opt_str(v, &["detail", "referenceFullName"])? {
        let from_full = RefName::parse_full(full, kind)
            .map_err(|e| FieldError::new("detail.referenceFullName", e.to_string()))?;
        if from_full != name {
            return Err(FieldError::new(
                "detail.referenceFullName",
                "does not match detail.referenceName",
            ));
        }
    }
    let commit = |field: &str| -> Result<Option<String>, FieldError> {
        json::opt_str(v, &["detail", field])?
            .map(|c| validate_commit(&format!("detail.{field}"), c))
            .transpose()
    };
    let change = match json::str(v, &["detail", "event"])? {
        "referenceCreated" => RefChange::Created {
            commit: Some(commit("commitId")?.ok_or_else(|| {
                FieldError::new(
                    "detail.commitId",
                    "is missing from a referenceCreated event",
                )
            })?),
        },
        "referenceDeleted" => RefChange::Deleted {
            old_commit: commit("oldCommitId")?,
        },
        "referenceUpdated" => RefChange::Updated {
            commit: commit("commitId")?.ok_or_else(|| {
                FieldError::new(
                    "detail.commitId",
                    "is missing from a referenceUpdated event",
                )
            })?,
            old_commit: commit("oldCommitId")?,
        },
        other => {
            return Err(FieldError::new(
                "detail.event",
                format!(
                    "expected referenceCreated, referenceUpdated or referenceDeleted, got {:?}",
                    crate::text::truncate_for_message(other)
                ),
            ))
        }
    };
    Ok(RefEvent {
        source: RefSource::CodeCommit,
        event_id: event_id.to_owned(),
        repository,
        kind,
        name,
        change,
        default_branch: None,
        base_ref: None,
    })
}

/// The event's `account`, `region` and `resources` are the stack's own, and the one resource is
/// this repository's ARN.
fn check_origin(v: &Value, home: &Home, repository: &str) -> Result<(), FieldError> {
    let shown = |s: &str| crate::text::truncate_for_message(s);
    let account = json::str(v, &["account"])?;
    if account != home.account {
        return Err(FieldError::new(
            "account",
            format!(
                "{:?} is not this stack's account {}",
                shown(account),
                home.account
            ),
        ));
    }
    let region = json::str(v, &["region"])?;
    if region != home.region {
        return Err(FieldError::new(
            "region",
            format!(
                "{:?} is not this stack's region {}",
                shown(region),
                home.region
            ),
        ));
    }
    let arn = format!(
        "arn:{}:codecommit:{}:{}:{repository}",
        home.partition.as_str(),
        home.region,
        home.account
    );
    match json::opt_array(v, &["resources"])?.map(Vec::as_slice) {
        Some([only]) if only.as_str() == Some(arn.as_str()) => Ok(()),
        Some([only]) => Err(FieldError::new(
            "resources[0]",
            format!(
                "{} is not the ARN of repository {repository:?} in this account and region ({arn})",
                shown(&only.to_string())
            ),
        )),
        _ => Err(FieldError::new(
            "resources",
            format!("expected exactly the repository's ARN ({arn})"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn home() -> Home {
        Home {
            account: "123456789012".into(),
            region: "eu-west-1",
            partition: crate::regions::Partition::Aws,
        }
    }

    fn event(detail: Value) -> Value {
        let repository = detail["repositoryName"].as_str().unwrap_or("app");
        json!({"version":"0","id":"e-1","detail-type":DETAIL_TYPE,"source":SOURCE,
            "account":"123456789012","region":"eu-west-1",
            "resources":[format!("arn:aws:codecommit:eu-west-1:123456789012:{repository}")],
            "detail":detail})
    }

    fn parse(v: &Value) -> Result<RefEvent, FieldError> {
        super::parse(v, &home())
    }

    #[test]
    fn events_from_elsewhere_are_refused() {
        let detail = json!({"event":"referenceCreated","repositoryName":"app","referenceType":"branch","referenceName":"feature/x","commitId":SHA});
        assert!(parse(&event(detail.clone())).is_ok());
        let arn = |r: &str, a: &str, n: &str| json!([format!("arn:aws:codecommit:{r}:{a}:{n}")]);
        for (field, value, expected_field) in [
            ("account", json!("210987654321"), "account"),
            ("region", json!("us-east-1"), "region"),
            (
                "resources",
                arn("eu-west-1", "210987654321", "app"),
                "resources[0]",
            ),
            (
                "resources",
                arn("us-east-1", "123456789012", "app"),
                "resources[0]",
            ),
            (
                "resources",
                arn("eu-west-1", "123456789012", "other"),
                "resources[0]",
            ),
            ("resources", json!([]), "resources"),
            ("resources", json!(["a", "b"]), "resources"),
        ] {
            let mut e = event(detail.clone());
            e[field] = value;
            assert_eq!(parse(&e).unwrap_err().field, expected_field, "{field}: {e}");
        }
        let mut missing = event(detail.clone());
        missing.as_object_mut().unwrap().remove("account");
        assert_eq!(parse(&missing).unwrap_err().field, "account");
        let slash = json!({"event":"referenceCreated","repositoryName":"acme/app","referenceType":"branch","referenceName":"x","commitId":SHA});
        let err = parse(&event(slash)).unwrap_err();
        assert!(
            err.message.contains("only GitHub names have a '/'"),
            "{err}"
        );
    }

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn created_and_deleted() {
        let c = parse(&event(json!({"event":"referenceCreated","repositoryName":"app","referenceType":"branch","referenceName":"feature/x","referenceFullName":"refs/heads/feature/x","commitId":SHA}))).unwrap();
        assert_eq!(
            c.change,
            RefChange::Created {
                commit: Some(SHA.into())
            }
        );
        let d = parse(&event(json!({"event":"referenceDeleted","repositoryName":"app","referenceType":"branch","referenceName":"feature/x","oldCommitId":SHA}))).unwrap();
        assert_eq!(
            d.change,
            RefChange::Deleted {
                old_commit: Some(SHA.into())
            }
        );
    }

    #[test]
    fn rejections_name_the_field() {
        let cases = [
            (
                json!({"event":"referenceCreated","repositoryName":"app","referenceType":"branch","referenceName":"a..b","commitId":SHA}),
                "detail.referenceName",
            ),
            (
                json!({"event":"referenceCreated","repositoryName":"app","referenceType":"branch","referenceName":"a"}),
                "detail.commitId",
            ),
            (
                json!({"event":"referenceCreated","repositoryName":"app","referenceType":"branch","referenceName":"a","commitId":"$(id)"}),
                "detail.commitId",
            ),
            (
                json!({"event":"referenceExploded","repositoryName":"app","referenceType":"branch","referenceName":"a"}),
                "detail.event",
            ),
            (
                json!({"event":"referenceCreated","repositoryName":"a;b","referenceType":"branch","referenceName":"a","commitId":SHA}),
                "detail.repositoryName",
            ),
            (
                json!({"event":"referenceCreated","repositoryName":"app","referenceType":7,"referenceName":"a","commitId":SHA}),
                "detail.referenceType",
            ),
            (
                json!({"event":"referenceCreated","repositoryName":"app","referenceType":"branch","referenceName":"a","referenceFullName":"refs/heads/b","commitId":SHA}),
                "detail.referenceFullName",
            ),
        ];
        for (detail, field) in cases {
            let err = parse(&event(detail)).unwrap_err();
            assert_eq!(err.field, field, "{err}");
        }
    }
}
