//! The one release-tag grammar: `<env>_<scope>/<team>/<version>`.
//!
//! - `env`: one of the configured environments (`TAG_ENVIRONMENTS`), matched exactly — the text
//!   before the first `_` must *be* an environment, so `devops_us-east-1/…` is not a `dev` tag;
//! - `scope`: a known AWS region name ([`crate::regions`]) or `global`, optionally narrowed per
//!   environment (`TAG_REGIONS_<ENV>`);
//! - `team`: one of the configured teams (`TAG_TEAMS`);
//! - `version`: a semantic version (semver 2.0.0); one leading `v` is accepted and dropped.
//!
//! A tag either parses completely or is rejected with a [`TagError`] naming the first wrong part,
//! left to right. Nothing is ever half-parsed.
//!
//! Not every tag is meant as a release tag: repositories also carry ordinary tags (`v1.2.3`,
//! `simple-tag`). [`TagGrammar::claims`] draws the line. A tag *claims* the release namespace
//! when its first `/`-separated segment has a `_` and a `/` follows it (`<something>_<something>/…`),
//! or when the text before its first `_` is a configured environment (`prod_eu-west-1`, missing
//! team and version). A tag that claims the namespace and fails the grammar is an error worth a
//! person's attention (`devops_us-east-1/…`, a bad region, a missing version); any other tag is
//! simply not ours.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::regions;
use crate::text::truncate_for_message;

/// How the grammar reads in messages.
pub const SHAPE: &str = "<env>_<scope>/<team>/<version>";

/// Longest accepted version text. Every value travels as a CodePipeline variable (at most 1000
/// characters), and the tag itself is one of them.
pub const MAX_VERSION_LEN: usize = 128;

/// Where a release deploys: one region, or the account-wide (`global`) resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    Global,
    Region(&'static str),
}

impl Scope {
    pub const GLOBAL: &'static str = "global";

    /// `global` or a known region name; anything else is `None`.
    pub fn parse(text: &str) -> Option<Scope> {
        if text == Self::GLOBAL {
            Some(Scope::Global)
        } else {
            regions::known(text).map(Scope::Region)
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Global => Self::GLOBAL,
            Scope::Region(r) => r,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A tag that passed the grammar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseTag {
    /// The tag exactly as pushed (with its `v`, if it had one).
    pub tag: String,
    pub environment: String,
    pub scope: Scope,
    pub team: String,
    /// Normalised: no leading `v`.
    pub version: semver::Version,
}

impl ReleaseTag {
    /// The canonical spelling: the tag without a `v` before the version.
    pub fn canonical(&self) -> String {
        format!(
            "{}_{}/{}/{}",
            self.environment, self.scope, self.team, self.version
        )
    }
}

/// The part of the tag that is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TagPart {
    /// The `/`-separated structure, or the `_` between environment and scope.
    Shape,
    Environment,
    Scope,
    Team,
    Version,
}

/// Why a tag is not a release tag. The message names the part and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TagError {
    pub part: TagPart,
    pub message: String,
}

impl TagError {
    fn new(part: TagPart, message: String) -> Self {
        TagError { part, message }
    }
}

/// The grammar with its allow-lists, built from configuration.
#[derive(Debug, Clone)]
pub struct TagGrammar {
    /// In configured order (messages list them that way).
    environments: Vec<String>,
    teams: Vec<String>,
    /// Per environment, the scopes allowed; an environment without an entry allows every known
    /// region and `global`.
    scopes: BTreeMap<String, Vec<Scope>>,
}

impl TagGrammar {
    /// Callers validate the names (see `TagReleaseConfig`); the grammar only matches them.
    pub fn new(
        environments: Vec<String>,
        teams: Vec<String>,
        scopes: BTreeMap<String, Vec<Scope>>,
    ) -> Self {
        TagGrammar {
            environments,
            teams,
            scopes,
        }
    }

    pub fn environments(&self) -> &[String] {
        &self.environments
    }

    pub fn teams(&self) -> &[String] {
        &self.teams
    }

    /// The scopes `environment` may deploy to (`None`: every known region and `global`).
    pub fn allowed_scopes(&self, environment: &str) -> Option<&[Scope]> {
        self.scopes.get(environment).map(Vec::as_slice)
    }

    /// Whether `tag` claims the release namespace (see the module documentation): a failure to
    /// parse such a tag is reported, any other tag is ignored.
    pub fn claims(&self, tag: &str) -> bool {
        let shaped = tag
            .split_once('/')
            .is_some_and(|(first, _)| first.contains('_'));
        let names_an_environment = tag
            .split_once('_')
            .is_some_and(|(env, _)| self.environments.iter().any(|e| e == env));
        shaped || names_an_environment
    }

