//! kurir's dialects: how an event becomes an HTTP request on the wire, and how a received one is verified.
//!
//! # Layout
//!
//! - [`request`]: [`OutboundRequest`], the plain value a dialect produces (method, URL, headers, body).
//! - [`secret`] and [`signature`]: `whsec_…` secrets and Standard Webhooks signing and verification, from
//!   kurir-verify (the crate integrators use to check what kurir sends), so the rule is written once.
//! - [`standard`]: the `standard` dialect (`{"type","timestamp","data"}`).
//! - [`dealpos`]: the `dealpos` dialect (the payload as published, one URL per event type).
//! - [`zort`]: the `zort` dialect (`?method=`, a form field `payload`, the key headers).
//! - [`encode`]: picks the endpoint's dialect.
//! - [`inbound`]: checking a vendor's credentials and reading its body, for sources.
//!
//! # Design
//!
//! Encoding returns a request value and never sends it; verification takes `now` as an argument. So this crate
//! does no I/O and reads no clock, and every dialect is pinned by known-answer tests (the standard-webhooks
//! repository's vectors among them). The engine owns the socket.

pub mod dealpos;
pub mod error;
pub mod inbound;
pub mod request;
pub mod standard;
pub mod zort;

/// Fixtures for the dialects' known-answer tests and the crate's benchmarks (which, as a separate target,
/// cannot see a `#[cfg(test)]` module). Not part of the API.
#[doc(hidden)]
pub mod test_support;

pub use error::WireError;
pub use kurir_verify::{secret, signature, SignKey, SigningKey, WebhookSecret};
pub use request::{loggable, loggable_response_headers, OutboundRequest};

use kurir_core::catalog::ZortTrigger;
use kurir_core::endpoint::{Dialect, Endpoint};
use kurir_core::event::Event;

/// Encodes one attempt of `event` for `endpoint` at `now_ms`, in the endpoint's dialect. `trigger` is the event
/// type's ZORT data, when it has any (which query parameters the `zort` dialect adds).
pub fn encode(
    event: &Event,
    endpoint: &Endpoint,
    trigger: Option<&ZortTrigger>,
    now_ms: i64,
) -> Result<OutboundRequest, WireError> {
    match endpoint.dialect {
        Dialect::Standard => standard::encode(event, endpoint, now_ms),
        Dialect::Dealpos => dealpos::encode(event, endpoint, now_ms),
        Dialect::Zort => zort::encode(event, endpoint, trigger, now_ms),
    }
}

/// The endpoint's keys that sign at `now_ms` (HMAC secrets and ed25519 keys), parsed.
pub(crate) fn secrets_at(endpoint: &Endpoint, now_ms: i64) -> Result<Vec<SignKey>, WireError> {
    endpoint.live_secrets(now_ms).map(|s| SignKey::parse(s).map_err(WireError::from)).collect()
}
