//! The stack's shape, checked on `template.yaml` itself: every function is built as an arm64
//! `provided.al2023` cargo-lambda binary with JSON logs and an on/off condition; every failure
//! path ends in a dead-letter queue that is alarmed on and named in the outputs; and each
//! function's environment is exactly what its configuration reads (`from_vars` accepts it, and
//! reads every variable the template sets).

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use serde_json::Value;
use switchyard_core::config::{ConfigError, Vars};
use switchyard_core::function::Resolve;
use switchyard_core::metrics::{Count, Split, TargetKind};
use switchyard_core::plan::FunctionName;
use switchyard_core::registry::configure_bound;
use switchyard_core::secret::Secret;
use switchyard_core::world::DryRunPorts;
use switchyard_test_support::cfn_template::{
    alternatives, functions_in_workspace, logical_id, resources_of_type, stack_template,
};

/// A function's property, from the function or else from `Globals.Function`.
fn property<'a>(template: &'a Value, function: &'a Value, name: &str) -> &'a Value {
    match function["Properties"].get(name) {
        Some(v) => v,
        None => &template["Globals"]["Function"][name],
    }
}

fn get_att(resource: &str, attribute: &str) -> Value {
    serde_json::json!({"Fn::GetAtt": [resource, attribute]})
}

#[test]
fn every_function_is_an_arm64_cargo_lambda_binary_with_json_logs() {
    let template = stack_template();
    for function in functions_in_workspace() {
        let id = logical_id(function.as_str());
        let f = &template["Resources"][&id];
        assert_eq!(f["Type"], "AWS::Serverless::Function", "{id}");
        assert_eq!(f["Metadata"]["BuildMethod"], "rust-cargolambda", "{id}");
        assert_eq!(
            f["Metadata"]["BuildProperties"]["Binary"],
            function.as_str(),
            "{id}"
        );
        assert_eq!(
            f["Properties"]["CodeUri"],
            format!("functions/{function}"),
            "{id}"
        );
        assert_eq!(property(&template, f, "Runtime"), "provided.al2023", "{id}");
        assert_eq!(
            property(&template, f, "Architectures"),
            &serde_json::json!(["arm64"]),
            "{id}"
        );
        assert_eq!(property(&template, f, "Handler"), "bootstrap", "{id}");
        assert_eq!(
            f["Properties"]["LoggingConfig"]["LogFormat"], "JSON",
            "{id}"
        );
        let condition = f["Condition"]
            .as_str()
            .unwrap_or_else(|| panic!("{id}: no Condition"));
        assert!(
            template["Conditions"].get(condition).is_some(),
            "{id}: condition {condition}"
        );
    }
}

#[test]
fn every_failure_ends_in_an_alarmed_dead_letter_queue() {
    let template = stack_template();
    let mut queues_used = BTreeSet::new();
    for function in functions_in_workspace() {
        let id = logical_id(function.as_str());
        let f = &template["Resources"][&id]["Properties"];
        let queue = format!("{id}FailedEvents");
        assert_eq!(
            template["Resources"][&queue]["Type"], "AWS::SQS::Queue",
            "{id}: its dead-letter queue {queue}"
        );
        // Asynchronous invocations: bounded retries, then the function's queue.
        let async_config = f
            .get("EventInvokeConfig")
            .unwrap_or(&template["Globals"]["Function"]["EventInvokeConfig"]);
        let on_failure = &f["EventInvokeConfig"]["DestinationConfig"]["OnFailure"];
        assert_eq!(on_failure["Type"], "SQS", "{id}: OnFailure destination");
        assert_eq!(on_failure["Destination"], get_att(&queue, "Arn"), "{id}");
        let globals = &template["Globals"]["Function"]["EventInvokeConfig"];
        for bound in ["MaximumRetryAttempts", "MaximumEventAgeInSeconds"] {
            assert!(
                async_config.get(bound).or(globals.get(bound)).is_some(),
                "{id}: EventInvokeConfig.{bound}"
            );
        }
        queues_used.insert(queue.clone());
        // Every EventBridge target: a retry policy and the same dead-letter queue.
        for (event_id, event) in f["Events"].as_object().into_iter().flatten() {
            let kind = event["Type"].as_str().unwrap();
            if matches!(kind, "EventBridgeRule" | "Schedule" | "CloudWatchEvent") {
                let p = &event["Properties"];
                assert!(
                    p["RetryPolicy"]["MaximumRetryAttempts"].is_u64()
                        && p["RetryPolicy"]["MaximumEventAgeInSeconds"].is_u64(),
                    "{id}.{event_id}: RetryPolicy with both bounds"
                );
                assert_eq!(
                    p["DeadLetterConfig"]["Arn"],
                    get_att(&queue, "Arn"),
                    "{id}.{event_id}: DeadLetterConfig"
                );
                let policy_allows_rule = resources_of_type(&template, "AWS::SQS::QueuePolicy")
                    .values()
                    .any(|policy| {
                        policy["Properties"]["Queues"]
                            .as_array()
                            .is_some_and(|q| q.contains(&serde_json::json!({"Ref": queue})))
                            && policy.to_string().contains(&format!("\"{id}{event_id}\""))
                    });
                assert!(
                    policy_allows_rule,
                    "{id}.{event_id}: a queue policy lets rule {id}{event_id} send to {queue}"
                );
            } else if kind == "ScheduleV2" {
                // EventBridge Scheduler: bounded retries, then the same queue (Scheduler writes
                // to it with the schedule's own role, which SAM grants sqs:SendMessage on it).
                let p = &event["Properties"];
                assert!(
                    p["RetryPolicy"]["MaximumRetryAttempts"].is_u64()
                        && p["RetryPolicy"]["MaximumEventAgeInSeconds"].is_u64(),
                    "{id}.{event_id}: RetryPolicy with both bounds"
                );
                assert_eq!(
                    p["DeadLetterConfig"]["Arn"],
                    get_att(&queue, "Arn"),
                    "{id}.{event_id}: DeadLetterConfig"
                );
            } else {
                panic!("{id}.{event_id}: event type {kind} has no dead-letter check here");
            }
        }
    }
    // Every queue in the stack: alarmed on its depth, and named in the outputs.
    let alarms = resources_of_type(&template, "AWS::CloudWatch::Alarm");
    let outputs = template["Outputs"].to_string();
    for queue in resources_of_type(&template, "AWS::SQS::Queue").keys() {
        let alarmed = alarms.values().any(|a| {
            let p = &a["Properties"];
            p["Namespace"] == "AWS/SQS"
                && p["MetricName"] == "ApproximateNumberOfMessagesVisible"
                && p["Dimensions"][0]["Value"] == get_att(queue, "QueueName")
        });
        assert!(alarmed, "{queue}: no depth alarm");
        assert!(
            outputs.contains(&get_att(queue, "QueueName").to_string()),
            "{queue}: not in Outputs"
        );
    }
    assert!(!queues_used.is_empty());
}