    pub fn parse(&self, tag: &str) -> Result<ReleaseTag, TagError> {
        let shown = truncate_for_message(tag);
        let parts: Vec<&str> = tag.split('/').collect();
        let [env_scope, team, version] = parts.as_slice() else {
            return Err(shape_error(&shown, parts.len()));
        };
        for (text, part, name) in [
            (env_scope, TagPart::Shape, "<env>_<scope>"),
            (team, TagPart::Team, "team"),
            (version, TagPart::Version, "version"),
        ] {
            if text.is_empty() {
                return Err(TagError::new(
                    part,
                    format!("empty {name} in tag {shown:?}; expected {SHAPE}"),
                ));
            }
        }
        let Some((environment, scope)) = env_scope.split_once('_') else {
            return Err(TagError::new(
                TagPart::Shape,
                format!(
                    "{:?} has no \"_\" between environment and scope; expected {SHAPE}, e.g. prod_eu-west-1/payments/2.4.0",
                    truncate_for_message(env_scope)
                ),
            ));
        };
        let environment = self.environment(environment)?;
        let scope = self.scope(environment, scope)?;
        let team = self.team(team)?;
        let version = parse_version(version)?;
        Ok(ReleaseTag {
            tag: tag.to_owned(),
            environment: environment.to_owned(),
            scope,
            team: team.to_owned(),
            version,
        })
    }

    fn environment(&self, text: &str) -> Result<&str, TagError> {
        one_of(
            &self.environments,
            text,
            TagPart::Environment,
            "environment",
        )
    }

    fn scope(&self, environment: &str, text: &str) -> Result<Scope, TagError> {
        if text.is_empty() {
            return Err(TagError::new(
                TagPart::Scope,
                format!("empty scope after \"{environment}_\"; expected an AWS region name such as eu-west-1, or \"global\""),
            ));
        }
        let scope = Scope::parse(text).ok_or_else(|| {
            TagError::new(
                TagPart::Scope,
                format!(
                    "unknown region {:?}; expected an AWS region name such as eu-west-1, or \"global\"",
                    truncate_for_message(text)
                ),
            )
        })?;
        match self.allowed_scopes(environment) {
            Some(allowed) if !allowed.contains(&scope) => {
                Err(TagError::new(
                    TagPart::Scope,
                    format!(
                    "{} \"{scope}\" is not allowed for environment {environment:?}; allowed: {}",
                    if scope == Scope::Global { "scope" } else { "region" },
                    allowed
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                ))
            }
            _ => Ok(scope),
        }
    }

    fn team(&self, text: &str) -> Result<&str, TagError> {
        one_of(&self.teams, text, TagPart::Team, "team")
    }
}

/// `text` if it is exactly one of `allowed`.
fn one_of<'a>(
    allowed: &'a [String],
    text: &str,
    part: TagPart,
    noun: &str,
) -> Result<&'a str, TagError> {
    allowed
        .iter()
        .find(|a| *a == text)
        .map(String::as_str)
        .ok_or_else(|| {
            TagError::new(
                part,
                format!(
                    "unknown {noun} {:?}; expected one of {}",
                    truncate_for_message(text),
                    allowed.join(", ")
                ),
            )
        })
}

fn shape_error(shown: &str, segments: usize) -> TagError {
    let what = match segments {
        1 => "missing team and version".to_owned(),
        2 => "missing version".to_owned(),
        n => format!("{} extra path segment(s)", n - 3),
    };
    TagError::new(
        TagPart::Shape,
        format!(
            "{what}: tag {shown:?} has {segments} \"/\"-separated part(s); expected 3: {SHAPE}"
        ),
    )
}

