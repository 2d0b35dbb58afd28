//! AWS resource names: every service's name rule ([`NameRules`], [`is_s3_bucket_name`]), used
//! to check names from configuration and events, and the one place that turns (repository,
//! branch) into the names of a branch's resources.
//!
//! Every derived name is `<prefix>-<repository>-<branch>-<hash>`, sanitized for the target service,
//! shortened to its length limit, and always carrying a hash of the *raw* repository and branch.
//! The pipeline name puts the hash first (`<prefix>-<hash>-<repository>-<branch>`): CodePipeline
//! stores a pipeline's artifacts in a folder named after the first 20 characters of the pipeline
//! name, so those 20 characters must be unique per branch; they are also the branch's artifact
//! prefix, which the destroyer removes (exactly those 20 characters: a `-` among them is kept, or
//! the destroyer would remove another folder than the one CodePipeline wrote).
//!
//! The hash is never omitted: `-` both joins the parts and may appear inside them, so
//! (`a-b`, `c`) and (`a`, `b-c`) would otherwise render alike, and an attacker who can push a
//! branch could claim another branch's stack (and have it torn down by deleting their own).
//! The hash is 80 bits of SHA-256 (20 hex characters, [`BranchNames::branch_id`]) in every name
//! with room for it: finding another (repository, branch) with the same hash takes about 2^80
//! attempts. The artifact folder is the exception: its 20 characters hold the prefix, a `-` and
//! only `19 - prefix length` hex characters of the hash (68 bits with the default `sy`, 52 with
//! a 6-character prefix); the folder's uniqueness rests on those.

use sha2::{Digest, Sha256};

/// Hex characters of the SHA-256 that identify a branch (80 bits): the branch id, and the hash
/// in every derived name.
pub const HASH_HEX_LEN: usize = 20;

/// The naming rules of one AWS service.
#[derive(Debug, Clone, Copy)]
pub struct NameRules {
    pub service: &'static str,
    pub min_len: usize,
    pub max_len: usize,
    /// The service's own alphabet, as its documentation writes it (for messages).
    pub alphabet: &'static str,
    allowed: fn(char) -> bool,
    /// What the service requires of the first character.
    first: fn(char) -> bool,
}

const ANY: fn(char) -> bool = |_| true;

/// CodePipeline pipeline, stage and action names: `[A-Za-z0-9.@_-]{1,100}`.
pub const CODEPIPELINE: NameRules = NameRules {
    service: "CodePipeline",
    min_len: 1,
    max_len: 100,
    alphabet: "[A-Za-z0-9.@_-]",
    allowed: |c| c.is_ascii_alphanumeric() || matches!(c, '.' | '@' | '_' | '-'),
    first: ANY,
};

/// CodeBuild project names: `[A-Za-z0-9][A-Za-z0-9_-]{1,254}`.
pub const CODEBUILD: NameRules = NameRules {
    service: "CodeBuild",
    min_len: 2,
    max_len: 255,
    alphabet: "[A-Za-z0-9_-]",
    allowed: |c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'),
    first: |c| c.is_ascii_alphanumeric(),
};

/// CloudFormation stack names: `[A-Za-z][A-Za-z0-9-]{0,127}`.
pub const CLOUDFORMATION: NameRules = NameRules {
    service: "CloudFormation",
    min_len: 1,
    max_len: 128,
    alphabet: "[A-Za-z0-9-]",
    allowed: |c| c.is_ascii_alphanumeric() || c == '-',
    first: |c| c.is_ascii_alphabetic(),
};

/// The per-branch artifact folder: the first 20 characters of the pipeline name, which is the
/// folder CodePipeline itself writes the pipeline's artifacts to.
pub const S3_PREFIX: NameRules = NameRules {
    service: "S3 key prefix",
    min_len: 1,
    max_len: 20,
    alphabet: "[A-Za-z0-9.@_-]",
    allowed: |c| c.is_ascii_alphanumeric() || matches!(c, '.' | '@' | '_' | '-'),
    first: ANY,
};

/// S3 general purpose bucket names: 3–63 of `a-z 0-9 . -`, starting and ending with a letter or
/// digit, no `..`.
pub fn is_s3_bucket_name(name: &str) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    (3..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && edge(name.chars().next())
        && edge(name.chars().last())
        && !name.contains("..")
}

impl NameRules {
    /// True if the service itself accepts `name`: its alphabet, length and first character,
    /// without the first-letter rule [`NameRules::is_valid`] adds for names we generate. For
    /// names from configuration and events (a pipeline someone else named).
    pub fn accepts(&self, name: &str) -> bool {
        (self.min_len..=self.max_len).contains(&name.len())
            && name.starts_with(self.first)
            && name.chars().all(self.allowed)
    }

