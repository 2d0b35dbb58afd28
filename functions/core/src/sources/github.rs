//! GitHub webhook payloads (`push`, `create`, `delete`) as ref events. Authentication happens
//! before this, in [`crate::webhook`]: nothing here sees an unauthenticated body.

use serde_json::Value;

use super::{is_null_sha, validate_commit, validate_repository, RefChange, RefEvent, RefSource};
use crate::json::{self, FieldError};
use crate::refs::{kind_of_full_ref, RefKind, RefName};
use crate::webhook::Delivery;

/// What a delivery means for ref-driven functions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interpretation {
    Ref(RefEvent),
    /// A valid delivery that is not about a branch or tag (an `issues` event, a push of commits
    /// to a notes ref…): acknowledged with 2xx so GitHub does not mark the hook as failing.
    Ignored(String),
}

/// The kind of ref a delivery is about, read without validation; used only for routing.
pub fn ref_kind_hint(delivery: &Delivery) -> Option<RefKind> {
    let p = &delivery.payload;
    match delivery.event.as_str() {
        "push" => json::get(p, &["ref"])
            .and_then(Value::as_str)
            .and_then(kind_of_full_ref),
        "create" | "delete" => match json::get(p, &["ref_type"]).and_then(Value::as_str) {
            Some("branch") => Some(RefKind::Branch),
            Some("tag") => Some(RefKind::Tag),
            _ => None,
        },
        _ => None,
    }
}

/// Top-level fields only a `push` payload has.
const PUSH_ONLY: &[&str] = &[
    "before",
    "after",
    "created",
    "deleted",
    "forced",
    "commits",
    "head_commit",
    "compare",
    "pusher",
];
/// Top-level fields a `create` payload always has and a `delete` payload never does.
const CREATE_ONLY: &[&str] = &["master_branch", "description"];

