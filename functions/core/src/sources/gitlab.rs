//! GitLab push and tag push hooks (`X-Gitlab-Event: Push Hook` / `Tag Push Hook`) as ref events.
//! Authentication happens before this, in [`crate::webhook`]: nothing here sees an
//! unauthenticated body.
//!
//! GitLab says "created" and "deleted" with the all-zero object id: `before` for a new ref,
//! `after` for a removed one. The repository is `project.path_with_namespace`; gitlab.com and a
//! self-managed server are told apart by the host of `project.web_url`, which is in the body (and
//! so covered by the signature, when the hook signs).

use super::{
    is_null_sha, validate_commit, validate_repository, Interpretation, RefChange, RefEvent,
    RefSource,
};
use crate::json::{self, FieldError};
use crate::refs::{kind_of_full_ref, RefKind, RefName};
use crate::webhook::{server_name, Delivery};

pub const PUSH_HOOK: &str = "Push Hook";
pub const TAG_PUSH_HOOK: &str = "Tag Push Hook";
/// The host of gitlab.com projects' `web_url`.
pub const GITLAB_COM: &str = "gitlab.com";

/// The kind of ref a delivery is about, read without validation; used only for routing.
pub fn ref_kind_hint(delivery: &Delivery) -> Option<RefKind> {
    match delivery.event.as_str() {
        PUSH_HOOK => Some(RefKind::Branch),
        TAG_PUSH_HOOK => Some(RefKind::Tag),
        _ => None,
    }
}

