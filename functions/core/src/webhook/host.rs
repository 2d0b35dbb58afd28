//! Which git host a webhook request comes from, and the headers each host names its event and its
//! delivery with. Read before authentication, so only to choose the secret that authenticates the
//! request: a request that claims the wrong host is checked against the wrong secret and refused.

use std::collections::BTreeMap;

/// A git host that delivers webhooks (every host CodePipeline's CodeConnections supports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Host {
    /// github.com.
    GitHub,
    /// GitHub Enterprise Server: GitHub's format, plus `X-GitHub-Enterprise-Host`.
    GitHubEnterprise,
    /// gitlab.com and self-managed GitLab (told apart by the project's URL in the payload).
    GitLab,
    /// Bitbucket Cloud.
    Bitbucket,
}

const ENTERPRISE_HOST_HEADER: &str = "x-github-enterprise-host";

const GITHUB_REPLAY_HEADERS: [&str; 6] = [
    "x-github-event",
    "x-github-delivery",
    "x-github-hook-id",
    "x-github-hook-installation-target-id",
    "x-github-hook-installation-target-type",
    "x-hub-signature-256",
];
const GITHUB_ENTERPRISE_REPLAY_HEADERS: [&str; 7] = [
    "x-github-event",
    "x-github-delivery",
    "x-github-hook-id",
    "x-github-hook-installation-target-id",
    "x-github-hook-installation-target-type",
    "x-hub-signature-256",
    ENTERPRISE_HOST_HEADER,
];

impl Host {
    pub const ALL: [Host; 4] = [
        Host::GitHub,
        Host::GitHubEnterprise,
        Host::GitLab,
        Host::Bitbucket,
    ];

    /// The host a request's headers name. GitHub's own headers come last, and are the answer when
    /// no host's header is there, so a bare request is refused as an unsigned GitHub delivery.
    pub fn of_headers(headers: &BTreeMap<String, String>) -> Host {
        if headers.contains_key(ENTERPRISE_HOST_HEADER) {
            Host::GitHubEnterprise
        } else if headers.contains_key("x-gitlab-event") || headers.contains_key("x-gitlab-token") {
            Host::GitLab
        } else if headers.contains_key("x-event-key") {
            Host::Bitbucket
        } else {
            Host::GitHub
        }
    }

