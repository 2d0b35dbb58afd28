//! tag-release's grammar and derivations on arbitrary strings, with the sample configuration
//! (events/switchyard.env): never a panic; an accepted tag has no empty part, names a configured
//! environment and team, round-trips through its canonical spelling, and derives values with
//! nothing a shell or a URL would interpret; a rejection names the part at fault in one line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchyard_core::tag_release::Release;
use switchyard_integration_tests::tag_config;

fuzz_target!(|data: &[u8]| {
    let tag = String::from_utf8_lossy(data);
    let config = tag_config();
    match config.grammar.parse(&tag) {
        Ok(parsed) => {
            assert!(!parsed.environment.is_empty() && !parsed.team.is_empty(), "{parsed:?}");
            assert!(config.grammar.environments().contains(&parsed.environment));
            assert!(config.grammar.teams().contains(&parsed.team));
            let again = config.grammar.parse(&parsed.canonical()).expect("canonical parses");
            assert_eq!(
                (again.environment.as_str(), again.scope, again.team.as_str(), &again.version),
                (parsed.environment.as_str(), parsed.scope, parsed.team.as_str(), &parsed.version)
            );
            let release = Release::derive(&parsed, config);
            for (name, value) in release.variables() {
                assert!(!value.is_empty(), "{name} empty for {tag:?}");
                if name != "TAG" && name != "VERSION" {
                    assert!(
                        value.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c)),
                        "{name}={value:?}"
                    );
                }
            }
        }
        Err(e) => {
            assert!(!e.message.is_empty() && !e.message.contains('\n'), "{e:?}");
            assert!(e.message.len() < 1024, "message of {} bytes", e.message.len());
        }
    }
});
