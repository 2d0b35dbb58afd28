//! Lambda request inputs.

use serde::Serialize;

use crate::deadline::WaitUntil;

/// `UpdateFunctionCode` from exactly one S3 object version; then (`Then`) wait until the update
/// is applied (`LastUpdateStatus`), `PublishVersion` guarded by the code's SHA-256 that the
/// update returned, and `UpdateAlias` when the rule names an alias.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateFunctionCode {
    pub function_name: String,
    pub s3_bucket: String,
    pub s3_key: String,
    pub s3_object_version: String,
    /// Not part of the request: the calls that follow it.
    pub then: LambdaFollowUp,
    /// How long the act step may wait for the update: the invocation's budget.
    #[serde(skip)]
    pub wait_until: WaitUntil,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LambdaFollowUp {
    pub publish_version: PublishVersion,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_alias: Option<String>,
}

/// `PublishVersion`: `CodeSha256` is the update's own (so a concurrent update of `$LATEST` fails
/// the publish); the description records which object version the published code is, which is
/// how the next event reads what the alias runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublishVersion {
    pub code_sha256: &'static str,
    pub description: String,
}

impl PublishVersion {
    /// What `code_sha256` says in a plan: the value is known once the update returns.
    pub const FROM_UPDATE: &'static str = "from the UpdateFunctionCode response";
}
