//! Timestamps on the wire are RFC 3339; inside kurir they are Unix milliseconds.

pub use kurir_core::time::rfc3339;

use crate::error::ApiError;

/// An RFC 3339 time of a request field, or 400 naming the field.
pub fn parse_rfc3339(field: &str, text: &str) -> Result<i64, ApiError> {
    kurir_core::time::parse_rfc3339(text)
        .ok_or_else(|| ApiError::invalid(field, "must be an RFC 3339 time such as 2026-11-23T08:00:00Z"))
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