pub fn interpret(delivery: &Delivery) -> Result<Interpretation, FieldError> {
    let p = &delivery.payload;
    let expected_kind = match delivery.event.as_str() {
        PUSH_HOOK => RefKind::Branch,
        TAG_PUSH_HOOK => RefKind::Tag,
        other => {
            return Ok(Interpretation::Ignored(format!(
                "GitLab event {:?} is not a ref event",
                crate::text::truncate_for_message(other)
            )))
        }
    };
    let full = json::str(p, &["ref"])?;
    let Some(kind) = kind_of_full_ref(full) else {
        return Ok(Interpretation::Ignored(format!(
            "push to {:?}, which is neither a branch nor a tag",
            crate::text::truncate_for_message(full)
        )));
    };
    if kind != expected_kind {
        return Err(FieldError::new(
            "ref",
            format!("a {} event is about a {}", delivery.event, kind.as_str()),
        ));
    }
    let name =
        RefName::parse_full(full, kind).map_err(|e| FieldError::new("ref", e.to_string()))?;
    let sha = |field: &str| -> Result<Option<String>, FieldError> {
        match json::str(p, &[field])? {
            s if is_null_sha(s) => Ok(None),
            s => validate_commit(field, s).map(Some),
        }
    };
    let change = match (sha("before")?, sha("after")?) {
        (None, Some(commit)) => RefChange::Created {
            commit: Some(commit),
        },
        (Some(old), None) => RefChange::Deleted {
            old_commit: Some(old),
        },
        (old_commit, Some(commit)) => RefChange::Updated { commit, old_commit },
        (None, None) => {
            return Err(FieldError::new(
                "after",
                "both before and after are the null commit",
            ))
        }
    };
    let path = validate_repository(
        "project.path_with_namespace",
        json::str(p, &["project", "path_with_namespace"])?,
    )?;
    let web_url = json::str(p, &["project", "web_url"])?;
    let server = web_url
        .strip_prefix("https://")
        .or_else(|| web_url.strip_prefix("http://"))
        .and_then(|rest| server_name(rest.split('/').next().unwrap_or_default()))
        .ok_or_else(|| {
            FieldError::new(
                "project.web_url",
                format!(
                    "expected an http(s) URL with a host name, got {:?}",
                    crate::text::truncate_for_message(web_url)
                ),
            )
        })?;
    let (source, repository) = if server == GITLAB_COM {
        (
            RefSource::GitLab,
            RefSource::GitLab.repository_id(None, &path),
        )
    } else {
        let source = RefSource::GitLabSelfManaged;
        (source, source.repository_id(Some(&server), &path))
    };
    let default_branch = json::opt_str(p, &["project", "default_branch"])?.map(str::to_owned);
    Ok(Interpretation::Ref(RefEvent {
        source,
        event_id: delivery.delivery_id.clone(),
        repository,
        kind,
        name,
        change,
        default_branch,
        base_ref: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhook::Host;
    use serde_json::{json, Value};

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
    const ZERO: &str = "0000000000000000000000000000000000000000";

    fn delivery(event: &str, payload: Value) -> Delivery {
        Delivery {
            host: Host::GitLab,
            server: None,
            event: event.into(),
            delivery_id: "k-1".into(),
            payload,
        }
    }

    fn push(r#ref: &str, before: &str, after: &str, web_url: &str) -> Value {
        json!({"object_kind": "push", "ref": r#ref, "before": before, "after": after,
            "project": {"path_with_namespace": "acme/payments/service", "web_url": web_url,
                        "default_branch": "main"}})
    }

    fn ref_event(i: Interpretation) -> RefEvent {
        match i {
            Interpretation::Ref(r) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn created_deleted_and_updated_from_the_null_commit() {
        let url = "https://gitlab.com/acme/payments/service";
        let c = ref_event(
            interpret(&delivery(
                PUSH_HOOK,
                push("refs/heads/feature/x", ZERO, SHA, url),
            ))
            .unwrap(),
        );
        assert_eq!(
            c.change,
            RefChange::Created {
                commit: Some(SHA.into())
            }
        );
        assert_eq!(
            (c.source, c.repository.as_str()),
            (RefSource::GitLab, "gitlab:acme/payments/service")
        );
        assert_eq!(c.default_branch.as_deref(), Some("main"));
        assert_eq!(c.event_id, "k-1");
        let d = ref_event(
            interpret(&delivery(
                PUSH_HOOK,
                push("refs/heads/feature/x", SHA, ZERO, url),
            ))
            .unwrap(),
        );
        assert_eq!(
            d.change,
            RefChange::Deleted {
                old_commit: Some(SHA.into())
            }
        );
        let u = ref_event(
            interpret(&delivery(
                PUSH_HOOK,
                push("refs/heads/feature/x", SHA, SHA, url),
            ))
            .unwrap(),
        );
        assert!(matches!(u.change, RefChange::Updated { .. }));
        let t = ref_event(
            interpret(&delivery(
                TAG_PUSH_HOOK,
                push("refs/tags/v1", ZERO, SHA, url),
            ))
            .unwrap(),
        );
        assert_eq!(t.kind, RefKind::Tag);
    }

    #[test]
    fn a_self_managed_server_is_part_of_the_repository_id() {
        let p = push(
            "refs/heads/feature/x",
            ZERO,
            SHA,
            "https://GitLab.acme.com:8443/acme/payments/service",
        );
        let e = ref_event(interpret(&delivery(PUSH_HOOK, p)).unwrap());
        assert_eq!(e.source, RefSource::GitLabSelfManaged);
        assert_eq!(
            e.repository,
            "gitlab-self-managed:gitlab.acme.com:8443/acme/payments/service"
        );
        assert_eq!(
            e.source.repository_path(&e.repository),
            "acme/payments/service"
        );
    }

    #[test]
    fn other_events_are_ignored_and_bad_payloads_name_the_field() {
        assert!(matches!(
            interpret(&delivery("Merge Request Hook", json!({}))).unwrap(),
            Interpretation::Ignored(_)
        ));
        let url = "https://gitlab.com/acme/payments/service";
        let cases = [
            (PUSH_HOOK, push("refs/heads/a..b", ZERO, SHA, url), "ref"),
            (PUSH_HOOK, push("refs/tags/v1", ZERO, SHA, url), "ref"),
            (PUSH_HOOK, push("refs/heads/a", ZERO, "zz", url), "after"),
            (PUSH_HOOK, push("refs/heads/a", ZERO, ZERO, url), "after"),
            (
                PUSH_HOOK,
                push("refs/heads/a", ZERO, SHA, "gitlab.com/x"),
                "project.web_url",
            ),
            (
                PUSH_HOOK,
                push("refs/heads/a", ZERO, SHA, "https://evil.com@x/y"),
                "project.web_url",
            ),
            (
                PUSH_HOOK,
                json!({"ref": "refs/heads/a", "before": ZERO, "after": SHA}),
                "project.path_with_namespace",
            ),
        ];
        for (event, payload, field) in cases {
            let err = interpret(&delivery(event, payload.clone())).unwrap_err();
            assert_eq!(err.field, field, "{payload}: {err}");
        }
    }
}
