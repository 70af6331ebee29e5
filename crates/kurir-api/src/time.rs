//! Timestamps on the wire are RFC 3339; inside kurir they are Unix milliseconds.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::error::ApiError;

pub fn rfc3339(unix_ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

pub fn parse_rfc3339(field: &str, text: &str) -> Result<i64, ApiError> {
    let time = OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|_| ApiError::invalid(field, "must be an RFC 3339 time such as 2026-11-23T08:00:00Z"))?;
    i64::try_from(time.unix_timestamp_nanos() / 1_000_000).map_err(|_| ApiError::invalid(field, "is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        assert_eq!(rfc3339(1_732_350_000_123), "2024-11-23T08:20:00.123Z");
        assert_eq!(parse_rfc3339("since", "2024-11-23T08:20:00.123Z").ok(), Some(1_732_350_000_123));
        assert_eq!(parse_rfc3339("since", "yesterday").err().and_then(|e| e.field), Some("since".to_owned()));
    }
}
