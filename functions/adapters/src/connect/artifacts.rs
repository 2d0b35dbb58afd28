//! The desired state's reader for the Lambda: a pipeline job's input artifact read with the job's
//! temporary `artifactCredentials`, or an uploaded bundle's object version read with the
//! function's own role, or a recorded desired state read again for a drift check with the
//! function's own role; the zip is unpacked by [`super::files`].

use aws_config::SdkConfig;
use switchyard_core::kafka_sync::ports::{
    ArtifactError, ArtifactLocation, ArtifactReader, DesiredArtifact,
};

use super::files;
use crate::aws::s3;

pub struct S3Artifacts {
    /// Region and endpoint for the clients a job's credentials sign with.
    sdk: SdkConfig,
    /// The function's own role, for bundles.
    own: aws_sdk_s3::Client,
}

impl S3Artifacts {
    pub fn new(sdk: &SdkConfig) -> Self {
        S3Artifacts {
            sdk: sdk.clone(),
            own: s3::client(sdk),
        }
    }
}

/// A late or retried upload event must not re-apply an older desired state: its version must still
/// be the object's current one. (An upload racing this check is applied by its own event next.)
async fn still_current(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    version: &str,
) -> Result<(), ArtifactError> {
    let current = s3::current_version(client, bucket, key)
        .await
        .map_err(|e| ArtifactError::Unreadable {
            message: e.to_string(),
            retryable: e.retryable,
        })?;
    if current.as_deref() == Some(version) {
        Ok(())
    } else {
        Err(ArtifactError::Superseded { current })
    }
}

impl ArtifactReader for S3Artifacts {
    async fn read(
        &self,
        location: ArtifactLocation<'_>,
        directory: &str,
    ) -> Result<DesiredArtifact, ArtifactError> {
        let object = match location {
            ArtifactLocation::JobInput {
                bucket,
                key,
                credentials,
            } => {
                let credentials = credentials.ok_or(ArtifactError::NoCredentials)?;
                let client = s3::client_with_credentials(
                    &self.sdk,
                    &credentials.access_key_id,
                    &credentials.secret_access_key,
                    &credentials.session_token,
                );
                s3::get_object(&client, bucket, key, None).await
            }
            ArtifactLocation::Bundle {
                bucket,
                key,
                version_id,
            } => {
                if let Some(version) = version_id {
                    still_current(&self.own, bucket, key, version).await?;
                }
                s3::get_object(&self.own, bucket, key, version_id).await
            }
            ArtifactLocation::Recorded {
                bucket,
                key,
                version_id,
            } => s3::get_object(&self.own, bucket, key, version_id).await,
        }
        .map_err(|e| ArtifactError::Unreadable {
            message: e.to_string(),
            retryable: e.retryable,
        })?;
        let files = files::read_zip(&object.bytes, directory)
            .map_err(|e| ArtifactError::NotDesiredState(e.to_string()))?;
        Ok(DesiredArtifact {
            files,
            written_at: object.last_modified,
        })
    }
}
