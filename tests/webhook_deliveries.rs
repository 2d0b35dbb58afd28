//! Webhook replays against a real moto server, through the Lambda's own path
//! (`lambda::handle` → `Function::handle`, `AwsPorts` with the real DynamoDB and CodeBuild
//! clients): a signed delivery acts once; the same body re-sent (with its own or a fresh
//! `X-GitHub-Delivery`) is `200 duplicate delivery` and starts nothing; a delivery that acted at
//! branch-pipelines starts nothing at tag-release's URL, whose store key is the same; a delivery
//! whose action failed is forgotten, so GitHub's redelivery acts, and kept in the function's
//! dead-letter queue (moto SQS) without secrets, as a record the README's replay procedure
//! replays.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use serde_json::{json, Value};
use switchyard_adapters::aws::deliveries::{DynamoDeliveries, KEY_ATTRIBUTE};
use switchyard_adapters::aws::pipeline_jobs::CodePipelineJobs;
use switchyard_adapters::{lambda, AwsExecutor, AwsPorts};
use switchyard_core::deadline::Deadline;
use switchyard_core::deliveries::{Deliveries, DeliveryClaim, Remembered};
use switchyard_core::entry::HandlerError;
use switchyard_core::function::Function;
use switchyard_core::plan::FunctionName;
use switchyard_core::world::DryRunResolve;
use switchyard_core::{branch_pipelines::BranchPipelines, tag_release::TagRelease};
use switchyard_test_support::{create_codebuild_project, moto, repo_root};

/// The sample configuration (`events/switchyard.env`: its secret signs the samples), with this
/// test's table and deployer project.
fn vars(table: &str, deployer: &str) -> HashMap<String, String> {
    let text = std::fs::read_to_string(repo_root().join("events/switchyard.env")).unwrap();
    let mut vars = switchyard_core::config::parse_env_file(&text).unwrap();
    vars.insert("WEBHOOK_DELIVERIES_TABLE".into(), table.into());
    vars.insert("BRANCH_DEPLOYER_PROJECT".into(), deployer.into());
    vars
}

async fn create_table(name: &str) {
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    let key = KeySchemaElement::builder()
        .attribute_name(KEY_ATTRIBUTE)
        .key_type(KeyType::Hash)
        .build()
        .unwrap();
    aws_sdk_dynamodb::Client::new(&moto().sdk().await)
        .create_table()
        .table_name(name)
        .attribute_definitions(attribute(KEY_ATTRIBUTE))
        .key_schema(key)
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
}

/// The keys the table holds.
async fn keys(table: &str) -> Vec<String> {
    let out = aws_sdk_dynamodb::Client::new(&moto().sdk().await)
        .scan()
        .table_name(table)
        .send()
        .await
        .unwrap();
    out.items()
        .iter()
        .filter_map(|item| match item.get(KEY_ATTRIBUTE) {
            Some(AttributeValue::S(key)) => Some(key.clone()),
            _ => None,
        })
        .collect()
}

