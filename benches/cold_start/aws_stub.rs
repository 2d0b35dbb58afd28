//! The AWS stub of the cold-start benchmark: the operations moto lacks (see the benchmark's
//! documentation in `benches/cold_start.rs`), answered from canned responses in the real APIs'
//! shapes. One thread accepts, one thread per connection (the SDK keeps connections alive);
//! every request's operation is recorded.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use super::runtime_api::read_request;
use super::unix_now;

/// The operations the stub answers, as it records them.
pub const HEALTH_DESCRIBE_EVENTS: &str = "AWSHealth_20160804.DescribeEvents";
pub const GET_PIPELINE_STATE: &str = "CodePipeline_20150709.GetPipelineState";
pub const LIST_ACTION_EXECUTIONS: &str = "CodePipeline_20150709.ListActionExecutions";
pub const RETRY_STAGE_EXECUTION: &str = "CodePipeline_20150709.RetryStageExecution";
pub const PUT_JOB_SUCCESS_RESULT: &str = "CodePipeline_20150709.PutJobSuccessResult";
pub const PUT_JOB_FAILURE_RESULT: &str = "CodePipeline_20150709.PutJobFailureResult";

/// The failed stage execution of events/stage-retry/stage-failed.json.
pub const PIPELINE: &str = "payments-release";
pub const STAGE: &str = "Deploy";
pub const EXECUTION_ID: &str = "3c1f9e1a-0b6d-4f7e-9d21-6a1b2c3d4e5f";

pub struct AwsStub {
    pub url: String,
    pub calls: Arc<Mutex<Vec<String>>>,
}

impl AwsStub {
    pub fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let url = format!("http://{}", listener.local_addr()?);
        let calls = Arc::new(Mutex::new(Vec::new()));
        let recorded = calls.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let recorded = recorded.clone();
                std::thread::spawn(move || serve_stub_connection(stream, &recorded));
            }
        });
        Ok(AwsStub { url, calls })
    }

    /// The targets called since the last call, in arrival order.
    pub fn take_calls(&self) -> Vec<String> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }
}

pub fn serve_stub_connection(stream: TcpStream, calls: &Mutex<Vec<String>>) {
    let _ = stream.set_nodelay(true);
    // Requests until the client closes the connection (or is killed).
    while let Ok(request) = read_request(&stream) {
        // awsJson1_1 (CodePipeline): `POST /`, the operation in `X-Amz-Target`, JSON both ways.
        // Smithy RPC v2 CBOR (AWS Health, as aws-sdk-health 1.125 speaks it):
        // `POST /service/AWSHealth_20160804/operation/DescribeEvents`, CBOR both ways.
        let cbor = request.header("smithy-protocol") == Some("rpc-v2-cbor");
        let target = if cbor {
            request
                .path
                .strip_prefix("/service/")
                .and_then(|p| p.split_once("/operation/"))
                .map(|(service, operation)| format!("{service}.{operation}"))
        } else {
            request.header("x-amz-target").map(str::to_owned)
        };
        let label = target
            .clone()
            .unwrap_or_else(|| format!("(unknown protocol: {} {})", request.method, request.path));
        // The CBOR input is not decoded: the one CBOR answer (DescribeEvents) does not depend
        // on it.
        let input: Value = if cbor {
            Value::Null
        } else {
            serde_json::from_slice(&request.body).unwrap_or(Value::Null)
        };
        let (status, answer) = stub_answer(target.as_deref().unwrap_or(""), &input, unix_now());
        let count = {
            let mut calls = calls.lock().unwrap();
            calls.push(label);
            calls.len()
        };
        let (content_type, body) = if cbor {
            let mut body = Vec::new();
            ciborium::into_writer(&answer, &mut body).expect("a JSON value encodes as CBOR");
            ("application/cbor\r\nsmithy-protocol: rpc-v2-cbor", body)
        } else {
            (
                "application/x-amz-json-1.1",
                answer.to_string().into_bytes(),
            )
        };
        let head = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\n\
             x-amzn-RequestId: 5f1c9a52-2a43-4a1e-9d0b-{count:012x}\r\n\
             Content-Length: {}\r\n\r\n",
            if status == 200 { "OK" } else { "Bad Request" },
            body.len()
        );
        if (&stream)
            .write_all(&[head.as_bytes(), &body].concat())
            .is_err()
        {
            return;
        }
    }
}

pub fn aws_error(kind: &str, message: String) -> (u16, Value) {
    (400, json!({"__type": kind, "message": message}))
}

/// One action execution of the canned pipeline execution.
pub struct CannedAction {
    pub stage: &'static str,
    pub action: &'static str,
    pub id: &'static str,
    pub category: &'static str,
    pub provider: &'static str,
    /// Started and last changed, in seconds before the call.
    pub started_ago: i64,
    pub changed_ago: i64,
    pub status: &'static str,
}

