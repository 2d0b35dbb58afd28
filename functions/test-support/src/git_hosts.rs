//! The git hosts' APIs as a local HTTP server in the test harness (they cannot run here):
//!
//! - GitHub's REST API in its documented shapes: `GET /repos/{owner}/{repo}/branches` (30 per
//!   page by default, `per_page` up to 100, `Link` header with `rel="next"` / `rel="last"`
//!   pointing at `/repositories/{id}/branches?…` as GitHub does), `GET …/branches/{branch}` (the
//!   branch with its commit, or 404 `Branch not found`), 401 `Bad credentials` without the
//!   token, and a primary rate limit (403 with `x-ratelimit-remaining: 0`);
//! - GitLab's `GET /projects/{url-encoded path}/repository/branches/{branch}` (404
//!   `404 Branch Not Found` / `404 Project Not Found`) and Bitbucket Cloud's
//!   `GET /repositories/{workspace}/{repo}/refs/branches/{name}` (404 in its `{"type": "error"}`
//!   shape), with the same bearer token, for the builds' branch re-check (infra/branch-check.sh);
//! - CodeCommit's JSON protocol for `GetBranch` and `ListBranches` (moto has neither), for the
//!   `switchyard` binary, which cannot be given an `aws-smithy-mocks` client. Point it here with
//!   `AWS_ENDPOINT_URL_CODECOMMIT`.
//!
//! Every request line is recorded, so tests count the calls a sweep makes.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use percent_encoding::percent_decode_str;
use serde_json::{json, Value};

/// The token the server accepts.
pub const GITHUB_TOKEN: &str = "github_pat_test_switchyard_0123456789";

#[derive(Debug, Clone)]
pub struct Branch {
    pub name: String,
    pub sha: String,
    /// The head commit's committer date (RFC 3339).
    pub date: String,
}

#[derive(Debug, Clone, Default)]
pub struct GitHubRepository {
    pub id: u64,
    pub branches: Vec<Branch>,
    /// Answer every request for this repository with the rate-limit 403.
    pub rate_limited: bool,
    /// Answer this page (1-based) of the listing with a 502.
    pub failing_page: Option<usize>,
    /// Answer every request for this repository with a 500.
    pub server_error: bool,
}

#[derive(Default)]
struct State {
    github: BTreeMap<String, GitHubRepository>,
    codecommit: BTreeMap<String, Vec<Branch>>,
    gitlab: BTreeMap<String, Vec<Branch>>,
    bitbucket: BTreeMap<String, Vec<Branch>>,
    requests: Vec<String>,
}

pub struct GitHostServer {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl GitHostServer {
    /// Starts a server on a loopback port; it lives as long as the test process.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let base = url.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                let base = base.clone();
                std::thread::spawn(move || serve(stream, &state, &base));
            }
        });
        GitHostServer { url, state }
    }

    pub fn github_repository(&self, full_name: &str, repository: GitHubRepository) {
        self.state
            .lock()
            .unwrap()
            .github
            .insert(full_name.to_owned(), repository);
    }

    pub fn codecommit_repository(&self, name: &str, branches: Vec<Branch>) {
        self.state
            .lock()
            .unwrap()
            .codecommit
            .insert(name.to_owned(), branches);
    }

    /// A GitLab project by its full path (`group/subgroup/project`).
    pub fn gitlab_project(&self, path: &str, branches: Vec<Branch>) {
        self.state
            .lock()
            .unwrap()
            .gitlab
            .insert(path.to_owned(), branches);
    }

    /// A Bitbucket Cloud repository by `workspace/repo`.
    pub fn bitbucket_repository(&self, full_name: &str, branches: Vec<Branch>) {
        self.state
            .lock()
            .unwrap()
            .bitbucket
            .insert(full_name.to_owned(), branches);
    }

    /// Every request so far: `GET /repos/…` lines for GitHub, `CodeCommit.<Operation>` for
    /// CodeCommit.
    pub fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().requests.clone()
    }

    pub fn clear_requests(&self) {
        self.state.lock().unwrap().requests.clear();
    }
}

/// `n` branches `<prefix>/b-0000`… with distinct heads.
pub fn branches(prefix: &str, n: usize) -> Vec<Branch> {
    (0..n)
        .map(|i| branch(&format!("{prefix}/b-{i:04}"), i))
        .collect()
}

