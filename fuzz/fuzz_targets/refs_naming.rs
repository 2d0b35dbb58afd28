//! Ref validation and name derivation on arbitrary strings: never a panic, accepted refs keep
//! git's rules, and every derived name is valid for its service whatever the ref.
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchyard_core::naming::{branch_names, NamePrefix, CLOUDFORMATION, CODEBUILD, CODEPIPELINE, S3_PREFIX};
use switchyard_core::refs::{kind_of_full_ref, RefKind, RefName, MAX_REF_BYTES};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // A NUL splits the input into (repository, ref) so both parts of a name are fuzzed.
    let (repository, name) = text.split_once('\0').unwrap_or(("payments-service", &text));

    if let Ok(r) = RefName::parse(name) {
        let r = r.as_str();
        assert!(!r.is_empty() && r.len() <= MAX_REF_BYTES);
        assert!(!r.chars().any(|c| c.is_ascii_control() || " ~^:?*[\\".contains(c)), "{r:?}");
        for seq in ["..", "@{", "//"] {
            assert!(!r.contains(seq), "{r:?}");
        }
        assert!(!r.starts_with(['-', '/']) && !r.ends_with(['/', '.']), "{r:?}");
    }
    for kind in [RefKind::Branch, RefKind::Tag] {
        if let Ok(short) = RefName::parse_full(name, kind) {
            assert_eq!(kind_of_full_ref(name), Some(kind));
            assert!(name.ends_with(short.as_str()));
        }
    }

    let prefix = NamePrefix::parse("sy").unwrap();
    let names = branch_names(&prefix, repository, name);
    assert!(CODEPIPELINE.is_valid(&names.pipeline), "{names:?}");
    assert!(CLOUDFORMATION.is_valid(&names.stack), "{names:?}");
    assert!(CODEBUILD.is_valid(&names.build_project), "{names:?}");
    assert!(S3_PREFIX.is_valid(&names.artifact_prefix), "{names:?}");
    assert!(names.pipeline.starts_with(&names.artifact_prefix));
});
