#!/usr/bin/env bash
# Is disabling AWS-LC's CPU jitter entropy worth it? Builds benches/first_random.rs twice — with
# AWS-LC's default (AWS_LC_SYS_NO_JITTER_ENTROPY=0) and as the Lambdas are built (=1) — each in
# its own target folder (the variable changes how aws-lc-sys is compiled), and times the first
# random bytes of fresh processes with each. See README "Performance".
set -euo pipefail
cd "$(dirname "$0")/.."
base=${CARGO_TARGET_DIR:-$PWD/target}
for mode in jitter no-jitter; do
  dir=$base/aws-lc-$mode
  # Set both ways: .cargo/config.toml turns jitter entropy off for every build unless overridden.
  if [ $mode = no-jitter ]; then export AWS_LC_SYS_NO_JITTER_ENTROPY=1; else export AWS_LC_SYS_NO_JITTER_ENTROPY=0; fi
  CARGO_TARGET_DIR=$dir cargo build --release --locked -p switchyard-bench --bin first-random >&2
  printf '%-10s ' "$mode:"
  "$dir/release/first-random" "${RUNS:-20}"
done