    /// What a valid name looks like, for messages: `CodePipeline name ([A-Za-z0-9.@_-], at most
    /// 100 characters)`.
    pub fn describe(&self) -> String {
        format!(
            "{} name ({}, at most {} characters)",
            self.service, self.alphabet, self.max_len
        )
    }

    /// True if `name` is valid for this service (first character a letter for every service we
    /// use, which satisfies the strictest rule, CloudFormation's).
    pub fn is_valid(&self, name: &str) -> bool {
        !name.is_empty()
            && name.len() <= self.max_len
            && name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name.chars().all(self.allowed)
    }
}

/// The names one branch's pipeline is known by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchNames {
    /// The branch's identity: 20 hex characters of SHA-256 over the raw (repository, branch).
    /// Every per-branch stack carries it as its `switchyard:branch-id` tag, which is how the
    /// branch's stacks are found (never by their names).
    pub branch_id: String,
    pub pipeline: String,
    pub stack: String,
    pub build_project: String,
    pub artifact_prefix: String,
    /// `<prefix>-<branch id>-`: the stack-name prefix reserved for the stacks the branch's own
    /// build deploys (its environment), and the name of its roles.
    pub environment_prefix: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("name prefix {0:?} must start with a letter and use only letters, digits and '-', at most {MAX_PREFIX_LEN} characters")]
pub struct PrefixError(pub String);

/// Longest prefix: `<prefix>-` and at least 13 hex characters (52 bits) of the hash must fit in
/// the 20 characters CodePipeline keeps of a pipeline name for its artifact folder.
pub const MAX_PREFIX_LEN: usize = 6;

/// The number of leading pipeline-name characters CodePipeline uses as the artifact folder.
const ARTIFACT_FOLDER_LEN: usize = 20;

/// A validated prefix shared by every derived name (e.g. `sy`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamePrefix(String);

