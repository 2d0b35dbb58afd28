#!/usr/bin/env bash
# Cold-start benchmark of every Lambda function (README "Performance"): builds the release
# binaries for this machine, starts a moto server with the fixtures the samples act on, and runs
# benches/cold_start.rs against each binary.
#
#   benches/cold-start.sh            # 20 measured cold starts per function
#   RUNS=50 benches/cold-start.sh
#   INLINE_SECRET=1 benches/cold-start.sh   # webhook secret from the environment, not Secrets Manager
#
# Honours CARGO_TARGET_DIR. Needs python3 with moto[server] (tests/run.sh installs it into
# tests/.cache/venv, which is used when present).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target=${CARGO_TARGET_DIR:-$root/target}
[ -x tests/.cache/venv/bin/python3 ] && export PATH="$root/tests/.cache/venv/bin:$PATH"

# Every function binary: the packages under functions/ built on lambda_runtime.
functions=()
for manifest in functions/*/Cargo.toml; do
  dir=$(dirname "$manifest")
  if grep -q '^lambda_runtime' "$manifest" && [ -f "$dir/src/main.rs" ]; then
    functions+=("$(basename "$dir")")
  fi
done
echo "==> building ${functions[*]} and the benchmark (release)"
cargo build --release --locked $(printf -- '-p %s ' "${functions[@]}") -p switchyard-bench

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
recording=$(mktemp)
# moto_server.py exits by itself when this script's process is gone.
exec 3< <(python3 tests/support/moto_server.py "$port" $$ "$recording")
read -r ready <&3
[ "$ready" = ready ] || { echo "moto did not start" >&2; exit 1; }
secret_id=$(python3 benches/moto_fixtures.py "http://127.0.0.1:$port" events/switchyard.env)
secret_args=(--secret-id "$secret_id")
[ -n "${INLINE_SECRET:-}" ] && secret_args=()

"$target/release/cold-start" --bin-dir "$target/release" --aws-endpoint "http://127.0.0.1:$port" \
  --runs "${RUNS:-20}" --env-file events/switchyard.env "${secret_args[@]}" \
  --only "$(IFS=,; echo "${functions[*]}")"
