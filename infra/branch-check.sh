#!/usr/bin/env bash
# Asks the branch's git host, just before the deployer or destroyer acts, whether the branch still
# exists (README "Branches reconciled"). Downloaded by both builds in pre_build with its SHA-256
# pinned, and run as `bash infra/branch-check.sh`. Prints one word on stdout:
#   exists   the host has the branch;
#   missing  the host answered that it has no such branch;
#   unasked  no token for this host in the build: the function's confirmation stands.
# Anything else (an error, 401/403, a rate limit, a 5xx, a missing repository) exits non-zero with
# the host's answer on stderr: nothing is done on a guess.
#
# Inputs: SOURCE_PROVIDER, BRANCH_NAME, REPOSITORY (CodeCommit) or FULL_REPOSITORY_ID (the other
# hosts' owner/repo, group/project or workspace/repo path); each host's token as CodeBuild resolves
# it from Secrets Manager (GITHUB_TOKEN, GITHUB_ENTERPRISE_TOKEN, GITLAB_TOKEN,
# GITLAB_SELF_MANAGED_TOKEN, BITBUCKET_TOKEN) and API URL (GITHUB_API_URL, GITHUB_ENTERPRISE_API_URL,
# GITLAB_API_URL, GITLAB_SELF_MANAGED_API_URL, BITBUCKET_API_URL; the public hosts' default).
# The branch name is untrusted: it is only URL-encoded by jq, as data, never evaluated. The token
# reaches curl on stdin (`--config -`), never a command line (`ps`) or the log.
set -euo pipefail

check_dir=$(mktemp -d)
trap 'rm -rf "$check_dir"' EXIT

if [ "$SOURCE_PROVIDER" = codecommit ]; then
  if aws codecommit get-branch --repository-name "$REPOSITORY" --branch-name "$BRANCH_NAME" >/dev/null 2>"$check_dir/err"; then
    echo exists
  elif grep -q BranchDoesNotExistException "$check_dir/err"; then
    echo missing
  else
    cat "$check_dir/err" >&2
    exit 1
  fi
  exit 0
fi

encode() { jq -rn --arg v "$1" '$v|@uri'; }
branch=$(encode "$BRANCH_NAME")
case "$SOURCE_PROVIDER" in
  github) token=${GITHUB_TOKEN:-} api=${GITHUB_API_URL:-https://api.github.com} ;;
  github-enterprise) token=${GITHUB_ENTERPRISE_TOKEN:-} api=${GITHUB_ENTERPRISE_API_URL:-} ;;
  gitlab) token=${GITLAB_TOKEN:-} api=${GITLAB_API_URL:-https://gitlab.com/api/v4} ;;
  gitlab-self-managed) token=${GITLAB_SELF_MANAGED_TOKEN:-} api=${GITLAB_SELF_MANAGED_API_URL:-} ;;
  bitbucket) token=${BITBUCKET_TOKEN:-} api=${BITBUCKET_API_URL:-https://api.bitbucket.org/2.0} ;;
  *) echo "branch-check: invalid SOURCE_PROVIDER" >&2; exit 1 ;;
esac
if [ -z "$token" ]; then
  echo unasked
  exit 0
fi
[[ "$api" =~ ^https?://[A-Za-z0-9.:/_-]+$ ]] || { echo "branch-check: no valid API URL for $SOURCE_PROVIDER" >&2; exit 1; }
# A token is one header value: nothing that could end the curl config line.
[[ "$token" =~ ^[A-Za-z0-9._~+/=:-]+$ ]] || { echo "branch-check: the $SOURCE_PROVIDER token has characters no token has" >&2; exit 1; }
api=${api%/}

case "$SOURCE_PROVIDER" in
  github | github-enterprise)
    owner=${FULL_REPOSITORY_ID%%/*} repo=${FULL_REPOSITORY_ID#*/}
    url="$api/repos/$(encode "$owner")/$(encode "$repo")/branches/$branch"
    # 404 "Branch not found" only: a bare "Not Found" is a repository the token cannot see.
    missing='.message == "Branch not found"' ;;
  gitlab | gitlab-self-managed)
    url="$api/projects/$(encode "$FULL_REPOSITORY_ID")/repository/branches/$branch"
    # "404 Project Not Found" is a project the token cannot see: an error.
    missing='.message == "404 Branch Not Found"' ;;
  bitbucket)
    workspace=${FULL_REPOSITORY_ID%%/*} repo=${FULL_REPOSITORY_ID#*/}
    url="$api/repositories/$(encode "$workspace")/$(encode "$repo")/refs/branches/$branch"
    # Bitbucket's error shape: {"type": "error", "error": {"message": …}}. A 404 about the
    # repository ("You may not have access to this repository…") is a repository the token cannot
    # see: an error, never "missing".
    missing='.type == "error" and ((.error.message // "") | length > 0) and ((.error.message // "") | ascii_downcase | contains("repository") | not)' ;;
esac

status=$(curl --silent --show-error --max-time 30 --output "$check_dir/body" --write-out '%{http_code}' \
  --config - <<<"header = \"Authorization: Bearer $token\"
header = \"Accept: application/json\"
url = \"$url\"") || { echo "branch-check: $SOURCE_PROVIDER did not answer" >&2; exit 1; }
if [ "$status" = 200 ]; then
  echo exists
elif [ "$status" = 404 ] && jq -e "$missing" "$check_dir/body" >/dev/null 2>&1; then
  echo missing
else
  echo "branch-check: $SOURCE_PROVIDER answered $status: $(head -c 500 "$check_dir/body")" >&2
  exit 1
fi
