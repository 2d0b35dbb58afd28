//! Bitbucket Cloud `repo:push` deliveries as ref events. Authentication happens before this, in
//! [`crate::webhook`]: nothing here sees an unauthenticated body.
//!
//! One push may hold several changes (`push.changes[]`, one per ref): each is its own ref event,
//! decided on its own, as the records of an S3 notification are. A change says "created" with
//! `old: null` and "deleted" with `new: null`.

use serde_json::Value;

use super::{validate_commit, validate_repository, Interpretation, RefChange, RefEvent, RefSource};
use crate::json::{self, FieldError};
use crate::refs::{RefKind, RefName};
use crate::webhook::Delivery;

pub const PUSH: &str = "repo:push";

/// One change of a push, as a ref event or why not; `record` says where it sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub record: String,
    pub interpretation: Result<Interpretation, FieldError>,
}

/// The kind of ref a delivery's first change is about, read without validation; routing only.
pub fn ref_kind_hint(delivery: &Delivery) -> Option<RefKind> {
    if delivery.event != PUSH {
        return None;
    }
    let change = json::get(&delivery.payload, &["push", "changes"])?
        .as_array()?
        .first()?;
    let side = change
        .get("new")
        .filter(|v| !v.is_null())
        .or(change.get("old"))?;
    ref_kind(side.get("type")?.as_str()?)
}

fn ref_kind(bitbucket_type: &str) -> Option<RefKind> {
    match bitbucket_type {
        "branch" => Some(RefKind::Branch),
        "tag" => Some(RefKind::Tag),
        _ => None,
    }
}

/// Everything a delivery says: `Err` when the push as a whole is unreadable, an `Ignored`
/// interpretation for other events, otherwise one [`Change`] per change.
pub fn interpret(delivery: &Delivery) -> Result<Vec<Change>, FieldError> {
    let p = &delivery.payload;
    if delivery.event != PUSH {
        return Ok(vec![Change {
            record: String::new(),
            interpretation: Ok(Interpretation::Ignored(format!(
                "Bitbucket event {:?} is not a ref event",
                crate::text::truncate_for_message(&delivery.event)
            ))),
        }]);
    }
    let path = validate_repository(
        "repository.full_name",
        json::str(p, &["repository", "full_name"])?,
    )?;
    let repository = RefSource::Bitbucket.repository_id(None, &path);
    let changes = json::opt_array(p, &["push", "changes"])?
        .ok_or_else(|| FieldError::new("push.changes", "is missing"))?;
    Ok(changes
        .iter()
        .enumerate()
        .map(|(i, change)| {
            let record = format!("push.changes[{i}]");
            let interpretation = interpret_change(change, &delivery.delivery_id, i, &repository)
                .map_err(|e| e.within(&record));
            Change {
                record,
                interpretation,
            }
        })
        .collect())
}