#[test]
fn kafka_sync_never_runs_twice_at_once() {
    // Kafka Connect has no compare-and-set: concurrent syncs could interleave their writes.
    let template = stack_template();
    if functions_in_workspace().contains(&FunctionName::KafkaSync) {
        assert_eq!(
            template["Resources"]["KafkaSync"]["Properties"]["ReservedConcurrentExecutions"],
            1
        );
    }
}

/// Evaluates the list-valued intrinsics the MSK IAM grants use (`Ref` of a list parameter,
/// `Fn::Join`, `Fn::Split`), as CloudFormation would for `parameters`.
fn evaluate_list(value: &Value, parameters: &HashMap<&str, Vec<&str>>) -> Vec<String> {
    let text = |v: &Value| -> String {
        match v {
            Value::String(s) => s.clone(),
            other => {
                let items = evaluate_list(other, parameters);
                assert_eq!(items.len(), 1, "{other} is a list, not a string");
                items.into_iter().next().unwrap()
            }
        }
    };
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Object(o) if o.contains_key("Ref") => parameters[o["Ref"].as_str().unwrap()]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        Value::Object(o) if o.contains_key("Fn::Split") => {
            let args = &o["Fn::Split"];
            text(&args[1])
                .split(args[0].as_str().unwrap())
                .map(str::to_owned)
                .collect()
        }
        Value::Object(o) if o.contains_key("Fn::Join") => {
            let args = &o["Fn::Join"];
            let parts: Vec<String> = match &args[1] {
                Value::Array(items) => items.iter().map(text).collect(),
                list => evaluate_list(list, parameters),
            };
            vec![parts.join(args[0].as_str().unwrap())]
        }
        other => panic!("cannot evaluate {other}"),
    }
}

#[test]
fn msk_iam_grants_the_login_on_the_clusters_and_topic_actions_on_their_topics_only() {
    let template = stack_template();
    let statements = template["Resources"]["KafkaSync"]["Properties"]["Policies"][0]["Statement"]
        .as_array()
        .unwrap();
    let granted = |sid: &str| {
        statements
            .iter()
            .flat_map(alternatives)
            .find(|s| s["Sid"] == sid)
            .unwrap_or_else(|| panic!("no statement {sid}"))
    };
    let clusters = [
        "arn:aws:kafka:eu-west-1:123456789012:cluster/main/0b4c1d2e-1111-2222-3333-444455556666-7",
        "arn:aws:kafka:eu-west-1:123456789012:cluster/audit/9f8e7d6c-aaaa-bbbb-cccc-ddddeeeeffff-2",
    ];
    let parameters = HashMap::from([("KafkaMskClusterArns", clusters.to_vec())]);
    assert_eq!(
        evaluate_list(&granted("MskIamLogin")["Resource"], &parameters),
        clusters
    );
    assert_eq!(granted("MskIamLogin")["Action"], "kafka-cluster:Connect");
    assert_eq!(
        evaluate_list(&granted("MskIamTopics")["Resource"], &parameters),
        [
            "arn:aws:kafka:eu-west-1:123456789012:topic/main/0b4c1d2e-1111-2222-3333-444455556666-7/*",
            "arn:aws:kafka:eu-west-1:123456789012:topic/audit/9f8e7d6c-aaaa-bbbb-cccc-ddddeeeeffff-2/*",
        ],
        "each cluster's own topics, nothing else"
    );
    // One cluster: the same expression, one ARN.
    let one = HashMap::from([("KafkaMskClusterArns", clusters[..1].to_vec())]);
    assert_eq!(
        evaluate_list(&granted("MskIamTopics")["Resource"], &one),
        ["arn:aws:kafka:eu-west-1:123456789012:topic/main/0b4c1d2e-1111-2222-3333-444455556666-7/*"]
    );
    // Granted only when ARNs are given (the condition), and the pattern refuses anything else.
    let pattern = template["Parameters"]["KafkaMskClusterArns"]["AllowedPattern"]
        .as_str()
        .unwrap();
    assert!(pattern.starts_with("^$|") && pattern.contains(":cluster/"));
    for statement in statements.iter().filter(|s| s.get("Fn::If").is_some()) {
        let sid = alternatives(statement)[0]["Sid"]
            .as_str()
            .unwrap_or_default();
        if sid.starts_with("MskIam") {
            assert_eq!(statement["Fn::If"][0], "KafkaMskIam", "{sid}");
        }
    }
}

#[test]
fn every_function_url_is_a_webhook_with_an_output() {
    let template = stack_template();
    let outputs = template["Outputs"].to_string();
    for (id, url) in resources_of_type(&template, "AWS::Lambda::Url") {
        assert_eq!(
            url["Properties"]["AuthType"], "NONE",
            "{id}: HMAC is checked in code"
        );
        let target = &url["Properties"]["TargetFunctionArn"]["Fn::GetAtt"][0];
        assert!(
            ["BranchPipelines", "TagRelease"].contains(&target.as_str().unwrap()),
            "{id}: only the GitHub webhook receivers have a URL"
        );
        assert!(
            outputs.contains(&get_att(id, "FunctionUrl").to_string()),
            "{id}: output"
        );
    }
}

// --- Trust boundaries (issue 18) ---

/// Every EventBridge rule that triggers a function matches only this account's events: a rule
/// without `account` also matches what other accounts put on an organization bus.
#[test]
fn every_event_rule_matches_only_this_account() {
    let template = stack_template();
    let mut patterns: Vec<(String, &Value)> = Vec::new();
    for (id, f) in resources_of_type(&template, "AWS::Serverless::Function") {
        for (name, event) in f["Properties"]["Events"].as_object().into_iter().flatten() {
            match event["Type"].as_str() {
                Some("EventBridgeRule") => {
                    patterns.push((format!("{id}.{name}"), &event["Properties"]["Pattern"]))
                }
                // A schedule's events come from EventBridge Scheduler itself, not from a bus.
                Some("Schedule" | "ScheduleV2") => {}
                other => panic!("{id}.{name}: event type {other:?}: check its source account"),
            }
        }
    }
    for (id, rule) in resources_of_type(&template, "AWS::Events::Rule") {
        patterns.push((id.to_owned(), &rule["Properties"]["EventPattern"]));
    }
    assert!(patterns.len() >= 5, "{patterns:?}");
    for (id, pattern) in patterns {
        assert_eq!(
            pattern["account"],
            serde_json::json!([{"Ref": "AWS::AccountId"}]),
            "{id}: the pattern must match only the stack's own account"
        );
    }
}