/// Execution EXECUTION_ID of PIPELINE, in order: its Deploy stage failed 25 s before the call,
/// after one run of each action (no retry made yet).
const CANNED_ACTIONS: &[CannedAction] = &[
    CannedAction {
        stage: "Source",
        action: "Source",
        id: "a1b2c3d4-0001-4000-8000-000000000010",
        category: "Source",
        provider: "CodeCommit",
        started_ago: 14 * 60,
        changed_ago: 13 * 60,
        status: "Succeeded",
    },
    CannedAction {
        stage: "Health",
        action: "HealthGate",
        id: "a1b2c3d4-0001-4000-8000-000000000011",
        category: "Invoke",
        provider: "Lambda",
        started_ago: 12 * 60,
        changed_ago: 11 * 60,
        status: "Succeeded",
    },
    CannedAction {
        stage: STAGE,
        action: "SmokeTest",
        id: "a1b2c3d4-0001-4000-8000-000000000001",
        category: "Test",
        provider: "CodeBuild",
        started_ago: 10 * 60,
        changed_ago: 8 * 60,
        status: "Succeeded",
    },
    CannedAction {
        stage: STAGE,
        action: "DeployEU",
        id: "a1b2c3d4-0001-4000-8000-000000000002",
        category: "Deploy",
        provider: "CloudFormation",
        started_ago: 5 * 60,
        changed_ago: 25,
        status: "Failed",
    },
];

/// `GetPipelineState`: every stage's latest execution is EXECUTION_ID.
pub fn pipeline_state(now: i64) -> Value {
    let mut stages: Vec<&str> = CANNED_ACTIONS.iter().map(|a| a.stage).collect();
    stages.dedup();
    let stage_states: Vec<Value> = stages
        .into_iter()
        .map(|stage| {
            let actions: Vec<&CannedAction> =
                CANNED_ACTIONS.iter().filter(|a| a.stage == stage).collect();
            let failed = actions.iter().any(|a| a.status == "Failed");
            json!({
                "stageName": stage,
                "inboundTransitionState": {"enabled": true},
                "actionStates": actions.iter().map(|a| json!({
                    "actionName": a.action,
                    "latestExecution": {
                        "actionExecutionId": a.id,
                        "status": a.status,
                        "lastStatusChange": now - a.changed_ago
                    }
                })).collect::<Vec<_>>(),
                "latestExecution": {
                    "pipelineExecutionId": EXECUTION_ID,
                    "status": if failed { "Failed" } else { "Succeeded" }
                }
            })
        })
        .collect();
    json!({
        "pipelineName": PIPELINE,
        "pipelineVersion": 4,
        "stageStates": stage_states,
        "created": now - 30 * 86_400,
        "updated": now - 30 * 86_400
    })
}

/// `ListActionExecutions` for EXECUTION_ID: every action execution, newest first.
pub fn action_executions(now: i64) -> Value {
    let mut details: Vec<&CannedAction> = CANNED_ACTIONS.iter().collect();
    details.sort_by_key(|a| a.started_ago);
    let details: Vec<Value> = details
        .into_iter()
        .map(|a| {
            json!({
                "pipelineExecutionId": EXECUTION_ID,
                "actionExecutionId": a.id,
                "pipelineVersion": 4,
                "stageName": a.stage,
                "actionName": a.action,
                "startTime": now - a.started_ago,
                "lastUpdateTime": now - a.changed_ago,
                "status": a.status,
                "input": {
                    "actionTypeId": {
                        "category": a.category,
                        "owner": "AWS",
                        "provider": a.provider,
                        "version": "1"
                    },
                    "region": "eu-west-1"
                }
            })
        })
        .collect();
    json!({ "actionExecutionDetails": details })
}

/// The canned answer to one call, with times relative to `now` (seconds since the epoch): the
/// failed Deploy stage of events/stage-retry/stage-failed.json as GetPipelineState and
/// ListActionExecutions show it right after that event (see [`fresh_stage_event`]), Health
/// clear, and every write accepted.
pub fn stub_answer(target: &str, input: &Value, now: i64) -> (u16, Value) {
    let field = |name: &str| input[name].as_str().unwrap_or_default();
    let known = field("name") == PIPELINE || field("pipelineName") == PIPELINE;
    match target {
        // No open event matches the query (the API filters by status itself).
        HEALTH_DESCRIBE_EVENTS => (200, json!({"events": []})),
        GET_PIPELINE_STATE | LIST_ACTION_EXECUTIONS | RETRY_STAGE_EXECUTION if !known => {
            let name = [field("name"), field("pipelineName")].concat();
            aws_error(
                "PipelineNotFoundException",
                format!("Account '123456789012' does not have a pipeline with name '{name}'"),
            )
        }
        GET_PIPELINE_STATE => (200, pipeline_state(now)),
        LIST_ACTION_EXECUTIONS => (200, action_executions(now)),
        RETRY_STAGE_EXECUTION
            if field("stageName") == STAGE && field("pipelineExecutionId") == EXECUTION_ID =>
        {
            (200, json!({"pipelineExecutionId": EXECUTION_ID}))
        }
        RETRY_STAGE_EXECUTION => aws_error(
            "StageNotRetryableException",
            format!(
                "stage {:?} of execution {:?} is not a failed stage's latest execution",
                field("stageName"),
                field("pipelineExecutionId")
            ),
        ),
        PUT_JOB_SUCCESS_RESULT | PUT_JOB_FAILURE_RESULT => (200, json!({})),
        other => aws_error(
            "UnknownOperationException",
            format!(
                "the cold-start benchmark's AWS stub does not answer {other:?} \
                 (add it to stub_answer in benches/cold_start.rs)"
            ),
        ),
    }
}
