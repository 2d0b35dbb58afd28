#!/usr/bin/env bash
# The test command's infrastructure scan: checkov (pinned in tests/requirements-scan.txt) on
# template.yaml and infra/*.yaml. It fails on any finding that is not an explained exception: a
# skip in the resource's Metadata with its one-line reason,
#
#   Metadata:
#     checkov:
#       skip:
#         - id: CKV_AWS_117
#           comment: the functions call public AWS endpoints only; a VPC adds NAT cost and nothing else
#
# and on a skip without a reason. checkov evaluates Conditions with the parameters' defaults and
# leaves out every resource whose condition is false, so template.yaml is also scanned as a copy
# with every Enable* feature and the webhooks turned on: every resource is scanned.
#
#   tests/scan-templates.sh [TEMPLATE]    (default template.yaml; tests/security_scan.rs passes a changed copy)
# CHECKOV names the checkov binary (default: checkov on PATH).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
template=${1:-$root/template.yaml}
checkov=${CHECKOV:-checkov}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Every feature on: the Default of each Enable* parameter becomes "true", and the webhook secret
# gets a value (the webhook URLs and the delivery table exist only with one).
python3 - "$template" "$work/all-features.yaml" <<'PY'
import re, sys
source, target = sys.argv[1], sys.argv[2]
out, param = [], None
for line in open(source, encoding="utf-8"):
    m = re.match(r"^  ([A-Za-z0-9]+):\s*$", line)
    if m:
        param = m.group(1)
    if re.match(r"^    Default:", line):
        if param and param.startswith("Enable"):
            line = '    Default: "true"\n'
        elif param == "GitHubWebhookSecretArn":
            line = '    Default: "arn:aws:secretsmanager:us-east-1:123456789012:secret:scan"\n'
    out.append(line)
open(target, "w", encoding="utf-8").write("".join(out))
PY

files=(-f "$template" -f "$work/all-features.yaml")
for f in "$root"/infra/*.yaml; do files+=(-f "$f"); done
# --skip-download: no call to the vendor's platform (guidelines, severities); the checks are
# the ones in the pinned package.
"$checkov" --skip-download --framework cloudformation --output json "${files[@]}" \
  > "$work/report.json" 2> "$work/stderr.txt" || true

python3 - "$work/report.json" "$work/stderr.txt" <<'PY'
import json, sys
try:
    report = json.load(open(sys.argv[1]))
except ValueError:
    sys.stderr.write("checkov gave no report:\n" + open(sys.argv[2]).read())
    sys.exit(1)
reports = report if isinstance(report, list) else [report]
passed = failed = skipped = 0
problems = []
for r in reports:
    results = r.get("results", {})
    s = r.get("summary", {})
    passed += s.get("passed", 0); failed += s.get("failed", 0); skipped += s.get("skipped", 0)
    if s.get("parsing_errors"):
        problems.append(f"{s['parsing_errors']} file(s) checkov could not parse")
    for c in results.get("failed_checks", []):
        problems.append(f"unexplained finding: {c['check_id']} {c['resource']} ({c['file_path']}): {c['check_name']}")
    for c in results.get("skipped_checks", []):
        reason = (c.get("check_result") or {}).get("suppress_comment") or ""
        if not reason.strip() or reason.strip() == "No comment provided":
            problems.append(f"skip without a reason: {c['check_id']} {c['resource']} ({c['file_path']})")
print(f"checkov: {passed} passed, {failed} failed, {skipped} skipped (each with its reason in the template)")
for p in sorted(set(problems)):
    print("  " + p)
sys.exit(1 if problems else 0)
PY
