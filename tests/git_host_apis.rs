//! The git host port on GitLab, Bitbucket Cloud and GitHub Enterprise Server, through the real
//! clients (`switchyard_adapters::git_hosts`) against a local HTTP server that answers each
//! host's documented shapes: the branch objects, GitLab's `Link` pagination and its two 404s,
//! Bitbucket's `next` pages, rate limits and failures. A listing is all pages or an error.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use serde_json::json;
use switchyard_adapters::git_hosts::GitHostClients;
use switchyard_core::git_hosts::access::{GitHostAccess, GitHubAccess};
use switchyard_core::git_hosts::{BranchLookup, GitHost, GitHosts, Repository};
use switchyard_core::secret::Secret;

/// One canned answer: status, extra headers, body.
type Reply = (u16, Vec<(String, String)>, String);

/// A loopback HTTP/1.1 server: answers each request by its path and query from `routes`
/// (`{base}` in a reply is the server's own URL), 404 for anything else, and records each request
/// line with its `Authorization` header.
struct Server {
    base: String,
    seen: Arc<Mutex<Vec<(String, String)>>>,
}

impl Server {
    fn start(routes: HashMap<String, Reply>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (recorded, own) = (seen.clone(), base.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let target = line.split(' ').nth(1).unwrap_or_default().to_owned();
                let mut auth = String::new();
                loop {
                    let mut header = String::new();
                    reader.read_line(&mut header).unwrap();
                    if header.trim().is_empty() {
                        break;
                    }
                    if let Some(v) = header.to_ascii_lowercase().strip_prefix("authorization:") {
                        auth = v.trim().to_owned();
                    }
                }
                recorded.lock().unwrap().push((target.clone(), auth));
                let (status, headers, body) = routes.get(&target).cloned().unwrap_or((
                    404,
                    Vec::new(),
                    r#"{"message":"404 Not Found"}"#.into(),
                ));
                let body = body.replace("{base}", &own);
                let mut answer = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
                    body.len()
                );
                for (k, v) in headers {
                    answer.push_str(&format!("{k}: {}\r\n", v.replace("{base}", &own)));
                }
                answer.push_str("\r\n");
                answer.push_str(&body);
                let _ = stream.write_all(answer.as_bytes());
            }
        });
        Server { base, seen }
    }

    fn seen(&self) -> Vec<(String, String)> {
        self.seen.lock().unwrap().clone()
    }
}

fn reply(status: u16, body: serde_json::Value) -> Reply {
    (status, Vec::new(), body.to_string())
}

fn with_header(mut r: Reply, name: &str, value: &str) -> Reply {
    r.1.push((name.into(), value.into()));
    r
}

fn access(api_url: String, token: &str) -> Option<GitHubAccess> {
    Some(GitHubAccess {
        api_url,
        token: Secret::new(token),
    })
}

fn clients(access: GitHostAccess) -> GitHostClients {
    GitHostClients::new(&aws_config::SdkConfig::builder().build(), Some(&access)).unwrap()
}

fn repository(host: GitHost, name: &str) -> Repository {
    Repository {
        host,
        name: name.into(),
    }
}

const A: &str = "7f3c2a9e1b4d5f60718293a4b5c6d7e8f9012345";
const B: &str = "5e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f";

/// A GitLab branch object, as `GET /projects/:id/repository/branches` lists it.
fn gitlab_branch(name: &str, sha: &str) -> serde_json::Value {
    json!({"name": name, "merged": false, "protected": false, "default": name == "main",
        "developers_can_push": false, "developers_can_merge": false, "can_push": true,
        "web_url": format!("https://gitlab.com/acme/payments/payments-service/-/tree/{name}"),
        "commit": {"id": sha, "short_id": &sha[..8], "title": "Refunds", "message": "Refunds\n",
            "author_name": "Ana Lopez", "authored_date": "2026-11-23T09:12:40.000+01:00",
            "committer_name": "Ana Lopez", "committed_date": "2026-11-23T09:12:40.000+01:00",
            "web_url": "https://gitlab.com/acme/payments/payments-service/-/commit/x"}})
}

