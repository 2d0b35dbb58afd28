//! Least privilege, proven: each function's policy in `template.yaml` grants exactly the IAM
//! actions its code calls (`switchyard_adapters::iam::actions_for`, composed from every adapter
//! module's `IAM_ACTIONS`): nothing used but not granted, nothing granted but not used, no `*`
//! action, and every resource scoped unless the API only accepts `*` (`RESOURCE_WILDCARD_ONLY`).
//!
//! What this does not see, by design: the grants SAM adds itself — `AWSLambdaBasicExecutionRole`
//! (writing the function's own logs) and `sqs:SendMessage` on the function's own dead-letter
//! queue for its `OnFailure` destination. The Lambda service uses those, not Switchyard's code.
//! To keep everything else visible, a function's `Policies` may only hold inline statements (no
//! SAM policy templates, no managed policies).

use std::collections::BTreeSet;

use serde_json::Value;
use switchyard_adapters::iam::{actions_for, RESOURCE_WILDCARD_ONLY};
use switchyard_core::plan::FunctionName;
use switchyard_test_support::cfn_template::{
    self, alternatives, functions_in_workspace, logical_id, stack_template,
};

/// One `Allow` statement of a function's policy (each `Fn::If` branch counts as deployable).
#[derive(Debug)]
struct Grant {
    actions: Vec<String>,
    resources: Vec<Value>,
}

/// The `Allow` statements of a SAM function's `Policies`, or why they cannot be checked.
fn grants(function: &Value) -> Result<Vec<Grant>, String> {
    let Some(policies) = function["Properties"].get("Policies") else {
        return Ok(vec![]);
    };
    let policies = policies
        .as_array()
        .ok_or("Policies must be a list of inline policies")?;
    let mut grants = Vec::new();
    for (i, policy) in policies.iter().enumerate() {
        let statements = policy
            .as_object()
            .filter(|p| p.len() == 1)
            .and_then(|p| p.get("Statement"))
            .and_then(Value::as_array)
            .ok_or_else(|| {
                format!("Policies[{i}] is not an inline {{Statement: [...]}}: a managed policy or SAM policy template grants actions this test cannot see")
            })?;
        for statement in statements.iter().flat_map(alternatives) {
            if statement.get("NotAction").is_some() || statement.get("NotResource").is_some() {
                return Err(format!(
                    "Policies[{i}]: NotAction / NotResource grant too much"
                ));
            }
            if statement["Effect"] != "Allow" {
                continue;
            }
            let actions = one_or_many(&statement["Action"])
                .into_iter()
                .map(|a| {
                    a.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| format!("Policies[{i}]: Action {a} is not a plain string"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let resources = one_or_many(&statement["Resource"])
                .into_iter()
                .flat_map(alternatives)
                .cloned()
                .collect();
            grants.push(Grant { actions, resources });
        }
    }
    Ok(grants)
}

fn one_or_many(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        Value::Null => vec![],
        other => vec![other],
    }
}

/// The text of a resource with its literal parts only (`${…}` and intrinsics stand for a name).
fn resource_text(resource: &Value) -> String {
    match resource {
        Value::String(s) => s.clone(),
        Value::Object(o) => match o.get("Fn::Sub") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(a)) => a[0].as_str().unwrap_or("").to_owned(),
            _ => "<reference>".to_owned(), // Ref / GetAtt: one named resource
        },
        _ => "<reference>".to_owned(),
    }
}

/// `*`, `…:*`, or `…:<type>/*` (every project, every parameter…); `…:::${Bucket}/*` (the objects
/// of one bucket), `…:secret:${Prefix}*` (secrets by name prefix) and `…:function:${Names}:*`
/// (the versions and aliases of named functions) are scoped.
fn covers_every_resource(text: &str) -> bool {
    if text == "*" {
        return true;
    }
    if let Some(before) = text.strip_suffix(":*") {
        // Scoped only under a named resource: a parameter of the stack, not a pseudo parameter
        // (`${AWS::AccountId}:*` is every resource of the account).
        let named = before.ends_with('}')
            && before
                .rsplit_once("${")
                .is_some_and(|(_, name)| !name.starts_with("AWS::"));
        return !named;
    }
    match text.strip_suffix("/*") {
        Some(before) => {
            let last = before.rsplit([':', '/']).next().unwrap_or("");
            !last.contains("${") && last.chars().all(|c| c.is_ascii_lowercase() || c == '-')
        }
        None => false,
    }
}

