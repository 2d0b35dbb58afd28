//! AWS Health: `DescribeEvents` for the open events a query selects, through every page (up to
//! [`super::pages::MAX_PAGES`]), on the active Health endpoint with failover.
//!
//! The Health API is served from one active region at a time: us-east-1 normally, us-east-2 when
//! AWS fails over (AWS publishes the active one through the DNS name `global.health.amazonaws.com`,
//! whose CNAME points at the active regional endpoint). Clients are therefore pinned to us-east-1
//! and us-east-2 whatever region the function runs in; the first is asked first, and the second
//! only when the first does not answer (connection failure, timeout, or a 5xx after the SDK's
//! retries). An endpoint that *answers* — even with an error — is believed: asking the passive
//! endpoint in that case could return stale data.

use std::time::Duration;

use aws_config::{timeout::TimeoutConfig, Region, SdkConfig};
use aws_sdk_health::operation::describe_events::DescribeEventsError;
use aws_sdk_health::types::{EventFilter, EventStatusCode, EventTypeCategory};
use aws_sdk_health::Client;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use switchyard_core::health::ports::{HealthError, HealthReader};
use switchyard_core::health::{HealthEvent, HealthQuery};
use switchyard_core::ports::ObserveError;
use switchyard_core::timestamps;

use super::errors::observe_error;
use super::pages::{every_page, TooManyPages};

pub const IAM_ACTIONS: &[&str] = &["health:DescribeEvents"];

/// The Health API's active region, and where it fails over to.
pub const ACTIVE_REGION: &str = "us-east-1";
pub const FAILOVER_REGION: &str = "us-east-2";

const OPERATION: &str = "DescribeEvents";

/// Pages are at most this long (the API's maximum is 100).
const PAGE_SIZE: i32 = 100;

/// Short enough that a silent endpoint leaves time to ask the other one within the Lambda's
/// deadline guard.
fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_attempt_timeout(Duration::from_secs(5))
        .operation_timeout(Duration::from_secs(15))
        .build()
}

/// The Health reader over the two regional endpoints, tried in order.
pub struct AwsHealth {
    endpoints: Vec<(&'static str, Client)>,
}

impl AwsHealth {
    /// Clients pinned to [`ACTIVE_REGION`] and [`FAILOVER_REGION`], from the function's SDK
    /// configuration (credentials, retries; `AWS_ENDPOINT_URL*` still wins, for local runs).
    pub fn from_sdk(sdk: &SdkConfig) -> Self {
        let pinned = |region: &'static str| {
            Client::from_conf(
                aws_sdk_health::config::Builder::from(sdk)
                    .region(Region::new(region))
                    .timeout_config(timeouts())
                    .build(),
            )
        };
        Self::with_clients(pinned(ACTIVE_REGION), pinned(FAILOVER_REGION))
    }

    /// Explicit clients (tests hand in `aws-smithy-mocks` clients).
    pub fn with_clients(active: Client, failover: Client) -> Self {
        AwsHealth {
            endpoints: vec![(ACTIVE_REGION, active), (FAILOVER_REGION, failover)],
        }
    }

    /// The clients in the order they are asked.
    pub fn clients(&self) -> impl Iterator<Item = (&'static str, &Client)> {
        self.endpoints.iter().map(|(r, c)| (*r, c))
    }
}

/// How one endpoint's read ended, when it did not return events.
enum ReadError {
    /// Nothing came back: ask the next endpoint.
    NoAnswer(ObserveError),
    /// The endpoint answered with an error: believe it.
    Answered(HealthError),
}

/// A listing too long to trust is an answer: the other endpoint would serve the same one.
impl From<TooManyPages> for ReadError {
    fn from(e: TooManyPages) -> Self {
        ReadError::Answered(HealthError::Unavailable(e.into()))
    }
}

impl HealthReader for AwsHealth {
    async fn open_events(&self, query: &HealthQuery) -> Result<Vec<HealthEvent>, HealthError> {
        let mut silent = Vec::new();
        for (region, client) in &self.endpoints {
            match read_all_pages(client, query).await {
                Ok(events) => return Ok(events),
                Err(ReadError::Answered(e)) => return Err(e),
                Err(ReadError::NoAnswer(why)) => {
                    tracing::warn!(
                        region,
                        error = why.message.as_str(),
                        "AWS Health endpoint did not answer"
                    );
                    silent.push((region, why));
                }
            }
        }
        let listed: Vec<String> = silent
            .iter()
            .map(|(region, why)| format!("{region}: {}", why.message))
            .collect();
        Err(HealthError::Unavailable(ObserveError {
            operation: OPERATION,
            message: format!("no Health endpoint answered ({})", listed.join("; ")),
            retryable: silent.iter().all(|(_, why)| why.retryable),
        }))
    }
}

fn filter(query: &HealthQuery) -> EventFilter {
    EventFilter::builder()
        .event_status_codes(EventStatusCode::Open)
        .set_regions(Some(query.regions.clone()))
        .set_services((!query.services.is_empty()).then(|| query.services.clone()))
        .set_event_type_categories((!query.categories.is_empty()).then(|| {
            query
                .categories
                .iter()
                .map(|c| EventTypeCategory::from(c.as_str()))
                .collect()
        }))
        .build()
}

async fn read_all_pages(
    client: &Client,
    query: &HealthQuery,
) -> Result<Vec<HealthEvent>, ReadError> {
    let pages = client
        .describe_events()
        .filter(filter(query))
        .max_results(PAGE_SIZE)
        .into_paginator()
        .stop_on_duplicate_token(false)
        .send();
    let pages = every_page(OPERATION, pages, classify).await?;
    Ok(pages
        .iter()
        .flat_map(|page| page.events())
        .map(convert)
        .collect())
}

/// Whether the failure is an endpoint's answer (believed) or its silence (the next endpoint is
/// asked); what the answer means for a later attempt is the shared classifier's call.
fn classify(err: SdkError<DescribeEventsError, HttpResponse>) -> ReadError {
    if err
        .as_service_error()
        .is_some_and(|e| e.code() == Some("SubscriptionRequiredException"))
    {
        return ReadError::Answered(HealthError::SubscriptionRequired);
    }
    let silent = match &err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(service) => service.raw().status().is_server_error(),
        _ => false,
    };
    let error = observe_error(OPERATION, err);
    if silent {
        ReadError::NoAnswer(error)
    } else {
        ReadError::Answered(HealthError::Unavailable(error))
    }
}

fn convert(event: &aws_sdk_health::types::Event) -> HealthEvent {
    HealthEvent {
        arn: event.arn().unwrap_or_default().to_owned(),
        service: event.service().unwrap_or_default().to_owned(),
        event_type_code: event.event_type_code().unwrap_or_default().to_owned(),
        category: event
            .event_type_category()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_default(),
        region: event.region().unwrap_or_default().to_owned(),
        start_time: event.start_time().map(|t| timestamps::from_unix(t.secs())),
        status: event
            .status_code()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
    }
}
