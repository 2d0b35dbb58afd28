use super::rules::Rules;
use crate::config::{self, ConfigError, Vars};

/// `ARTIFACT_RULES`: the routing rules document itself (JSON or YAML).
pub const RULES_VAR: &str = "ARTIFACT_RULES";
/// `ARTIFACT_RULES_PARAMETER`: the name of an SSM parameter holding the document, read once at
/// cold start (String or SecureString; up to 8 KB for an advanced parameter).
pub const RULES_PARAMETER_VAR: &str = "ARTIFACT_RULES_PARAMETER";

/// Where the rules document comes from. Exactly one of the two variables is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RulesSource {
    Inline(String),
    Parameter(String),
}

impl RulesSource {
    pub fn from_vars(vars: &dyn Vars) -> Result<Self, ConfigError> {
        match (
            config::optional(vars, RULES_VAR),
            config::optional(vars, RULES_PARAMETER_VAR),
        ) {
            (Some(document), None) => Ok(RulesSource::Inline(document)),
            (None, Some(name)) => Ok(RulesSource::Parameter(name)),
            (Some(_), Some(_)) => Err(ConfigError::new(
                &format!("{RULES_VAR}/{RULES_PARAMETER_VAR}"),
                "both are set; set exactly one",
            )),
            (None, None) => Err(ConfigError::new(
                &format!("{RULES_VAR}/{RULES_PARAMETER_VAR}"),
                "neither is set; set the rules document or the SSM parameter that holds it",
            )),
        }
    }

    /// The variable whose value is wrong when the document is.
    pub fn variable(&self) -> String {
        match self {
            RulesSource::Inline(_) => RULES_VAR.into(),
            RulesSource::Parameter(name) => format!("{RULES_PARAMETER_VAR} ({name})"),
        }
    }
}

/// Configuration of `artifact-release`.
#[derive(Debug, Clone)]
pub struct ArtifactConfig {
    pub rules: Rules,
}

impl ArtifactConfig {
    /// Validates a rules document; errors name the variable it came from and the rule.
    pub fn from_document(document: &str, source: &RulesSource) -> Result<Self, ConfigError> {
        Rules::parse(document)
            .map(|rules| ArtifactConfig { rules })
            .map_err(|e| ConfigError::new(&source.variable(), e))
    }

    /// For an inline document only; an SSM parameter is read by the caller (the adapter) and
    /// passed to [`ArtifactConfig::from_document`].
    pub fn from_vars(vars: &dyn Vars) -> Result<Self, ConfigError> {
        match RulesSource::from_vars(vars)? {
            RulesSource::Inline(document) => {
                Self::from_document(&document, &RulesSource::Inline(String::new()))
            }
            RulesSource::Parameter(name) => Err(ConfigError::new(
                RULES_PARAMETER_VAR,
                format!("{name:?} must be read from SSM first"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_vars as vars;

    #[test]
    fn exactly_one_source_and_errors_name_the_variable() {
        let doc =
            "rules:\n  - {name: a, bucket: acme-artifacts, key: 'x/{v}', build: {project: p}}\n";
        assert!(ArtifactConfig::from_vars(&vars(&[(RULES_VAR, doc)])).is_ok());
        assert_eq!(
            RulesSource::from_vars(&vars(&[(RULES_PARAMETER_VAR, "/sy/rules")])).unwrap(),
            RulesSource::Parameter("/sy/rules".into())
        );
        let both = RulesSource::from_vars(&vars(&[(RULES_VAR, doc), (RULES_PARAMETER_VAR, "p")]));
        assert!(both.unwrap_err().to_string().contains("both are set"));
        let none = ArtifactConfig::from_vars(&vars(&[])).unwrap_err();
        assert!(none.var.contains(RULES_VAR));
        let bad = ArtifactConfig::from_vars(&vars(&[(RULES_VAR, "rules: [{name: a}]")]))
            .unwrap_err()
            .to_string();
        assert!(
            bad.starts_with("invalid configuration: ARTIFACT_RULES:"),
            "{bad}"
        );
        let from_ssm =
            ArtifactConfig::from_document("rules: []", &RulesSource::Parameter("/sy/rules".into()))
                .unwrap_err();
        assert_eq!(from_ssm.var, "ARTIFACT_RULES_PARAMETER (/sy/rules)");
    }
}
