#!/usr/bin/env bash
# Is disabling AWS-LC's CPU jitter entropy worth it? Builds benches/first_random.rs twice — as the
# Lambdas are built, and with AWS_LC_SYS_NO_JITTER_ENTROPY=1 — each in its own target folder (the
# variable changes how aws-lc-sys is compiled), and times the first random bytes of fresh
# processes with each. See README "Performance".
set -euo pipefail
cd "$(dirname "$0")/.."
base=${CARGO_TARGET_DIR:-$PWD/target}
for mode in jitter no-jitter; do
  dir=$base/aws-lc-$mode
  if [ $mode = no-jitter ]; then export AWS_LC_SYS_NO_JITTER_ENTROPY=1; else unset AWS_LC_SYS_NO_JITTER_ENTROPY; fi
  CARGO_TARGET_DIR=$dir cargo build --release --locked -p switchyard-bench --bin first-random >&2
  printf '%-10s ' "$mode:"
  "$dir/release/first-random" "${RUNS:-20}"
done
