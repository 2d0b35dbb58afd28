#!/usr/bin/env bash
# Switchyard's test command (the README's second quick-start command): every test, with the real
# peers they talk to. Safe to run repeatedly; the first run installs the Python test tools into
# tests/.cache/venv.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# --- Python tools (moto_server, cfn-lint) in a private venv, reinstalled when pins change ---
venv=tests/.cache/venv
stamp=$venv/.requirements.sha256
want=$(sha256sum tests/requirements.txt | cut -d' ' -f1)
if [ ! -x "$venv/bin/python3" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "==> installing test tools into $venv"
  python3 -m venv "$venv"
  "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
  echo "$want" > "$stamp"
fi
export PATH="$root/$venv/bin:$PATH"

# --- Templates ---
echo "==> cfn-lint infra/"
cfn-lint infra/*.yaml

# --- Rust: unit, property and integration tests (moto is started by the test harness) ---
echo "==> cargo test"
cargo test --workspace --locked
