//! AWS Health: `DescribeEvents` for the open events a query selects, through every page, on the
//! active Health endpoint with failover.
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
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use switchyard_core::health::ports::{HealthError, HealthReader};
use switchyard_core::health::{HealthEvent, HealthQuery};
use switchyard_core::timestamps;

pub const IAM_ACTIONS: &[&str] = &["health:DescribeEvents"];

/// The Health API's active region, and where it fails over to.
pub const ACTIVE_REGION: &str = "us-east-1";
pub const FAILOVER_REGION: &str = "us-east-2";

/// Pages are at most this long (the API's maximum is 100).
const PAGE_SIZE: i32 = 100;
/// A safety stop against a service that keeps returning a `nextToken`.
const MAX_PAGES: usize = 100;

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
    NoAnswer(String),
    /// The endpoint answered with an error: believe it.
    Answered(HealthError),
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
                        error = why.as_str(),
                        "AWS Health endpoint did not answer"
                    );
                    silent.push(format!("{region}: {why}"));
                }
            }
        }
        Err(HealthError::Unavailable(format!(
            "no Health endpoint answered ({})",
            silent.join("; ")
        )))
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
    let mut events = Vec::new();
    let mut next_token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = client
            .describe_events()
            .filter(filter(query))
            .max_results(PAGE_SIZE)
            .set_next_token(next_token.take())
            .send()
            .await
            .map_err(classify)?;
        events.extend(page.events().iter().map(convert));
        match page.next_token() {
            Some(token) if !token.is_empty() => next_token = Some(token.to_owned()),
            _ => return Ok(events),
        }
    }
    Err(ReadError::Answered(HealthError::Unavailable(format!(
        "DescribeEvents returned more than {MAX_PAGES} pages"
    ))))
}

fn classify(err: SdkError<DescribeEventsError, HttpResponse>) -> ReadError {
    let message = DisplayErrorContext(&err).to_string();
    match &err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            ReadError::NoAnswer(message)
        }
        SdkError::ServiceError(service) => {
            if service.err().code() == Some("SubscriptionRequiredException") {
                ReadError::Answered(HealthError::SubscriptionRequired)
            } else if service.raw().status().is_server_error() {
                ReadError::NoAnswer(message)
            } else {
                ReadError::Answered(HealthError::Unavailable(message))
            }
        }
        _ => ReadError::Answered(HealthError::Unavailable(message)),
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