#[tokio::test]
async fn gitlab_lists_every_page_and_tells_a_missing_branch_from_a_missing_project() {
    let project = "/api/v4/projects/acme%2Fpayments%2Fpayments-service/repository/branches";
    let routes = HashMap::from([
        (
            format!("{project}?per_page=100"),
            with_header(
                reply(
                    200,
                    json!([
                        gitlab_branch("feature/PAY-142-refunds", A),
                        gitlab_branch("main", B)
                    ]),
                ),
                "link",
                &format!(
                    r#"<{{base}}{project}?page=2&per_page=100>; rel="next", <{{base}}{project}?page=1&per_page=100>; rel="first""#
                ),
            ),
        ),
        (
            format!("{project}?page=2&per_page=100"),
            reply(200, json!([gitlab_branch("bugfix/a#b", A)])),
        ),
        (
            format!("{project}/feature%2FPAY-142-refunds"),
            reply(200, gitlab_branch("feature/PAY-142-refunds", A)),
        ),
        (
            format!("{project}/feature%2Fgone"),
            reply(404, json!({"message": "404 Branch Not Found"})),
        ),
    ]);
    let server = Server::start(routes);
    let hosts = clients(GitHostAccess {
        gitlab: access(format!("{}/api/v4", server.base), "gl-token"),
        ..GitHostAccess::default()
    });
    let repo = repository(GitHost::GitLab, "acme/payments/payments-service");
    let listed = hosts.list_branches(&repo).await.unwrap();
    let names: Vec<&str> = listed.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["feature/PAY-142-refunds", "main", "bugfix/a#b"]);
    assert_eq!(listed[1].head.as_deref(), Some(B));
    assert!(listed[0].last_commit.is_some());

    let found = hosts
        .branch(&repo, "feature/PAY-142-refunds")
        .await
        .unwrap();
    assert!(
        matches!(found, BranchLookup::Exists { ref head, .. } if head == A),
        "{found:?}"
    );
    assert_eq!(
        hosts.branch(&repo, "feature/gone").await.unwrap(),
        BranchLookup::Missing
    );
    // Another project's 404 ("404 Project Not Found", or one the token cannot see) is not
    // "missing": it fails, so nothing is torn down on it.
    let other = repository(GitHost::GitLab, "acme/other");
    let err = hosts.branch(&other, "feature/x").await.unwrap_err();
    assert!(!err.retryable && err.message.contains("404"), "{err}");
    assert!(hosts.list_branches(&other).await.is_err());
    for (target, auth) in server.seen() {
        assert_eq!(auth, "bearer gl-token", "{target}");
    }
}

