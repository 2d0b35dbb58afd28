//! The stack's security boundaries that live in `template.yaml`, checked on the template itself,
//! and the infrastructure scan (`tests/scan-templates.sh`, checkov) run on changed copies of it:
//! a change that adds an unexplained finding, or drops a skip's reason, fails the scan.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};
use switchyard_test_support::cfn_template::stack_template;
use switchyard_test_support::repo_root;

/// The checkov that tests/run.sh installed (`CHECKOV`), else the one in its venv.
fn checkov() -> PathBuf {
    let path = std::env::var_os("CHECKOV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("tests/.cache/scan-venv/bin/checkov"));
    assert!(
        path.exists(),
        "checkov is not installed at {}: run tests/run.sh (it installs tests/requirements-scan.txt)",
        path.display()
    );
    path
}

/// Runs the scan on `template` (the repository's infra/ beside it).
fn scan(template: &Path) -> (bool, String) {
    let out: Output = Command::new(repo_root().join("tests/scan-templates.sh"))
        .arg(template)
        .env("CHECKOV", checkov())
        .output()
        .expect("tests/scan-templates.sh runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// A copy of template.yaml with `change` applied, in its own file.
fn changed_copy(name: &str, change: impl FnOnce(String) -> String) -> PathBuf {
    let text = std::fs::read_to_string(repo_root().join("template.yaml")).unwrap();
    let changed = change(text.clone());
    assert!(
        changed != text,
        "{name}: the change must change the template"
    );
    let path = std::env::temp_dir().join(format!("switchyard-{name}-{}.yaml", std::process::id()));
    std::fs::write(&path, changed).unwrap();
    path
}

#[test]
fn the_template_scans_clean_with_every_exception_explained() {
    let (passed, report) = scan(&repo_root().join("template.yaml"));
    assert!(passed, "{report}");
    assert!(report.contains(" 0 failed"), "{report}");
}

#[test]
fn a_change_that_adds_an_unexplained_finding_fails_the_scan() {
    // A queue without encryption, and nothing said about it.
    let copy = changed_copy("unexplained-finding", |t| {
        t.replacen(
            "\nOutputs:\n",
            "\n  UnexplainedQueue:\n    Type: AWS::SQS::Queue\n    Properties:\n      SqsManagedSseEnabled: false\n\nOutputs:\n",
            1,
        )
    });
    let (passed, report) = scan(&copy);
    assert!(!passed, "{report}");
    assert!(
        report.contains("unexplained finding: CKV_AWS_27 AWS::SQS::Queue.UnexplainedQueue"),
        "{report}"
    );
}

#[test]
fn a_skip_without_its_reason_fails_the_scan() {
    // The reason of the deliveries table's skip, dropped (the skip stays).
    let copy = changed_copy("skip-without-reason", |t| {
        t.lines()
            .filter(|line| {
                !line
                    .trim_start()
                    .starts_with("comment: \"holds body hashes")
            })
            .map(|line| format!("{line}\n"))
            .collect()
    });
    let (passed, report) = scan(&copy);
    assert!(!passed, "{report}");
    assert!(
        report
            .contains("skip without a reason: CKV_AWS_119 AWS::DynamoDB::Table.WebhookDeliveries"),
        "{report}"
    );
}

#[test]
fn only_the_publisher_writes_the_deployers_infra() {
    let t = stack_template();
    let statements = t["Resources"]["PipelineArtifactBucketPolicy"]["Properties"]["PolicyDocument"]
        ["Statement"]
        .as_array()
        .unwrap();
    let deny = statements
        .iter()
        .find(|s| s["Sid"] == "OnlyThePublisherWritesInfra")
        .expect("the bucket policy guards _switchyard/infra/");
    assert_eq!(deny["Effect"], "Deny");
    assert_eq!(
        deny["Principal"], "*",
        "every principal, whatever its IAM policies"
    );
    assert_eq!(
        deny["Resource"],
        json!({"Fn::Sub": "${PipelineArtifactBucket.Arn}/_switchyard/infra/*"})
    );
    let actions: Vec<&str> = deny["Action"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for write in [
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
        "s3:PutObjectAcl",
    ] {
        assert!(
            actions.contains(&write),
            "{write} is not denied: {actions:?}"
        );
    }
    let except = &deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]["Fn::If"];
    assert_eq!(except[0], "HasInfraPublisher");
    assert_eq!(except[1], json!({"Ref": "InfraPublisherArn"}));
    // Both builds get the digests from the parameter the publish command writes.
    for project in ["BranchDeployer", "BranchDestroyer"] {
        let vars = t["Resources"][project]["Properties"]["Environment"]["EnvironmentVariables"]
            .as_array()
            .unwrap();
        let digests = vars
            .iter()
            .find(|v| v["Name"] == "INFRA_DIGESTS")
            .unwrap_or_else(|| panic!("{project} has no INFRA_DIGESTS"));
        assert_eq!(digests["Type"], "PARAMETER_STORE", "{project}");
        assert_eq!(
            digests["Value"],
            json!({"Ref": "InfraDigests"}),
            "{project}"
        );
    }
}

#[test]
fn dead_letter_queues_holding_job_events_use_the_stacks_key_readable_only_by_named_roles() {
    let t = stack_template();
    for queue in ["HealthGateFailedEvents", "KafkaSyncFailedEvents"] {
        assert_eq!(
            t["Resources"][queue]["Properties"]["KmsMasterKeyId"],
            json!({"Fn::Sub": "alias/${AWS::StackName}-job-events"}),
            "{queue}"
        );
    }
    assert_eq!(
        t["Resources"]["JobEventsKeyAlias"]["Properties"]["AliasName"],
        json!({"Fn::Sub": "alias/${AWS::StackName}-job-events"})
    );
    let key = &t["Resources"]["JobEventsKey"]["Properties"];
    assert_eq!(key["EnableKeyRotation"], true);
    // Every statement that lets a principal decrypt, with who it names.
    let mut decrypters = Vec::new();
    for statement in key["KeyPolicy"]["Statement"].as_array().unwrap() {
        let statement = statement
            .get("Fn::If")
            .map_or(statement, |alternatives| &alternatives[1]);
        let actions = statement["Action"].to_string();
        assert!(
            !actions.contains("kms:*") && !actions.contains("\"kms:Decrypt*\""),
            "no wildcard grant: {statement}"
        );
        if actions.contains("kms:Decrypt") {
            decrypters.push(statement["Principal"].clone());
            assert_eq!(
                statement["Condition"]
                    .as_object()
                    .map(|c| c.contains_key("StringEquals") || c.contains_key("ArnEquals")),
                Some(true),
                "decrypting is bound to SQS or to the bundle rule: {statement}"
            );
        }
    }
    assert_eq!(
        decrypters,
        [
            json!({"AWS": [
                {"Fn::If": ["HealthGateEnabled", {"Fn::GetAtt": ["HealthGateRole", "Arn"]}, {"Ref": "AWS::NoValue"}]},
                {"Fn::If": ["KafkaSyncEnabled", {"Fn::GetAtt": ["KafkaSyncRole", "Arn"]}, {"Ref": "AWS::NoValue"}]},
                // The drift check's schedule, for a failed invocation's dead letter (issue 22).
                {"Fn::If": ["KafkaSyncEnabled", {"Fn::GetAtt": ["KafkaDriftScheduleRole", "Arn"]}, {"Ref": "AWS::NoValue"}]}
            ]}),
            json!({"Service": "events.amazonaws.com"}),
            json!({"AWS": {"Ref": "FailedEventsReaderArns"}}),
        ],
        "the account root administers the key but is not among who may decrypt"
    );
}
