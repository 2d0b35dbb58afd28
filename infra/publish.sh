#!/usr/bin/env bash
# Publishes infra/ for the deployer and destroyer, in one step: uploads every file under infra/ to
# the pipeline artifact bucket's _switchyard/infra/ folder and records their SHA-256 digests in the
# stack's InfraDigests parameter, which both builds read as INFRA_DIGESTS and check every file
# they download against. Run it after every deploy (the stack's PublishInfraCommand output prints
# it with both names filled in), as the principal named by the stack's InfraPublisherArn: the
# bucket policy denies writes to _switchyard/infra/ to everyone else.
#
#   infra/publish.sh <pipeline artifact bucket> <InfraDigests parameter name>
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: infra/publish.sh <pipeline artifact bucket> <InfraDigests parameter name>" >&2; exit 2; }
bucket=$1 parameter=$2
cd "$(dirname "$0")"

mapfile -t files < <(find . -type f ! -name publish.sh -printf '%P\n' | LC_ALL=C sort)
for file in "${files[@]}"; do
  aws s3 cp --only-show-errors "$file" "s3://$bucket/_switchyard/infra/$file"
done
# Recorded after the upload: a build that starts in between refuses (a mismatch), never runs a
# half-published infra/.
digests=$(sha256sum "${files[@]}")
aws ssm put-parameter --name "$parameter" --type String --overwrite --value "$digests" >/dev/null
printf 'published %d files to s3://%s/_switchyard/infra/ and their digests to %s:\n%s\n' \
  "${#files[@]}" "$bucket" "$parameter" "$digests"
