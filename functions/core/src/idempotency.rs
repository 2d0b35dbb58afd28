//! Idempotency tokens derived from an event's identity, so a duplicate delivery of the same event
//! sends the same token (CodeBuild `idempotencyToken`, CodePipeline `clientRequestToken`).

use sha2::{Digest, Sha256};

use crate::plan::FunctionName;

/// 64 hex characters: fits CodePipeline's `[A-Za-z0-9-]{1,128}` and CodeBuild's token.
///
/// `identity` is what makes the event unique (EventBridge `id`, GitHub delivery id, S3
/// bucket+key+version); `action_index` tells apart several actions of one event.
pub fn token(function: FunctionName, identity: &str, action_index: usize) -> String {
    let mut h = Sha256::new();
    h.update(b"switchyard/idempotency/v1\0");
    h.update(function.as_str().as_bytes());
    h.update([0]);
    h.update((identity.len() as u64).to_be_bytes());
    h.update(identity.as_bytes());
    h.update((action_index as u64).to_be_bytes());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_identity_same_token_and_valid_charset() {
        let a = token(FunctionName::BranchPipelines, "evt-1", 0);
        assert_eq!(a, token(FunctionName::BranchPipelines, "evt-1", 0));
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, token(FunctionName::BranchPipelines, "evt-2", 0));
        assert_ne!(a, token(FunctionName::BranchPipelines, "evt-1", 1));
        assert_ne!(a, token(FunctionName::TagRelease, "evt-1", 0));
    }
}