#[tokio::test]
async fn gitlab_listings_fail_closed() {
    let project = "/api/v4/projects/acme%2Fapp/repository/branches";
    let next = |page: u32| format!(r#"<{{base}}{project}?page={page}&per_page=100>; rel="next""#);
    let routes = HashMap::from([
        (
            format!("{project}?per_page=100"),
            with_header(reply(200, json!([gitlab_branch("a", A)])), "link", &next(2)),
        ),
        (
            format!("{project}?page=2&per_page=100"),
            reply(500, json!({"message": "500 Internal Server Error"})),
        ),
    ]);
    let server = Server::start(routes);
    let hosts = clients(GitHostAccess {
        gitlab_self_managed: access(format!("{}/api/v4", server.base), "t"),
        ..GitHostAccess::default()
    });
    let err = hosts
        .list_branches(&repository(GitHost::GitLabSelfManaged, "acme/app"))
        .await
        .unwrap_err();
    assert!(
        err.retryable,
        "a failed page is retried, never a partial listing: {err}"
    );

    // A rate limit, and a next page on another origin (where the token must not go).
    let limited = "/api/v4/projects/acme%2Flimited/repository/branches?per_page=100";
    let elsewhere = "/api/v4/projects/acme%2Felsewhere/repository/branches?per_page=100";
    let routes = HashMap::from([
        (
            limited.to_owned(),
            with_header(
                reply(429, json!({"message": "Retry later"})),
                "retry-after",
                "60",
            ),
        ),
        (
            elsewhere.to_owned(),
            with_header(
                reply(200, json!([gitlab_branch("a", A)])),
                "link",
                r#"<https://evil.example/next>; rel="next""#,
            ),
        ),
    ]);
    let server = Server::start(routes);
    let hosts = clients(GitHostAccess {
        gitlab: access(format!("{}/api/v4", server.base), "t"),
        ..GitHostAccess::default()
    });
    let err = hosts
        .list_branches(&repository(GitHost::GitLab, "acme/limited"))
        .await
        .unwrap_err();
    assert!(err.retryable && err.message.contains("rate limit"), "{err}");
    let err = hosts
        .list_branches(&repository(GitHost::GitLab, "acme/elsewhere"))
        .await
        .unwrap_err();
    assert!(err.message.contains("another origin"), "{err}");
}

/// A Bitbucket branch, as `GET /repositories/{workspace}/{repo}/refs/branches` lists it.
fn bitbucket_branch(name: &str, sha: &str) -> serde_json::Value {
    json!({"type": "branch", "name": name, "merge_strategies": ["merge_commit", "squash"],
        "default_merge_strategy": "merge_commit",
        "links": {"html": {"href": format!("https://bitbucket.org/acme/payments-service/branch/{name}")}},
        "target": {"type": "commit", "hash": sha, "date": "2026-11-23T09:12:40+00:00",
            "message": "Refunds\n", "author": {"type": "author", "raw": "Ana Lopez <ana@acme.example>"}}})
}

#[tokio::test]
async fn bitbucket_follows_next_pages_and_fails_closed() {
    let refs = "/2.0/repositories/acme/payments-service/refs/branches";
    let routes = HashMap::from([
        (
            format!("{refs}?pagelen=100"),
            reply(
                200,
                json!({"pagelen": 100, "size": 3, "page": 1,
                "values": [bitbucket_branch("feature/PAY-142-refunds", A), bitbucket_branch("main", B)],
                "next": format!("{{base}}{refs}?pagelen=100&page=2")}),
            ),
        ),
        (
            format!("{refs}?pagelen=100&page=2"),
            reply(
                200,
                json!({"pagelen": 100, "size": 3, "page": 2, "values": [bitbucket_branch("bugfix/x", A)]}),
            ),
        ),
        (
            format!("{refs}/main"),
            reply(200, bitbucket_branch("main", B)),
        ),
        (
            format!("{refs}/feature%2Fgone"),
            reply(
                404,
                json!({"type": "error", "error": {"message": "Branch \"feature/gone\" not found"}}),
            ),
        ),
        (
            "/2.0/repositories/acme/private/refs/branches/main".to_owned(),
            reply(
                404,
                json!({"type": "error", "error": {"message": "You may not have access to this repository or it no longer exists in this workspace. If you think this repository exists and you have access, make sure you are authenticated."}}),
            ),
        ),
        (
            "/2.0/repositories/acme/private/refs/branches?pagelen=100".to_owned(),
            reply(
                403,
                json!({"type": "error", "error": {"message": "Access denied"}}),
            ),
        ),
    ]);
    let server = Server::start(routes);
    let hosts = clients(GitHostAccess {
        bitbucket: access(format!("{}/2.0", server.base), "bb-token"),
        ..GitHostAccess::default()
    });
    let repo = repository(GitHost::Bitbucket, "acme/payments-service");
    let listed = hosts.list_branches(&repo).await.unwrap();
    let names: Vec<&str> = listed.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["feature/PAY-142-refunds", "main", "bugfix/x"]);
    let main = hosts.branch(&repo, "main").await.unwrap();
    assert!(
        matches!(main, BranchLookup::Exists { ref head, last_commit: Some(_) } if head == B),
        "{main:?}"
    );
    assert_eq!(
        hosts.branch(&repo, "feature/gone").await.unwrap(),
        BranchLookup::Missing
    );
    // A repository the token cannot see answers 404 too: an error, never "the branch is gone"
    // (a token without access must not confirm a deletion).
    let hidden = hosts
        .branch(&repository(GitHost::Bitbucket, "acme/private"), "main")
        .await;
    assert!(hidden.is_err(), "{hidden:?}");
    let err = hosts
        .list_branches(&repository(GitHost::Bitbucket, "acme/private"))
        .await
        .unwrap_err();
    assert!(!err.retryable && err.message.contains("403"), "{err}");
    assert!(server
        .seen()
        .iter()
        .all(|(_, auth)| auth == "bearer bb-token"));
}

#[tokio::test]
async fn github_enterprise_is_githubs_client_on_the_servers_api_and_unconfigured_hosts_fail() {
    let branches = "/api/v3/repos/acme/payments-service/branches";
    let listed = |name: &str, sha: &str| json!({"name": name, "commit": {"sha": sha, "url": "x"}, "protected": false});
    let routes = HashMap::from([
        (
            format!("{branches}?per_page=100"),
            with_header(
                reply(200, json!([listed("main", B)])),
                "link",
                &format!(r#"<{{base}}{branches}?per_page=100&page=2>; rel="next""#),
            ),
        ),
        (
            format!("{branches}?per_page=100&page=2"),
            reply(200, json!([listed("feature/x", A)])),
        ),
    ]);
    let server = Server::start(routes);
    let hosts = clients(GitHostAccess {
        github_enterprise: access(format!("{}/api/v3", server.base), "ghe-token"),
        ..GitHostAccess::default()
    });
    let repo = repository(GitHost::GitHubEnterprise, "acme/payments-service");
    let names: Vec<String> = hosts
        .list_branches(&repo)
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(names, ["main", "feature/x"]);
    assert!(server
        .seen()
        .iter()
        .all(|(_, auth)| auth == "bearer ghe-token"));

    for (host, var) in [
        (GitHost::GitLab, "GITLAB_TOKEN_SECRET_ID"),
        (GitHost::Bitbucket, "BITBUCKET_TOKEN_SECRET_ID"),
        (
            GitHost::GitLabSelfManaged,
            "GITLAB_SELF_MANAGED_TOKEN_SECRET_ID",
        ),
    ] {
        let err = hosts
            .list_branches(&repository(host, "acme/app"))
            .await
            .unwrap_err();
        assert!(err.message.contains(var), "{err}");
    }
}
