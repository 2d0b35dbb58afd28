//! artifact-release's outside inputs: S3 notification keys (form-URL-encoded) and matching them
//! against routing rules with named captures. Never a panic; a decoded key round-trips through
//! S3's encoding; a match's captures are non-empty, never hold `/`, and put back into the pattern
//! give exactly the key.
//!
//! Input: the first byte picks the mode. 0: an encoded key, matched against the sample rules
//! (events/switchyard.env). 1: `pattern NUL key`, both fuzzed. 2: a whole rules document (the
//! Flink and Lambda fields included): parsed or refused with a message, never a panic; a rule it
//! accepts has at least one rule.
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchyard_core::artifact_release::pattern::{Captures, KeyPattern};
use switchyard_core::artifact_release::rules::Rules;
use switchyard_core::sources::s3;
use switchyard_integration_tests::artifact_config;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    if mode % 3 == 2 {
        match Rules::parse(&text) {
            Ok(rules) => assert!(!rules.rules.is_empty()),
            Err(message) => assert!(!message.is_empty()),
        }
    } else if mode % 3 == 0 {
        let Ok(key) = s3::decode_notification_key(&text) else {
            return;
        };
        assert_eq!(
            s3::decode_notification_key(&s3::encode_notification_key(&key)).as_deref(),
            Ok(key.as_str())
        );
        if s3::validate_key(&key).is_err() {
            return;
        }
        for bucket in ["acme-artifacts", "acme-legacy-artifacts"] {
            if let Ok(Some((rule, captures))) = artifact_config().rules.first_match(bucket, &key) {
                check_captures(rule.pattern.as_str(), &key, &captures);
            }
        }
    } else {
        let Some((pattern, key)) = text.split_once('\0') else {
            return;
        };
        let Ok(pattern) = KeyPattern::parse(pattern) else {
            return;
        };
        if let Ok(Some(captures)) = pattern.matches(key) {
            check_captures(pattern.as_str(), key, &captures);
        }
    }
});

fn check_captures(pattern: &str, key: &str, captures: &Captures) {
    for (name, value) in captures {
        assert!(!value.is_empty() && !value.contains('/'), "{name}={value:?}");
    }
    // Put each capture back where the pattern names it: that must give the key again.
    let mut rebuilt = String::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        rebuilt.push_str(&rest[..open]);
        let close = open + rest[open..].find('}').unwrap();
        let name = &rest[open + 1..close];
        rebuilt.push_str(&captures.iter().find(|(n, _)| n == name).unwrap().1);
        rest = &rest[close + 1..];
    }
    rebuilt.push_str(rest);
    assert_eq!(rebuilt, key, "pattern {pattern:?}");
}