/// The body must be the payload its `X-GitHub-Event` header names. GitHub signs only the body:
/// the header can be swapped on a captured delivery (a signed `create` sent again as `delete`
/// would tear the branch down), so a body with another event's fields is refused.
fn check_shape(event: &str, payload: &Value) -> Result<(), FieldError> {
    let has = |field: &str| payload.get(field).is_some();
    let first = |fields: &[&'static str]| fields.iter().copied().find(|f| has(f));
    let foreign = match event {
        "push" => first(&["ref_type"]).map(|f| (f, "create or delete")),
        "create" => first(PUSH_ONLY).map(|f| (f, "push")),
        "delete" => first(PUSH_ONLY)
            .map(|f| (f, "push"))
            .or_else(|| first(CREATE_ONLY).map(|f| (f, "create"))),
        _ => None,
    };
    if let Some((field, other)) = foreign {
        return Err(FieldError::new(
            field,
            format!("belongs to a {other} payload, not to the {event:?} event the X-GitHub-Event header names (the header is not signed; refusing the body)"),
        ));
    }
    if event == "create" && !has("master_branch") {
        return Err(FieldError::new(
            "master_branch",
            "is missing: every \"create\" payload has it (the X-GitHub-Event header is not signed; refusing the body)",
        ));
    }
    Ok(())
}

pub fn interpret(delivery: &Delivery) -> Result<Interpretation, FieldError> {
    let p = &delivery.payload;
    let (kind, name, change) = match delivery.event.as_str() {
        "push" => {
            check_shape("push", p)?;
            let full = json::str(p, &["ref"])?;
            let Some(kind) = kind_of_full_ref(full) else {
                return Ok(Interpretation::Ignored(format!(
                    "push to {:?}, which is neither a branch nor a tag",
                    crate::text::truncate_for_message(full)
                )));
            };
            let name = RefName::parse_full(full, kind)
                .map_err(|e| FieldError::new("ref", e.to_string()))?;
            let created = json::opt_bool(p, &["created"])?.unwrap_or(false);
            let deleted = json::opt_bool(p, &["deleted"])?.unwrap_or(false);
            let sha = |field: &str| -> Result<Option<String>, FieldError> {
                match json::opt_str(p, &[field])? {
                    Some(s) if !is_null_sha(s) => validate_commit(field, s).map(Some),
                    _ => Ok(None),
                }
            };
            let change = match (created, deleted) {
                (true, true) => {
                    return Err(FieldError::new(
                        "created",
                        "a push cannot both create and delete a ref",
                    ))
                }
                (true, false) => RefChange::Created {
                    commit: Some(sha("after")?.ok_or_else(|| {
                        FieldError::new("after", "is missing from a push that creates a ref")
                    })?),
                },
                (false, true) => RefChange::Deleted {
                    old_commit: sha("before")?,
                },
                (false, false) => RefChange::Updated {
                    commit: sha("after")?
                        .ok_or_else(|| FieldError::new("after", "is missing from a push"))?,
                    old_commit: sha("before")?,
                },
            };
            (kind, name, change)
        }
        event @ ("create" | "delete") => {
            check_shape(event, p)?;
            let kind = match json::str(p, &["ref_type"])? {
                "branch" => RefKind::Branch,
                "tag" => RefKind::Tag,
                other => {
                    return Ok(Interpretation::Ignored(format!(
                        "{event} of a {:?}, not a branch or tag",
                        crate::text::truncate_for_message(other)
                    )))
                }
            };
            let name = RefName::parse(json::str(p, &["ref"])?)
                .map_err(|e| FieldError::new("ref", e.to_string()))?;
            let change = if event == "create" {
                RefChange::Created { commit: None }
            } else {
                RefChange::Deleted { old_commit: None }
            };
            (kind, name, change)
        }
        other => {
            return Ok(Interpretation::Ignored(format!(
                "GitHub event {:?} is not a ref event",
                crate::text::truncate_for_message(other)
            )))
        }
    };
    let repository = validate_repository(
        "repository.full_name",
        json::str(p, &["repository", "full_name"])?,
    )?;
    let default_branch = json::opt_str(p, &["repository", "default_branch"])?
        .or(json::opt_str(p, &["master_branch"])?)
        .map(str::to_owned);
    let base_ref = json::opt_str(p, &["base_ref"])?.map(str::to_owned);
    Ok(Interpretation::Ref(RefEvent {
        source: RefSource::GitHub,
        event_id: delivery.delivery_id.clone(),
        repository,
        kind,
        name,
        change,
        default_branch,
        base_ref,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
    const ZERO: &str = "0000000000000000000000000000000000000000";

    fn delivery(event: &str, payload: Value) -> Delivery {
        Delivery {
            host: crate::webhook::Host::GitHub,
            server: None,
            event: event.into(),
            delivery_id: "d-1".into(),
            payload,
        }
    }

    fn ref_event(i: Interpretation) -> RefEvent {
        match i {
            Interpretation::Ref(r) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn push_created_and_deleted() {
        let repo = json!({"full_name":"acme/app","default_branch":"main"});
        let c = ref_event(interpret(&delivery("push", json!({"ref":"refs/heads/feature/x","created":true,"deleted":false,"before":ZERO,"after":SHA,"repository":repo}))).unwrap());
        assert_eq!(
            c.change,
            RefChange::Created {
                commit: Some(SHA.into())
            }
        );
        assert_eq!(c.kind, RefKind::Branch);
        assert_eq!(c.default_branch.as_deref(), Some("main"));
        let d = ref_event(interpret(&delivery("push", json!({"ref":"refs/heads/feature/x","created":false,"deleted":true,"before":SHA,"after":ZERO,"repository":repo}))).unwrap());
        assert_eq!(
            d.change,
            RefChange::Deleted {
                old_commit: Some(SHA.into())
            }
        );
        let t = ref_event(
            interpret(&delivery(
                "push",
                json!({"ref":"refs/tags/v1","created":true,"after":SHA,"repository":repo}),
            ))
            .unwrap(),
        );
        assert_eq!(t.kind, RefKind::Tag);
    }

    #[test]
    fn create_delete_and_others() {
        let repo = json!({"full_name":"acme/app"});
        let c = ref_event(interpret(&delivery("create", json!({"ref":"feature/x","ref_type":"branch","master_branch":"main","repository":repo}))).unwrap());
        assert_eq!(c.change, RefChange::Created { commit: None });
        assert_eq!(c.default_branch.as_deref(), Some("main"));
        assert!(matches!(
            interpret(&delivery("issues", json!({}))).unwrap(),
            Interpretation::Ignored(_)
        ));
        assert!(matches!(
            interpret(&delivery(
                "create",
                json!({"ref":"x","ref_type":"repository","master_branch":"main"})
            ))
            .unwrap(),
            Interpretation::Ignored(_)
        ));
    }

    #[test]
    fn a_body_under_another_events_header_is_refused() {
        let repo = json!({"full_name":"acme/app"});
        let create = json!({"ref":"feature/x","ref_type":"branch","master_branch":"main","description":null,"pusher_type":"user","repository":repo});
        let push_created = json!({"ref":"refs/heads/feature/x","created":true,"deleted":false,"before":ZERO,"after":SHA,"commits":[],"repository":repo});
        let delete =
            json!({"ref":"feature/x","ref_type":"branch","pusher_type":"user","repository":repo});
        let cases = [
            ("delete", &create, "master_branch"),
            ("delete", &push_created, "before"),
            ("create", &push_created, "before"),
            ("create", &delete, "master_branch"),
            ("push", &create, "ref_type"),
            ("push", &delete, "ref_type"),
        ];
        for (event, body, field) in cases {
            let err = interpret(&delivery(event, body.clone())).unwrap_err();
            assert_eq!(err.field, field, "{event}: {err}");
            assert!(err.to_string().contains("not signed"), "{err}");
        }
        for (event, body) in [
            ("create", &create),
            ("delete", &delete),
            ("push", &push_created),
        ] {
            assert!(matches!(
                interpret(&delivery(event, body.clone())).unwrap(),
                Interpretation::Ref(_)
            ));
        }
    }

    #[test]
    fn bad_payloads_name_the_field() {
        let repo = json!({"full_name":"acme/app"});
        let cases = [
            (
                json!({"ref":"refs/heads/a..b","created":true,"after":SHA,"repository":repo}),
                "ref",
            ),
            (
                json!({"ref":"refs/heads/a","created":"yes","after":SHA,"repository":repo}),
                "created",
            ),
            (
                json!({"ref":"refs/heads/a","created":true,"after":"zz","repository":repo}),
                "after",
            ),
            (
                json!({"ref":"refs/heads/a","created":true,"after":SHA}),
                "repository.full_name",
            ),
            (
                json!({"ref":"refs/heads/a","created":true,"deleted":true,"after":SHA,"repository":repo}),
                "created",
            ),
        ];
        for (payload, field) in cases {
            assert_eq!(
                interpret(&delivery("push", payload)).unwrap_err().field,
                field
            );
        }
    }
}
