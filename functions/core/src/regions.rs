//! The AWS region names Switchyard accepts wherever a region is untrusted input (release tags).
//!
//! A closed list, not a pattern: `eu-west-9` looks like a region but is not one, and a tag naming
//! it must be rejected before anything is derived from it. Source: the `regions` of the `aws`,
//! `aws-cn`, `aws-us-gov` and `aws-eusc` partitions in botocore 1.43.11's `endpoints.json`
//! (the isolated `aws-iso*` partitions are left out). When AWS opens a region, add it here.

/// An AWS partition: regions of different partitions never share accounts or credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partition {
    /// `aws`: the commercial regions.
    Aws,
    /// `aws-cn`: Beijing and Ningxia.
    China,
    /// `aws-us-gov`: AWS GovCloud (US).
    GovCloud,
    /// `aws-eusc`: AWS European Sovereign Cloud.
    EuropeanSovereignCloud,
}

impl Partition {
    pub fn as_str(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::China => "aws-cn",
            Partition::GovCloud => "aws-us-gov",
            Partition::EuropeanSovereignCloud => "aws-eusc",
        }
    }
}

/// Every known region with its partition.
pub const REGIONS: &[(&str, Partition)] = &[
    ("af-south-1", Partition::Aws),
    ("ap-east-1", Partition::Aws),
    ("ap-east-2", Partition::Aws),
    ("ap-northeast-1", Partition::Aws),
    ("ap-northeast-2", Partition::Aws),
    ("ap-northeast-3", Partition::Aws),
    ("ap-south-1", Partition::Aws),
    ("ap-south-2", Partition::Aws),
    ("ap-southeast-1", Partition::Aws),
    ("ap-southeast-2", Partition::Aws),
    ("ap-southeast-3", Partition::Aws),
    ("ap-southeast-4", Partition::Aws),
    ("ap-southeast-5", Partition::Aws),
    ("ap-southeast-6", Partition::Aws),
    ("ap-southeast-7", Partition::Aws),
    ("ca-central-1", Partition::Aws),
    ("ca-west-1", Partition::Aws),
    ("eu-central-1", Partition::Aws),
    ("eu-central-2", Partition::Aws),
    ("eu-north-1", Partition::Aws),
    ("eu-south-1", Partition::Aws),
    ("eu-south-2", Partition::Aws),
    ("eu-west-1", Partition::Aws),
    ("eu-west-2", Partition::Aws),
    ("eu-west-3", Partition::Aws),
    ("il-central-1", Partition::Aws),
    ("me-central-1", Partition::Aws),
    ("me-south-1", Partition::Aws),
    ("mx-central-1", Partition::Aws),
    ("sa-east-1", Partition::Aws),
    ("us-east-1", Partition::Aws),
    ("us-east-2", Partition::Aws),
    ("us-west-1", Partition::Aws),
    ("us-west-2", Partition::Aws),
    ("cn-north-1", Partition::China),
    ("cn-northwest-1", Partition::China),
    ("us-gov-east-1", Partition::GovCloud),
    ("us-gov-west-1", Partition::GovCloud),
    ("eusc-de-east-1", Partition::EuropeanSovereignCloud),
];

/// The canonical (`'static`) name of a known region, matched exactly (case-sensitive: AWS region
/// names are lowercase, and `EU-WEST-1` in a tag is a typo, not a region).
pub fn known(name: &str) -> Option<&'static str> {
    REGIONS.iter().find(|(r, _)| *r == name).map(|(r, _)| *r)
}

/// The partition of a known region.
pub fn partition(name: &str) -> Option<Partition> {
    REGIONS.iter().find(|(r, _)| *r == name).map(|(_, p)| *p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_names_only() {
        assert_eq!(known("eu-west-1"), Some("eu-west-1"));
        assert_eq!(partition("cn-north-1"), Some(Partition::China));
        assert_eq!(partition("us-gov-west-1"), Some(Partition::GovCloud));
        for bad in [
            "eu-west-9",
            "EU-WEST-1",
            "eu-west-1 ",
            "global",
            "",
            "us-east",
        ] {
            assert_eq!(known(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn names_are_unique_and_well_formed() {
        let mut names: Vec<&str> = REGIONS.iter().map(|(r, _)| *r).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), REGIONS.len(), "duplicate region");
        for name in names {
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{name}"
            );
            assert!(name.ends_with(|c: char| c.is_ascii_digit()), "{name}");
        }
    }
}
