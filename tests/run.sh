#!/usr/bin/env bash
# Switchyard's test command (the README's second quick-start command): every test, with the real
# peers they talk to. Safe to run repeatedly; the first run installs the Python test tools into
# tests/.cache/venv.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# --- Python tools in private venvs, reinstalled when their pins change: moto_server, cfn-lint and
# awscli; checkov apart (it pins boto3 1.35, which the pinned awscli's botocore does not accept) ---
# shellcheck source=tests/support/venv.sh
. tests/support/venv.sh
python_tools tests/.cache/venv tests/requirements.txt
export PATH="$root/tests/.cache/venv/bin:$PATH"
python_tools tests/.cache/scan-venv tests/requirements-scan.txt
# tests/security_template.rs runs the scan on changed copies of the template with the same checkov.
export CHECKOV="$root/tests/.cache/scan-venv/bin/checkov"

# --- Kafka Connect: a real KRaft broker + Connect worker for the connect tests ---------------------
# tests/kafka-connect/cluster.sh fetches the Kafka jars from Maven Central once (tests/.cache/), starts
# both on free loopback ports and prints CONNECT_URL / CONNECT_CLUSTER_CTL / CONNECT_CLUSTER_DIR for
# functions/test-support/src/connect.rs. It starts in the background while cfn-lint runs, and is stopped on exit
# (the watchdog behind CONNECT_CLUSTER_OWNER_PID also stops it if this script is killed).
connect_ctl=tests/kafka-connect/cluster.sh
connect_skipped=
if command -v java >/dev/null; then
  echo "==> starting Kafka Connect ($connect_ctl start)"
  export CONNECT_CLUSTER_OWNER_PID=$$
  connect_env=$(mktemp)
  "$connect_ctl" start > "$connect_env" &
  connect_start=$!
  # (`|| true`: with errexit, a failing command would end the trap before `stop`)
  trap 'kill "$connect_start" 2>/dev/null || true; wait "$connect_start" 2>/dev/null || true
        "$root/$connect_ctl" stop; rm -f "$connect_env"' EXIT
elif [ -n "${CI:-}" ] && [ "$CI" != 0 ] && [ "$CI" != false ]; then
  # CI must not pass tests it did not run (functions/test-support/src/connect.rs
  # fails them too when CONNECT_URL is unset under CI).
  echo "Java is missing and CI is set: the Kafka Connect tests cannot run (install a JRE 17+, e.g. apt-get install default-jre-headless; .ci/run does)" >&2
  exit 1
else
  connect_skipped="Java is missing: Kafka Connect tests are SKIPPED (install a JRE 17+, e.g. apt-get install default-jre-headless)"
  echo "!!!!!!!! $connect_skipped" >&2
fi

# --- Templates ---
echo "==> cfn-lint template.yaml infra/"
cfn-lint template.yaml infra/*.yaml
echo "==> checkov template.yaml infra/ (every finding fixed or explained in the template)"
tests/scan-templates.sh

if [ -z "$connect_skipped" ]; then
  wait "$connect_start" || { echo "Kafka Connect did not start (see above)" >&2; exit 1; }
  # shellcheck disable=SC1090 # the export lines cluster.sh printed
  . "$connect_env" && rm -f "$connect_env"
  echo "==> Kafka Connect at $CONNECT_URL"
fi

# --- Rust: unit, property and integration tests (moto is started by the test harness) ---
echo "==> cargo test"
cargo test --workspace --locked
[ -z "$connect_skipped" ] || echo "!!!!!!!! $connect_skipped" >&2
