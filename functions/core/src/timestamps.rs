//! Timestamps in the one format Switchyard reads and writes: RFC 3339 (`2026-11-23T08:05:00Z`).
//! The clock itself is never read here: decisions get "now" as an input.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::json::FieldError;

/// Parses an RFC 3339 timestamp; the error names `field`.
pub fn parse(field: &str, text: &str) -> Result<OffsetDateTime, FieldError> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|e| FieldError::new(field, format!("{text:?} is not an RFC 3339 timestamp: {e}")))
}

/// Formats as RFC 3339 in UTC, to the second.
pub fn format(t: OffsetDateTime) -> String {
    let t = t
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(t);
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// From seconds since the epoch (clamped into the representable range).
pub fn from_unix(seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Seconds since the epoch of a wall-clock time (0 before it).
pub fn epoch_seconds(t: std::time::SystemTime) -> i64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The wall-clock time at `seconds` since the epoch (the epoch for negative values).
pub fn from_epoch_seconds(seconds: i64) -> std::time::SystemTime {
    std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(seconds).unwrap_or(0))
}

/// A wall-clock time as RFC 3339, to the second.
pub fn format_system(t: std::time::SystemTime) -> String {
    format(from_unix(epoch_seconds(t)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_names_the_field() {
        let t = parse("startTime", "2026-11-23T09:05:00.250+01:00").unwrap();
        assert_eq!(format(t), "2026-11-23T08:05:00Z");
        assert_eq!(
            format(from_unix(t.unix_timestamp())),
            "2026-11-23T08:05:00Z"
        );
        let err = parse("startTime", "yesterday").unwrap_err();
        assert_eq!(err.field, "startTime");
    }
}
