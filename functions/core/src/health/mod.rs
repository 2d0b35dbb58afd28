//! AWS Health, as `health-gate` and `stage-retry` read it: which events count ([`HealthQuery`]),
//! what an event says ([`HealthEvent`]), the port that reads them ([`ports::HealthReader`]), and
//! an in-memory reader over the replay world ([`world::WorldHealth`]).
//!
//! Both functions ask the same question — "is anything open for these services in these regions?"
//! — so they share the query, the reader and the wording of the answer.

pub mod ports;
pub mod world;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::json::FieldError;
use crate::timestamps;

/// Events in region `global` affect every region (IAM, Route 53, CloudFront…), so every query
/// includes it.
pub const GLOBAL_REGION: &str = "global";

/// Health event categories (`eventTypeCategory`).
pub const CATEGORIES: [&str; 4] = [
    "issue",
    "accountNotification",
    "scheduledChange",
    "investigation",
];

/// What to do when the account cannot use the Health API (`SubscriptionRequiredException`: no
/// Business, Enterprise On-Ramp or Enterprise support plan).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnUnsupportedPlan {
    /// Fail closed: without Health data nothing is declared clear.
    #[default]
    Fail,
    /// Fail open: proceed as if clear, and say so.
    Pass,
}

impl OnUnsupportedPlan {
    pub fn as_str(self) -> &'static str {
        match self {
            OnUnsupportedPlan::Fail => "fail",
            OnUnsupportedPlan::Pass => "pass",
        }
    }
}

/// Which open events matter: `DescribeEvents` with `eventStatusCodes: [open]` and these filters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HealthQuery {
    /// The configured regions plus [`GLOBAL_REGION`], sorted, without duplicates.
    pub regions: Vec<String>,
    /// Health service codes (`EC2`, `RDS`), upper case. Empty: every service.
    pub services: Vec<String>,
    /// Empty: every category.
    pub categories: Vec<String>,
}

impl HealthQuery {
    /// Validates and normalizes the filters. `field` names where they came from
    /// (`regions` / `STAGE_RETRY_REGIONS`), and errors say which entry is wrong.
    pub fn new(
        regions: &[String],
        services: &[String],
        categories: &[String],
        fields: [&str; 3],
    ) -> Result<Self, FieldError> {
        let [regions_field, services_field, categories_field] = fields;
        if regions.is_empty() {
            return Err(FieldError::new(
                regions_field,
                "is empty: list the regions to check (global is always added)",
            ));
        }
        let mut checked_regions = vec![GLOBAL_REGION.to_owned()];
        for (i, r) in regions.iter().enumerate() {
            if r != GLOBAL_REGION && crate::regions::known(r).is_none() {
                return Err(FieldError::new(
                    format!("{regions_field}[{i}]"),
                    format!("{r:?} is not an AWS region name"),
                ));
            }
            checked_regions.push(r.clone());
        }
        let mut checked_services = Vec::new();
        for (i, s) in services.iter().enumerate() {
            let code = s.trim().to_ascii_uppercase();
            if code.is_empty() || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(FieldError::new(
                    format!("{services_field}[{i}]"),
                    format!("{s:?} is not a Health service code (like EC2, RDS)"),
                ));
            }
            checked_services.push(code);
        }
        for (i, c) in categories.iter().enumerate() {
            if !CATEGORIES.contains(&c.as_str()) {
                return Err(FieldError::new(
                    format!("{categories_field}[{i}]"),
                    format!("{c:?} is not one of {}", CATEGORIES.join(", ")),
                ));
            }
        }
        for list in [&mut checked_regions, &mut checked_services] {
            list.sort();
            list.dedup();
        }
        let mut categories = categories.to_vec();
        categories.sort();
        categories.dedup();
        Ok(HealthQuery {
            regions: checked_regions,
            services: checked_services,
            categories,
        })
    }

    /// Whether an event falls under this query (what `DescribeEvents`' filter does; used by the
    /// in-memory reader).
    pub fn matches(&self, event: &HealthEvent) -> bool {
        event.status == "open"
            && self.regions.contains(&event.region)
            && (self.services.is_empty() || self.services.contains(&event.service))
            && (self.categories.is_empty() || self.categories.contains(&event.category))
    }

    /// `EC2, RDS in eu-west-1, global` — for reasons and summaries.
    pub fn describe(&self) -> String {
        let services = if self.services.is_empty() {
            "all services".to_owned()
        } else {
            self.services.join(", ")
        };
        format!("{services} in {}", self.regions.join(", "))
    }
}

