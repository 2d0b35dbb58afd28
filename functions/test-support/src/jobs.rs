//! CodePipeline's own account of its jobs, which moto lacks: `GetJobDetails` answered by an
//! `aws-smithy-mocks` rule on the real SDK client, in the API's wire format, for the jobs a test
//! has issued; any other job id is `JobNotFoundException`, as CodePipeline answers an id it never
//! issued.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_sdk_codepipeline::Client;
use aws_smithy_mocks::{mock, MockResponse, Rule};
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;
use serde_json::{json, Value};
use switchyard_core::metrics::Tally;
use switchyard_core::plan::Decision;

use crate::mocks::aws_json_error;

/// The jobs CodePipeline issued in a test, by id: what `GetJobDetails` returns for each.
#[derive(Clone, Default)]
pub struct JobBook(Arc<Mutex<HashMap<String, Value>>>);

impl JobBook {
    pub fn new() -> Self {
        Self::default()
    }

    /// CodePipeline issued the job of `event` (a job event as it sends it) for a Lambda invoke
    /// action of `pipeline`. Its details are the event's data with the pipeline context added.
    pub fn issue(&self, event: &Value, pipeline: &str) {
        let job = &event["CodePipeline.job"];
        let id = job["id"]
            .as_str()
            .expect("a job event with an id")
            .to_owned();
        let mut data = job["data"].clone();
        data["actionTypeId"] =
            json!({"category": "Invoke", "owner": "AWS", "provider": "Lambda", "version": "1"});
        data["pipelineContext"] = json!({
            "pipelineName": pipeline, "stage": {"name": "Deploy"},
            "action": {"name": "Invoke", "actionExecutionId": "11111111-2222-3333-4444-555555555555"},
            "pipelineExecutionId": "66666666-7777-8888-9999-000000000000"});
        let details =
            json!({"jobDetails": {"id": id, "accountId": job["accountId"], "data": data}});
        self.0.lock().unwrap().insert(id, details);
    }

    /// The `GetJobDetails` rule answering from this book.
    pub fn rule(&self) -> Rule {
        let book = self.clone();
        mock!(Client::get_job_details).then_compute_response(move |req| {
            let issued = book
                .0
                .lock()
                .unwrap()
                .get(req.job_id().unwrap_or(""))
                .cloned();
            let (status, body) = match issued {
                Some(details) => (200, details.to_string()),
                None => (400, aws_json_error("JobNotFoundException").unwrap()),
            };
            MockResponse::Http(Response::new(
                StatusCode::try_from(status).unwrap(),
                SdkBody::from(body),
            ))
        })
    }
}

/// The job runner's `tally` for tests about the runner itself, not a function's metrics.
pub fn no_tally(_: &Decision) -> Tally {
    Tally::default()
}
