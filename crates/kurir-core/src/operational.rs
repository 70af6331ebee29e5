//! kurir's own events about a tenant's endpoints ("operational webhooks"): `kurir.endpoint.disabled`,
//! `kurir.endpoint.recovered`, `kurir.delivery.failing` (after the fourth failed attempt) and `kurir.delivery.dead`.
//! They are events of kurir's catalog (`catalog/kurir/`), published into the tenant and delivered like any other
//! to the endpoints that name them in `event_types`, with two rules against loops:
//!
//! - an event about an endpoint never goes to that endpoint ([`crate::event::Event::subject_endpoint`]);
//! - a delivery of one of these events that fails or dies makes no event of its own.
//!
//! An endpoint that subscribes to every type (no `event_types`) does not get them: they are asked for by name.

use serde_json::{json, Value};

use crate::delivery::NextStep;
use crate::time::rfc3339;

pub const ENDPOINT_DISABLED: &str = "kurir.endpoint.disabled";
pub const ENDPOINT_RECOVERED: &str = "kurir.endpoint.recovered";
pub const DELIVERY_FAILING: &str = "kurir.delivery.failing";
pub const DELIVERY_DEAD: &str = "kurir.delivery.dead";

/// The attempt whose failure makes a delivery "failing".
pub const FAILING_AT_ATTEMPT: u32 = 4;

/// Whether an event type is one of kurir's own, which only kurir publishes.
pub fn is_operational(event_type: &str) -> bool {
    event_type.starts_with("kurir.")
}

/// The endpoint an event is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointRef {
    pub id: String,
    pub url: String,
}

/// The delivery a `kurir.delivery.*` event is about, after its latest attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRef {
    pub id: String,
    pub event_id: String,
    pub event_type: String,
    pub attempts: u32,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    /// When it is tried next (failing); `None` once dead.
    pub next_attempt_at_ms: Option<i64>,
}

/// One thing to tell a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    EndpointDisabled { endpoint: EndpointRef, reason: String, at_ms: i64 },
    EndpointRecovered { endpoint: EndpointRef, failed_attempts: u32, at_ms: i64 },
    DeliveryFailing { endpoint: EndpointRef, delivery: DeliveryRef, at_ms: i64 },
    DeliveryDead { endpoint: EndpointRef, delivery: DeliveryRef, at_ms: i64 },
}

/// What an attempt's outcome tells, before the endpoint is known: failing, dead, or nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryNotice {
    Failing,
    Dead,
}

/// The notice a written attempt gives about its delivery: dead when its schedule is used up, failing when its
/// fourth attempt failed and more will come; none for a delivery of kurir's own events (no loop).
pub fn for_attempt(event_type: &str, attempt_no: u32, next: NextStep) -> Option<DeliveryNotice> {
    if is_operational(event_type) {
        return None;
    }
    match next {
        NextStep::Dead => Some(DeliveryNotice::Dead),
        NextStep::RetryAt { .. } if attempt_no == FAILING_AT_ATTEMPT => Some(DeliveryNotice::Failing),
        NextStep::RetryAt { .. } | NextStep::Succeeded => None,
    }
}

impl Notice {
    pub fn event_type(&self) -> &'static str {
        match self {
            Notice::EndpointDisabled { .. } => ENDPOINT_DISABLED,
            Notice::EndpointRecovered { .. } => ENDPOINT_RECOVERED,
            Notice::DeliveryFailing { .. } => DELIVERY_FAILING,
            Notice::DeliveryDead { .. } => DELIVERY_DEAD,
        }
    }

    pub fn endpoint(&self) -> &EndpointRef {
        match self {
            Notice::EndpointDisabled { endpoint, .. }
            | Notice::EndpointRecovered { endpoint, .. }
            | Notice::DeliveryFailing { endpoint, .. }
            | Notice::DeliveryDead { endpoint, .. } => endpoint,
        }
    }

    /// Notices about one endpoint share an ordering key, so they arrive in the order they happened.
    pub fn ordering_key(&self) -> String {
        format!("endpoint:{}", self.endpoint().id)
    }

    /// The payload, as `catalog/kurir/` describes it.
    pub fn payload(&self) -> Value {
        let endpoint = |e: &EndpointRef| json!({"id": e.id, "url": e.url});
        match self {
            Notice::EndpointDisabled { endpoint: e, reason, at_ms } => {
                json!({"endpoint": endpoint(e), "reason": reason, "at": rfc3339(*at_ms)})
            }
            Notice::EndpointRecovered { endpoint: e, failed_attempts, at_ms } => json!({
                "endpoint": endpoint(e),
                "reason": format!("the endpoint answers again after {failed_attempts} failed attempts"),
                "failed_attempts": failed_attempts,
                "at": rfc3339(*at_ms),
            }),
            Notice::DeliveryFailing { endpoint: e, delivery, at_ms } => json!({
                "endpoint": endpoint(e),
                "delivery": delivery_json(delivery),
                "reason": format!("{} failed; it is tried again", attempts(delivery.attempts)),
                "at": rfc3339(*at_ms),
            }),
            Notice::DeliveryDead { endpoint: e, delivery, at_ms } => {
                let reason = match delivery.last_status {
                    Some(410) => "the receiver answered 410 Gone: the endpoint is disabled".to_owned(),
                    _ => format!("{} failed; it will not be tried again unless recovered", attempts(delivery.attempts)),
                };
                json!({"endpoint": endpoint(e), "delivery": delivery_json(delivery), "reason": reason, "at": rfc3339(*at_ms)})
            }
        }
    }
}

