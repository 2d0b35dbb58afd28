# Sourced by tests/run.sh and tests/check-stack.sh: `python_tools VENV REQUIREMENTS` installs the
# pinned REQUIREMENTS into the private venv VENV, again only when the pins change (the file's
# SHA-256 is kept in VENV/.requirements.sha256).
python_tools() {
  local venv=$1 requirements=$2 want
  want=$(sha256sum "$requirements" | cut -d' ' -f1)
  if [ ! -x "$venv/bin/python3" ] || [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
    echo "==> installing $requirements into $venv"
    python3 -m venv "$venv"
    "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    echo "$want" > "$venv/.requirements.sha256"
  fi
}
