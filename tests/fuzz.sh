#!/usr/bin/env bash
# Runs every cargo-fuzz target (fuzz/fuzz_targets/*.rs) for a while and prints, per target, how
# long it ran, how many inputs it executed and whether it found a crash.
#
#   tests/fuzz.sh                 # every target, 30 s each (the quick check)
#   tests/fuzz.sh 600             # every target, 10 minutes each
#   tests/fuzz.sh 600 github_webhook lambda_event
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Each target starts
# from its committed seeds (fuzz/corpus/<target>/seed-*, made by fuzz/make-seeds.py from events/)
# and adds what it finds to the same folder (ignored by git). A crash leaves its input in
# fuzz/artifacts/<target>/ and makes this script exit 1; turn it into a regression test in
# tests/adversarial.rs. Targets run one after the other.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds=${1:-30}
shift || true
if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for f in fuzz_targets/*.rs; do targets+=("$(basename "$f" .rs)"); done
fi

# Build first so the time budget is spent fuzzing, not compiling.
cargo +nightly fuzz build --release

mkdir -p logs
run_one() {
  local target=$1
  mkdir -p "corpus/$target"
  # -rss_limit_mb: a parser that balloons on one input is a finding too.
  cargo +nightly fuzz run --release "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -dict=json.dict -timeout=10 -rss_limit_mb=1024 \
    -print_final_stats=1 >"logs/$target.log" 2>&1
}

status=0
printf '%-20s %8s %14s %10s  %s\n' target seconds executions exec/s result
for target in "${targets[@]}"; do
  if run_one "$target"; then result=clean; else result="CRASH (see fuzz/artifacts/$target/, fuzz/logs/$target.log)"; status=1; fi
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "logs/$target.log" | grep -oE '[0-9]+$' || echo '?')
  took=$(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "logs/$target.log" | grep -oE 'in [0-9]+' | grep -oE '[0-9]+' || echo "$seconds")
  rate=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "logs/$target.log" | grep -oE '[0-9]+$' || echo '?')
  printf '%-20s %8s %14s %10s  %s\n' "$target" "$took" "$runs" "$rate" "$result"
done
exit $status
