//! An event and an endpoint for the dialects' known-answer tests and the benchmarks.

use std::collections::BTreeMap;

use kurir_core::endpoint::{Dialect, Endpoint, SigningSecret, ZortKeys, DEFAULT_TIMEOUT_MS};
use kurir_core::event::Event;
use kurir_core::id::{EndpointId, EventId};

/// The standard-webhooks repository's test secret.
pub const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

pub fn event() -> Event {
    Event {
        id: "evt_01JD0000000000000000000000".parse().unwrap_or_else(|_| EventId::generate(0, 0)),
        tenant: "acme".parse().unwrap_or_else(|_| unreachable!()),
        event_type: "productCreated".into(),
        payload: r#"{"ID": "p-1",  "Name":"Dress"}"#.into(),
        ordering_key: None,
        origin_key: None,
        idempotency_key: None,
        params: None,
        created_at_ms: 1_732_350_000_123,
        subject_endpoint: None,
    }
}

pub fn endpoint(dialect: Dialect) -> Endpoint {
    Endpoint {
        id: EndpointId::generate(0, 0),
        tenant: "acme".parse().unwrap_or_else(|_| unreachable!()),
        url: "https://example.com/hooks/{event}".into(),
        dialect,
        description: String::new(),
        event_types: None,
        headers: BTreeMap::from([("X-Store".to_owned(), "42".to_owned())]),
        secrets: vec![SigningSecret { secret: SECRET.into(), expires_at_ms: None }],
        retry_schedule: None,
        timeout_ms: DEFAULT_TIMEOUT_MS,
        enabled: true,
        disabled_reason: None,
        owner_key: None,
        zort_keys: Some(ZortKeys { key1: "k-one".into(), key2: "k-two".into(), key3: "k-three".into() }),
        signature_headers: true,
        auth: None,
        max_in_flight: None,
        circuit: Default::default(),
        rate_limit: None,
        created_at_ms: 0,
        updated_at_ms: 0,
    }
}