impl NamePrefix {
    pub fn parse(prefix: &str) -> Result<Self, PrefixError> {
        let ok = !prefix.is_empty()
            && prefix.len() <= MAX_PREFIX_LEN
            && prefix.starts_with(|c: char| c.is_ascii_alphabetic())
            && prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !prefix.ends_with('-');
        if ok {
            Ok(NamePrefix(prefix.to_owned()))
        } else {
            Err(PrefixError(prefix.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Derives every per-branch name from the raw (repository, branch) pair.
pub fn branch_names(prefix: &NamePrefix, repository: &str, branch: &str) -> BranchNames {
    let hash = identity_hash(repository, branch);
    let name = |rules: &NameRules| derive(rules, prefix.as_str(), &[repository, branch], &hash);
    let hash_first = format!("{}-{hash}", prefix.as_str());
    let pipeline = derive(&CODEPIPELINE, &hash_first, &[repository, branch], "");
    // Exactly the folder CodePipeline writes to. `<prefix>-<20 hex>` is longer than 20
    // characters, so the folder always ends inside the hash.
    let artifact_prefix = pipeline[..ARTIFACT_FOLDER_LEN].to_owned();
    BranchNames {
        environment_prefix: format!("{hash_first}-"),
        pipeline,
        stack: name(&CLOUDFORMATION),
        build_project: name(&CODEBUILD),
        artifact_prefix,
        branch_id: hash,
    }
}

/// Characters a `switchyard:branch` tag value carries as they are: those every service's tags
/// accept (CloudFormation propagates stack tags to the roles, projects and pipelines it creates,
/// and IAM's tag alphabet is the narrowest), without spaces, so the tag list can be passed to
/// `--tags` as words.
fn plain_tag_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '=' | '+' | '-' | '@')
}

/// What marks a base64url-encoded branch in a tag value. Git forbids `:` in ref names, so no
/// branch is ever written plainly with this start.
const ENCODED_BRANCH: &str = "b64:";

/// The longest tag value AWS accepts.
const MAX_TAG_VALUE_LEN: usize = 256;

/// The `switchyard:branch` tag value for a branch: the branch itself when every character is
/// plain, otherwise `b64:` and its base64url encoding. `None` when that exceeds the 256
/// characters of a tag value (the branch id still identifies the branch).
pub fn branch_tag_value(branch: &str) -> Option<String> {
    use base64::Engine;
    let value = if branch.chars().all(plain_tag_char) {
        branch.to_owned()
    } else {
        format!(
            "{ENCODED_BRANCH}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(branch)
        )
    };
    (!value.is_empty() && value.len() <= MAX_TAG_VALUE_LEN).then_some(value)
}

/// The branch a `switchyard:branch` tag value names (the inverse of [`branch_tag_value`]);
/// `None` for a value that is neither plain nor a valid encoding.
pub fn branch_from_tag_value(value: &str) -> Option<String> {
    use base64::Engine;
    match value.strip_prefix(ENCODED_BRANCH) {
        Some(encoded) => base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(encoded)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok()),
        None => (!value.is_empty() && value.chars().all(plain_tag_char)).then(|| value.to_owned()),
    }
}

fn identity_hash(repository: &str, branch: &str) -> String {
    // Length-prefixing keeps ("ab", "c") and ("a", "bc") apart inside the hash too.
    let mut h = Sha256::new();
    h.update(b"switchyard/naming/v1\0");
    h.update((repository.len() as u64).to_be_bytes());
    h.update(repository.as_bytes());
    h.update(branch.as_bytes());
    let digest = hex::encode(h.finalize());
    digest[..HASH_HEX_LEN].to_owned()
}

/// `<prefix>-<part>-<part>…-<hash>` (no trailing hash when `hash` is empty), with each part
/// sanitized to the service's alphabet and the readable middle shortened so the whole fits.
fn derive(rules: &NameRules, prefix: &str, parts: &[&str], hash: &str) -> String {
    let mut body = String::new();
    for part in parts {
        let slug = slug(part, rules.allowed);
        if !slug.is_empty() {
            body.push('-');
            body.push_str(&slug);
        }
    }
    let suffix = if hash.is_empty() {
        String::new()
    } else {
        format!("-{hash}")
    };
    let budget = rules.max_len - prefix.len() - suffix.len();
    if body.len() > budget {
        body.truncate(budget); // slug is ASCII, so any index is a char boundary
        while body.ends_with('-') {
            body.pop();
        }
    }
    format!("{prefix}{body}{suffix}")
}

/// Characters outside the alphabet become '-', runs of '-' collapse, no '-' at the ends.
fn slug(raw: &str, allowed: fn(char) -> bool) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        let c = if c != '-' && allowed(c) && c.is_ascii() {
            c
        } else {
            '-'
        };
        if c == '-' && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        out.push(c);
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn sy() -> NamePrefix {
        NamePrefix::parse("sy").unwrap()
    }

    fn all_valid(n: &BranchNames) {
        assert!(CODEPIPELINE.is_valid(&n.pipeline), "{n:?}");
        assert!(CLOUDFORMATION.is_valid(&n.stack), "{n:?}");
        assert!(CODEBUILD.is_valid(&n.build_project), "{n:?}");
        assert!(S3_PREFIX.is_valid(&n.artifact_prefix), "{n:?}");
    }

    #[test]
    fn readable_and_deterministic() {
        let a = branch_names(&sy(), "payments", "feature/ABC-1_x");
        assert!(a.stack.starts_with("sy-payments-feature-ABC-1-x-"), "{a:?}");
        assert!(
            a.pipeline.starts_with("sy-") && a.pipeline.ends_with("-payments-feature-ABC-1_x"),
            "{a:?}"
        );
        assert_eq!(a.artifact_prefix, a.pipeline[..20]);
        assert_eq!(a, branch_names(&sy(), "payments", "feature/ABC-1_x"));
        all_valid(&a);
    }

    #[test]
    fn lookalike_branches_do_not_collide() {
        let a = branch_names(&sy(), "app", "feature/ABC-1_x");
        let b = branch_names(&sy(), "app", "feature-ABC-1-x");
        assert_ne!(a.stack, b.stack);
        assert_ne!(a.pipeline, b.pipeline);
        let c = branch_names(&sy(), "a-b", "c");
        let d = branch_names(&sy(), "a", "b-c");
        assert_ne!(c.stack, d.stack);
    }

    #[test]
    fn long_unicode_branch_gives_valid_names() {
        let branch = "ü".repeat(125); // 250 characters, 250 non-ASCII bytes*2
        let n = branch_names(&sy(), "repo", &branch);
        all_valid(&n);
        let long_ascii = "x".repeat(250);
        let n = branch_names(&sy(), "repo", &long_ascii);
        all_valid(&n);
        assert_eq!(n.pipeline.len(), 100);
        assert_eq!(n.stack.len(), 128);
    }

    #[test]
    fn shell_metacharacters_never_survive() {
        let n = branch_names(&sy(), "repo", "x;$(rm -rf /)|`id`");
        all_valid(&n);
        for name in [&n.pipeline, &n.stack, &n.build_project, &n.artifact_prefix] {
            assert!(!name.contains(|c: char| ";$()|` /".contains(c)), "{name}");
        }
    }

    #[test]
    fn the_artifact_folder_is_exactly_the_first_20_characters_of_the_pipeline_name() {
        // Regression: the folder used to drop a trailing '-', so for a pipeline name whose 20th
        // character was '-' the destroyer removed another folder than CodePipeline wrote.
        for prefix in ["s", "sy", "abc", "abcd", "abcde", "abcdef"] {
            let prefix = NamePrefix::parse(prefix).unwrap();
            for branch in ["x", "a-b", "-", "feature/--x", &"y-".repeat(40)] {
                let n = branch_names(&prefix, "r-e-p-o", branch);
                assert_eq!(n.artifact_prefix, n.pipeline[..20], "{n:?}");
                assert!(n.pipeline.starts_with(&n.environment_prefix), "{n:?}");
                assert!(n.environment_prefix.ends_with(&format!("{}-", n.branch_id)));
            }
        }
    }

    #[test]
    fn the_branch_id_is_80_bits_and_in_every_name_with_room_for_it() {
        let n = branch_names(&sy(), "payments", &"x".repeat(300));
        assert_eq!(n.branch_id.len(), 20);
        assert!(n.branch_id.chars().all(|c| c.is_ascii_hexdigit()));
        for name in [&n.pipeline, &n.stack, &n.build_project] {
            assert!(name.contains(&n.branch_id), "{name}");
        }
        // The folder keeps what fits: 17 hex characters (68 bits) after `sy-`.
        assert_eq!(n.artifact_prefix, format!("sy-{}", &n.branch_id[..17]));
    }

    #[test]
    fn branch_tags_carry_any_branch_and_only_tag_characters() {
        for branch in ["feature/x", "x;$(rm -rf /)|`id`", "ü/ß", "a b", "b64", "@"] {
            let value = branch_tag_value(branch).unwrap();
            assert!(
                value.chars().all(|c| plain_tag_char(c) || c == ':'),
                "{value}"
            );
            assert_eq!(branch_from_tag_value(&value).as_deref(), Some(branch));
        }
        assert_eq!(branch_tag_value("feature/x").unwrap(), "feature/x");
        assert!(branch_tag_value(&"ü".repeat(200)).is_none());
        assert!(branch_from_tag_value("b64:!!").is_none());
        assert!(branch_from_tag_value("a;b").is_none());
    }

    #[test]
    fn prefix_is_validated() {
        assert!(NamePrefix::parse("sy").is_ok());
        for bad in ["", "1sy", "sy_", "sy-", "a".repeat(7).as_str()] {
            assert!(NamePrefix::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn no_collisions_across_a_large_generated_set() {
        // Branch names chosen to sanitize to the same slugs as often as possible.
        let seps = ["/", "-", "_", ".", "--", "/-", "ü", " "];
        let mut seen: HashMap<String, String> = HashMap::new();
        for i in 0..2000 {
            for sep in seps {
                let branch = format!("feature{sep}ABC{sep}{i}");
                let n = branch_names(&sy(), "repo", &branch);
                if let Some(prev) = seen.insert(n.stack.clone(), branch.clone()) {
                    panic!("{prev:?} and {branch:?} both map to {}", n.stack);
                }
                // The artifact folder (first 20 characters of the pipeline name) is unique too.
                if let Some(prev) =
                    seen.insert(format!("artifacts:{}", n.artifact_prefix), branch.clone())
                {
                    panic!(
                        "{prev:?} and {branch:?} share artifact folder {}",
                        n.artifact_prefix
                    );
                }
            }
        }
        assert_eq!(seen.len(), 2 * 2000 * seps.len());
    }

    proptest! {
        #[test]
        fn every_name_is_valid_for_its_service(repo in "\\PC{0,80}", branch in "\\PC{0,300}") {
            let n = branch_names(&sy(), &repo, &branch);
            prop_assert!(CODEPIPELINE.is_valid(&n.pipeline));
            prop_assert!(CLOUDFORMATION.is_valid(&n.stack));
            prop_assert!(CODEBUILD.is_valid(&n.build_project));
            prop_assert!(S3_PREFIX.is_valid(&n.artifact_prefix));
        }

        #[test]
        fn different_inputs_give_different_names(a in "[a-z/_.-]{1,20}", b in "[a-z/_.-]{1,20}") {
            prop_assume!(a != b);
            let (na, nb) = (branch_names(&sy(), "r", &a), branch_names(&sy(), "r", &b));
            prop_assert_ne!(na.stack, nb.stack);
            prop_assert_ne!(na.pipeline, nb.pipeline);
            prop_assert_ne!(na.artifact_prefix, nb.artifact_prefix);
        }
    }
}