fn interpret_change(
    change: &Value,
    delivery_id: &str,
    index: usize,
    repository: &str,
) -> Result<Interpretation, FieldError> {
    let side = |field: &str| change.get(field).filter(|v| !v.is_null());
    let (new, old) = (side("new"), side("old"));
    let Some(named) = new.or(old) else {
        return Err(FieldError::new("new", "both new and old are null"));
    };
    let (field, state) = if new.is_some() {
        ("new", named)
    } else {
        ("old", named)
    };
    let bitbucket_type = json::str(state, &["type"]).map_err(|e| e.within(field))?;
    let Some(kind) = ref_kind(bitbucket_type) else {
        return Ok(Interpretation::Ignored(format!(
            "a change of a {:?}, not a branch or tag",
            crate::text::truncate_for_message(bitbucket_type)
        )));
    };
    let name = RefName::parse(json::str(state, &["name"]).map_err(|e| e.within(field))?)
        .map_err(|e| FieldError::new(format!("{field}.name"), e.to_string()))?;
    let commit = |field: &str| -> Result<Option<String>, FieldError> {
        match side(field) {
            None => Ok(None),
            Some(state) => {
                if json::str(state, &["type"]).map_err(|e| e.within(field))? != bitbucket_type {
                    return Err(FieldError::new(
                        format!("{field}.type"),
                        "new and old name different kinds of ref",
                    ));
                }
                let other = json::str(state, &["name"]).map_err(|e| e.within(field))?;
                if other != name.as_str() {
                    return Err(FieldError::new(
                        format!("{field}.name"),
                        "new and old name different refs",
                    ));
                }
                let path = format!("{field}.target.hash");
                let hash = json::str(state, &["target", "hash"]).map_err(|e| e.within(field))?;
                validate_commit(&path, hash).map(Some)
            }
        }
    };
    let (new_commit, old_commit) = (commit("new")?, commit("old")?);
    let change = match (new_commit, old_commit) {
        (Some(commit), None) => RefChange::Created {
            commit: Some(commit),
        },
        (None, old_commit) => RefChange::Deleted { old_commit },
        (Some(commit), old_commit) => RefChange::Updated { commit, old_commit },
    };
    Ok(Interpretation::Ref(RefEvent {
        source: RefSource::Bitbucket,
        // One identity per change: each change's actions get their own idempotency tokens.
        event_id: format!("{delivery_id}#{index}"),
        repository: repository.to_owned(),
        kind,
        name,
        change,
        default_branch: None,
        base_ref: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhook::Host;
    use serde_json::json;

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
    const OLD: &str = "89abcdef0123456789abcdef0123456789abcdef";

    fn state(kind: &str, name: &str, hash: &str) -> Value {
        json!({"type": kind, "name": name, "target": {"type": "commit", "hash": hash}})
    }

    fn delivery(changes: Value) -> Delivery {
        Delivery {
            host: Host::Bitbucket,
            server: None,
            event: PUSH.into(),
            delivery_id: "u-1".into(),
            payload: json!({"repository": {"full_name": "acme/payments-service"}, "push": {"changes": changes}}),
        }
    }

    fn refs(d: &Delivery) -> Vec<Result<RefEvent, String>> {
        interpret(d)
            .unwrap()
            .into_iter()
            .map(|c| match c.interpretation {
                Ok(Interpretation::Ref(e)) => Ok(e),
                Ok(Interpretation::Ignored(why)) => Err(format!("ignored: {why}")),
                Err(e) => Err(e.to_string()),
            })
            .collect()
    }

    #[test]
    fn one_event_per_change() {
        let d = delivery(json!([
            {"new": state("branch", "feature/x", SHA), "old": null, "created": true, "closed": false},
            {"new": null, "old": state("branch", "feature/y", OLD), "created": false, "closed": true},
            {"new": state("tag", "v1", SHA), "old": null},
            {"new": state("branch", "main", SHA), "old": state("branch", "main", OLD)},
        ]));
        let events: Vec<RefEvent> = refs(&d).into_iter().map(Result::unwrap).collect();
        assert_eq!(
            events[0].change,
            RefChange::Created {
                commit: Some(SHA.into())
            }
        );
        assert_eq!(events[0].repository, "bitbucket:acme/payments-service");
        assert_eq!(events[0].event_id, "u-1#0");
        assert_eq!(
            events[1].change,
            RefChange::Deleted {
                old_commit: Some(OLD.into())
            }
        );
        assert_eq!(events[1].name.as_str(), "feature/y");
        assert_eq!(events[2].kind, RefKind::Tag);
        assert_eq!(
            events[3].change,
            RefChange::Updated {
                commit: SHA.into(),
                old_commit: Some(OLD.into())
            }
        );
        let records: Vec<String> = interpret(&d)
            .unwrap()
            .into_iter()
            .map(|c| c.record)
            .collect();
        assert_eq!(records[3], "push.changes[3]");
    }

    #[test]
    fn a_bad_change_is_refused_alone_naming_its_field() {
        let d = delivery(json!([
            {"new": state("branch", "feature/..x", SHA), "old": null},
            {"new": state("branch", "feature/ok", SHA), "old": null},
            {"new": state("branch", "a", "zz"), "old": null},
            {"new": null, "old": null},
            {"new": state("branch", "a", SHA), "old": state("branch", "b", OLD)},
            {"new": state("named_branch", "default", SHA), "old": null},
        ]));
        let r = refs(&d);
        assert!(
            r[0].as_ref()
                .unwrap_err()
                .starts_with("push.changes[0].new.name"),
            "{r:?}"
        );
        assert!(r[1].is_ok());
        assert!(
            r[2].as_ref()
                .unwrap_err()
                .starts_with("push.changes[2].new.target.hash"),
            "{r:?}"
        );
        assert!(
            r[3].as_ref()
                .unwrap_err()
                .starts_with("push.changes[3].new"),
            "{r:?}"
        );
        assert!(
            r[4].as_ref()
                .unwrap_err()
                .starts_with("push.changes[4].old.name"),
            "{r:?}"
        );
        assert!(r[5].as_ref().unwrap_err().starts_with("ignored"), "{r:?}");
        let no_repo = Delivery {
            payload: json!({"push": {"changes": []}}),
            ..delivery(json!([]))
        };
        assert_eq!(
            interpret(&no_repo).unwrap_err().field,
            "repository.full_name"
        );
    }

    #[test]
    fn other_events_are_ignored() {
        let d = Delivery {
            event: "pullrequest:created".into(),
            ..delivery(json!([]))
        };
        assert_eq!(
            refs(&d),
            vec![Err(
                "ignored: Bitbucket event \"pullrequest:created\" is not a ref event".into()
            )]
        );
    }
}