/// What a Condition's value evaluates to for a stack name and NamePrefix (only the functions
/// StackNameInsideBranchGrants uses).
fn evaluate(value: &Value, stack: &str, prefix: &str) -> Value {
    let eval = |v: &Value| evaluate(v, stack, prefix);
    let text = |v: &Value| eval(v).as_str().expect("a string").to_owned();
    let Some((function, args)) = value.as_object().and_then(|o| o.iter().next()) else {
        return value.clone();
    };
    match function.as_str() {
        "Fn::Or" => Value::Bool(args.as_array().unwrap().iter().any(|c| eval(c) == true)),
        "Fn::Equals" => Value::Bool(eval(&args[0]) == eval(&args[1])),
        "Fn::Join" => {
            let parts: Vec<String> = args[1].as_array().unwrap().iter().map(text).collect();
            Value::from(parts.join(args[0].as_str().unwrap()))
        }
        "Fn::Select" => {
            let index = args[0].as_u64().unwrap() as usize;
            eval(&args[1])[index].clone()
        }
        "Fn::Split" => Value::from(
            text(&args[1])
                .split(args[0].as_str().unwrap())
                .collect::<Vec<_>>(),
        ),
        "Fn::Sub" => Value::from(args.as_str().unwrap().replace("${AWS::StackName}", stack)),
        "Ref" => {
            assert_eq!(args, "NamePrefix");
            Value::from(prefix)
        }
        other => panic!("{other}: not used by the condition"),
    }
}

/// A stack named `<NamePrefix>-…` (or `<NamePrefix>`) would fall inside the branch roles'
/// `<NamePrefix>-*` grants: the template refuses it (StackNameGuard).
#[test]
fn a_stack_named_inside_the_branch_grants_is_refused() {
    let template = stack_template();
    let condition = &template["Conditions"]["StackNameInsideBranchGrants"];
    let cases = [
        ("sy-main", "sy", true),
        ("sy", "sy", true),
        ("sy-", "sy", true),
        ("a-b-c-d-e-f-switchyard", "a-b-c", true),
        ("a-b-c-d-e-f", "a-b-c-d-e-f", true),
        ("sy--x", "sy-", true),
        ("a-b-c", "a-b", true),
        ("switchyard", "sy", false),
        ("sy2-main", "sy", false),
        ("a-bc", "a-b", false),
        ("main-sy", "sy", false),
        ("SY-main", "sy", false),
        ("s", "sy", false),
    ];
    for (stack, prefix, inside) in cases {
        assert_eq!(
            evaluate(condition, stack, prefix),
            Value::Bool(inside),
            "stack {stack}, NamePrefix {prefix}"
        );
    }
    let guard = &template["Resources"]["StackNameGuard"];
    assert_eq!(guard["Condition"], "StackNameInsideBranchGrants");
    assert_eq!(guard["Type"], "AWS::SSM::Parameter");
    // A value that can never match its own pattern: the resource fails, the stack rolls back.
    assert_eq!(guard["Properties"]["AllowedPattern"], "^$");
    assert!(guard["Properties"]["Value"]["Fn::Sub"]
        .as_str()
        .unwrap()
        .starts_with("Refused"));
}

/// The functions behind public URLs have a reserved concurrency: a flood of unsigned requests
/// cannot take the account's shared concurrency from the other functions.
#[test]
fn every_function_behind_a_url_has_a_reserved_concurrency() {
    let template = stack_template();
    assert_eq!(
        template["Parameters"]["WebhookReservedConcurrency"]["Default"],
        10
    );
    let urls = resources_of_type(&template, "AWS::Lambda::Url");
    assert_eq!(urls.len(), 2);
    for url in urls.values() {
        let target = url["Properties"]["TargetFunctionArn"]["Fn::GetAtt"][0]
            .as_str()
            .unwrap();
        let reserved = &template["Resources"][target]["Properties"]["ReservedConcurrentExecutions"];
        assert_eq!(
            alternatives(reserved),
            [&serde_json::json!({"Ref": "WebhookReservedConcurrency"})],
            "{target}"
        );
        // Reserved exactly when the URL exists (the function exists when it is enabled).
        assert_eq!(reserved["Fn::If"][0], "Webhooks", "{target}");
    }
}

