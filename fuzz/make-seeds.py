#!/usr/bin/env python3
"""Regenerates the committed seed corpora (fuzz/corpus/<target>/seed-*) from the samples in
events/, so every fuzz target starts from real AWS and GitHub shapes. Run after adding samples:
python3 fuzz/make-seeds.py
"""
import base64, json, pathlib, re

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
GITHUB_EVENTS = ["push", "create", "delete", "ping", "issues", ""]  # as in github_webhook.rs


def put(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    (d / f"seed-{name}").write_bytes(data if isinstance(data, bytes) else data.encode())


def strings_at(value, keys):
    """Every string under one of `keys`, anywhere in the document."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k in keys and isinstance(v, str):
                yield v
            yield from strings_at(v, keys)
    elif isinstance(value, list):
        for v in value:
            yield from strings_at(v, keys)


def embedded(value):
    """The document and every JSON document carried in one of its strings (SNS `Message`, SQS
    `body`), recursively."""
    yield value
    if isinstance(value, dict):
        children = value.values()
    elif isinstance(value, list):
        children = value
    else:
        children = []
    for v in children:
        if isinstance(v, str) and v[:1] in "{[":
            try:
                yield from embedded(json.loads(v))
            except ValueError:
                pass
        elif isinstance(v, (dict, list)):
            for inner in embedded(v):
                if inner is not v:
                    yield inner


def main():
    for old in CORPUS.glob("*/seed-*"):
        old.unlink()
    refs = set()
    keys = set()
    for path in sorted((ROOT / "events").rglob("*.json")):
        name = f"{path.parent.name}-{path.stem}"
        event = json.loads(path.read_text())
        put("lambda_event", name, json.dumps(event, separators=(",", ":")))
        docs = [event]
        if isinstance(event, dict) and "requestContext" in event and "body" in event:
            body = event["body"] or ""
            body = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
            header = (event.get("headers") or {}).get("x-github-event", "")
            control = GITHUB_EVENTS.index(header) if header in GITHUB_EVENTS else 5
            put("github_webhook", name, bytes([control]) + body)
            try:
                docs.append(json.loads(body))
            except ValueError:
                pass
        for doc in docs:
            refs.update(strings_at(doc, {"ref", "referenceName", "referenceFullName", "base_ref"}))
        for doc in embedded(event):
            keys.update(strings_at(doc, {"key"}))
    # kafka-sync: the example desired-state directory, as files (mode 0) and as template text
    # (mode 1), and Connect REST answers (mode 2).
    example = ROOT / "examples" / "connect"
    files = sorted(p for p in example.rglob("*") if p.is_file())
    bundle = b"\0\0".join(str(p.relative_to(example)).encode() + b"\0" + p.read_bytes() for p in files)
    put("kafka_sync", "example-dir", b"\0" + bundle)
    for p in files:
        put("kafka_sync", f"template-{p.stem}", b"\1" + p.read_bytes())
    server_info = {"version": "4.3.1", "commit": "abc", "kafka_cluster_id": "k1"}
    connectors = {"orders-cdc": {
        "info": {"name": "orders-cdc", "type": "source", "tasks": [{"connector": "orders-cdc", "task": 0}],
                 "config": {"name": "orders-cdc", "connector.class": "FileStreamSource", "file": "/tmp/in", "topic": "t"}},
        "status": {"name": "orders-cdc", "type": "source", "connector": {"state": "RUNNING", "worker_id": "w:8083"},
                   "tasks": [{"id": 0, "state": "FAILED", "worker_id": "w:8083", "trace": "boom"}]}}}
    put("kafka_sync", "observed", b"\2" + json.dumps([server_info, connectors]).encode())

    # artifact-release: notification keys (mode 0) and pattern/key pairs from the sample rules
    # (mode 1).
    for i, key in enumerate(sorted(keys)):
        put("s3_artifact", f"key-{i:03}", b"\0" + key.encode())
    env = dict(l.split("=", 1) for l in (ROOT / "events/switchyard.env").read_text().splitlines()
               if "=" in l and not l.startswith("#"))
    if "ARTIFACT_RULES" in env:
        rules = json.loads(env["ARTIFACT_RULES"])["rules"]
        for i, rule in enumerate(rules):
            prefix = rule["key"].split("/")[0] + "/"
            for j, key in enumerate(k for k in sorted(keys) if k.startswith(prefix)):
                put("s3_artifact", f"rule-{i}-{j}", b"\1" + rule["key"].encode() + b"\0" + key.encode())
        # Mode 2: the sample rules document itself, and each rule alone (Flink and Lambda targets
        # with their snapshot, start, rollback and alias fields among them).
        put("s3_artifact", "document", b"\2" + env["ARTIFACT_RULES"].encode())
        for i, rule in enumerate(rules):
            put("s3_artifact", f"document-rule-{i}", b"\2" + json.dumps({"rules": [rule]}).encode())

    # CodePipeline jobs and stage-retry triggers: UserParameters texts (mode 0), continuation
    # tokens (mode 1), whole events (mode 2).
    for path in sorted((ROOT / "events").rglob("*.json")):
        if path.parent.name not in ("health-gate", "kafka-sync", "stage-retry"):
            continue
        name = f"{path.parent.name}-{path.stem}"
        event = json.loads(path.read_text())
        put("pipeline_job", f"event-{name}", b"\2" + json.dumps(event, separators=(",", ":")).encode())
        for i, text in enumerate(strings_at(event, {"UserParameters"})):
            put("pipeline_job", f"params-{name}-{i}", b"\0" + text.encode())
        for i, text in enumerate(strings_at(event, {"continuationToken"})):
            put("pipeline_job", f"token-{name}-{i}", b"\1" + text.encode())

    for i, ref in enumerate(sorted(refs)):
        put("refs_naming", f"{i:03}", ref)
    # tag-release: the tag names of the samples (valid, v-prefixed, global and every rejection).
    tags = sorted({r.removeprefix("refs/tags/") for r in refs if "_" in r and not r.startswith("refs/heads/")})
    for i, tag in enumerate(tags):
        put("tag_grammar", f"{i:03}", tag)
    put("refs_naming", "repo-and-ref", "acme/payments-service\0feature/PAY-142-refunds")


if __name__ == "__main__":
    main()
