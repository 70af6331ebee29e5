//! The `standard` dialect: Standard Webhooks.
//!
//! Body: `{"type": <event type>, "timestamp": <RFC 3339 of the event>, "data": <payload>}` where the payload is
//! spliced in byte for byte as it was published. Headers: `webhook-id` (the event id: the same across retries and
//! endpoints, so receivers can deduplicate), `webhook-timestamp` (the attempt's time, which the receiver checks
//! against its clock) and `webhook-signature` (one `v1,…` per live secret).

use kurir_core::endpoint::Endpoint;
use kurir_core::event::Event;

use crate::request::base_headers;
use crate::{signature, OutboundRequest, WireError};

/// Encodes one attempt of `event` for `endpoint` at `now_ms`.
pub fn encode(event: &Event, endpoint: &Endpoint, now_ms: i64) -> Result<OutboundRequest, WireError> {
    let body = envelope(event)?;
    let mut headers = base_headers("application/json", endpoint);
    headers.extend(signature::headers(&crate::secrets_at(endpoint, now_ms)?, event.id.as_str(), now_ms, &body));
    Ok(OutboundRequest { method: "POST", url: endpoint.url_for(&event.event_type), headers, body })
}

/// The Standard Webhooks envelope around the payload.
pub fn envelope(event: &Event) -> Result<Vec<u8>, WireError> {
    let timestamp = rfc3339(event.created_at_ms)?;
    let event_type = serde_json::Value::String(event.event_type.clone());
    Ok(format!(r#"{{"type":{event_type},"timestamp":"{timestamp}","data":{}}}"#, event.payload).into_bytes())
}

fn rfc3339(unix_ms: i64) -> Result<String, WireError> {
    kurir_core::time::rfc3339_checked(unix_ms).ok_or(WireError::TimeOutOfRange)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::{verify, SignedHeaders};
    use crate::test_support::{endpoint, event, SECRET};
    use crate::WebhookSecret;
    use kurir_core::endpoint::{Dialect, SigningSecret};

    #[test]
    fn pinned_request() {
        let request =
            encode(&event(), &endpoint(Dialect::Standard), 1_732_350_001_999).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(request.method, "POST");
        assert_eq!(request.url, "https://example.com/hooks/productCreated");
        let body = String::from_utf8_lossy(&request.body);
        assert_eq!(
            body,
            r#"{"type":"productCreated","timestamp":"2024-11-23T08:20:00.123Z","data":{"ID": "p-1",  "Name":"Dress"}}"#
        );
        let names: Vec<&str> = request.headers.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["content-type", "x-store", "webhook-id", "webhook-timestamp", "webhook-signature"]);
        assert_eq!(request.header("webhook-id"), Some("evt_01JD0000000000000000000000"));
        assert_eq!(request.header("webhook-timestamp"), Some("1732350001"));
        let secret = WebhookSecret::parse(SECRET).unwrap_or_else(|err| panic!("{err}"));
        let headers = SignedHeaders {
            id: request.header("webhook-id"),
            timestamp: request.header("webhook-timestamp"),
            signature: request.header("webhook-signature"),
        };
        assert_eq!(verify([&secret], headers, &request.body, 1_732_350_002), Ok(()));
    }

    #[test]
    fn body_is_valid_json_with_the_payload_as_data() {
        let request = encode(&event(), &endpoint(Dialect::Standard), 0).unwrap_or_else(|err| panic!("{err}"));
        let value: serde_json::Value = serde_json::from_slice(&request.body).unwrap_or_default();
        assert_eq!(value["data"]["Name"], "Dress");
        assert_eq!(value["type"], "productCreated");
    }

    #[test]
    fn expired_rotation_secret_stops_signing() {
        let mut endpoint = endpoint(Dialect::Standard);
        let old = WebhookSecret::from_random([3; 24]).expose();
        endpoint.secrets.push(SigningSecret { secret: old, expires_at_ms: Some(5_000) });
        let signatures = |now_ms| {
            let request = encode(&event(), &endpoint, now_ms).unwrap_or_else(|err| panic!("{err}"));
            request.header("webhook-signature").map(|s| s.split(' ').count())
        };
        assert_eq!(signatures(4_999), Some(2));
        assert_eq!(signatures(5_000), Some(1));
    }
}
