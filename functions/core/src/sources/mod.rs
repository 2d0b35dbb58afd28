//! Event sources: turning a raw event into a typed domain value, or a rejection that names the
//! field. Shared by every function that receives the same kind of event.

pub mod bitbucket;
pub mod codecommit;
pub mod envelope;
pub mod function_url;
pub mod github;
pub mod gitlab;
pub mod intake;
pub mod s3;
pub mod schedule;

pub use github::Interpretation;

use serde_json::Value;
use time::OffsetDateTime;

use crate::config::{self, ConfigError, Vars};
use crate::plan::{Decision, RejectKind};
use crate::refs::{RefKind, RefName};
use crate::regions::{self, Partition};
use crate::webhook::{self, Delivery, Host, WebhookSecrets};

/// Where a ref event came from: the provider of the repository, as branch pipelines name it
/// (`SOURCE_PROVIDER`, the pipeline template's `SourceProvider`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefSource {
    CodeCommit,
    GitHub,
    GitHubEnterprise,
    /// gitlab.com.
    GitLab,
    GitLabSelfManaged,
    /// Bitbucket Cloud.
    Bitbucket,
}

impl RefSource {
    pub const ALL: [RefSource; 6] = [
        RefSource::CodeCommit,
        RefSource::GitHub,
        RefSource::GitHubEnterprise,
        RefSource::GitLab,
        RefSource::GitLabSelfManaged,
        RefSource::Bitbucket,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RefSource::CodeCommit => "codecommit",
            RefSource::GitHub => "github",
            RefSource::GitHubEnterprise => "github-enterprise",
            RefSource::GitLab => "gitlab",
            RefSource::GitLabSelfManaged => "gitlab-self-managed",
            RefSource::Bitbucket => "bitbucket",
        }
    }

    /// The git host that can confirm what an event from this source says.
    pub fn host(self) -> crate::git_hosts::GitHost {
        use crate::git_hosts::GitHost;
        match self {
            RefSource::CodeCommit => GitHost::CodeCommit,
            RefSource::GitHub => GitHost::GitHub,
            RefSource::GitHubEnterprise => GitHost::GitHubEnterprise,
            RefSource::GitLab => GitHost::GitLab,
            RefSource::GitLabSelfManaged => GitHost::GitLabSelfManaged,
            RefSource::Bitbucket => GitHost::Bitbucket,
        }
    }

    /// Whether the provider runs on a server of the customer's, whose host is part of the
    /// repository id.
    fn on_a_server(self) -> bool {
        matches!(
            self,
            RefSource::GitHubEnterprise | RefSource::GitLabSelfManaged
        )
    }

    /// The repository id Switchyard allow-lists, names and keys a repository by. CodeCommit names
    /// and github.com `owner/name` stay as they are; other providers' paths are qualified with the
    /// provider (`gitlab:group/subgroup/project`, `bitbucket:workspace/repo`) and, on a server,
    /// its host (`github-enterprise:ghe.acme.com/owner/name`), so the same path on two hosts is
    /// two repositories, with two sets of branch pipelines.
    pub fn repository_id(self, server: Option<&str>, path: &str) -> String {
        match (self, server) {
            (RefSource::CodeCommit | RefSource::GitHub, _) => path.to_owned(),
            (source, Some(server)) if source.on_a_server() => {
                format!("{}:{server}/{path}", source.as_str())
            }
            (source, _) => format!("{}:{path}", source.as_str()),
        }
    }

    /// The repository as its host names it, from a [`RefSource::repository_id`]: the CodeCommit
    /// name, or the path CodeConnections calls `FullRepositoryId` (`owner/name`,
    /// `group/subgroup/project`, `workspace/repo`).
    pub fn repository_path(self, id: &str) -> &str {
        let Some(qualified) = id
            .strip_prefix(self.as_str())
            .and_then(|r| r.strip_prefix(':'))
        else {
            return id;
        };
        if self.on_a_server() {
            qualified
                .split_once('/')
                .map_or(qualified, |(_, path)| path)
        } else {
            qualified
        }
    }

    /// The provider whose repositories `host` holds: [`RefSource::host`] the other way round.
    pub fn of_host(host: crate::git_hosts::GitHost) -> RefSource {
        use crate::git_hosts::GitHost;
        match host {
            GitHost::CodeCommit => RefSource::CodeCommit,
            GitHost::GitHub => RefSource::GitHub,
            GitHost::GitHubEnterprise => RefSource::GitHubEnterprise,
            GitHost::GitLab => RefSource::GitLab,
            GitHost::GitLabSelfManaged => RefSource::GitLabSelfManaged,
            GitHost::Bitbucket => RefSource::Bitbucket,
        }
    }

    /// The repository with id `id` (a [`RefSource::repository_id`]) as its host's API names it:
    /// the host, and the repository's path there.
    pub fn host_repository(self, id: &str) -> crate::git_hosts::Repository {
        crate::git_hosts::Repository {
            host: self.host(),
            name: self.repository_path(id).to_owned(),
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
    /// EventBridge event id or webhook delivery id (for a Bitbucket change, `<delivery>#<index>`):
    /// the identity idempotency tokens derive from.
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

impl RefEvent {
    /// The repository this event is about, as its host's API names it: the host that can
    /// confirm the event, and the repository's path there (not the host-qualified id).
    pub fn host_repository(&self) -> crate::git_hosts::Repository {
        self.source.host_repository(&self.repository)
    }
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

/// What an event must prove before anything in it is trusted: a webhook delivery its host's
/// signature or token, an AWS event that it comes from this stack's [`Home`].
#[derive(Debug, Clone)]
pub struct EventTrust {
    pub webhook_secrets: WebhookSecrets,
    pub home: Home,
}

impl EventTrust {
    /// Cold start: the home account and region, and each host's webhook secret (which
    /// configuration may keep in Secrets Manager).
    pub async fn configure(
        vars: &(dyn Vars + Sync),
        resolve: &impl crate::function::Resolve,
    ) -> Result<Self, ConfigError> {
        let home = Home::from_vars(vars)?;
        let webhook_secrets = WebhookSecrets::configure(vars, resolve).await?;
        Ok(EventTrust {
            webhook_secrets,
            home,
        })
    }
}

/// One ref event of a raw event, or the final decision about it; `record` names it when the
/// event holds several (the changes of a Bitbucket push).
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedRef {
    pub record: Option<String>,
    pub event: Result<RefEvent, Decision>,
}

impl ParsedRef {
    fn whole(event: Result<RefEvent, Decision>) -> Self {
        ParsedRef {
            record: None,
            event,
        }
    }
}

fn from_interpretation(
    interpretation: Result<Interpretation, crate::json::FieldError>,
) -> Result<RefEvent, Decision> {
    match interpretation {
        Ok(Interpretation::Ref(event)) => Ok(event),
        Ok(Interpretation::Ignored(reason)) => Err(Decision::skip(format!("ignored: {reason}"))),
        Err(e) => Err(Decision::invalid(e.to_string())),
    }
}

/// A GitHub Enterprise Server event: GitHub's, with the server in its source and repository.
/// The server comes from `X-GitHub-Enterprise-Host`, which the signature does not cover; the
/// repository's `html_url`, which it does, must name the same server.
fn on_enterprise_server(
    mut event: RefEvent,
    server: &str,
    payload: &Value,
) -> Result<RefEvent, Decision> {
    let field = "repository.html_url";
    let html_url = crate::json::opt_str(payload, &["repository", "html_url"])
        .map_err(|e| Decision::invalid(e.to_string()))?;
    if let Some(url) = html_url {
        let host = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .and_then(|rest| webhook::server_name(rest.split('/').next().unwrap_or_default()));
        if host.as_deref() != Some(server) {
            return Err(Decision::invalid(format!(
                "{field}: {:?} is not on {server}, the server X-GitHub-Enterprise-Host names",
                crate::text::truncate_for_message(url)
            )));
        }
    }
    event.source = RefSource::GitHubEnterprise;
    event.repository = event.source.repository_id(Some(server), &event.repository);
    Ok(event)
}

/// The ref events of an authenticated delivery, from any host.
fn delivery_refs(delivery: &Delivery) -> Vec<ParsedRef> {
    match delivery.host {
        Host::GitHub => vec![ParsedRef::whole(from_interpretation(github::interpret(
            delivery,
        )))],
        Host::GitHubEnterprise => {
            let server = delivery.server.as_deref().unwrap_or_default();
            let event = from_interpretation(github::interpret(delivery))
                .and_then(|e| on_enterprise_server(e, server, &delivery.payload));
            vec![ParsedRef::whole(event)]
        }
        Host::GitLab => vec![ParsedRef::whole(from_interpretation(gitlab::interpret(
            delivery,
        )))],
        Host::Bitbucket => match bitbucket::interpret(delivery) {
            Err(e) => vec![ParsedRef::whole(Err(Decision::invalid(e.to_string())))],
            Ok(changes) if changes.is_empty() => vec![ParsedRef::whole(Err(Decision::skip(
                "ignored: a push with no changes",
            )))],
            Ok(changes) => changes
                .into_iter()
                .map(|c| ParsedRef {
                    record: (!c.record.is_empty()).then_some(c.record),
                    event: from_interpretation(c.interpretation),
                })
                .collect(),
        },
    }
}

/// The kind of ref an unauthenticated delivery is about, from any host; routing only.
pub fn ref_kind_hint(delivery: &Delivery) -> Option<RefKind> {
    match delivery.host {
        Host::GitHub | Host::GitHubEnterprise => github::ref_kind_hint(delivery),
        Host::GitLab => gitlab::ref_kind_hint(delivery),
        Host::Bitbucket => bitbucket::ref_kind_hint(delivery),
    }
}

/// Parses the ref events of any supported shape: a webhook from any git host on a function URL
/// (authenticated first, through [`webhook::receive`], against `now` where the host dates its
/// signature) or a CodeCommit EventBridge event from the stack's own account and region. An `Err`
/// event is the final decision for what carries no ref event: 401 / 400 webhooks, pings and
/// ignored events, malformed or foreign CodeCommit events, and anything unsupported. One item,
/// except for a Bitbucket push of several changes: one per change.
pub fn parse_ref_events(raw: &Value, trust: &EventTrust, now: OffsetDateTime) -> Vec<ParsedRef> {
    if function_url::is_http_request(raw) {
        return match webhook::receive(raw, &trust.webhook_secrets, now) {
            Ok(delivery) => delivery_refs(&delivery),
            Err(decision) => vec![ParsedRef::whole(Err(decision))],
        };
    }
    let event = if codecommit::is_reference_event(raw) {
        codecommit::parse(raw, &trust.home).map_err(|e| Decision::invalid(e.to_string()))
    } else {
        Err(Decision::reject(
            RejectKind::Unsupported,
            "unsupported event",
        ))
    };
    vec![ParsedRef::whole(event)]
}

/// Git's all-zero object id, used by GitHub and GitLab for "no commit" in `before` / `after`.
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

/// Repository names and paths as CodeCommit, GitHub (`owner/name`), GitLab
/// (`group/subgroup/project`) and Bitbucket (`workspace/repo`) allow them.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_ids_qualify_other_hosts_and_give_their_path_back() {
        let cases = [
            (
                RefSource::CodeCommit,
                None,
                "payments-service",
                "payments-service",
            ),
            (RefSource::GitHub, None, "acme/app", "acme/app"),
            (
                RefSource::GitHubEnterprise,
                Some("ghe.acme.com"),
                "acme/app",
                "github-enterprise:ghe.acme.com/acme/app",
            ),
            (
                RefSource::GitLab,
                None,
                "acme/sub/app",
                "gitlab:acme/sub/app",
            ),
            (
                RefSource::GitLabSelfManaged,
                Some("gitlab.acme.com"),
                "acme/sub/app",
                "gitlab-self-managed:gitlab.acme.com/acme/sub/app",
            ),
            (RefSource::Bitbucket, None, "acme/app", "bitbucket:acme/app"),
        ];
        for (source, server, path, id) in cases {
            assert_eq!(source.repository_id(server, path), id);
            assert_eq!(source.repository_path(id), path, "{id}");
        }
    }

    #[test]
    fn an_event_names_its_hosts_repository_by_the_hosts_own_path() {
        use crate::git_hosts::{GitHost, Repository};
        for (source, host, id, path) in [
            (RefSource::CodeCommit, GitHost::CodeCommit, "app", "app"),
            (RefSource::GitHub, GitHost::GitHub, "acme/app", "acme/app"),
            (
                RefSource::GitHubEnterprise,
                GitHost::GitHubEnterprise,
                "github-enterprise:ghe.acme.com/acme/app",
                "acme/app",
            ),
            (
                RefSource::GitLab,
                GitHost::GitLab,
                "gitlab:acme/sub/app",
                "acme/sub/app",
            ),
            (
                RefSource::GitLabSelfManaged,
                GitHost::GitLabSelfManaged,
                "gitlab-self-managed:gitlab.acme.com/acme/app",
                "acme/app",
            ),
            (
                RefSource::Bitbucket,
                GitHost::Bitbucket,
                "bitbucket:acme/app",
                "acme/app",
            ),
        ] {
            let event = RefEvent {
                source,
                event_id: "e".into(),
                repository: id.into(),
                kind: RefKind::Branch,
                name: RefName::parse("feature/x").unwrap(),
                change: RefChange::Deleted { old_commit: None },
                default_branch: None,
                base_ref: None,
            };
            assert_eq!(
                event.host_repository(),
                Repository {
                    host,
                    name: path.into()
                }
            );
            assert_eq!(host.as_str(), source.as_str(), "one name per provider");
            assert_eq!(GitHost::parse(host.as_str()), Some(host));
        }
    }

    mod no_panics {
        use super::*;
        use crate::webhook::gitlab::GitLabSecret;
        use crate::webhook::{sign, WebhookSecrets};
        use base64::Engine;
        use proptest::prelude::*;
        use serde_json::json;

        fn trust() -> EventTrust {
            let secret = |s: &str| Some(crate::secret::Secret::new(s));
            EventTrust {
                webhook_secrets: WebhookSecrets {
                    github: secret("gh"),
                    github_enterprise: secret("ghe"),
                    gitlab: Some(GitLabSecret::Token(crate::secret::Secret::new("gl"))),
                    bitbucket: secret("bb"),
                },
                home: Home {
                    account: "123456789012".into(),
                    region: "eu-west-1",
                    partition: Partition::Aws,
                },
            }
        }

        /// An authenticated request from `host` (0..4) carrying `body` under `event`.
        fn request(host: usize, event: &str, body: &[u8]) -> Value {
            let secret = |s: &str| crate::secret::Secret::new(s);
            let headers = match host {
                0 => json!({"x-github-event": event, "x-github-delivery": "d",
                    "x-hub-signature-256": sign(&secret("gh"), body)}),
                1 => json!({"x-github-event": event, "x-github-delivery": "d",
                    "x-github-enterprise-host": "ghe.acme.com", "x-hub-signature-256": sign(&secret("ghe"), body)}),
                2 => {
                    json!({"x-gitlab-event": event, "idempotency-key": "k", "x-gitlab-token": "gl"})
                }
                _ => json!({"x-event-key": event, "x-request-uuid": "u",
                    "x-hub-signature": sign(&secret("bb"), body)}),
            };
            json!({"version": "2.0", "headers": headers, "requestContext": {"http": {"method": "POST"}},
                "body": base64::engine::general_purpose::STANDARD.encode(body), "isBase64Encoded": true})
        }

        const EVENTS: [&str; 8] = [
            "push",
            "create",
            "ping",
            "Push Hook",
            "Tag Push Hook",
            "repo:push",
            "diagnostics:ping",
            "other",
        ];

        fn text() -> impl Strategy<Value = Value> {
            prop_oneof![
                "\\PC{0,50}".prop_map(Value::from),
                "(refs/(heads|tags)/)?[a-z/.]{0,12}".prop_map(Value::from),
                "[0-9a-f]{40}".prop_map(Value::from),
                Just(Value::Null),
                any::<i64>().prop_map(Value::from),
            ]
        }

        proptest! {
            #[test]
            fn no_host_parser_panics_on_arbitrary_bodies(
                host in 0usize..4,
                event in 0usize..EVENTS.len(),
                body in proptest::collection::vec(any::<u8>(), 0..256),
            ) {
                let parsed = parse_ref_events(&request(host, EVENTS[event], &body), &trust(), OffsetDateTime::UNIX_EPOCH);
                prop_assert!(!parsed.is_empty());
            }

            #[test]
            fn no_host_parser_panics_on_arbitrary_payloads_of_its_shape(
                host in 0usize..4,
                event in 0usize..EVENTS.len(),
                leaves in proptest::collection::vec(text(), 8),
            ) {
                let l = |i: usize| leaves[i].clone();
                let side = json!({"type": l(0), "name": l(1), "target": {"hash": l(2)}});
                let payload = json!({
                    "ref": l(1), "ref_type": l(0), "before": l(2), "after": l(3),
                    "created": l(4), "deleted": l(5),
                    "repository": {"full_name": l(6), "default_branch": l(7)},
                    "project": {"path_with_namespace": l(6), "web_url": l(7), "default_branch": l(0)},
                    "push": {"changes": [{"new": side.clone(), "old": l(4)}, {"new": l(5), "old": side}]},
                });
                let body = payload.to_string();
                for decision in parse_ref_events(&request(host, EVENTS[event], body.as_bytes()), &trust(), OffsetDateTime::UNIX_EPOCH)
                    .into_iter()
                    .filter_map(|p| p.event.err())
                {
                    prop_assert!(!decision.reason.is_empty());
                }
            }
        }
    }
}
