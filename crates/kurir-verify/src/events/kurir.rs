//! kurir's event types as Rust types, one per catalog type.
//!
//! Generated from `catalog/kurir/*.json` by `crates/kurir-verify/tests/generated_events.rs`; do not edit by hand.

use serde::{Deserialize, Serialize};

/// A part of [`KurirDeliveryDead`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct KurirDeliveryDeadDelivery {
    /// Attempts made so far.
    pub attempts: i64,
    /// The event it carries (`evt_…`).
    pub event_id: String,
    /// That event's type.
    pub event_type: String,
    /// The delivery's id (`dlv_…`).
    pub id: String,
    /// Why the latest attempt failed.
    pub last_error: Option<String>,
    /// The receiver's status at the latest attempt; null when no answer came.
    pub last_status: Option<i64>,
    /// When it is tried next; null once dead.
    pub next_attempt_at: Option<String>,
}

/// A part of [`KurirDeliveryDead`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct KurirDeliveryDeadEndpoint {
    /// The endpoint's id (`ep_…`).
    pub id: String,
    /// The endpoint's URL.
    pub url: String,
}

/// `kurir.delivery.dead`: Delivery dead.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct KurirDeliveryDead {
    /// When it happened (RFC 3339).
    pub at: String,
    /// The delivery, after its latest attempt.
    pub delivery: KurirDeliveryDeadDelivery,
    /// The endpoint the event is about.
    pub endpoint: KurirDeliveryDeadEndpoint,
    /// What happened, in words.
    pub reason: String,
}

/// A part of [`KurirDeliveryFailing`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct KurirDeliveryFailingDelivery {
    /// Attempts made so far.
    pub attempts: i64,
    /// The event it carries (`evt_…`).
    pub event_id: String,
    /// That event's type.
    pub event_type: String,
    /// The delivery's id (`dlv_…`).
    pub id: String,
    /// Why the latest attempt failed.
    pub last_error: Option<String>,
    /// The receiver's status at the latest attempt; null when no answer came.
    pub last_status: Option<i64>,
    /// When it is tried next; null once dead.
    pub next_attempt_at: Option<String>,
}

/// A part of [`KurirDeliveryFailing`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct KurirDeliveryFailingEndpoint {
    /// The endpoint's id (`ep_…`).
    pub id: String,
    /// The endpoint's URL.
    pub url: String,
}

/// `kurir.delivery.failing`: Delivery failing.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct KurirDeliveryFailing {
    /// When it happened (RFC 3339).
    pub at: String,
    /// The delivery, after its latest attempt.
    pub delivery: KurirDeliveryFailingDelivery,
    /// The endpoint the event is about.
    pub endpoint: KurirDeliveryFailingEndpoint,
    /// What happened, in words.
    pub reason: String,
}

/// A part of [`KurirEndpointDisabled`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct KurirEndpointDisabledEndpoint {
    /// The endpoint's id (`ep_…`).
    pub id: String,
    /// The endpoint's URL.
    pub url: String,
}

/// `kurir.endpoint.disabled`: Endpoint disabled.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct KurirEndpointDisabled {
    /// When it happened (RFC 3339).
    pub at: String,
    /// The endpoint the event is about.
    pub endpoint: KurirEndpointDisabledEndpoint,
    /// What happened, in words.
    pub reason: String,
}

/// A part of [`KurirEndpointRecovered`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct KurirEndpointRecoveredEndpoint {
    /// The endpoint's id (`ep_…`).
    pub id: String,
    /// The endpoint's URL.
    pub url: String,
}

/// `kurir.endpoint.recovered`: Endpoint recovered.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct KurirEndpointRecovered {
    /// When it happened (RFC 3339).
    pub at: String,
    /// The endpoint the event is about.
    pub endpoint: KurirEndpointRecoveredEndpoint,
    /// Failed attempts in a row before it recovered.
    pub failed_attempts: i64,
    /// What happened, in words.
    pub reason: String,
}