/// Every way `grants` differ from what the code declares: empty means least privilege holds.
fn compare(
    function: &str,
    declared: &BTreeSet<&str>,
    grants: &[Grant],
    wildcard_only: &[(&str, &str)],
) -> Vec<String> {
    let wildcard_only: BTreeSet<&str> = wildcard_only.iter().map(|(a, _)| *a).collect();
    let mut problems = Vec::new();
    let granted: BTreeSet<&str> = grants
        .iter()
        .flat_map(|g| g.actions.iter().map(String::as_str))
        .collect();
    for action in declared.difference(&granted) {
        problems.push(format!(
            "{function}: {action} is called by the code but not granted"
        ));
    }
    for action in granted.difference(declared) {
        problems.push(format!(
            "{function}: {action} is granted but the code never calls it"
        ));
    }
    for grant in grants {
        for action in &grant.actions {
            if action.contains('*') {
                problems.push(format!("{function}: wildcard action {action}"));
            }
            let texts: Vec<String> = grant.resources.iter().map(resource_text).collect();
            if texts.is_empty() {
                problems.push(format!("{function}: {action} has no Resource"));
            }
            for text in texts {
                let everything = covers_every_resource(&text);
                if everything && !wildcard_only.contains(action.as_str()) {
                    problems.push(format!(
                        "{function}: {action} is granted on every resource ({text}); the service supports resource-level permissions, scope it"
                    ));
                }
                if !everything && wildcard_only.contains(action.as_str()) {
                    problems.push(format!(
                        "{function}: {action} only works with Resource \"*\" (see RESOURCE_WILDCARD_ONLY), not {text}"
                    ));
                }
            }
        }
    }
    problems
}

