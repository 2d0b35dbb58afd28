//! `UserParameters` of a health-gate action, e.g.
//! `{"regions":["eu-west-1"],"services":["EC2","RDS"],"categories":["issue"],"on_unsupported_plan":"fail","wait_minutes":30}`.

use serde::{Deserialize, Serialize};

use crate::health::{HealthQuery, OnUnsupportedPlan};
use crate::json::FieldError;
use crate::pipeline_job::JobParameters;

/// The longest wait a gate may ask for (12 hours).
pub const MAX_WAIT_MINUTES: u32 = 720;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateParameters {
    /// Regions being deployed to; `global` is always checked too.
    pub regions: Vec<String>,
    /// Health service codes; empty (default): every service.
    #[serde(default)]
    pub services: Vec<String>,
    /// Event categories; default `["issue"]`.
    #[serde(default = "default_categories")]
    pub categories: Vec<String>,
    /// `fail` (default) or `pass` when the account has no Health API access.
    #[serde(default)]
    pub on_unsupported_plan: OnUnsupportedPlan,
    /// 0 (default): fail at once on open events. Otherwise keep the action in progress and
    /// re-check until clear or until this many minutes have passed.
    #[serde(default)]
    pub wait_minutes: u32,
}

fn default_categories() -> Vec<String> {
    vec!["issue".to_owned()]
}

impl GateParameters {
    /// The Health query these parameters select (validated).
    pub fn query(&self) -> Result<HealthQuery, FieldError> {
        HealthQuery::new(
            &self.regions,
            &self.services,
            &self.categories,
            ["regions", "services", "categories"],
        )
    }
}

impl JobParameters for GateParameters {
    fn validate(&self) -> Result<(), FieldError> {
        self.query()?;
        if self.wait_minutes > MAX_WAIT_MINUTES {
            return Err(FieldError::new(
                "wait_minutes",
                format!(
                    "{} is more than the maximum of {MAX_WAIT_MINUTES}",
                    self.wait_minutes
                ),
            ));
        }
        Ok(())
    }
}