pub fn branch(name: &str, seed: usize) -> Branch {
    Branch {
        name: name.to_owned(),
        sha: format!("{seed:040x}"),
        date: "2026-11-19T08:00:00Z".to_owned(),
    }
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

fn answer(status: u16, body: Value) -> Response {
    Response {
        status,
        headers: Vec::new(),
        body,
    }
}

fn serve(mut stream: TcpStream, state: &Mutex<State>, base: &str) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut headers = BTreeMap::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.trim_end().split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok();
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let response = match headers.get("x-amz-target") {
        Some(target) => codecommit(state, target, &body),
        None => github(state, method, target, &headers, base),
    };
    let text = response.body.to_string();
    let reason = match response.status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Bad Gateway",
    };
    let mut out = format!(
        "HTTP/1.1 {} {reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n",
        response.status,
        text.len()
    );
    for (k, v) in &response.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&text);
    stream.write_all(out.as_bytes()).ok();
}

fn codecommit(state: &Mutex<State>, target: &str, body: &[u8]) -> Response {
    let operation = target.rsplit('.').next().unwrap_or("");
    let mut state = state.lock().unwrap();
    state.requests.push(format!("CodeCommit.{operation}"));
    let input: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let repository = input["repositoryName"].as_str().unwrap_or("");
    let Some(branches) = state.codecommit.get(repository) else {
        return answer(
            400,
            json!({"__type": "RepositoryDoesNotExistException",
            "message": format!("{repository} does not exist")}),
        );
    };
    match operation {
        "GetBranch" => {
            let name = input["branchName"].as_str().unwrap_or("");
            match branches.iter().find(|b| b.name == name) {
                Some(b) => answer(
                    200,
                    json!({"branch": {"branchName": b.name, "commitId": b.sha}}),
                ),
                None => answer(
                    400,
                    json!({"__type": "BranchDoesNotExistException",
                    "message": format!("Could not find branch {name}")}),
                ),
            }
        }
        "ListBranches" => {
            // CodeCommit returns up to 100 names per page.
            let start: usize = input["nextToken"]
                .as_str()
                .and_then(|t| t.parse().ok())
                .unwrap_or(0);
            let page: Vec<&str> = branches
                .iter()
                .skip(start)
                .take(100)
                .map(|b| b.name.as_str())
                .collect();
            let mut out = json!({"branches": page});
            if start + 100 < branches.len() {
                out["nextToken"] = json!((start + 100).to_string());
            }
            answer(200, out)
        }
        other => answer(
            400,
            json!({"__type": "UnknownOperationException", "message": other}),
        ),
    }
}

fn query(target: &str) -> (String, BTreeMap<String, String>) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let params = query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    (path.to_owned(), params)
}

fn github(
    state: &Mutex<State>,
    method: &str,
    target: &str,
    headers: &BTreeMap<String, String>,
    base: &str,
) -> Response {
    let mut state = state.lock().unwrap();
    state.requests.push(format!("{method} {target}"));
    if headers.get("authorization").map(String::as_str) != Some(&format!("Bearer {GITHUB_TOKEN}")) {
        return answer(
            401,
            json!({"message": "Bad credentials",
            "documentation_url": "https://docs.github.com/rest", "status": "401"}),
        );
    }
    let (path, params) = query(target);
    let segments: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    match segments.first().map(String::as_str) {
        Some("projects") => return gitlab(&state, &segments),
        Some("repositories") if segments.get(3).map(String::as_str) == Some("refs") => {
            return bitbucket(&state, &segments)
        }
        _ => {}
    }
    // /repos/{owner}/{repo}/branches[/{branch…}] or /repositories/{id}/branches (Link URLs).
    let (full_name, rest) = match segments.first().map(String::as_str) {
        Some("repos") if segments.len() >= 4 => {
            (format!("{}/{}", segments[1], segments[2]), &segments[3..])
        }
        Some("repositories") if segments.len() >= 3 => {
            let id: u64 = segments[1].parse().unwrap_or(0);
            let name = state
                .github
                .iter()
                .find(|(_, r)| r.id == id)
                .map(|(n, _)| n.clone())
                .unwrap_or_default();
            (name, &segments[2..])
        }
        _ => return not_found(),
    };
    let Some(repository) = state.github.get(&full_name) else {
        return not_found();
    };
    if repository.rate_limited {
        return Response {
            status: 403,
            headers: vec![
                ("x-ratelimit-limit".into(), "5000".into()),
                ("x-ratelimit-remaining".into(), "0".into()),
                ("x-ratelimit-used".into(), "5000".into()),
                ("x-ratelimit-reset".into(), "1795169400".into()),
                ("x-ratelimit-resource".into(), "core".into()),
            ],
            body: json!({"message": "API rate limit exceeded for user ID 1.",
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}),
        };
    }
    if repository.server_error {
        return answer(500, json!({"message": "Server Error"}));
    }
    if rest.first().map(String::as_str) != Some("branches") {
        return not_found();
    }
    if rest.len() > 1 {
        let name = rest[1..].join("/");
        return match repository.branches.iter().find(|b| b.name == name) {
            Some(b) => answer(200, one_branch(base, &full_name, b)),
            None => answer(
                404,
                json!({"message": "Branch not found",
                "documentation_url": "https://docs.github.com/rest/branches/branches#get-a-branch", "status": "404"}),
            ),
        };
    }
    let per_page: usize = params
        .get("per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let page: usize = params
        .get("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    if repository.failing_page == Some(page) {
        return answer(502, json!({"message": "Server Error"}));
    }
    let last = repository.branches.len().div_ceil(per_page).max(1);
    let items: Vec<Value> = repository
        .branches
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|b| {
            json!({"name": b.name, "commit": {"sha": b.sha,
            "url": format!("{base}/repos/{full_name}/commits/{}", b.sha)}, "protected": false})
        })
        .collect();
    let link = |p: usize, rel: &str| {
        format!(
            "<{base}/repositories/{}/branches?per_page={per_page}&page={p}>; rel=\"{rel}\"",
            repository.id
        )
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(link(page - 1, "prev"));
    }
    if page < last {
        links.push(link(page + 1, "next"));
        links.push(link(last, "last"));
    }
    if page > 1 {
        links.push(link(1, "first"));
    }
    Response {
        status: 200,
        headers: if links.is_empty() {
            Vec::new()
        } else {
            vec![("link".into(), links.join(", "))]
        },
        body: Value::Array(items),
    }
}