/// Webhook deliveries are remembered in a table the stack owns: the key and TTL attribute the
/// adapter writes, on-demand, encrypted, recoverable; each webhook function names it and may only
/// put and delete its items.
#[test]
fn webhook_deliveries_are_remembered_in_the_stacks_own_table() {
    use switchyard_adapters::aws::deliveries::{IAM_ACTIONS, KEY_ATTRIBUTE, TTL_ATTRIBUTE};
    let template = stack_template();
    let table = &template["Resources"]["WebhookDeliveries"];
    assert_eq!(table["Type"], "AWS::DynamoDB::Table");
    // Any host's webhooks (GitHub, GitHub Enterprise Server, GitLab, Bitbucket) need it.
    assert_eq!(table["Condition"], "Webhooks");
    let p = &table["Properties"];
    assert_eq!(p["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(
        p["KeySchema"],
        serde_json::json!([{"AttributeName": KEY_ATTRIBUTE, "KeyType": "HASH"}])
    );
    assert_eq!(
        p["TimeToLiveSpecification"],
        serde_json::json!({"AttributeName": TTL_ATTRIBUTE, "Enabled": true})
    );
    assert_eq!(p["SSESpecification"]["SSEEnabled"], true);
    assert_eq!(
        p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        true
    );
    for id in ["BranchPipelines", "TagRelease"] {
        let f = &template["Resources"][id]["Properties"];
        assert_eq!(
            alternatives(&f["Environment"]["Variables"]["WEBHOOK_DELIVERIES_TABLE"])[0],
            &serde_json::json!({"Ref": "WebhookDeliveries"}),
            "{id}"
        );
        let grants: Vec<&Value> = f["Policies"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| {
                p["Statement"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .flat_map(alternatives)
            })
            .filter(|s| s.to_string().contains("dynamodb:"))
            .collect();
        assert_eq!(grants.len(), 1, "{id}: {grants:?}");
        assert_eq!(grants[0]["Action"], serde_json::json!(IAM_ACTIONS), "{id}");
        assert_eq!(
            grants[0]["Resource"],
            get_att("WebhookDeliveries", "Arn"),
            "{id}: that table only"
        );
    }
}

// --- Environment: what the template sets is what the configuration reads ---

/// Stand-in values for the template's references, as a deployed stack would resolve them.
struct Resolver<'a> {
    template: &'a Value,
}

impl Resolver<'_> {
    /// Parameters a deployment must give (no default, or a default the function refuses), as a
    /// user would give them.
    fn sample_parameter(name: &str) -> Option<&'static str> {
        match name {
            "Repositories" => Some("payments-service,acme/payments-service"),
            "ArtifactRules" => Some(
                "rules: [{name: apps, bucket: acme-artifacts, key: 'apps/{app}/{version}.jar', build: {project: deploy-app}}]",
            ),
            "KafkaClusters" => Some(r#"{"main": {"url": "https://connect.internal:8083"}}"#),
            "TagEnvironments" => Some("dev,qa,prod"),
            "TagTeams" => Some("payments,research"),
            "TagTeamRepositories" => Some("payments=payments-service,research=*"),
            "TagAccounts" => Some("dev=111111111111,qa=222222222222,prod=333333333333"),
            "TagTfPrefix" => Some("acme-tfstate"),
            "TagDefaultBranchOnly" => Some("prod"),
            "TagCheckedRepositories" => Some("payments-*"),
            "BranchCodeCommitRepositories" => Some("payments-*"),
            "BranchSweepRepositories" => Some("codecommit:payments-service,github:acme/payments-service"),
            "BranchTtlDays" => Some("30"),
            "StageRetryPipelines" => Some("payments-release:Deploy,ledger-release"),
            "StageRetryPipelineIamNames" => Some("*-release"),
            "StageRetryRegions" => Some("eu-west-1,us-east-1"),
            "StageRetryServices" => Some("EC2,RDS"),
            _ => None,
        }
    }

    fn reference(&self, name: &str) -> String {
        match name {
            "AWS::StackName" => return "switchyard".into(),
            "AWS::Region" => return "eu-west-1".into(),
            "AWS::AccountId" => return "123456789012".into(),
            "AWS::Partition" => return "aws".into(),
            _ => {}
        }
        if let Some(parameter) = self.template["Parameters"].get(name) {
            if let Some(sample) = Self::sample_parameter(name) {
                return sample.into();
            }
            return match &parameter["Default"] {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Null => panic!("parameter {name} has no default: add a sample"),
                other => panic!("parameter {name}: default {other}"),
            };
        }
        assert!(
            self.template["Resources"].get(name).is_some(),
            "!Ref {name}: no such parameter or resource"
        );
        // A physical name: valid for every service these names go to (CodeBuild, SQS…).
        format!("switchyard-{name}")
    }

    fn resolve(&self, value: &Value) -> String {
        match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Object(o) if o.contains_key("Ref") => self.reference(o["Ref"].as_str().unwrap()),
            Value::Object(o) if o.contains_key("Fn::GetAtt") => {
                let resource = o["Fn::GetAtt"][0].as_str().unwrap();
                format!("arn:aws:service:eu-west-1:123456789012:{resource}")
            }
            Value::Object(o) if o.contains_key("Fn::Join") => {
                let args = &o["Fn::Join"];
                let parts = match &args[1] {
                    Value::Array(items) => items.iter().map(|i| self.resolve(i)).collect(),
                    list => vec![self.resolve(list)],
                };
                parts.join(args[0].as_str().unwrap())
            }
            Value::Object(o) if o.contains_key("Fn::If") => {
                // Conditions as a fully enabled stack has them: the first branch.
                alternatives(value)
                    .first()
                    .map(|v| self.resolve(v))
                    .unwrap_or_default()
            }
            Value::Object(o) if o.contains_key("Fn::Sub") => {
                let mut text = o["Fn::Sub"]
                    .as_str()
                    .expect("one-argument Fn::Sub")
                    .to_owned();
                while let Some(start) = text.find("${") {
                    let end = start + text[start..].find('}').unwrap();
                    let name = &text[start + 2..end];
                    let value = match name.split_once('.') {
                        Some((resource, attribute)) => self.resolve(&get_att(resource, attribute)),
                        None => self.reference(name),
                    };
                    text.replace_range(start..=end, &value);
                }
                text
            }
            other => panic!("cannot resolve {other} in an environment variable"),
        }
    }
}

/// Variables from the template, recording which ones the configuration asks for.
struct RecordingVars {
    values: HashMap<String, String>,
    read: Mutex<BTreeSet<String>>,
}

impl Vars for RecordingVars {
    fn var(&self, name: &str) -> Option<String> {
        self.read.lock().unwrap().insert(name.to_owned());
        self.values.get(name).cloned()
    }
}

/// What the template's secret and parameter names point at, as a deployed stack would find it.
struct DeployedStack;

impl Resolve for DeployedStack {
    async fn secret(&self, _: &str, _: &str, _: &str) -> Result<Secret, ConfigError> {
        Ok(Secret::new("a-webhook-secret-of-at-least-32-bytes"))
    }

    async fn parameter(&self, _: &str, _: &str, _: &str) -> Result<String, ConfigError> {
        Ok(
            "rules:\n  - {name: r, bucket: acme-artifacts, key: 'a/{v}', build: {project: p}}\n"
                .into(),
        )
    }
}

/// Everything a function's binary reads from its environment at cold start: what
/// `switchyard_adapters::lambda::run` reads for every function, then the function's own
/// configuration, through the same registry.
fn read_configuration(function: FunctionName, vars: &RecordingVars) -> Result<(), ConfigError> {
    switchyard_core::deadline::margin_from_vars(vars)?;
    let ports = Arc::new(DryRunPorts::from_world(&Value::Null).unwrap());
    let configured = std::pin::pin!(configure_bound(function, vars, &DeployedStack, &ports));
    match configured.poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(result) => result.map(drop),
        Poll::Pending => panic!("configuring from the template awaited something"),
    }
}

/// Read by the logging setup (tracing's EnvFilter), not by a `from_vars`.
const READ_OUTSIDE_CONFIG: &[&str] = &["RUST_LOG"];

/// Set by Lambda itself in every function's environment, not by the template.
const SET_BY_LAMBDA: &[(&str, &str)] = &[("AWS_REGION", "eu-west-1")];

