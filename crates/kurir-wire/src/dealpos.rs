//! The `dealpos` dialect: what DealPOS itself sends.
//!
//! `POST` to the endpoint's URL (one per event type: the template's `{event}` is the type's name), body the
//! payload JSON exactly as published, `Content-Type: application/json`. DealPOS puts no event type, id or
//! signature on the wire; kurir adds its `webhook-*` headers unless the endpoint turns them off, which a DealPOS
//! receiver ignores.

use kurir_core::endpoint::Endpoint;
use kurir_core::event::Event;

use crate::request::base_headers;
use crate::{signature, OutboundRequest, WireError};

pub fn encode(event: &Event, endpoint: &Endpoint, now_ms: i64) -> Result<OutboundRequest, WireError> {
    let body = event.payload.clone().into_bytes();
    let mut headers = base_headers("application/json", endpoint);
    if endpoint.signature_headers {
        headers.extend(signature::headers(&crate::secrets_at(endpoint, now_ms)?, event.id.as_str(), now_ms, &body));
    }
    Ok(OutboundRequest { method: "POST", url: endpoint.url_for(&event.event_type), headers, body })
}

#[cfg(test)]
mod tests {
    use kurir_core::endpoint::Dialect;

    use super::*;
    use crate::test_support::{endpoint, event};

    #[test]
    fn pinned_request() {
        let request =
            encode(&event(), &endpoint(Dialect::Dealpos), 1_732_350_001_999).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(request.method, "POST");
        assert_eq!(request.url, "https://example.com/hooks/productCreated");
        assert_eq!(request.body, br#"{"ID": "p-1",  "Name":"Dress"}"#, "the payload byte for byte");
        let headers: Vec<(&str, &str)> = request.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        assert_eq!(
            &headers[..4],
            [
                ("content-type", "application/json"),
                ("x-store", "42"),
                ("webhook-id", "evt_01JD0000000000000000000000"),
                ("webhook-timestamp", "1732350001"),
            ]
        );
        assert_eq!(headers[4].0, "webhook-signature");
        assert_eq!(headers.len(), 5);
    }

    #[test]
    fn signature_headers_can_be_turned_off() {
        let mut endpoint = endpoint(Dialect::Dealpos);
        endpoint.signature_headers = false;
        let request = encode(&event(), &endpoint, 0).unwrap_or_else(|e| panic!("{e}"));
        assert!(request.header("webhook-signature").is_none());
        assert_eq!(request.header("content-type"), Some("application/json"));
    }
}
