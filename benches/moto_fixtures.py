#!/usr/bin/env python3
"""Creates in a moto server what the functions' sample events act on, so the cold-start benchmark
measures the real success path: the CodeBuild projects, pipelines and buckets named in the sample
configuration, and the webhook secret in Secrets Manager (read at cold start, as deployed).

usage: moto_fixtures.py ENDPOINT ENV_FILE   (prints the webhook secret's id)
"""
import sys

import boto3

endpoint, env_file = sys.argv[1], sys.argv[2]
env = {}
for line in open(env_file):
    line = line.strip()
    if line and not line.startswith("#") and "=" in line:
        k, v = line.removeprefix("export ").split("=", 1)
        env[k.strip()] = v.strip().strip('"').strip("'")

session = boto3.Session(aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1")
client = lambda service: session.client(service, endpoint_url=endpoint)

# --- branch-pipelines: the deployer and destroyer projects; artifact-release: the project its
# sample upload (apps/payments/…jar, rule "app-jars": build project deploy-{app}) starts ---
codebuild = client("codebuild")
# tag-release: its global qa sample releases through CodeBuild project release-qa (TAG_TARGET_QA).
for name in [env["BRANCH_DEPLOYER_PROJECT"], env["BRANCH_DESTROYER_PROJECT"], "deploy-payments", "release-qa"]:
    codebuild.create_project(
        name=name,
        source={"type": "CODECOMMIT", "location": "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/payments-service"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={"type": "ARM_CONTAINER", "image": "aws/codebuild/amazonlinux-aarch64-standard:3.0",
                     "computeType": "BUILD_GENERAL1_SMALL"},
        serviceRole="arn:aws:iam::123456789012:role/switchyard-bench",
    )

# --- every webhook function: the secret, as GITHUB_WEBHOOK_SECRET_ID names it when deployed ---
secret = client("secretsmanager").create_secret(
    Name="switchyard/github-webhook-secret", SecretString=env["GITHUB_WEBHOOK_SECRET"])
print(secret["ARN"])
