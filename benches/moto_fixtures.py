#!/usr/bin/env python3
"""Creates in a moto server what the functions' sample events act on, so the cold-start benchmark
measures the real success path: the CodeBuild projects, pipelines and buckets named in the sample
configuration, the webhook secret in Secrets Manager (read at cold start, as deployed) and, with
--connect-event, kafka-sync's desired-state bundle.

usage: moto_fixtures.py ENDPOINT ENV_FILE [--connect-event SAMPLE OUT]

Prints the webhook secret's id. With --connect-event, zips benches/fixtures/connect-bundle/ and
uploads it to the versioned bucket and key that the S3 notification SAMPLE names, and writes to OUT
that sample with the version id, size and ETag moto returned (kafka-sync reads exactly that
object version).
"""
import argparse
import copy
import io
import json
import zipfile
from pathlib import Path

import boto3

BUNDLE_DIR = Path(__file__).resolve().parent / "fixtures" / "connect-bundle"


def read_env(path):
    env = {}
    for line in open(path):
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, v = line.removeprefix("export ").split("=", 1)
            env[k.strip()] = v.strip().strip('"').strip("'")
    return env


def bundle_zip():
    """The desired-state folder as a zip, with fixed timestamps (the same bytes on every run)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(BUNDLE_DIR.rglob("*")):
            name = path.relative_to(BUNDLE_DIR).as_posix() + ("/" if path.is_dir() else "")
            info = zipfile.ZipInfo(name, date_time=(2026, 11, 23, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, b"" if path.is_dir() else path.read_bytes())
    return buffer.getvalue()


def upload_bundle(s3, sample_path, out_path):
    """Uploads the bundle where the sample S3 notification says, and writes the sample with the
    object version moto created."""
    sample = json.loads(Path(sample_path).read_text())
    record = sample["Records"][0]["s3"]
    bucket, key = record["bucket"]["name"], record["object"]["key"]
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    body = bundle_zip()
    put = s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/zip")
    event = copy.deepcopy(sample)
    event["Records"][0]["s3"]["object"].update(
        {"versionId": put["VersionId"], "size": len(body), "eTag": put["ETag"].strip('"')})
    Path(out_path).write_text(json.dumps(event, indent=2) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("endpoint")
    parser.add_argument("env_file")
    parser.add_argument("--connect-event", nargs=2, metavar=("SAMPLE", "OUT"))
    args = parser.parse_args()
    env = read_env(args.env_file)

    session = boto3.Session(aws_access_key_id="bench", aws_secret_access_key="bench",
                            region_name="us-east-1")

    def client(service):
        return session.client(service, endpoint_url=args.endpoint)

    # --- branch-pipelines: the deployer and destroyer projects; artifact-release: the project its
    # sample upload (apps/payments/…jar, rule "app-jars": build project deploy-{app}) starts;
    # tag-release: its global qa sample releases through CodeBuild project release-qa
    # (TAG_TARGET_QA) ---
    codebuild = client("codebuild")
    repository = "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/payments-service"
    for name in [env["BRANCH_DEPLOYER_PROJECT"], env["BRANCH_DESTROYER_PROJECT"], "deploy-payments",
                 "release-qa"]:
        codebuild.create_project(
            name=name,
            source={"type": "CODECOMMIT", "location": repository},
            artifacts={"type": "NO_ARTIFACTS"},
            environment={"type": "ARM_CONTAINER",
                         "image": "aws/codebuild/amazonlinux-aarch64-standard:3.0",
                         "computeType": "BUILD_GENERAL1_SMALL"},
            serviceRole="arn:aws:iam::123456789012:role/switchyard-bench",
        )

    # --- kafka-sync: the desired-state bundle its S3 notification sample points at ---
    if args.connect_event:
        upload_bundle(client("s3"), *args.connect_event)

    # --- every webhook function: the secret, as GITHUB_WEBHOOK_SECRET_ID names it when deployed ---
    secret = client("secretsmanager").create_secret(
        Name="switchyard/github-webhook-secret", SecretString=env["GITHUB_WEBHOOK_SECRET"])
    print(secret["ARN"])


if __name__ == "__main__":
    main()
