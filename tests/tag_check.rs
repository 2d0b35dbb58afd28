//! `switchyard tag check <TAG>`: the same grammar and derivations as the `tag-release` Lambda,
//! configured from `--env-file` (the sample configuration here) or the environment.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::{json, Value};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn check(tag: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_switchyard"));
    cmd.current_dir(repo_root())
        .args(["tag", "check", "--env-file", "events/switchyard.env", tag]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn a_release_tag_prints_its_parsed_and_derived_values() {
    let out = check("prod_global/payments/v2.4.0", &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["tag"], "prod_global/payments/v2.4.0");
    assert_eq!(v["canonical_tag"], "prod_global/payments/2.4.0");
    assert_eq!(v["environment"], "prod");
    assert_eq!(v["scope"], "global");
    assert_eq!(v["team"], "payments");
    assert_eq!(v["version"], "2.4.0");
    assert_eq!(v["region"], "us-east-1");
    assert_eq!(v["target_account"], "333333333333");
    assert_eq!(v["tf_state_bucket"], "acme-tfstate-prod");
    assert_eq!(v["tf_lock_table"], "acme-tfstate-lock-prod");
    assert_eq!(v["tf_state_key"], "payments/prod-global/terraform.tfstate");
    assert_eq!(
        v["target"],
        json!({"kind": "pipeline", "name": "release-prod", "source_action": "Source"})
    );
    assert_eq!(
        v["variables"]["TF_STATE_KEY"],
        "payments/prod-global/terraform.tfstate"
    );
    assert_eq!(v["variables"].as_object().unwrap().len(), 10);
}

#[test]
fn a_wrong_tag_prints_the_reason_and_exits_1() {
    let cases = [
        (
            "prd_eu-west-1/payments/2.4.0",
            "unknown environment \"prd\"; expected one of dev, qa, prod",
        ),
        (
            "devops_us-east-1/payments/2.4.0",
            "unknown environment \"devops\"",
        ),
        ("dev_eu-west-1/payments", "missing version"),
        // Valid semver, but git refuses a ref ending in ".lock".
        (
            "dev_eu-west-1/payments/1.0.0-rc.lock",
            "not a valid git tag name",
        ),
    ];
    for (tag, reason) in cases {
        let out = check(tag, &[]);
        assert_eq!(out.status.code(), Some(1), "{tag}");
        assert!(out.stdout.is_empty(), "{tag}: nothing on stdout");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(reason), "{tag}: {stderr}");
    }
}

#[test]
fn configuration_errors_name_the_variable_and_exit_2() {
    let out = check("dev_eu-west-1/payments/2.4.0", &[]);
    assert!(out.status.success());
    // The env file wins over the process environment, so break a variable it does not set.
    let out = check(
        "dev_eu-west-1/payments/2.4.0",
        &[("TAG_TARGET_NAME_DEV", "release {env}")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("TAG_TARGET_NAME_DEV"));
}
