//! Tells tenants about their endpoints: after a batch of outcomes is written, its failing and dead deliveries and
//! the endpoint changes the store reported (disabled, recovered) become kurir's operational events
//! (`kurir_core::operational`), published into each tenant like any event, to the endpoints that ask for them.
//!
//! A notice is published only when some endpoint of the tenant receives it, so a tenant that asked for none has
//! no extra events in its log. Publishing follows the write: a process that dies in between loses the notice
//! (the deliveries themselves are safe); the dashboard and the API show the same facts.

use std::collections::BTreeMap;
use std::sync::Arc;

use kurir_core::circuit::CircuitChange;
use kurir_core::delivery::NextStep;
use kurir_core::endpoint::{receives, Endpoint};
use kurir_core::event::Event;
use kurir_core::id::{EventId, TenantId};
use kurir_core::operational::{self, DeliveryNotice, DeliveryRef, EndpointRef, Notice};
use kurir_store::{EndpointChange, Outcome, Store};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::Waker;

/// A written batch's outcomes and the endpoint changes its write reported.
type Written = (Arc<[Outcome]>, Vec<EndpointChange>);

/// Hands written batches to a task of their own, so that publishing notices never holds up the dispatcher's
/// turns. The channel is bounded: a flood of notices slows the turns rather than piling up.
pub struct Teller(mpsc::Sender<Written>);

impl Teller {
    /// Starts the task; it stops once the teller is dropped and what it holds is told. After a batch that
    /// published notices it wakes the dispatcher, since notices are deliveries too.
    pub fn start(store: Arc<dyn Store>, waker: Waker) -> (Teller, JoinHandle<()>) {
        let (tx, mut rx) = mpsc::channel::<Written>(64);
        let task = tokio::spawn(async move {
            while let Some((outcomes, changes)) = rx.recv().await {
                if tell(store.as_ref(), &outcomes, changes).await {
                    waker.wake();
                }
            }
        });
        (Teller(tx), task)
    }

    /// Passes on a written batch, if it has anything to tell.
    pub async fn written(&self, outcomes: Arc<[Outcome]>, changes: Vec<EndpointChange>) {
        if changes.is_empty() && !outcomes.iter().any(makes_notice) {
            return;
        }
        // The task stops only after the teller is dropped, so this fails only at teardown.
        let _ = self.0.send((outcomes, changes)).await;
    }
}

/// Whether an outcome makes its delivery "failing" or "dead" in the tenant's eyes.
fn makes_notice(outcome: &Outcome) -> bool {
    outcome.attempt.was_sent()
        && operational::for_attempt(&outcome.event_type, outcome.attempt.attempt_no, outcome.next).is_some()
}

/// Publishes the notices of a written batch; whether it published any.
async fn tell(store: &dyn Store, outcomes: &[Outcome], changes: Vec<EndpointChange>) -> bool {
    let mut by_tenant: BTreeMap<&TenantId, (Vec<&Outcome>, Vec<&EndpointChange>)> = BTreeMap::new();
    for outcome in outcomes.iter().filter(|o| makes_notice(o)) {
        by_tenant.entry(&outcome.tenant).or_default().0.push(outcome);
    }
    for change in &changes {
        by_tenant.entry(&change.tenant).or_default().1.push(change);
    }
    let mut published = false;
    for (tenant, (outcomes, changes)) in by_tenant {
        match tell_tenant(store, tenant, &outcomes, &changes).await {
            Ok(told) => published |= told,
            Err(err) => tracing::warn!(%tenant, error = %err, "cannot publish operational events"),
        }
    }
    published
}

async fn tell_tenant(
    store: &dyn Store,
    tenant: &TenantId,
    outcomes: &[&Outcome],
    changes: &[&EndpointChange],
) -> Result<bool, kurir_store::StoreError> {
    let endpoints = store.list_endpoints(tenant).await?;
    let reference = |id: &str| {
        endpoints.iter().find(|e| e.id.as_str() == id).map(|e| EndpointRef { id: id.to_owned(), url: e.url.clone() })
    };
    let mut notices = Vec::new();
    for outcome in outcomes {
        let Some(endpoint) = reference(outcome.endpoint_id.as_str()) else { continue };
        let attempt = &outcome.attempt;
        let at_ms = attempt.started_at_ms + i64::from(attempt.duration_ms);
        let delivery = DeliveryRef {
            id: outcome.delivery_id.to_string(),
            event_id: outcome.event_id.to_string(),
            event_type: outcome.event_type.clone(),
            attempts: attempt.attempt_no,
            last_status: attempt.status,
            last_error: attempt.error.clone(),
            next_attempt_at_ms: match outcome.next {
                NextStep::RetryAt { due_ms } => Some(due_ms),
                NextStep::Succeeded | NextStep::Dead => None,
            },
        };
        notices.push(match operational::for_attempt(&outcome.event_type, attempt.attempt_no, outcome.next) {
            Some(DeliveryNotice::Failing) => Notice::DeliveryFailing { endpoint, delivery, at_ms },
            Some(DeliveryNotice::Dead) | None => Notice::DeliveryDead { endpoint, delivery, at_ms },
        });
    }
    for change in changes {
        let Some(endpoint) = reference(change.endpoint.as_str()) else { continue };
        let at_ms = change.at_ms;
        notices.push(match &change.change {
            CircuitChange::Disable { reason } => Notice::EndpointDisabled { endpoint, reason: reason.clone(), at_ms },
            CircuitChange::Recovered { failed_attempts } => {
                Notice::EndpointRecovered { endpoint, failed_attempts: *failed_attempts, at_ms }
            }
        });
    }
    let events: Vec<Event> =
        notices.iter().map(|notice| event(tenant, notice)).filter(|event| anyone_receives(&endpoints, event)).collect();
    if events.is_empty() {
        return Ok(false);
    }
    tracing::info!(%tenant, count = events.len(), "publishing operational events");
    store.publish(tenant, events).await?;
    Ok(true)
}

fn event(tenant: &TenantId, notice: &Notice) -> Event {
    let now = crate::now_ms();
    Event {
        id: EventId::generate(now.max(0) as u64, rand::random()),
        tenant: tenant.clone(),
        event_type: notice.event_type().to_owned(),
        payload: notice.payload().to_string(),
        ordering_key: Some(notice.ordering_key()),
        origin_key: None,
        idempotency_key: None,
        params: None,
        created_at_ms: now,
        subject_endpoint: notice.endpoint().id.parse().ok(),
    }
}

fn anyone_receives(endpoints: &[Endpoint], event: &Event) -> bool {
    endpoints.iter().filter(|e| e.enabled).any(|e| {
        let owner = e.owner_key.as_ref().map(|k| k.as_str());
        receives(e.id.as_str(), e.event_types.as_deref(), owner, event)
    })
}