/// `1 attempt`, `6 attempts`.
fn attempts(n: u32) -> String {
    if n == 1 {
        "1 attempt".to_owned()
    } else {
        format!("all {n} attempts")
    }
}

fn delivery_json(delivery: &DeliveryRef) -> Value {
    json!({
        "id": delivery.id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "attempts": delivery.attempts,
        "last_status": delivery.last_status,
        "last_error": delivery.last_error,
        "next_attempt_at": delivery.next_attempt_at_ms.map(rfc3339),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_is_failing_at_its_fourth_failure_and_dead_at_its_last_but_never_about_kurirs_own() {
        let retry = NextStep::RetryAt { due_ms: 1 };
        assert_eq!(for_attempt("productCreated", 3, retry), None);
        assert_eq!(for_attempt("productCreated", 4, retry), Some(DeliveryNotice::Failing));
        assert_eq!(for_attempt("productCreated", 5, retry), None, "told once");
        assert_eq!(for_attempt("productCreated", 2, NextStep::Dead), Some(DeliveryNotice::Dead));
        assert_eq!(for_attempt("productCreated", 4, NextStep::Succeeded), None);
        assert_eq!(for_attempt(DELIVERY_DEAD, 9, NextStep::Dead), None, "no event about an event about a delivery");
        assert_eq!(for_attempt(DELIVERY_FAILING, 4, retry), None);
    }

    #[test]
    fn payloads_name_the_endpoint_the_reason_and_the_time() {
        let endpoint = EndpointRef { id: "ep_1".into(), url: "https://pos.example/hooks".into() };
        let delivery = DeliveryRef {
            id: "dlv_1".into(),
            event_id: "evt_1".into(),
            event_type: "productCreated".into(),
            attempts: 6,
            last_status: Some(500),
            last_error: Some("HTTP 500".into()),
            next_attempt_at_ms: None,
        };
        let dead = Notice::DeliveryDead { endpoint: endpoint.clone(), delivery, at_ms: 1_732_350_000_000 };
        let payload = dead.payload();
        assert_eq!(payload["endpoint"], json!({"id": "ep_1", "url": "https://pos.example/hooks"}));
        assert_eq!(payload["delivery"]["last_status"], 500);
        assert_eq!(payload["at"], "2024-11-23T08:20:00Z");
        assert!(payload["reason"].as_str().is_some_and(|r| r.starts_with("all 6 attempts failed")), "{payload}");
        assert_eq!((dead.event_type(), dead.ordering_key().as_str()), (DELIVERY_DEAD, "endpoint:ep_1"));
        let disabled = Notice::EndpointDisabled { endpoint, reason: "410 Gone".into(), at_ms: 0 };
        assert_eq!(disabled.payload()["reason"], "410 Gone");
        assert!(is_operational(disabled.event_type()) && !is_operational("ADDPRODUCT"));
    }

    #[test]
    fn every_notice_meets_its_catalog_schema_and_orders_as_the_catalog_says() {
        let catalog = crate::catalog::Catalog::builtin().unwrap_or_else(|err| panic!("catalog: {err}"));
        let endpoint = EndpointRef { id: "ep_1".into(), url: "https://pos.example/hooks".into() };
        let delivery = DeliveryRef {
            id: "dlv_1".into(),
            event_id: "evt_1".into(),
            event_type: "ADDPRODUCT".into(),
            attempts: 4,
            last_status: None,
            last_error: Some("connection refused".into()),
            next_attempt_at_ms: Some(5_000),
        };
        let notices = [
            Notice::EndpointDisabled { endpoint: endpoint.clone(), reason: "410 Gone".into(), at_ms: 1 },
            Notice::EndpointRecovered { endpoint: endpoint.clone(), failed_attempts: 7, at_ms: 2 },
            Notice::DeliveryFailing { endpoint: endpoint.clone(), delivery: delivery.clone(), at_ms: 3 },
            Notice::DeliveryDead { endpoint, delivery: DeliveryRef { next_attempt_at_ms: None, ..delivery }, at_ms: 4 },
        ];
        for notice in notices {
            let event_type = catalog
                .get(notice.event_type())
                .unwrap_or_else(|| panic!("{} is not in the catalog", notice.event_type()));
            let payload = notice.payload();
            assert_eq!(event_type.validate(&payload), Ok(()), "{}", notice.event_type());
            assert_eq!(event_type.ordering_key(&payload), Some(notice.ordering_key()));
        }
    }
}
