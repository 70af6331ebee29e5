//! Timestamps on the wire are RFC 3339 (`2026-11-24T08:00:00.123Z`); inside kurir they are Unix milliseconds.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Unix milliseconds as RFC 3339 in UTC; `None` outside the years 1-9999.
pub fn rfc3339_checked(unix_ms: i64) -> Option<String> {
    let time = OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_ms) * 1_000_000).ok()?;
    time.format(&Rfc3339).ok()
}

/// Unix milliseconds as RFC 3339 in UTC (empty outside the years 1-9999, which no kurir clock reads).
pub fn rfc3339(unix_ms: i64) -> String {
    rfc3339_checked(unix_ms).unwrap_or_default()
}

/// RFC 3339 text as Unix milliseconds.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let time = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    i64::try_from(time.unix_timestamp_nanos() / 1_000_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        assert_eq!(rfc3339(1_732_350_000_123), "2024-11-23T08:20:00.123Z");
        assert_eq!(parse_rfc3339("2024-11-23T08:20:00.123Z"), Some(1_732_350_000_123));
        assert_eq!(parse_rfc3339("yesterday"), None);
        assert_eq!(rfc3339_checked(i64::MAX), None);
    }
}