/// One AWS Health event, with what a person needs to find it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthEvent {
    pub arn: String,
    pub service: String,
    pub event_type_code: String,
    pub category: String,
    pub region: String,
    pub start_time: Option<OffsetDateTime>,
    /// `open`, `closed` or `upcoming`.
    pub status: String,
}

impl HealthEvent {
    /// The event in the AWS Health Dashboard.
    pub fn console_link(&self) -> String {
        format!(
            "https://health.aws.amazon.com/health/home#/account/event-log?eventID={}&eventTab=details",
            self.arn
        )
    }

    /// `EC2 in eu-west-1: AWS_EC2_OPERATIONAL_ISSUE since 2026-11-23T08:05:00Z (arn…) <link>`
    pub fn describe(&self) -> String {
        let since = self
            .start_time
            .map(|t| format!(" since {}", timestamps::format(t)))
            .unwrap_or_default();
        format!(
            "{} in {}: {}{since} ({}) {}",
            self.service,
            self.region,
            self.event_type_code,
            self.arn,
            self.console_link()
        )
    }
}

/// The open events as one line each, within `max_chars` (the rest counted, not cut mid-line).
pub fn list_events(events: &[HealthEvent], max_chars: usize) -> String {
    let mut out = String::new();
    for (i, event) in events.iter().enumerate() {
        let line = format!("\n- {}", event.describe());
        let more = format!("\n… and {} more", events.len() - i);
        if out.chars().count() + line.chars().count() + more.chars().count() > max_chars {
            out.push_str(&more);
            break;
        }
        out.push_str(&line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    const FIELDS: [&str; 3] = ["regions", "services", "categories"];

    #[test]
    fn query_normalizes_and_always_includes_global() {
        let q = HealthQuery::new(
            &strings(&["eu-west-1", "us-gov-east-1", "eu-west-1"]),
            &strings(&["ec2", "RDS"]),
            &strings(&["issue"]),
            FIELDS,
        )
        .unwrap();
        assert_eq!(q.regions, ["eu-west-1", "global", "us-gov-east-1"]);
        assert_eq!(q.services, ["EC2", "RDS"]);
        assert_eq!(q.describe(), "EC2, RDS in eu-west-1, global, us-gov-east-1");
    }

    #[test]
    fn query_errors_name_the_entry() {
        let cases = [
            (strings(&[]), strings(&[]), strings(&[]), "regions"),
            (
                strings(&["eu-west-1", "Europe"]),
                strings(&[]),
                strings(&[]),
                "regions[1]",
            ),
            (
                strings(&["eu-west-1"]),
                strings(&["EC2", "e c2"]),
                strings(&[]),
                "services[1]",
            ),
            (
                strings(&["eu-west-1"]),
                strings(&[]),
                strings(&["outage"]),
                "categories[0]",
            ),
        ];
        for (r, s, c, field) in cases {
            let err = HealthQuery::new(&r, &s, &c, FIELDS).unwrap_err();
            assert_eq!(err.field, field, "{err}");
        }
    }

    #[test]
    fn event_lists_stay_within_the_limit() {
        let event = HealthEvent {
            arn: "arn:aws:health:eu-west-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/x".into(),
            service: "EC2".into(),
            event_type_code: "AWS_EC2_OPERATIONAL_ISSUE".into(),
            category: "issue".into(),
            region: "eu-west-1".into(),
            start_time: Some(timestamps::from_unix(1_795_000_000)),
            status: "open".into(),
        };
        let many = vec![event.clone(); 100];
        let text = list_events(&many, 2000);
        assert!(text.chars().count() <= 2000);
        assert!(text.ends_with("more"), "{text}");
        assert!(list_events(&many[..1], 2000).contains(&event.console_link()));
    }
}
