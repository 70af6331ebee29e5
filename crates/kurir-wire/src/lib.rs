//! kurir's dialects: how an event becomes an HTTP request on the wire, and how a received one is verified.
//!
//! # Layout
//!
//! - [`request`]: [`OutboundRequest`], the plain value a dialect produces (method, URL, headers, body).
//! - [`secret`]: `whsec_…` signing secrets, with a `Debug` that never prints them.
//! - [`signature`]: Standard Webhooks signing and verification (`webhook-signature: v1,<base64>`).
//! - [`standard`]: the `standard` dialect (`{"type","timestamp","data"}`).
//!
//! # Design
//!
//! Encoding returns a request value and never sends it; verification takes `now` as an argument. So this crate
//! does no I/O and reads no clock, and every dialect is pinned by known-answer tests (the standard-webhooks
//! repository's vectors among them). The engine owns the socket.

pub mod error;
pub mod request;
pub mod secret;
pub mod signature;
pub mod standard;

pub use error::WireError;
pub use request::OutboundRequest;
pub use secret::WebhookSecret;
