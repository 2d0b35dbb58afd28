use crate::config::{self, ConfigError, Vars};
use crate::health::{HealthQuery, OnUnsupportedPlan};
use crate::naming::CODEPIPELINE;

/// One entry of `STAGE_RETRY_PIPELINES`: a pipeline, and optionally one of its stages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watched {
    pub pipeline: String,
    /// `None`: every stage of the pipeline.
    pub stage: Option<String>,
}

/// Configuration of `stage-retry`. Every variable is documented in docs/stage-retry.md.
#[derive(Debug, Clone)]
pub struct RetryConfig {
    /// `STAGE_RETRY_PIPELINES`: `pipeline` or `pipeline:Stage`, comma-separated.
    pub watched: Vec<Watched>,
    /// `STAGE_RETRY_REGIONS` / `_SERVICES` / `_CATEGORIES` (default `issue`).
    pub health: HealthQuery,
    /// `STAGE_RETRY_ON_UNSUPPORTED_PLAN`: `fail` (default: never retry without Health) or `pass`.
    pub on_unsupported_plan: OnUnsupportedPlan,
    /// `STAGE_RETRY_MAX_ATTEMPTS` (default 3): retries per pipeline execution and stage.
    pub max_retries: usize,
    /// `STAGE_RETRY_MAX_AGE_MINUTES` (default 1440): failures older than this are left alone.
    pub max_age_minutes: i64,
}

impl RetryConfig {
    pub fn from_vars(vars: &dyn Vars) -> Result<Self, ConfigError> {
        const PIPELINES: &str = "STAGE_RETRY_PIPELINES";
        let entries = config::list(vars, PIPELINES);
        if entries.is_empty() {
            return Err(ConfigError::new(
                PIPELINES,
                "is not set; list the pipelines (or pipeline:Stage) to retry",
            ));
        }
        let watched = entries
            .iter()
            .map(|entry| {
                let (pipeline, stage) = match entry.split_once(':') {
                    Some((p, s)) => (p, Some(s)),
                    None => (entry.as_str(), None),
                };
                let name = |n: &str| CODEPIPELINE.accepts(n);
                let valid = name(pipeline) && stage.is_none_or(name);
                if !valid {
                    return Err(ConfigError::new(
                        PIPELINES,
                        format!("{entry:?} is not `pipeline` or `pipeline:Stage` with CodePipeline names"),
                    ));
                }
                Ok(Watched {
                    pipeline: pipeline.to_owned(),
                    stage: stage.map(str::to_owned),
                })
            })
            .collect::<Result<_, _>>()?;
        let categories = match config::list(vars, "STAGE_RETRY_CATEGORIES") {
            c if c.is_empty() => vec!["issue".to_owned()],
            c => c,
        };
        let health = HealthQuery::new(
            &config::list(vars, "STAGE_RETRY_REGIONS"),
            &config::list(vars, "STAGE_RETRY_SERVICES"),
            &categories,
            [
                "STAGE_RETRY_REGIONS",
                "STAGE_RETRY_SERVICES",
                "STAGE_RETRY_CATEGORIES",
            ],
        )
        .map_err(|e| ConfigError::new(&e.field, e.message))?;
        let on_unsupported_plan = config::choice(
            vars,
            "STAGE_RETRY_ON_UNSUPPORTED_PLAN",
            OnUnsupportedPlan::Fail,
            &[
                ("fail", OnUnsupportedPlan::Fail),
                ("pass", OnUnsupportedPlan::Pass),
            ],
        )?;
        Ok(RetryConfig {
            watched,
            health,
            on_unsupported_plan,
            max_retries: config::number(vars, "STAGE_RETRY_MAX_ATTEMPTS", 3, 1..=20)? as usize,
            max_age_minutes: i64::from(config::number(
                vars,
                "STAGE_RETRY_MAX_AGE_MINUTES",
                1440,
                1..=43_200,
            )?),
        })
    }

    /// Whether this stage of this pipeline is configured for retries.
    pub fn watches(&self, pipeline: &str, stage: &str) -> bool {
        self.watched
            .iter()
            .any(|w| w.pipeline == pipeline && w.stage.as_deref().is_none_or(|s| s == stage))
    }

    /// The configured pipelines, each once, in configuration order.
    pub fn pipelines(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for w in &self.watched {
            if !out.contains(&w.pipeline.as_str()) {
                out.push(&w.pipeline);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::config::test_vars as vars;

    const BASE: [(&str, &str); 2] = [
        (
            "STAGE_RETRY_PIPELINES",
            "payments-release:Deploy,ledger-release",
        ),
        ("STAGE_RETRY_REGIONS", "eu-west-1"),
    ];

    #[test]
    fn parses_and_watches() {
        let c = RetryConfig::from_vars(&vars(&BASE)).unwrap();
        assert!(c.watches("payments-release", "Deploy"));
        assert!(!c.watches("payments-release", "Build"));
        assert!(c.watches("ledger-release", "Anything"));
        assert!(!c.watches("other", "Deploy"));
        assert_eq!(c.max_retries, 3);
        assert_eq!(c.health.categories, ["issue"]);
        assert_eq!(c.pipelines(), ["payments-release", "ledger-release"]);
    }

    #[test]
    fn errors_name_the_variable() {
        let cases = [
            ("STAGE_RETRY_PIPELINES", ""),
            ("STAGE_RETRY_PIPELINES", "bad name!"),
            ("STAGE_RETRY_REGIONS", ""),
            ("STAGE_RETRY_REGIONS", "eu-west-1,Ireland"),
            ("STAGE_RETRY_SERVICES", "E C2"),
            ("STAGE_RETRY_CATEGORIES", "outage"),
            ("STAGE_RETRY_MAX_ATTEMPTS", "0"),
            ("STAGE_RETRY_MAX_AGE_MINUTES", "forever"),
            ("STAGE_RETRY_ON_UNSUPPORTED_PLAN", "maybe"),
        ];
        for (var, value) in cases {
            let mut v = vars(&BASE);
            v.insert(var.into(), value.into());
            let err = RetryConfig::from_vars(&v).unwrap_err();
            assert!(err.var.starts_with(var), "{var}: {err}");
        }
    }
}