/// `/projects/{path}/repository/branches/{branch}`: the path and branch are one segment each
/// (URL-encoded), decoded by the caller.
fn gitlab(state: &State, segments: &[String]) -> Response {
    let [_, project, repository, branches, name] = segments else {
        return answer(404, json!({"error": "404 Not Found"}));
    };
    if (repository.as_str(), branches.as_str()) != ("repository", "branches") {
        return answer(404, json!({"error": "404 Not Found"}));
    }
    let Some(listed) = state.gitlab.get(project) else {
        return answer(404, json!({"message": "404 Project Not Found"}));
    };
    match listed.iter().find(|b| &b.name == name) {
        Some(b) => answer(
            200,
            json!({"name": b.name, "merged": false, "protected": false, "default": false,
                "commit": {"id": b.sha, "short_id": &b.sha[..8], "committed_date": b.date,
                    "title": "work", "message": "work"}}),
        ),
        None => answer(404, json!({"message": "404 Branch Not Found"})),
    }
}

/// `/repositories/{workspace}/{repo}/refs/branches/{name}`.
fn bitbucket(state: &State, segments: &[String]) -> Response {
    let not_found =
        |message: String| answer(404, json!({"type": "error", "error": {"message": message}}));
    let [_, workspace, repo, _, branches, name] = segments else {
        return not_found("Resource not found".into());
    };
    let full_name = format!("{workspace}/{repo}");
    let Some(listed) = state
        .bitbucket
        .get(&full_name)
        .filter(|_| branches == "branches")
    else {
        // Bitbucket's own words for a repository the token cannot see (or that is gone).
        return not_found(
            "You may not have access to this repository or it no longer exists in this workspace."
                .into(),
        );
    };
    match listed.iter().find(|b| &b.name == name) {
        Some(b) => answer(
            200,
            json!({"type": "branch", "name": b.name,
                "target": {"type": "commit", "hash": b.sha, "date": b.date}}),
        ),
        None => not_found(format!("Branch \"{name}\" not found")),
    }
}

fn not_found() -> Response {
    answer(
        404,
        json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"}),
    )
}

/// `GET /repos/{owner}/{repo}/branches/{branch}`, as GitHub documents it (abridged to the
/// fields a client reads, plus the ones around them).
fn one_branch(base: &str, full_name: &str, b: &Branch) -> Value {
    json!({
        "name": b.name,
        "commit": {
            "sha": b.sha,
            "node_id": "C_kwDOAAAAAdoAKDAwMDAwMDAw",
            "commit": {
                "author": {"name": "Dev", "email": "dev@example.com", "date": b.date},
                "committer": {"name": "Dev", "email": "dev@example.com", "date": b.date},
                "message": "work",
                "tree": {"sha": b.sha, "url": format!("{base}/repos/{full_name}/git/trees/{}", b.sha)},
                "comment_count": 0
            },
            "url": format!("{base}/repos/{full_name}/commits/{}", b.sha),
            "parents": []
        },
        "_links": {"self": format!("{base}/repos/{full_name}/branches/{}", b.name),
                   "html": format!("https://github.com/{full_name}/tree/{}", b.name)},
        "protected": false,
        "protection": {"enabled": false, "required_status_checks": {"enforcement_level": "off", "contexts": [], "checks": []}},
        "protection_url": format!("{base}/repos/{full_name}/branches/{}/protection", b.name)
    })
}