#[test]
fn every_function_is_granted_exactly_what_its_code_calls() {
    let template = stack_template();
    let mut problems = Vec::new();
    let mut checked = 0;
    for function in functions_in_workspace() {
        let id = logical_id(function.as_str());
        let Some(resource) = template["Resources"].get(&id) else {
            problems.push(format!("{function}: no {id} function in template.yaml"));
            continue;
        };
        match grants(resource) {
            Ok(grants) => problems.extend(compare(
                function.as_str(),
                &actions_for(function),
                &grants,
                RESOURCE_WILDCARD_ONLY,
            )),
            Err(why) => problems.push(format!("{function}: {why}")),
        }
        checked += 1;
    }
    assert!(checked >= 1, "no function checked");
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn every_wildcard_exception_is_for_an_action_some_function_calls() {
    let called: BTreeSet<&str> = FunctionName::ALL
        .into_iter()
        .flat_map(actions_for)
        .collect();
    for (action, why) in RESOURCE_WILDCARD_ONLY {
        assert!(!why.is_empty(), "{action}: say why");
        assert!(
            called.contains(action),
            "{action}: no function calls it; drop the exception"
        );
    }
}

// --- The comparison itself fails on each kind of drift (what would catch a bad template) ---

fn function_with(statements: &str) -> Value {
    cfn_template::parse(&format!(
        "Type: AWS::Serverless::Function\nProperties:\n  Policies:\n    - Statement:\n{statements}"
    ))
}

const START_BUILD_ON_ONE_PROJECT: &str = "
        - Effect: Allow
          Action: codebuild:StartBuild
          Resource: !GetAtt Deployer.Arn
";

fn problems_of(statements: &str, declared: &[&'static str]) -> Vec<String> {
    let grants = grants(&function_with(statements)).unwrap();
    compare(
        "f",
        &declared.iter().copied().collect(),
        &grants,
        &[("health:DescribeEvents", "no resource-level permissions")],
    )
}

#[test]
fn exact_grant_passes() {
    assert_eq!(
        problems_of(START_BUILD_ON_ONE_PROJECT, &["codebuild:StartBuild"]),
        Vec::<String>::new()
    );
}

#[test]
fn a_missing_action_fails() {
    let problems = problems_of(
        START_BUILD_ON_ONE_PROJECT,
        &["codebuild:StartBuild", "secretsmanager:GetSecretValue"],
    );
    assert_eq!(
        problems,
        ["f: secretsmanager:GetSecretValue is called by the code but not granted"]
    );
}

#[test]
fn an_extra_action_fails() {
    let extra = format!(
        "{START_BUILD_ON_ONE_PROJECT}
        - Effect: Allow
          Action: [codebuild:BatchGetBuilds]
          Resource: !GetAtt Deployer.Arn
"
    );
    assert_eq!(
        problems_of(&extra, &["codebuild:StartBuild"]),
        ["f: codebuild:BatchGetBuilds is granted but the code never calls it"]
    );
}

#[test]
fn an_extra_action_in_a_conditional_statement_fails() {
    let extra = format!(
        "{START_BUILD_ON_ONE_PROJECT}
        - !If
          - SomeCondition
          - Effect: Allow
            Action: s3:GetObject
            Resource: !Sub arn:aws:s3:::${{Bucket}}/key
          - !Ref AWS::NoValue
"
    );
    assert_eq!(
        problems_of(&extra, &["codebuild:StartBuild"]),
        ["f: s3:GetObject is granted but the code never calls it"]
    );
}

#[test]
fn wildcard_actions_and_unscoped_resources_fail() {
    let star_action = "
        - Effect: Allow
          Action: codebuild:*
          Resource: !GetAtt Deployer.Arn
";
    assert!(problems_of(star_action, &[])
        .iter()
        .any(|p| p == "f: wildcard action codebuild:*"));
    for resource in [
        "\"*\"",
        "!Sub arn:${AWS::Partition}:codebuild:${AWS::Region}:${AWS::AccountId}:project/*",
    ] {
        let unscoped = format!(
            "
        - Effect: Allow
          Action: codebuild:StartBuild
          Resource: {resource}
"
        );
        let problems = problems_of(&unscoped, &["codebuild:StartBuild"]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("scope it"), "{problems:?}");
    }
}

#[test]
fn what_counts_as_every_resource() {
    for every in [
        "*",
        "arn:aws:codebuild:r:1:project/*",
        "arn:aws:ssm:r:1:*",
        "arn:aws:s3:::*",
        "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:*",
    ] {
        assert!(covers_every_resource(every), "{every}");
    }
    for scoped in [
        "arn:aws:s3:::${Bucket}/*",
        "arn:aws:codebuild:r:1:project/${Prefix}-*",
        "arn:aws:secretsmanager:r:1:secret:${Prefix}*",
        "arn:aws:lambda:r:1:function:${Names}:*",
        "<reference>",
    ] {
        assert!(!covers_every_resource(scoped), "{scoped}");
    }
}

#[test]
fn wildcard_only_apis_must_use_a_star() {
    let health = |resource: &str| {
        format!(
            "
        - Effect: Allow
          Action: health:DescribeEvents
          Resource: {resource}
"
        )
    };
    assert!(problems_of(&health("\"*\""), &["health:DescribeEvents"]).is_empty());
    assert_eq!(
        problems_of(&health("!GetAtt Thing.Arn"), &["health:DescribeEvents"]).len(),
        1
    );
}

#[test]
fn invisible_grants_are_refused() {
    let template = cfn_template::parse(
        "Type: AWS::Serverless::Function\nProperties:\n  Policies:\n    - SQSSendMessagePolicy:\n        QueueName: q\n",
    );
    assert!(grants(&template).unwrap_err().contains("Policies[0]"));
    let not_action = function_with("        - Effect: Allow\n          NotAction: s3:DeleteObject\n          Resource: \"*\"\n");
    assert!(grants(&not_action).unwrap_err().contains("NotAction"));
}
