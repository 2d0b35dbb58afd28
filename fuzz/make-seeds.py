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


def main():
    for old in CORPUS.glob("*/seed-*"):
        old.unlink()
    refs = set()
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
    for i, ref in enumerate(sorted(refs)):
        put("refs_naming", f"{i:03}", ref)
    put("refs_naming", "repo-and-ref", "acme/payments-service\0feature/PAY-142-refunds")


if __name__ == "__main__":
    main()
