//! Events: one published or received occurrence of an event type.

use crate::id::{ApiKeyId, EndpointId, EventId, TenantId};
use crate::CoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: EventId,
    pub tenant: TenantId,
    pub event_type: String,
    /// The payload as JSON text, kept byte for byte as it was validated (dialects send it unchanged).
    pub payload: String,
    /// `<entity>:<value>`; deliveries of one endpoint that share it go out in publish order.
    pub ordering_key: Option<String>,
    /// The API key that published it; endpoints owned by that key do not get it (loop suppression).
    pub origin_key: Option<ApiKeyId>,
    pub idempotency_key: Option<String>,
    /// ZORT's query parameters (`id`, `number`, `paymentstatus`) when the publisher gave them; otherwise they
    /// are read from the payload.
    pub params: Option<ZortParams>,
    pub created_at_ms: i64,
    /// The endpoint one of kurir's operational events is about: it never gets the event (no loop). Used when
    /// the event is published; not stored.
    pub subject_endpoint: Option<EndpointId>,
}

/// The values of ZORT's extra query parameters, as text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZortParams {
    pub id: Option<String>,
    pub number: Option<String>,
    pub paymentstatus: Option<String>,
}

impl ZortParams {
    /// The value of one parameter by its query name.
    pub fn get(&self, name: &str) -> Option<&str> {
        match name {
            "id" => self.id.as_deref(),
            "number" => self.number.as_deref(),
            "paymentstatus" => self.paymentstatus.as_deref(),
            _ => None,
        }
    }
}

pub const MAX_ORDERING_KEY_LEN: usize = 256;
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 256;

/// An ordering key a publisher set itself: 1–256 characters, no control characters.
pub fn validate_ordering_key(key: &str) -> Result<(), CoreError> {
    check_key("ordering_key", key, MAX_ORDERING_KEY_LEN)
}

/// An `Idempotency-Key` header value: 1–256 visible characters.
pub fn validate_idempotency_key(key: &str) -> Result<(), CoreError> {
    check_key("Idempotency-Key", key, MAX_IDEMPOTENCY_KEY_LEN)
}

fn check_key(field: &str, key: &str, max: usize) -> Result<(), CoreError> {
    if key.is_empty() || key.len() > max || key.chars().any(char::is_control) {
        return Err(CoreError::invalid(field, format!("must be 1-{max} characters without control characters")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert!(validate_ordering_key("product:1234").is_ok());
        assert!(validate_ordering_key("").is_err());
        assert!(validate_ordering_key(&"x".repeat(257)).is_err());
        assert!(validate_idempotency_key("a\nb").is_err());
    }
}
