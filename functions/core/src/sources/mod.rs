//! Event sources: turning a raw event into a typed domain value, or a rejection that names the
//! field. Shared by every function that receives the same kind of event.

pub mod codecommit;
pub mod envelope;
pub mod function_url;
pub mod github;
pub mod intake;
pub mod s3;

use serde_json::Value;

use crate::config::{self, ConfigError, Vars};
use crate::plan::{Decision, RejectKind};
use crate::refs::{RefKind, RefName};
use crate::regions::{self, Partition};
use crate::secret::Secret;
use crate::webhook;

/// Where a ref event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefSource {
    CodeCommit,
    GitHub,
}

impl RefSource {
    pub fn as_str(self) -> &'static str {
        match self {
            RefSource::CodeCommit => "codecommit",
            RefSource::GitHub => "github",
        }
    }

    /// The git host that can confirm what an event from this source says.
    pub fn host(self) -> crate::git_hosts::GitHost {
        use crate::git_hosts::GitHost;
        match self {
            RefSource::CodeCommit => GitHost::CodeCommit,
            RefSource::GitHub => GitHost::GitHub,
        }
    }
}

/// What happened to the ref.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefChange {
    /// `commit` is `None` when the source does not say (GitHub `create` events).
    Created {
        commit: Option<String>,
    },
    Deleted {
        old_commit: Option<String>,
    },
    /// The ref moved: a push to a branch, or a re-pointed tag.
    Updated {
        commit: String,
        old_commit: Option<String>,
    },
}

/// A branch or tag created, deleted or moved, from any source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefEvent {
    pub source: RefSource,
    /// EventBridge event id or GitHub delivery id: the identity idempotency tokens derive from.
    pub event_id: String,
    pub repository: String,
    pub kind: RefKind,
    pub name: RefName,
    pub change: RefChange,
    /// The repository's default branch, when the source says (GitHub does).
    pub default_branch: Option<String>,
    /// GitHub `push.base_ref`: the branch a pushed tag's commit is on, when GitHub knows.
    pub base_ref: Option<String>,
}

/// The account and region this Switchyard stack runs in: the only ones whose AWS events it acts
/// on. An organization event bus, a same-named repository in another account, or anyone allowed
/// to invoke the function directly must not reach this account's branch stacks or releases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    pub account: String,
    pub region: &'static str,
    pub partition: Partition,
}

/// The stack's account id (the template sets it from `AWS::AccountId`).
pub const ACCOUNT_VAR: &str = "SWITCHYARD_ACCOUNT_ID";
/// The function's region (Lambda sets it; an env file sets it for replay).
pub const REGION_VAR: &str = "AWS_REGION";

impl Home {
    pub fn from_vars(vars: &dyn Vars) -> Result<Self, ConfigError> {
        let account = config::required(vars, ACCOUNT_VAR)?;
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ConfigError::new(
                ACCOUNT_VAR,
                format!("expected a 12-digit AWS account id, got {account:?}"),
            ));
        }
        let region = config::required(vars, REGION_VAR)?;
        let region = regions::known(&region).ok_or_else(|| {
            ConfigError::new(REGION_VAR, format!("{region:?} is not a known AWS region"))
        })?;
        let partition = regions::partition(region).expect("a known region has a partition");
        Ok(Home {
            account,
            region,
            partition,
        })
    }
}

/// What an event must prove before anything in it is trusted: a GitHub delivery its signature,
/// an AWS event that it comes from this stack's [`Home`].
#[derive(Debug, Clone)]
pub struct EventTrust {
    pub webhook_secret: Option<Secret>,
    pub home: Home,
}

impl EventTrust {
    /// Cold start: the home account and region, and the webhook secret (which configuration
    /// may keep in Secrets Manager).
    pub async fn configure(
        vars: &(dyn Vars + Sync),
        resolve: &impl crate::function::Resolve,
    ) -> Result<Self, ConfigError> {
        let home = Home::from_vars(vars)?;
        let webhook_secret = webhook::configured_secret(vars, resolve).await?;
        Ok(EventTrust {
            webhook_secret,
            home,
        })
    }
}

/// Parses a ref event of any supported shape: a GitHub webhook on a function URL (authenticated
/// first, through [`webhook::receive`]) or a CodeCommit EventBridge event from the stack's own
/// account and region. `Err` is the final decision for events that carry no ref event: 401 / 400
/// webhooks, `ping` and ignored GitHub events, malformed or foreign CodeCommit events, and
/// anything unsupported.
pub fn parse_ref_event(raw: &Value, trust: &EventTrust) -> Result<RefEvent, Decision> {
    if function_url::is_http_request(raw) {
        let delivery = webhook::receive(raw, trust.webhook_secret.as_ref())?;
        return match github::interpret(&delivery) {
            Ok(github::Interpretation::Ref(event)) => Ok(event),
            Ok(github::Interpretation::Ignored(reason)) => {
                Err(Decision::skip(format!("ignored: {reason}")))
            }
            Err(e) => Err(Decision::invalid(e.to_string())),
        };
    }
    if codecommit::is_reference_event(raw) {
        return codecommit::parse(raw, &trust.home).map_err(|e| Decision::invalid(e.to_string()));
    }
    Err(Decision::reject(
        RejectKind::Unsupported,
        "unsupported event",
    ))
}

/// Git's all-zero object id, used by GitHub for "no commit" in `before` / `after`.
pub(crate) fn is_null_sha(sha: &str) -> bool {
    !sha.is_empty() && sha.bytes().all(|b| b == b'0')
}

/// Commit ids are hex object names (SHA-1 or SHA-256).
pub(crate) fn validate_commit(field: &str, sha: &str) -> Result<String, crate::json::FieldError> {
    if (sha.len() == 40 || sha.len() == 64) && sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(sha.to_ascii_lowercase())
    } else {
        Err(crate::json::FieldError::new(
            field,
            format!(
                "expected a 40 or 64 character hex commit id, got {:?}",
                crate::text::truncate_for_message(sha)
            ),
        ))
    }
}

/// Repository names as CodeCommit and GitHub (`owner/name`) allow them.
pub(crate) fn validate_repository(
    field: &str,
    name: &str,
) -> Result<String, crate::json::FieldError> {
    let ok = !name.is_empty()
        && name.len() <= 200
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
        && !name.contains("..");
    if ok {
        Ok(name.to_owned())
    } else {
        Err(crate::json::FieldError::new(
            field,
            format!(
                "invalid repository name {:?}",
                crate::text::truncate_for_message(name)
            ),
        ))
    }
}
