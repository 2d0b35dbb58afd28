//! How a deployed object version is written where a target keeps it, and read back: a Lambda
//! version's description, a Flink application's bucket ARN.

use super::ports::ObjectVersion;

const PREFIX: &str = "switchyard artifact-release: s3://";
const VERSION: &str = " version ";
/// Lambda's limit on a version description.
const MAX_DESCRIPTION: usize = 256;

/// The description of a Lambda version published from `version` of `s3://bucket/key`. A key
/// too long to fit is not recorded (the description says so), and that version then guards
/// nothing: [`read`] finds no pin in it.
pub fn describe(bucket: &str, key: &str, version: &str) -> String {
    let pin = format!("{PREFIX}{bucket}/{key}{VERSION}{version}");
    if pin.len() <= MAX_DESCRIPTION {
        pin
    } else {
        crate::text::truncate(
            &format!(
                "switchyard artifact-release: version {version} (the key is too long to record)"
            ),
            MAX_DESCRIPTION,
        )
    }
}

/// The object version a description written by [`describe`] records.
pub fn read(description: &str) -> Option<ObjectVersion> {
    let rest = description.strip_prefix(PREFIX)?;
    let (location, version) = rest.rsplit_once(VERSION)?;
    let (bucket, key) = location.split_once('/')?;
    Some(ObjectVersion {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        version: Some(version.to_owned()).filter(|v| !v.is_empty()),
    })
}

/// `arn:<partition>:s3:::<bucket>`.
pub fn bucket_arn(partition: &str, bucket: &str) -> String {
    format!("arn:{partition}:s3:::{bucket}")
}

/// The bucket of an S3 bucket ARN.
pub fn bucket_of_arn(arn: &str) -> Option<&str> {
    let (_, bucket) = arn.strip_prefix("arn:")?.split_once(":s3:::")?;
    (!bucket.is_empty() && !bucket.contains('/')).then_some(bucket)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pin_reads_back_as_written() {
        let text = describe(
            "acme-artifacts",
            "lambda/thumbs/thumbs 1.2 version 3.zip",
            "v7",
        );
        let pin = read(&text).unwrap();
        assert_eq!(pin.bucket, "acme-artifacts");
        assert_eq!(pin.key, "lambda/thumbs/thumbs 1.2 version 3.zip");
        assert_eq!(pin.version.as_deref(), Some("v7"));
        assert_eq!(read("Thumbnails, hand-deployed"), None);
        let long = describe("acme-artifacts", &"k".repeat(300), "v7");
        assert!(long.len() <= MAX_DESCRIPTION);
        assert_eq!(read(&long), None, "a key too long is not recorded");
    }

    #[test]
    fn bucket_arns_both_ways() {
        assert_eq!(bucket_arn("aws-cn", "b1"), "arn:aws-cn:s3:::b1");
        assert_eq!(
            bucket_of_arn("arn:aws:s3:::acme-artifacts"),
            Some("acme-artifacts")
        );
        assert_eq!(bucket_of_arn("arn:aws:s3:::"), None);
        assert_eq!(bucket_of_arn("acme-artifacts"), None);
    }
}