#[test]
fn every_function_environment_is_what_its_configuration_reads() {
    let template = stack_template();
    let resolver = Resolver {
        template: &template,
    };
    for function in functions_in_workspace() {
        let id = logical_id(function.as_str());
        let f = &template["Resources"][&id];
        let mut values: HashMap<String, String> = HashMap::new();
        for source in [
            &template["Globals"]["Function"]["Environment"]["Variables"],
            &f["Properties"]["Environment"]["Variables"],
        ] {
            for (name, value) in source.as_object().into_iter().flatten() {
                values.insert(name.clone(), resolver.resolve(value));
            }
        }
        let mut environment = values.clone();
        environment.extend(
            SET_BY_LAMBDA
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        let vars = RecordingVars {
            values: environment,
            read: Mutex::new(BTreeSet::new()),
        };
        if let Err(e) = read_configuration(function, &vars) {
            panic!("{id}: the template's environment is rejected: {e}");
        }
        let read = vars.read.into_inner().unwrap();
        for name in values.keys() {
            assert!(
                read.contains(name) || READ_OUTSIDE_CONFIG.contains(&name.as_str()),
                "{id}: the template sets {name}, which the function never reads"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The dashboard and the decision alarms (issue 21).

/// The dashboard body as CloudFormation renders it when exactly the functions in `enabled` are:
/// `Fn::Join` and `Fn::If` (on the `<Function>Enabled` conditions) evaluated, `Fn::Sub`'s
/// `${…}` replaced by `ref:<name>` / `att:<resource>.<attribute>` (pseudo parameters by
/// `pseudo:<name>`), so the test can tell what each place points at.
fn render_dashboard(template: &Value, enabled: &[FunctionName]) -> String {
    fn render(value: &Value, enabled: &[String]) -> String {
        if let Some(text) = value.as_str() {
            return text.to_owned();
        }
        let (function, args) = value.as_object().unwrap().iter().next().unwrap();
        match function.as_str() {
            "Fn::Join" => {
                let parts: Vec<String> = args[1]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| render(p, enabled))
                    .collect();
                parts.join(args[0].as_str().unwrap())
            }
            "Fn::If" => {
                let condition = args[0].as_str().unwrap();
                let chosen = if enabled.iter().any(|c| c == condition) {
                    &args[1]
                } else {
                    &args[2]
                };
                render(chosen, enabled)
            }
            "Fn::Sub" => {
                let mut text = args.as_str().unwrap().to_owned();
                while let Some(start) = text.find("${") {
                    let end = start + text[start..].find('}').unwrap();
                    let name = &text[start + 2..end];
                    let replaced = if let Some(pseudo) = name.strip_prefix("AWS::") {
                        format!("pseudo:{pseudo}")
                    } else if name.contains('.') {
                        format!("att:{name}")
                    } else {
                        format!("ref:{name}")
                    };
                    text.replace_range(start..=end, &replaced);
                }
                text
            }
            other => panic!("{other} in the dashboard body"),
        }
    }
    let conditions: Vec<String> = enabled
        .iter()
        .map(|f| format!("{}Enabled", logical_id(f.as_str())))
        .collect();
    let dashboard = &template["Resources"]["Dashboard"];
    assert_eq!(dashboard["Type"], "AWS::CloudWatch::Dashboard");
    assert!(
        dashboard.get("Condition").is_none(),
        "the dashboard is always there"
    );
    render(&dashboard["Properties"]["DashboardBody"], &conditions)
}

/// The function a `ref:<Id>` / `att:<Id>…FailedEvents.QueueName` / log group names.
fn function_of_reference(text: &str) -> Option<FunctionName> {
    FunctionName::ALL.into_iter().find(|f| {
        let id = logical_id(f.as_str());
        text == format!("ref:{id}")
            || text == format!("att:{id}FailedEvents.QueueName")
            || text.contains(&format!("/switchyard/pseudo:StackName/{f}'"))
    })
}

#[test]
fn the_dashboard_shows_what_the_enabled_functions_emit_and_nothing_else() {
    let template = stack_template();
    let all: Vec<FunctionName> = FunctionName::ALL.to_vec();
    let mut choices = vec![all.clone(), vec![]];
    for off in &all {
        choices.push(all.iter().copied().filter(|f| f != off).collect());
    }
    for enabled in choices {
        let body = render_dashboard(&template, &enabled);
        let body: Value = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("dashboard body with {enabled:?}: not JSON: {e}\n{body}"));
        let widgets = body["widgets"].as_array().expect("widgets");
        let mut shown: std::collections::HashSet<(FunctionName, &str)> = Default::default();
        let mut targets_shown: std::collections::HashSet<TargetKind> = Default::default();
        for widget in widgets {
            let p = &widget["properties"];
            match widget["type"].as_str().unwrap() {
                "text" => {}
                "log" => {
                    let query = p["query"].as_str().unwrap();
                    let f = function_of_reference(query)
                        .unwrap_or_else(|| panic!("log widget of no function: {query}"));
                    assert!(enabled.contains(&f), "{f} is off: {query}");
                }
                "metric" => {
                    for metric in p["metrics"].as_array().unwrap() {
                        let m = metric.as_array().unwrap();
                        let (namespace, name) = (m[0].as_str().unwrap(), m[1].as_str().unwrap());
                        let dims: HashMap<&str, &str> = m[2..]
                            .chunks(2)
                            .filter_map(|kv| Some((kv[0].as_str()?, kv.get(1)?.as_str()?)))
                            .collect();
                        let f = match namespace {
                            "Switchyard" => {
                                let f = FunctionName::ALL
                                    .into_iter()
                                    .find(|f| f.as_str() == dims["function"])
                                    .unwrap_or_else(|| panic!("function {:?}", dims["function"]));
                                assert!(
                                    switchyard_core::metrics::metric_names(f).contains(&name),
                                    "{f} does not emit {name}"
                                );
                                if let Some(outcome) = dims.get("outcome") {
                                    assert!(
                                        switchyard_core::metrics::Reported::ALL
                                            .iter()
                                            .any(|r| r.as_str() == *outcome),
                                        "outcome {outcome}"
                                    );
                                }
                                if let Some(target) = dims.get(Split::TARGET) {
                                    let kind = TargetKind::ALL
                                        .into_iter()
                                        .find(|t| t.as_str() == *target)
                                        .unwrap_or_else(|| panic!("target {target}"));
                                    assert!(
                                        Count::ALL.iter().any(|c| c.name() == name
                                            && c.split_key() == Some(Split::TARGET)),
                                        "{name} is not split by target"
                                    );
                                    targets_shown.insert(kind);
                                }
                                shown.insert((f, name));
                                f
                            }
                            "AWS/Lambda" => function_of_reference(dims["FunctionName"])
                                .unwrap_or_else(|| panic!("{metric}: no function")),
                            "AWS/SQS" => function_of_reference(dims["QueueName"])
                                .unwrap_or_else(|| panic!("{metric}: no queue")),
                            other => panic!("namespace {other}"),
                        };
                        assert!(enabled.contains(&f), "{f} is off: {metric}");
                    }
                }
                other => panic!("widget type {other}"),
            }
        }
        // Every metric an enabled function emits is on its row.
        for f in &enabled {
            for name in switchyard_core::metrics::metric_names(*f) {
                assert!(shown.contains(&(*f, name)), "{f}: {name} is not shown");
            }
        }
        // Artifacts deployed are shown per kind of target as well.
        if enabled.contains(&FunctionName::ArtifactRelease) {
            for kind in TargetKind::ALL {
                assert!(
                    targets_shown.contains(&kind),
                    "target {kind:?} is not shown"
                );
            }
        }
    }
}

#[test]
fn every_alarm_notifies_and_decision_alarms_watch_emitted_metrics() {
    let template = stack_template();
    let alarms = resources_of_type(&template, "AWS::CloudWatch::Alarm");
    assert!(!alarms.is_empty());
    for (id, alarm) in &alarms {
        let actions = &alarm["Properties"]["AlarmActions"];
        let topics: Vec<&Value> = alternatives(actions);
        assert!(
            !topics.is_empty()
                && topics
                    .iter()
                    .all(|t| t == &&serde_json::json!([{"Ref": "AlarmTopicArn"}])),
            "{id}: AlarmActions {actions}"
        );
    }
    // Per enabled function: an alarm on any failed action, one on rejections above the parameter.
    for f in FunctionName::ALL {
        let logical = logical_id(f.as_str());
        for (suffix, outcome) in [
            ("FailedDecisionsAlarm", "failed"),
            ("RejectionsAlarm", "rejected"),
        ] {
            let id = format!("{logical}{suffix}");
            let alarm = alarms
                .get(id.as_str())
                .unwrap_or_else(|| panic!("{id} is missing"));
            assert_eq!(alarm["Condition"], format!("{logical}Enabled"), "{id}");
            let p = &alarm["Properties"];
            assert_eq!(p["Namespace"], switchyard_core::metrics::NAMESPACE, "{id}");
            assert_eq!(p["MetricName"], switchyard_core::metrics::DECISIONS, "{id}");
            assert_eq!(
                p["Dimensions"],
                serde_json::json!([{"Name": "function", "Value": f.as_str()}, {"Name": "outcome", "Value": outcome}]),
                "{id}"
            );
            assert_eq!(p["Statistic"], "Sum", "{id}");
            assert_eq!(p["ComparisonOperator"], "GreaterThanThreshold", "{id}");
            let threshold = if outcome == "failed" {
                serde_json::json!(0)
            } else {
                serde_json::json!({"Ref": "RejectionAlarmThreshold"})
            };
            assert_eq!(p["Threshold"], threshold, "{id}");
        }
    }
    assert_eq!(
        template["Parameters"]["RejectionAlarmThreshold"]["Type"],
        "Number"
    );
}

// ------------------------------------------------------------------------------------------
// Branch roles (issue 14): each branch's roles reach only that branch; the deployer creates
// roles only inside the boundary; the boundary itself cannot write IAM or Switchyard's bucket.
// ------------------------------------------------------------------------------------------

fn branch_pipeline_template() -> Value {
    let path = switchyard_test_support::repo_root().join("infra/branch-pipeline.yaml");
    switchyard_test_support::cfn_template::parse(&std::fs::read_to_string(path).unwrap())
}

/// Every statement of a role's inline policies (each `Fn::If` branch counts).
fn statements(role: &Value) -> Vec<&Value> {
    role["Properties"]["Policies"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["PolicyDocument"]["Statement"].as_array().unwrap())
        .flat_map(alternatives)
        .collect()
}

fn list(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    }
}

/// The text of a resource or condition value, `Fn::Sub` strings and `Fn::GetAtt` / `Ref` alike.
fn text(value: &Value) -> String {
    value
        .get("Fn::Sub")
        .map_or_else(|| value.to_string(), Value::to_string)
}

#[test]
fn each_branch_role_reaches_only_its_own_branch() {
    let template = branch_pipeline_template();
    let resources = &template["Resources"];
    for id in ["BuildRole", "DeployRole"] {
        let role = &resources[id];
        assert_eq!(
            role["Properties"]["PermissionsBoundary"],
            serde_json::json!({"Ref": "PermissionsBoundaryArn"}),
            "{id} is created inside the boundary"
        );
        assert!(
            text(&role["Properties"]["RoleName"]).contains("${EnvironmentStackPrefix}"),
            "{id}: named under the branch's prefix"
        );
    }
    let build = statements(&resources["BuildRole"]);
    assert!(!build.is_empty());
    for statement in build.iter().filter(|s| s["Effect"] == "Allow") {
        let actions: Vec<String> = list(&statement["Action"])
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect();
        for resource in list(&statement["Resource"]) {
            let r = text(resource);
            assert_ne!(r, "\"*\"", "{actions:?}: no Resource *");
            if actions.iter().any(|a| a.starts_with("s3:")) {
                assert!(
                    r.contains("${ArtifactBucket}/${ArtifactPrefix}/*"),
                    "S3 only in the branch's folder: {r}"
                );
            } else if actions.iter().any(|a| a.starts_with("logs:")) {
                assert_eq!(
                    resource,
                    &get_att("BuildLogs", "Arn"),
                    "logs only in the branch's group"
                );
            } else if actions.iter().any(|a| a.starts_with("cloudformation:")) {
                assert!(
                    r.contains("stack/${EnvironmentStackPrefix}*/*"),
                    "stacks only under the branch's prefix: {r}"
                );
                let writes = actions.iter().any(|a| {
                    !a.starts_with("cloudformation:Describe") && a != "cloudformation:GetTemplate"
                });
                let condition = statement["Condition"].to_string();
                assert!(
                    !writes
                        || (condition.contains("switchyard:branch-id")
                            && condition.contains("BranchId")),
                    "{actions:?}: changes only to stacks tagged with the branch's id: {condition}"
                );
            } else if actions == ["iam:PassRole"] {
                assert_eq!(
                    resource,
                    &get_att("DeployRole", "Arn"),
                    "passes only its own role"
                );
            } else {
                panic!("unexpected grant {actions:?} on {r}");
            }
        }
    }
    // Never its own pipeline stack (it carries the branch's id too).
    assert!(build.iter().any(
        |s| s["Effect"] == "Deny" && s["Condition"].to_string().contains("switchyard:pipeline")
    ));
    let logs = &resources["BuildLogs"]["Properties"]["LogGroupName"];
    assert!(text(logs).contains("/aws/codebuild/${BuildProjectName}"));
}

#[test]
fn the_deployer_creates_roles_only_inside_the_boundary_and_the_prefix() {
    let template = stack_template();
    let role = &template["Resources"]["BranchStackRole"];
    let boundary_writes = [
        "iam:CreateRole",
        "iam:PutRolePolicy",
        "iam:AttachRolePolicy",
        "iam:DetachRolePolicy",
        "iam:DeleteRolePolicy",
        "iam:PutRolePermissionsBoundary",
    ];
    let mut seen = BTreeSet::new();
    for statement in statements(role)
        .into_iter()
        .filter(|s| s["Effect"] == "Allow")
    {
        for action in list(&statement["Action"]) {
            let action = action.as_str().unwrap();
            assert!(action != "iam:*" && action != "*", "{action}");
            if boundary_writes.contains(&action) {
                seen.insert(action);
                assert_eq!(
                    text(&statement["Resource"]),
                    "\"arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${NamePrefix}-*\"",
                    "{action}: only under the prefix"
                );
                let condition = &statement["Condition"]["StringEquals"]["iam:PermissionsBoundary"];
                assert!(
                    condition.to_string().contains("BranchBoundary")
                        && condition
                            .to_string()
                            .contains("BranchPermissionsBoundaryArn"),
                    "{action}: only with the boundary: {condition}"
                );
            }
        }
    }
    assert_eq!(seen.len(), boundary_writes.len(), "{seen:?}");
    assert!(statements(role)
        .iter()
        .any(|s| s["Effect"] == "Deny" && s["Action"] == "iam:DeleteRolePermissionsBoundary"));
}

#[test]
fn the_boundary_has_no_iam_or_switchyard_bucket_write() {
    let template = stack_template();
    let boundary = &template["Resources"]["BranchBoundary"]["Properties"]["PolicyDocument"];
    let bucket = "PipelineArtifactBucket";
    for statement in boundary["Statement"].as_array().unwrap() {
        assert_eq!(statement["Effect"], "Allow");
        let resources: Vec<String> = list(&statement["Resource"]).into_iter().map(text).collect();
        for action in list(&statement["Action"]) {
            let action = action.as_str().unwrap();
            assert!(
                !["*", "iam:*"].contains(&action),
                "{action}: a whole service in the boundary"
            );
            if action.starts_with("iam:") {
                assert_eq!(
                    action, "iam:PassRole",
                    "no IAM write but passing a branch's roles"
                );
                assert!(
                    resources.iter().all(|r| r.contains("role/${NamePrefix}-*")),
                    "{resources:?}"
                );
                assert!(statement["Condition"]
                    .to_string()
                    .contains("cloudformation.amazonaws.com"));
            }
            if action.starts_with("s3:") {
                for r in &resources {
                    let in_bucket = r.contains(bucket);
                    assert!(
                        !in_bucket
                            || r.contains("${!aws:PrincipalTag/switchyard:artifact-folder}/*"),
                        "{action} on Switchyard's bucket outside the role's own folder: {r}"
                    );
                    assert!(
                        in_bucket || r.contains(":s3:::${NamePrefix}-*"),
                        "{action} on {r}"
                    );
                }
            }
        }
    }
    let deployer = &template["Resources"]["BranchDeployer"]["Properties"]["Environment"]
        ["EnvironmentVariables"];
    assert!(deployer
        .to_string()
        .contains("BRANCH_PERMISSIONS_BOUNDARY_ARN"));
}

/// One secret per git host: each webhook function is told each host's secret id, and may read
/// exactly the configured ones.
#[test]
fn each_git_host_has_its_own_webhook_secret() {
    let template = stack_template();
    let hosts = [
        (
            "GITHUB_WEBHOOK_SECRET_ID",
            "GitHubWebhookSecretArn",
            "GitHubWebhooks",
        ),
        (
            "GITHUB_ENTERPRISE_WEBHOOK_SECRET_ID",
            "GitHubEnterpriseWebhookSecretArn",
            "GitHubEnterpriseWebhooks",
        ),
        (
            "GITLAB_WEBHOOK_SECRET_ID",
            "GitLabWebhookSecretArn",
            "GitLabWebhooks",
        ),
        (
            "BITBUCKET_WEBHOOK_SECRET_ID",
            "BitbucketWebhookSecretArn",
            "BitbucketWebhooks",
        ),
    ];
    for id in ["BranchPipelines", "TagRelease"] {
        let f = &template["Resources"][id]["Properties"];
        let statements = f["Policies"][0]["Statement"].as_array().unwrap();
        let read = statements
            .iter()
            .find(|s| s["Fn::If"][1]["Sid"] == "ReadWebhookSecret")
            .unwrap_or_else(|| panic!("{id} has no ReadWebhookSecret statement"));
        assert_eq!(read["Fn::If"][0], "Webhooks", "{id}");
        let resources = read["Fn::If"][1]["Resource"].as_array().unwrap();
        assert_eq!(resources.len(), hosts.len(), "{id}");
        for ((var, parameter, condition), resource) in hosts.iter().zip(resources) {
            assert_eq!(
                f["Environment"]["Variables"][var],
                serde_json::json!({"Ref": parameter}),
                "{id}: {var}"
            );
            assert_eq!(
                resource,
                &serde_json::json!({"Fn::If": [condition, {"Ref": parameter}, {"Ref": "AWS::NoValue"}]}),
                "{id}"
            );
        }
    }
}

/// The deployer and destroyer re-check a branch with its host's token (infra/branch-check.sh):
/// each project gets each host's token as a SECRETS_MANAGER variable only when that host's
/// secret is set, and the API URLs; their role may read exactly those secrets, each only when
/// set, and no other.
#[test]
fn the_branch_builds_get_each_configured_hosts_token_and_may_read_only_those() {
    let template = stack_template();
    let resources = &template["Resources"];
    let hosts = [
        ("GITHUB_TOKEN", "GitHubTokenSecretArn", "HasGitHubToken"),
        (
            "GITHUB_ENTERPRISE_TOKEN",
            "GitHubEnterpriseTokenSecretArn",
            "HasGitHubEnterpriseToken",
        ),
        ("GITLAB_TOKEN", "GitLabTokenSecretArn", "HasGitLabToken"),
        (
            "GITLAB_SELF_MANAGED_TOKEN",
            "GitLabSelfManagedTokenSecretArn",
            "HasGitLabSelfManagedToken",
        ),
        (
            "BITBUCKET_TOKEN",
            "BitbucketTokenSecretArn",
            "HasBitbucketToken",
        ),
    ];
    let script =
        std::fs::read_to_string(switchyard_test_support::repo_root().join("infra/branch-check.sh"))
            .unwrap();
    for (variable, parameter, condition) in hosts {
        assert_eq!(
            template["Conditions"][condition],
            serde_json::json!({"Fn::Not": [{"Fn::Equals": [{"Ref": parameter}, ""]}]}),
            "{condition}"
        );
        assert!(
            script.contains(&format!("${{{variable}:-}}")),
            "infra/branch-check.sh reads {variable}"
        );
        for project in ["BranchDeployer", "BranchDestroyer"] {
            let vars = resources[project]["Properties"]["Environment"]["EnvironmentVariables"]
                .as_array()
                .unwrap();
            let want = serde_json::json!({"Fn::If": [condition,
                {"Name": variable, "Type": "SECRETS_MANAGER", "Value": {"Ref": parameter}},
                {"Ref": "AWS::NoValue"}]});
            assert!(
                vars.contains(&want),
                "{project}: {variable} from {parameter}"
            );
            for url in ["GITHUB_ENTERPRISE_API_URL", "GITLAB_SELF_MANAGED_API_URL"] {
                assert!(vars.iter().any(|v| v["Name"] == url), "{project}: {url}");
            }
        }
    }
    let reads: Vec<&Value> = statements(&resources["BranchStackRole"])
        .into_iter()
        .filter(|s| s.to_string().contains("secretsmanager:"))
        .collect();
    let [read] = reads.as_slice() else {
        panic!("one statement reads secrets: {reads:?}")
    };
    assert_eq!(read["Action"], "secretsmanager:GetSecretValue");
    let want: Vec<Value> = hosts
        .iter()
        .map(|(_, parameter, condition)| {
            serde_json::json!({"Fn::If": [condition, {"Ref": parameter}, {"Ref": "AWS::NoValue"}]})
        })
        .collect();
    assert_eq!(
        read["Resource"],
        Value::Array(want),
        "exactly the hosts' token secrets"
    );
    let statement = resources["BranchStackRole"]["Properties"]["Policies"][0]["PolicyDocument"]
        ["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s.to_string().contains("ReadHostTokens"))
        .unwrap();
    assert_eq!(
        statement["Fn::If"][0], "HasHostTokens",
        "no grant without a token"
    );
    assert_eq!(
        template["Conditions"]["HasHostTokens"],
        serde_json::json!({"Fn::Or": [{"Condition": "HasGitHubToken"}, {"Condition": "HasOtherHostTokens"}]})
    );
}

/// Issue 22: kafka-sync's state store, drift schedule and drift alarm. The table is the stack's
/// own (the key the adapter writes, on-demand, encrypted, recoverable), the function names it
/// and may only get and put its items; the schedule sends the drift event the function
/// recognises, off by default; the alarm fires on drift in two consecutive checks.
#[test]
fn kafka_drift_checks_have_their_store_schedule_and_alarm() {
    use switchyard_adapters::aws::kafka_state::{IAM_ACTIONS, KEY_ATTRIBUTE};
    let template = stack_template();
    let table = &template["Resources"]["KafkaState"];
    assert_eq!(table["Type"], "AWS::DynamoDB::Table");
    assert_eq!(table["Condition"], "KafkaSyncEnabled");
    let p = &table["Properties"];
    assert_eq!(p["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(
        p["KeySchema"],
        serde_json::json!([{"AttributeName": KEY_ATTRIBUTE, "KeyType": "HASH"}])
    );
    assert_eq!(p["SSESpecification"]["SSEEnabled"], true);
    assert_eq!(
        p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        true
    );
    let f = &template["Resources"]["KafkaSync"]["Properties"];
    assert_eq!(
        f["Environment"]["Variables"]["KAFKA_STATE_TABLE"],
        serde_json::json!({"Ref": "KafkaState"})
    );
    let grants: Vec<&Value> = f["Policies"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| {
            p["Statement"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(alternatives)
        })
        .filter(|s| s.to_string().contains("dynamodb:"))
        .collect();
    assert_eq!(grants.len(), 1, "{grants:?}");
    assert_eq!(grants[0]["Action"], serde_json::json!(IAM_ACTIONS));
    assert_eq!(grants[0]["Resource"], get_att("KafkaState", "Arn"));

    assert_eq!(
        template["Parameters"]["KafkaDriftCheckMinutes"]["Default"],
        "0"
    );
    let schedule = &f["Events"]["DriftCheck"];
    assert_eq!(schedule["Type"], "ScheduleV2");
    let s = &schedule["Properties"];
    assert_eq!(
        s["State"],
        serde_json::json!({"Fn::If": ["KafkaDriftChecks", "ENABLED", "DISABLED"]})
    );
    let input: Value = serde_json::from_str(s["Input"].as_str().unwrap()).unwrap();
    assert!(switchyard_core::kafka_sync::reconcile::scheduled::is_drift_event(&input));
    assert_eq!(
        switchyard_core::route::function_for(&input),
        Some(FunctionName::KafkaSync)
    );
    assert_eq!(s["RoleArn"], get_att("KafkaDriftScheduleRole", "Arn"));

    let alarm = &template["Resources"]["KafkaDriftAlarm"];
    assert_eq!(alarm["Condition"], "KafkaDriftChecks");
    let a = &alarm["Properties"];
    assert_eq!(
        (&a["Namespace"], &a["MetricName"]),
        (&Value::from("Switchyard"), &Value::from("KafkaDrift"))
    );
    assert!(
        switchyard_core::metrics::metric_names(FunctionName::KafkaSync).contains(&"KafkaDrift")
    );
    assert_eq!(
        (&a["EvaluationPeriods"], &a["DatapointsToAlarm"]),
        (&Value::from(2), &Value::from(2))
    );
    assert_eq!(a["ComparisonOperator"], "GreaterThanThreshold");
    assert_eq!(a["Threshold"], 0);
    // The period is the check's rate, for every rate the parameter allows.
    let periods = &template["Mappings"]["DriftCheckPeriods"];
    for minutes in template["Parameters"]["KafkaDriftCheckMinutes"]["AllowedValues"]
        .as_array()
        .unwrap()
    {
        let m: u64 = minutes.as_str().unwrap().parse().unwrap();
        assert_eq!(
            periods[minutes.as_str().unwrap()]["Seconds"],
            m.max(1) * 60,
            "{minutes}"
        );
    }
}
