//! What `artifact-release` reads before deploying: which object version each target runs, and
//! the order of an object's versions (so a late event never brings an older one back).

use std::future::Future;

use time::OffsetDateTime;

use crate::ports::ObserveError;

/// An S3 object version a target runs (or would run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectVersion {
    pub bucket: String,
    pub key: String,
    /// `None`: the target names the key only (it runs whatever was there when it loaded it).
    pub version: Option<String>,
}

/// A Managed Flink application, as `DescribeApplication` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlinkApplication {
    /// The partition of its ARN (`aws`, `aws-cn`…): the code bucket's ARN is in the same one.
    pub partition: String,
    /// `ApplicationStatus`: `READY`, `RUNNING`, `UPDATING`, `STARTING`…
    pub status: String,
    pub version_id: i64,
    pub conditional_token: Option<String>,
    /// The code's S3 location (`S3ApplicationCodeLocationDescription`); `None` for code that is
    /// not in S3 (inline text or a zip uploaded directly).
    pub code: Option<ObjectVersion>,
}

/// One Lambda function version (or what an alias points at), as `GetFunction` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LambdaVersion {
    /// `Configuration.Version`: `$LATEST` or a number.
    pub version: String,
    pub code_sha256: String,
    /// `Configuration.Description`: for a version Switchyard published, the object version it
    /// is (`super::pin`).
    pub description: String,
}

pub trait ArtifactTargets: Sync {
    /// `DescribeApplication`; `None`: no such application.
    fn flink_application(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<FlinkApplication>, ObserveError>> + Send;

    /// `GetFunction` (of `qualifier`, an alias, when given); `None`: no such function or alias.
    fn lambda_function(
        &self,
        name: &str,
        qualifier: Option<&str>,
    ) -> impl Future<Output = Result<Option<LambdaVersion>, ObserveError>> + Send;

    /// The revision (`revisionId`: an S3 object version id for an S3 source) that the latest
    /// execution of `pipeline` ran for `source_action` (`ListPipelineExecutions`, newest first);
    /// `None`: no execution, no such pipeline, or the action ran no revision yet.
    fn pipeline_source_revision(
        &self,
        pipeline: &str,
        source_action: &str,
    ) -> impl Future<Output = Result<Option<String>, ObserveError>> + Send;

    /// `HeadObject` of that version: its `LastModified`; `None`: the version does not exist.
    fn object_last_modified(
        &self,
        bucket: &str,
        key: &str,
        version: &str,
    ) -> impl Future<Output = Result<Option<OffsetDateTime>, ObserveError>> + Send;

    /// `HeadObject` without a version: the key's current version; `None`: none (deleted).
    fn current_version(
        &self,
        bucket: &str,
        key: &str,
    ) -> impl Future<Output = Result<Option<String>, ObserveError>> + Send;
}
