//! Managed Service for Apache Flink (`kinesisanalyticsv2`) request inputs.

use serde::Serialize;

use crate::deadline::WaitUntil;

/// `UpdateApplication`: the application's code becomes exactly one S3 object version, guarded by
/// the `ConditionalToken` read just before (a concurrent change fails the update instead of being
/// overwritten). What follows the request itself is in `Then`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateApplication {
    pub application_name: String,
    /// From `DescribeApplication`; `None` only for an application that has none, which is then
    /// guarded by `CurrentApplicationVersionId` instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditional_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_application_version_id: Option<i64>,
    pub application_configuration_update: ApplicationConfigurationUpdate,
    /// For a RUNNING application: how it restarts on the new code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_configuration_update: Option<RunConfiguration>,
    /// Not part of the request: the calls that follow it.
    pub then: FlinkFollowUp,
    /// How long the act step may follow the operation: the invocation's budget.
    #[serde(skip)]
    pub follow_until: WaitUntil,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ApplicationConfigurationUpdate {
    pub application_code_configuration_update: ApplicationCodeConfigurationUpdate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ApplicationCodeConfigurationUpdate {
    pub code_content_update: CodeContentUpdate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CodeContentUpdate {
    pub s3_content_location_update: S3ContentLocationUpdate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct S3ContentLocationUpdate {
    #[serde(rename = "BucketARNUpdate")]
    pub bucket_arn_update: String,
    #[serde(rename = "FileKeyUpdate")]
    pub file_key_update: String,
    #[serde(rename = "ObjectVersionUpdate")]
    pub object_version_update: String,
}

/// `RunConfiguration` / `RunConfigurationUpdate` (the same members for a Flink application).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RunConfiguration {
    pub flink_run_configuration: FlinkRunConfiguration,
    pub application_restore_configuration: ApplicationRestoreConfiguration,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FlinkRunConfiguration {
    pub allow_non_restored_state: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ApplicationRestoreConfiguration {
    /// `RESTORE_FROM_LATEST_SNAPSHOT`, `SKIP_RESTORE_FROM_SNAPSHOT` or
    /// `RESTORE_FROM_CUSTOM_SNAPSHOT`.
    pub application_restore_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot_name: Option<String>,
}

/// After `UpdateApplication`: start a READY application if the rule says so, follow the
/// returned operation (`DescribeApplicationOperation`) until SUCCESSFUL or FAILED within the
/// budget, and on FAILED roll back if the rule says so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FlinkFollowUp {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_application: Option<RunConfiguration>,
    pub describe_application_operation: &'static str,
    pub rollback_application_on_failure: bool,
}

impl FlinkFollowUp {
    /// What `describe_application_operation` says in a plan.
    pub const FOLLOW: &'static str = "until SUCCESSFUL or FAILED, within the invocation's budget";
}
