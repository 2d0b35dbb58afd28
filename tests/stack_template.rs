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
fn connect_sync_never_runs_twice_at_once() {
    // Kafka Connect has no compare-and-set: concurrent syncs could interleave their writes.
    let template = stack_template();
    if functions_in_workspace().contains(&FunctionName::ConnectSync) {
        assert_eq!(
            template["Resources"]["ConnectSync"]["Properties"]["ReservedConcurrentExecutions"],
            1
        );
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
            "ConnectClusters" => Some(r#"{"main": {"url": "https://connect.internal:8083"}}"#),
            "TagEnvironments" => Some("dev,qa,prod"),
            "TagTeams" => Some("payments,research"),
            "TagTeamRepositories" => Some("payments=payments-service,research=*"),
            "TagAccounts" => Some("dev=111111111111,qa=222222222222,prod=333333333333"),
            "TagTfPrefix" => Some("acme-tfstate"),
            "TagDefaultBranchOnly" => Some("prod"),
            "TagCheckedRepositories" => Some("payments-*"),
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
        environment.extend(SET_BY_LAMBDA.iter().map(|(k, v)| (k.to_string(), v.to_string())));
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
