#!/usr/bin/env bash
# Cold-start benchmark of every Lambda function (README "Performance"): builds the release
# binaries for this machine, starts a moto server with the fixtures the samples act on (and, for
# kafka-sync, a real Kafka Connect worker), and runs benches/cold_start.rs against each binary.
# AWS APIs that moto lacks (AWS Health, CodePipeline job results and stage retries) are answered by
# a loopback stub inside the benchmark (see benches/cold_start.rs).
#
#   benches/cold-start.sh            # 20 measured cold starts per function
#   RUNS=50 benches/cold-start.sh
#   ONLY=health-gate,stage-retry benches/cold-start.sh   # some functions only
#   INLINE_SECRET=1 benches/cold-start.sh   # webhook secret from the environment, not Secrets Manager
#
# Honours CARGO_TARGET_DIR. Needs python3 with moto[server] (tests/run.sh installs it into
# tests/.cache/venv, which is used when present); for kafka-sync, Java 17+ and the Kafka jars
# (tests/kafka-connect/cluster.sh fetches them once).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target=${CARGO_TARGET_DIR:-$root/target}
[ -x tests/.cache/venv/bin/python3 ] && export PATH="$root/tests/.cache/venv/bin:$PATH"

# Every function binary: the packages under functions/ built on lambda_runtime.
functions=()
for manifest in functions/*/Cargo.toml; do
  dir=$(dirname "$manifest")
  name=$(basename "$dir")
  if grep -q '^lambda_runtime' "$manifest" && [ -f "$dir/src/main.rs" ] \
      && { [ -z "${ONLY:-}" ] || [[ ",$ONLY," == *",$name,"* ]]; }; then
    functions+=("$name")
  fi
done
[ ${#functions[@]} -gt 0 ] || { echo "no function to measure (ONLY=${ONLY:-})" >&2; exit 1; }
echo "==> building ${functions[*]} and the benchmark (release)"
cargo build --release --locked $(printf -- '-p %s ' "${functions[@]}") -p switchyard-bench

work=$(mktemp -d)
# Each function's stdout and stderr of its last run (kept when the benchmark fails).
logs=$work/logs
cluster_dir=
cleanup() {
  local status=$?
  if [ -n "$cluster_dir" ]; then
    CONNECT_CLUSTER_DIR=$cluster_dir tests/kafka-connect/cluster.sh stop || true
  fi
  if [ $status -eq 0 ]; then
    rm -rf "$work"
  else
    echo "cold-start.sh: failed; function output, moto's log and the Connect worker's logs kept in $work" >&2
  fi
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
recording=$work/moto-recording.jsonl
# moto_server.py exits by itself when this script's process is gone. Its request log goes to a file.
exec 3< <(python3 tests/support/moto_server.py "$port" $$ "$recording" 2>"$work/moto.log")
read -r ready <&3
[ "$ready" = ready ] || { echo "moto did not start" >&2; exit 1; }

fixture_args=()
bench_args=()
if [[ " ${functions[*]} " == *" kafka-sync "* ]]; then
  # A Kafka Connect worker of its own (its own state folder, so a test cluster running in
  # tests/.cache/connect-cluster is left alone), stopped on exit; the watchdog stops it too if
  # this script is killed.
  cluster_dir=$work/connect-cluster
  echo "==> starting Kafka Connect for kafka-sync (tests/kafka-connect/cluster.sh)"
  exports=$(CONNECT_CLUSTER_DIR=$cluster_dir CONNECT_CLUSTER_OWNER_PID=$$ tests/kafka-connect/cluster.sh start)
  eval "$exports"
  # The bundle upload event, with the object version moto created (kafka-sync reads that
  # version), and cluster "main" on the worker. The warm-up start creates the connector; the
  # measured starts find it unchanged (the no-op path: S3 GetObject, then GET / and
  # GET /connectors?expand=info&expand=status, nothing written). The cluster has its brokers
  # configured too (issue 16): init builds its admin client, and each sync reads the topics
  # (one Metadata request; the bundle declares none, so no DescribeConfigs).
  fixture_args=(--connect-event events/kafka-sync/s3-bundle-upload.json "$work/kafka-sync-event.json")
  bench_args=(--event "kafka-sync=$work/kafka-sync-event.json"
    --set "KAFKA_CLUSTERS={\"main\": {\"url\": \"$CONNECT_URL\", \"managed_prefixes\": [\"sy-\"], \"kafka\": {\"bootstrap_servers\": [\"$KAFKA_BOOTSTRAP_SERVERS\"], \"managed_topic_prefixes\": [\"sy-\"]}}}")
fi

secret_id=$(python3 benches/moto_fixtures.py "http://127.0.0.1:$port" events/switchyard.env "${fixture_args[@]}")
secret_args=(--secret-id "$secret_id")
[ -n "${INLINE_SECRET:-}" ] && secret_args=()

"$target/release/cold-start" --bin-dir "$target/release" --aws-endpoint "http://127.0.0.1:$port" \
  --runs "${RUNS:-20}" --env-file events/switchyard.env "${secret_args[@]}" "${bench_args[@]}" \
  --moto-recording "$recording" --log-dir "$logs" \
  --only "$(IFS=,; echo "${functions[*]}")"

if [ -n "$cluster_dir" ]; then
  # The worker's access log over the whole benchmark: cluster.sh's readiness polls, the warm-up's
  # create (validate, PUT config, status polls), then two GETs per measured start.
  echo
  echo "Kafka Connect worker requests (access log, readiness polls and warm-up included):"
  grep -o '"[A-Z]* [^ ]* HTTP/1.1" [0-9]*' "$cluster_dir/logs/worker.log" | sort | uniq -c | sort -rn \
    | awk '{ n = $1; $1 = ""; printf "  %4d %s\n", n, substr($0, 2) }'
fi