    /// For store keys and configuration: `github`, `github-enterprise`, `gitlab`, `bitbucket`.
    pub fn as_str(self) -> &'static str {
        match self {
            Host::GitHub => "github",
            Host::GitHubEnterprise => "github-enterprise",
            Host::GitLab => "gitlab",
            Host::Bitbucket => "bitbucket",
        }
    }

    /// For people: in reasons and errors.
    pub fn display_name(self) -> &'static str {
        match self {
            Host::GitHub => "GitHub",
            Host::GitHubEnterprise => "GitHub Enterprise Server",
            Host::GitLab => "GitLab",
            Host::Bitbucket => "Bitbucket",
        }
    }

    /// The header naming the event kind.
    pub fn event_header(self) -> &'static str {
        match self {
            Host::GitHub | Host::GitHubEnterprise => "x-github-event",
            Host::GitLab => "x-gitlab-event",
            Host::Bitbucket => "x-event-key",
        }
    }

    /// The headers naming the delivery, most specific first. GitLab sends `Idempotency-Key`
    /// (the same on every retry of a delivery, since 17.4; `webhook-id` carries it too on signed
    /// hooks) and, on older versions, only `X-Gitlab-Event-UUID`.
    pub fn delivery_headers(self) -> &'static [&'static str] {
        match self {
            Host::GitHub | Host::GitHubEnterprise => &["x-github-delivery"],
            Host::GitLab => &["idempotency-key", "webhook-id", "x-gitlab-event-uuid"],
            Host::Bitbucket => &["x-request-uuid"],
        }
    }

    /// The headers a replay of a kept delivery needs (event, delivery id, the body's signature
    /// and what it covers): never a credential. GitLab's `X-Gitlab-Token` *is* the secret, so it
    /// is not among them: a token-authenticated GitLab delivery is replayed with the token added
    /// by whoever replays it (a signed one replays as is, within its timestamp's window).
    pub fn replay_headers(self) -> &'static [&'static str] {
        match self {
            Host::GitHub => &GITHUB_REPLAY_HEADERS,
            Host::GitHubEnterprise => &GITHUB_ENTERPRISE_REPLAY_HEADERS,
            Host::GitLab => &[
                "x-gitlab-event",
                "x-gitlab-event-uuid",
                "x-gitlab-instance",
                "idempotency-key",
                "webhook-id",
                "webhook-timestamp",
                "webhook-signature",
            ],
            Host::Bitbucket => &["x-event-key", "x-request-uuid", "x-hub-signature"],
        }
    }

    /// The header naming the server (GitHub Enterprise Server only).
    pub fn server_header(self) -> Option<&'static str> {
        (self == Host::GitHubEnterprise).then_some(ENTERPRISE_HOST_HEADER)
    }

    /// The host's "is this hook reachable" delivery: GitHub's `ping`, Bitbucket's
    /// `diagnostics:ping`. GitLab has none: its *Test* button sends a real push of the latest
    /// commit, which moves no branch and is answered like any other update.
    pub fn is_ping(self, event: &str) -> bool {
        match self {
            Host::GitHub | Host::GitHubEnterprise => event == "ping",
            Host::Bitbucket => event == "diagnostics:ping",
            Host::GitLab => false,
        }
    }

    /// Host-neutral: the delivery id of a request, as [`Host::delivery_headers`] name it.
    pub fn delivery_id(self, headers: &BTreeMap<String, String>) -> Option<&str> {
        self.delivery_headers()
            .iter()
            .find_map(|h| headers.get(*h))
            .map(String::as_str)
    }
}

/// A server host name as headers and URLs carry it (`ghe.acme.com`, `gitlab.acme.com:8443`):
/// lowercase letters, digits, `.`, `-` and one optional port. `None` for anything else.
pub fn server_name(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let (name, port) = match lower.split_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (lower.as_str(), None),
    };
    let name_ok = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
    (name_ok && port_ok).then_some(lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(names: &[&str]) -> BTreeMap<String, String> {
        names.iter().map(|n| (n.to_string(), "x".into())).collect()
    }

    #[test]
    fn each_host_is_told_by_its_own_headers() {
        let cases = [
            (&["x-github-event", "x-hub-signature-256"][..], Host::GitHub),
            (
                &["x-github-event", "x-github-enterprise-host"],
                Host::GitHubEnterprise,
            ),
            (&["x-gitlab-event", "x-gitlab-token"], Host::GitLab),
            (&["x-event-key", "x-hub-signature"], Host::Bitbucket),
            (&[], Host::GitHub),
        ];
        for (names, host) in cases {
            assert_eq!(Host::of_headers(&headers(names)), host, "{names:?}");
        }
    }

    #[test]
    fn delivery_ids_prefer_the_idempotency_key() {
        let mut h = headers(&["x-gitlab-event-uuid"]);
        h.insert("idempotency-key".into(), "k".into());
        assert_eq!(Host::GitLab.delivery_id(&h), Some("k"));
        assert_eq!(Host::Bitbucket.delivery_id(&h), None);
    }

    #[test]
    fn server_names() {
        assert_eq!(server_name("GHE.acme.com").as_deref(), Some("ghe.acme.com"));
        assert_eq!(
            server_name("gitlab.acme.com:8443").as_deref(),
            Some("gitlab.acme.com:8443")
        );
        for bad in [
            "",
            "a..b",
            "-a.com",
            "a.com:0",
            "a.com:x",
            "a/b",
            "a b",
            "évil.com",
        ] {
            assert_eq!(server_name(bad), None, "{bad:?}");
        }
    }
}