fn sample(name: &str) -> Value {
    let path = repo_root().join("events").join(name);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// One function as its Lambda runs: configured from `vars`, on AWS ports (moto).
struct Lambda<F> {
    function: Arc<F>,
    ports: Arc<AwsPorts>,
    executor: AwsExecutor,
    jobs: CodePipelineJobs,
}

impl<F: Function> Lambda<F> {
    async fn start(vars: &HashMap<String, String>) -> Self {
        let sdk = moto().sdk().await;
        let function = F::configure(vars, &DryRunResolve).await.unwrap();
        let ports = AwsPorts::for_function(&sdk, &function).await.unwrap();
        Lambda {
            function: Arc::new(function),
            ports: Arc::new(ports),
            jobs: CodePipelineJobs::new(aws_sdk_codepipeline::Client::new(&sdk)),
            executor: AwsExecutor::new(sdk),
        }
    }

    async fn invoke(&self, raw: &Value) -> Result<Value, HandlerError> {
        let deadline = Deadline::new(
            SystemTime::now() + Duration::from_secs(30),
            Duration::from_secs(5),
        );
        lambda::handle(
            self.function.clone(),
            self.ports.clone(),
            &self.executor,
            &self.jobs,
            raw.clone(),
            deadline,
        )
        .await
    }
}

/// The status and reason of a function URL answer.
fn answer(response: &Value) -> (u64, String) {
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    (
        response["statusCode"].as_u64().unwrap(),
        body["reason"].as_str().unwrap().to_owned(),
    )
}

fn builds_of(project: &str) -> usize {
    moto()
        .recorded("StartBuild")
        .iter()
        .filter(|b| b["projectName"] == json!(project))
        .count()
}

#[tokio::test]
async fn a_signed_delivery_acts_once_and_its_repeats_are_duplicates() {
    let (table, deployer) = ("deliveries-once", "deliveries-once-deployer");
    create_table(table).await;
    create_codebuild_project(&moto().sdk().await, deployer).await;
    let branch = Lambda::<BranchPipelines>::start(&vars(table, deployer)).await;
    let delivery = sample("branch-pipelines/github-push-branch-created.json");

    let (status, reason) = answer(&branch.invoke(&delivery).await.unwrap());
    assert_eq!((status, builds_of(deployer)), (202, 1), "{reason}");
    assert_eq!(keys(table).await.len(), 1);

    // GitHub's Redeliver (same id), and a replay with a fresh, unsigned delivery id.
    let mut renamed = delivery.clone();
    renamed["headers"]["x-github-delivery"] = json!("11111111-2222-3333-4444-555555555555");
    for repeat in [&delivery, &renamed] {
        let (status, reason) = answer(&branch.invoke(repeat).await.unwrap());
        assert_eq!(status, 200, "{reason}");
        assert!(reason.starts_with("duplicate delivery"), "{reason}");
        assert!(reason.contains("branch-pipelines"), "{reason}");
    }
    assert_eq!(builds_of(deployer), 1, "a repeat starts nothing");
}

#[tokio::test]
async fn a_delivery_that_acted_at_branch_pipelines_starts_nothing_at_tag_release() {
    let (table, deployer) = ("deliveries-cross", "deliveries-cross-deployer");
    create_table(table).await;
    create_codebuild_project(&moto().sdk().await, deployer).await;
    let vars = vars(table, deployer);
    let branch = Lambda::<BranchPipelines>::start(&vars).await;
    let tag = Lambda::<TagRelease>::start(&vars).await;
    let delivery = sample("branch-pipelines/github-push-branch-created.json");
    assert_eq!(answer(&branch.invoke(&delivery).await.unwrap()).0, 202);
    // Other tests of this binary share moto's recorder and run at the same time: count this
    // test's builds only. No test here starts a pipeline.
    let (pipelines_before, builds_before) = (
        moto().recorded("StartPipelineExecution").len(),
        builds_of(deployer),
    );

    // Both URLs accept the shared secret's signature, but the delivery starts nothing there.
    let (status, reason) = answer(&tag.invoke(&delivery).await.unwrap());
    assert_eq!(status, 200, "{reason}");
    assert_eq!(builds_of(deployer), builds_before);
    assert_eq!(
        moto().recorded("StartPipelineExecution").len(),
        pipelines_before
    );
    // And the key is the stack's, not the function's: had tag-release decided to act on this
    // body, the store would have answered that it already acted at branch-pipelines.
    let stored = keys(table).await;
    assert_eq!(stored.len(), 1);
    let claim = DeliveryClaim {
        table: table.into(),
        key: stored[0].clone(),
        delivery_id: "replayed".into(),
        function: FunctionName::TagRelease.as_str(),
        expires_at: 2_000_000_000,
        failed_queue: None,
    };
    let store = DynamoDeliveries::from_sdk(&moto().sdk().await);
    match store.remember(&claim).await.unwrap() {
        Remembered::Seen { by, .. } => assert_eq!(by.as_deref(), Some("branch-pipelines")),
        Remembered::New => panic!("the key must be shared by both functions"),
    }
}

/// The messages in the queue at `url` (their bodies, as JSON).
async fn received(url: &str) -> Vec<Value> {
    let out = aws_sdk_sqs::Client::new(&moto().sdk().await)
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    out.messages()
        .iter()
        .map(|m| serde_json::from_str(m.body().unwrap()).unwrap())
        .collect()
}

#[tokio::test]
async fn a_delivery_whose_action_failed_is_forgotten_kept_in_the_dead_letter_queue_and_its_replay_acts(
) {
    let (table, deployer) = ("deliveries-failed", "deliveries-failed-deployer");
    create_table(table).await;
    let queue = aws_sdk_sqs::Client::new(&moto().sdk().await)
        .create_queue()
        .queue_name("deliveries-failed-dlq")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_owned();
    let mut vars = vars(table, deployer);
    vars.insert("FAILED_EVENTS_QUEUE_URL".into(), queue.clone());
    let branch = Lambda::<BranchPipelines>::start(&vars).await;
    let mut delivery = sample("branch-pipelines/github-push-branch-created.json");
    // What a proxy in front of the URL might add: never kept.
    delivery["headers"]["authorization"] = json!("Bearer proxy-hunter2-token");
    delivery["headers"]["cookie"] = json!("session=hunter2-cookie");

    // The deployer project does not exist yet: StartBuild fails, and so does the invocation.
    let failed = branch.invoke(&delivery).await.unwrap_err();
    assert!(
        failed.to_string().contains("ResourceNotFoundException"),
        "{failed}"
    );
    assert_eq!(keys(table).await, Vec::<String>::new(), "forgotten");
    let kept = received(&queue).await;
    assert_eq!(kept.len(), 1, "{kept:?}");
    let record = &kept[0];
    assert!(!record.to_string().contains("hunter2"), "{record}");
    assert_eq!(record["requestContext"]["condition"], "WebhookActionFailed");
    assert_eq!(record["requestContext"]["functionName"], "branch-pipelines");
    assert_eq!(record["responsePayload"]["errorType"], "ActionError");
    assert_eq!(record["requestPayload"]["body"], delivery["body"]);

    // The README's replay: the record's requestPayload, invoked again once the cause is fixed.
    create_codebuild_project(&moto().sdk().await, deployer).await;
    let attempts = builds_of(deployer);
    let replay = record["requestPayload"].clone();
    let (status, reason) = answer(&branch.invoke(&replay).await.unwrap());
    assert_eq!(
        (status, builds_of(deployer) - attempts),
        (202, 1),
        "{reason}"
    );
    assert_eq!(keys(table).await.len(), 1);
    assert!(received(&queue).await.is_empty(), "a success keeps nothing");
}

/// A Bitbucket push of several changes: each change that acts is remembered under its own key
/// (`bitbucket/sha256:…#push.changes[i]`), so the whole push re-sent starts nothing again, while
/// the changes that did not act are decided afresh (and still do not act).
#[tokio::test]
async fn each_change_of_a_bitbucket_push_acts_once() {
    let (table, deployer, destroyer) = (
        "deliveries-changes",
        "deliveries-changes-deployer",
        "deliveries-changes-destroyer",
    );
    create_table(table).await;
    let sdk = moto().sdk().await;
    create_codebuild_project(&sdk, deployer).await;
    create_codebuild_project(&sdk, destroyer).await;
    let mut vars = vars(table, deployer);
    vars.insert("BRANCH_DESTROYER_PROJECT".into(), destroyer.into());
    let branch = Lambda::<BranchPipelines>::start(&vars).await;
    let push = sample("branch-pipelines/bitbucket-push-several-changes.json");
    let outcomes = |response: &Value| -> (u64, Vec<String>) {
        let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
        let records = body["records"].as_array().unwrap();
        (
            response["statusCode"].as_u64().unwrap(),
            records
                .iter()
                .map(|r| {
                    format!(
                        "{}: {}",
                        r["outcome"].as_str().unwrap(),
                        r["reason"].as_str().unwrap()
                    )
                })
                .collect(),
        )
    };

    let (status, first) = outcomes(&branch.invoke(&push).await.unwrap());
    assert_eq!(status, 202, "{first:?}");
    assert_eq!(
        (builds_of(deployer), builds_of(destroyer)),
        (1, 1),
        "{first:?}"
    );
    let mut stored = keys(table).await;
    stored.sort();
    assert_eq!(stored.len(), 2, "{stored:?}");
    assert!(stored[0].starts_with("bitbucket/sha256:") && stored[0].ends_with("#push.changes[0]"));
    assert!(stored[1].ends_with("#push.changes[1]"), "{stored:?}");

    let (status, again) = outcomes(&branch.invoke(&push).await.unwrap());
    assert_eq!(
        status, 400,
        "the hostile change is still refused: {again:?}"
    );
    assert!(
        again[0].starts_with("skipped: duplicate delivery"),
        "{again:?}"
    );
    assert!(
        again[1].starts_with("skipped: duplicate delivery"),
        "{again:?}"
    );
    assert!(
        again[3].starts_with("rejected: push.changes[3]"),
        "{again:?}"
    );
    assert_eq!(
        (builds_of(deployer), builds_of(destroyer)),
        (1, 1),
        "a repeat starts nothing"
    );
}