fn parse_version(text: &str) -> Result<semver::Version, TagError> {
    let invalid = |why: String| {
        TagError::new(
            TagPart::Version,
            format!(
                "invalid version {:?}: {why}; expected a semantic version such as 2.4.0 (one leading \"v\" is accepted)",
                truncate_for_message(text)
            ),
        )
    };
    if text.len() > MAX_VERSION_LEN {
        return Err(invalid(format!("longer than {MAX_VERSION_LEN} characters")));
    }
    let bare = text.strip_prefix('v').unwrap_or(text);
    semver::Version::parse(bare).map_err(|e| invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn grammar() -> TagGrammar {
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        TagGrammar::new(
            strings(&["dev", "qa", "prod"]),
            strings(&["payments", "ledger", "data-platform"]),
            BTreeMap::from([(
                "prod".to_owned(),
                vec![
                    Scope::Region("eu-west-1"),
                    Scope::Region("us-east-1"),
                    Scope::Global,
                ],
            )]),
        )
    }

    #[test]
    fn ordinary_tags_do_not_claim_the_release_namespace() {
        let g = grammar();
        for ordinary in [
            "v1.2.3",
            "simple-tag",
            "1.0.0",
            "release/2026-11",
            "my_tag",
            "a/b_c/d",
        ] {
            assert!(!g.claims(ordinary), "{ordinary}");
        }
        for claimed in [
            "prod_eu-west-1/payments/2.4.0",
            "devops_us-east-1/payments/2.4.0",
            "dev_eu-west-9/payments/2.4.0",
            "dev_eu-west-1/payments",
            "prod_eu-west-1",
            "x_y/z",
        ] {
            assert!(g.claims(claimed), "{claimed}");
        }
    }

    #[test]
    fn accepts_regional_global_and_v_prefixed_tags() {
        let g = grammar();
        let t = g.parse("prod_eu-west-1/payments/2.4.0").unwrap();
        assert_eq!(t.environment, "prod");
        assert_eq!(t.scope, Scope::Region("eu-west-1"));
        assert_eq!(t.team, "payments");
        assert_eq!(t.version, semver::Version::new(2, 4, 0));
        assert_eq!(t.canonical(), t.tag);

        let t = g.parse("prod_global/payments/2.4.0").unwrap();
        assert_eq!(t.scope, Scope::Global);

        let t = g
            .parse("dev_ap-southeast-6/data-platform/v1.0.0-rc.1+build.7")
            .unwrap();
        assert_eq!(t.version.to_string(), "1.0.0-rc.1+build.7");
        assert_eq!(
            t.tag,
            "dev_ap-southeast-6/data-platform/v1.0.0-rc.1+build.7"
        );
        assert_eq!(
            t.canonical(),
            "dev_ap-southeast-6/data-platform/1.0.0-rc.1+build.7"
        );
    }

    #[test]
    fn rejections_name_the_wrong_part() {
        let g = grammar();
        let cases = [
            ("prd_eu-west-1/payments/2.4.0", TagPart::Environment, "unknown environment \"prd\"; expected one of dev, qa, prod"),
            ("devops_us-east-1/payments/1.0.0", TagPart::Environment, "unknown environment \"devops\""),
            ("Dev_us-east-1/payments/1.0.0", TagPart::Environment, "unknown environment \"Dev\""),
            ("dev_eu-west-9/payments/1.0.0", TagPart::Scope, "unknown region \"eu-west-9\""),
            ("dev_EU-WEST-1/payments/1.0.0", TagPart::Scope, "unknown region"),
            ("dev_/payments/1.0.0", TagPart::Scope, "empty scope"),
            ("prod_ap-south-1/payments/1.0.0", TagPart::Scope, "region \"ap-south-1\" is not allowed for environment \"prod\"; allowed: eu-west-1, us-east-1, global"),
            ("prod_eu-west-1/paymnts/2.4.0", TagPart::Team, "unknown team \"paymnts\"; expected one of payments, ledger, data-platform"),
            ("prod_eu-west-1/payments", TagPart::Shape, "missing version"),
            ("prod_eu-west-1", TagPart::Shape, "missing team and version"),
            ("prod_eu-west-1/payments/extra/2.4.0", TagPart::Shape, "1 extra path segment(s)"),
            ("prod-eu-west-1/payments/2.4.0", TagPart::Shape, "no \"_\" between environment and scope"),
            ("prod_eu-west-1//2.4.0", TagPart::Team, "empty team"),
            ("prod_eu-west-1/payments/", TagPart::Version, "empty version"),
            ("/payments/2.4.0", TagPart::Shape, "empty <env>_<scope>"),
            ("prod_eu-west-1/payments/2.4", TagPart::Version, "invalid version \"2.4\""),
            ("prod_eu-west-1/payments/vv2.4.0", TagPart::Version, "invalid version"),
            ("prod_eu-west-1/payments/V2.4.0", TagPart::Version, "invalid version"),
            ("prod_eu-west-1/payments/02.4.0", TagPart::Version, "invalid version"),
            ("prod_eu-west-1/payments/latest", TagPart::Version, "invalid version"),
        ];
        for (tag, part, message) in cases {
            let err = g.parse(tag).unwrap_err();
            assert_eq!(err.part, part, "{tag}: {err}");
            assert!(
                err.message.contains(message),
                "{tag}: {err:?} should contain {message:?}"
            );
        }
        let long = format!("dev_us-east-1/payments/1.0.0-{}", "a".repeat(200));
        assert!(g
            .parse(&long)
            .unwrap_err()
            .message
            .contains("longer than 128"));
    }

    /// Tags the grammar must accept — every configured environment and team, any scope the
    /// environment allows, any semantic version, with or without `v` — with their canonical
    /// spelling.
    fn accepted_tag() -> impl Strategy<Value = (String, String)> {
        let g = grammar();
        let envs = g.environments().to_vec();
        let teams = g.teams().to_vec();
        let scopes: Vec<&'static str> = regions::REGIONS
            .iter()
            .map(|(r, _)| *r)
            .chain(["global"])
            .collect();
        let ident = "[0-9A-Za-z-]{1,8}";
        (
            prop::sample::select(envs),
            prop::sample::select(scopes),
            prop::sample::select(teams),
            (0u64..1000, 0u64..1000, 0u64..1000),
            prop::option::of(prop::collection::vec(ident, 1..3)),
            prop::option::of(prop::collection::vec(ident, 1..3)),
            any::<bool>(),
        )
            .prop_filter_map(
                "prod only allows some scopes",
                |(env, scope, team, (ma, mi, pa), pre, build, v)| {
                    if env == "prod" && !["eu-west-1", "us-east-1", "global"].contains(&scope) {
                        return None;
                    }
                    let mut version = format!("{ma}.{mi}.{pa}");
                    if let Some(pre) = pre {
                        // Numeric pre-release identifiers must not have leading zeros.
                        let pre: Vec<String> = pre
                            .into_iter()
                            .map(|p| {
                                if p.chars().all(|c| c.is_ascii_digit()) {
                                    format!("x{p}")
                                } else {
                                    p
                                }
                            })
                            .collect();
                        version += &format!("-{}", pre.join("."));
                    }
                    if let Some(build) = build {
                        version += &format!("+{}", build.join("."));
                    }
                    let canonical = format!("{env}_{scope}/{team}/{version}");
                    let v = if v { "v" } else { "" };
                    Some((format!("{env}_{scope}/{team}/{v}{version}"), canonical))
                },
            )
    }

    proptest! {
        #[test]
        fn every_accepted_tag_round_trips((tag, expected) in accepted_tag()) {
            let g = grammar();
            let parsed = g.parse(&tag).unwrap();
            prop_assert_eq!(&parsed.tag, &tag);
            let canonical = parsed.canonical();
            prop_assert_eq!(&canonical, &expected);
            let again = g.parse(&canonical).unwrap();
            prop_assert_eq!(&again.environment, &parsed.environment);
            prop_assert_eq!(again.scope, parsed.scope);
            prop_assert_eq!(&again.team, &parsed.team);
            prop_assert_eq!(&again.version, &parsed.version);
            prop_assert_eq!(again.canonical(), canonical);
        }

        #[test]
        fn no_accepted_tag_has_an_empty_part(tag in "[a-z_/v0-9.+-]{0,40}|(dev|qa|prod)_(eu-west-1|global|)/(payments|)/(v?[0-9.]{0,6})") {
            if let Ok(t) = grammar().parse(&tag) {
                prop_assert!(!t.environment.is_empty());
                prop_assert!(!t.scope.as_str().is_empty());
                prop_assert!(!t.team.is_empty());
                prop_assert!(!t.version.to_string().is_empty());
                prop_assert_eq!(t.tag.split('/').count(), 3);
                prop_assert!(t.tag.split('/').all(|p| !p.is_empty()));
            }
        }

        #[test]
        fn fuzzed_strings_never_panic(tag in any::<String>()) {
            let g = grammar();
            match g.parse(&tag) {
                Ok(t) => prop_assert_eq!(t.tag, tag),
                Err(e) => prop_assert!(!e.message.is_empty()),
            }
        }

        #[test]
        fn near_misses_never_half_parse((tag, _) in accepted_tag(), cut in 0usize..64, junk in "[_/ .~^:vV-]") {
            // Inserting one separator-ish character anywhere either still parses to a tag whose
            // canonical spelling is well formed, or is rejected; it never panics or half-parses.
            let mut chars: Vec<char> = tag.chars().collect();
            let at = cut.min(chars.len());
            chars.insert(at, junk.chars().next().unwrap());
            let mutated: String = chars.into_iter().collect();
            if let Ok(t) = grammar().parse(&mutated) {
                prop_assert!(grammar().parse(&t.canonical()).is_ok());
            }
        }
    }
}
