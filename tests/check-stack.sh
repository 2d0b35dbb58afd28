#!/usr/bin/env bash
# Switchyard's stack check: what `sam build && sam deploy` needs, verified without an AWS account.
#   1. cfn-lint on template.yaml and every template under infra/
#   2. sam validate --lint on template.yaml (and the infra/ templates)
#   3. cargo lambda build --release --arm64 for every function, one at a time; each bootstrap is
#      checked to be an AArch64 ELF, and its size and zipped size are printed
#   4. sam build (rust-cargolambda), reusing the builds of step 3
# Prints each step's duration and the total. Safe to run repeatedly; the first run installs the
# pinned tools (tests/requirements-stack.txt) into tests/.cache/stack-venv.
#
# CARGO_TARGET_DIR is honoured (default: target/); release builds are large, share one directory
# between checkouts if you have several.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
start=$SECONDS
step_start=$SECONDS
step() {
  if [ -n "${step_name:-}" ]; then printf '    (%s: %ds)\n' "$step_name" $((SECONDS - step_start)); fi
  step_name=$1
  step_start=$SECONDS
  echo "==> $1"
}

# --- Tools: aws-sam-cli (with cfn-lint) and cargo-lambda (with Zig) in a private venv ---
step "tools"
venv=tests/.cache/stack-venv
# shellcheck source=tests/support/venv.sh
. tests/support/venv.sh
python_tools "$venv" tests/requirements-stack.txt
export PATH="$root/$venv/bin:$PATH"
export SAM_CLI_TELEMETRY=0
if command -v rustup >/dev/null; then
  rustup target add aarch64-unknown-linux-gnu >/dev/null
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
# librdkafka (rdkafka-sys) is built by its own ./configure, which reads plain CC and AR, not the
# CC_aarch64_unknown_linux_gnu cargo-lambda sets (CXX for its C++ library): without these it compiles librdkafka for the
# host and the link fails ("rdkafka.o is incompatible with aarch64linux"). Host code keeps the
# host's compiler (the cc crate prefers HOST_CC/HOST_AR to CC/AR for it).
export CC="$root/tests/support/zig-aarch64-cc.sh" CXX="$root/tests/support/zig-aarch64-c++.sh"
export AR="$root/tests/support/zig-aarch64-ar.sh"
export HOST_CC="${HOST_CC:-cc}" HOST_CXX="${HOST_CXX:-c++}" HOST_AR="${HOST_AR:-ar}"

# The functions: every folder under functions/ whose package has a Lambda binary of its name
# that template.yaml builds (Metadata.BuildProperties.Binary).
mapfile -t functions < <(grep -E '^\s+Binary: ' template.yaml | awk '{print $2}')
[ ${#functions[@]} -gt 0 ] || { echo "no functions found in template.yaml" >&2; exit 1; }
for f in "${functions[@]}"; do
  [ -f "functions/$f/Cargo.toml" ] || { echo "template.yaml builds $f, but functions/$f does not exist" >&2; exit 1; }
done
echo "functions: ${functions[*]}"

# --- Templates ---
step "cfn-lint template.yaml infra/*.yaml"
cfn-lint template.yaml infra/*.yaml

step "sam validate --lint"
# sam validate needs a region to resolve pseudo parameters; nothing is called.
for t in template.yaml infra/*.yaml; do
  sam validate --lint --region us-east-1 --template-file "$t"
done

# --- arm64 release builds, one function at a time (the machine is shared) ---
step "cargo lambda build --release --arm64"
is_aarch64_elf() {
  # ELF magic, then e_machine (offset 18, little endian) = 0xB7 (EM_AARCH64)
  [ "$(head -c 4 "$1" | od -An -tx1 | tr -d ' \n')" = "7f454c46" ] &&
    [ "$(od -An -j18 -N2 -tx1 "$1" | tr -d ' \n')" = "b700" ]
}
zipped_size() {
  python3 - "$1" <<'PY'
import io, sys, zipfile
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
    z.write(sys.argv[1], "bootstrap")
print(len(buf.getvalue()))
PY
}
sizes=()
for f in "${functions[@]}"; do
  t0=$SECONDS
  cargo lambda build --release --arm64 --locked -p "$f"
  bin="$CARGO_TARGET_DIR/lambda/$f/bootstrap"
  is_aarch64_elf "$bin" || { echo "$bin is not an AArch64 ELF executable" >&2; exit 1; }
  sizes+=("$(printf '%-18s %10d %10d %6ds' "$f" "$(stat -c %s "$bin")" "$(zipped_size "$bin")" $((SECONDS - t0)))")
done

# --- sam build: the same builds through SAM's rust-cargolambda workflow ---
step "sam build"
sam build --template-file template.yaml --build-dir tests/.cache/sam-build
for f in "${functions[@]}"; do
  id=$(echo "$f" | sed -E 's/(^|-)([a-z])/\U\2/g')
  built="tests/.cache/sam-build/$id/bootstrap"
  is_aarch64_elf "$built" || { echo "sam build did not produce an AArch64 bootstrap for $id ($built)" >&2; exit 1; }
done

step "done"
echo
printf '%-18s %10s %10s %7s\n' function "bootstrap" "zipped" "build"
printf '%s\n' "${sizes[@]}"
echo "check-stack: passed in $((SECONDS - start))s"
