//! Where attempts start, whoever claimed them: the dispatcher's turns, or a publish that claimed its own
//! deliveries in its transaction ([`kurir_store::Store::publish_and_claim`], through [`publish`]), which spares
//! the dispatcher a claim, a commit and a wake-up per event when the queue is short.
//!
//! Whoever claims first reserves permits (a semaphore of `max_in_flight`), so a claimed delivery always has one.
//! An attempt's permit travels with its outcome ([`Finished`]) and is given back when the dispatcher takes the
//! outcome off the channel: attempts running plus outcomes waiting never exceed the channel's capacity, so
//! sending an outcome never waits, even while the dispatcher is busy or draining. A reservation also holds a token
//! of the attempts' tracker, so the drain at shutdown waits for a publish that is about to start attempts.
//! An attempt's lease is held for the renewer until its outcome is written.

use std::collections::HashSet;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;

use kurir_core::event::Event;
use kurir_core::id::{DeliveryId, TenantId};
use kurir_store::{Claim, ClaimRequest, Lease, Outcome, Published, Store, StoreError};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore, TryAcquireError};
use tokio_util::sync::CancellationToken;
use tokio_util::task::task_tracker::TaskTrackerToken;
use tokio_util::task::TaskTracker;

use crate::leases::Leases;
use crate::{attempt, now_ms, EngineConfig, Waker};

/// Most deliveries a publish claims for itself per event it carries: room for a fan-out to this many endpoints.
/// What it does not claim is due, and the dispatcher claims it.
const OWN_CLAIMS_PER_EVENT: usize = 8;

/// A publish claims for itself only while fewer than this many attempts are in flight on this node, or outcomes
/// not yet taken by the dispatcher ([`Lane::in_flight`]; permits reserved for a claim under way do not count). Its
/// claim saves a dispatcher turn's fixed cost (a transaction, a commit, two wake-ups), which is most of a turn at
/// light load; under load a turn carries
/// hundreds of deliveries, while a claim in every publish would count the endpoint's in-flight rows every time
/// (measured: 7,300 → 6,900 deliveries/s with single publishes at saturation).
pub(crate) const PUBLISHES_CLAIM_BELOW_IN_FLIGHT: usize = 16;

/// A finished attempt's outcome, with the permit it held until the dispatcher takes it.
pub(crate) struct Finished {
    pub outcome: Outcome,
    /// Held, not read: dropping it gives the permit back.
    pub _permit: OwnedSemaphorePermit,
}

/// Permits reserved for a claim, and a token that keeps the drain waiting until they are used or given back.
pub(crate) struct Reservation {
    permits: OwnedSemaphorePermit,
    /// The lane's count of permits held by reservations, which this one leaves as its permits are used or given
    /// back.
    reserved: Arc<AtomicUsize>,
    _drain: TaskTrackerToken,
}

impl Reservation {
    pub fn count(&self) -> u32 {
        u32::try_from(self.permits.num_permits()).unwrap_or(u32::MAX)
    }

    /// One permit, for an attempt.
    fn take_one(&mut self) -> Option<OwnedSemaphorePermit> {
        let permit = self.permits.split(1)?;
        self.reserved.fetch_sub(1, Ordering::Relaxed);
        Some(permit)
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.reserved.fetch_sub(self.permits.num_permits(), Ordering::Relaxed);
    }
}

/// What starting an attempt needs, shared by the dispatcher and the publishes of this process.
pub(crate) struct Lane {
    /// One permit per attempt in flight or outcome not yet taken, across all endpoints.
    pub permits: Arc<Semaphore>,
    /// How many of the permits taken are reserved for claims under way, not yet attempts.
    pub reserved: Arc<AtomicUsize>,
    /// How long an answered attempt's outcome may wait to be written, in milliseconds, as the dispatcher's turns
    /// last now (see [`kurir_store::ClaimRequest::outcome_lag_ms`]).
    pub outcome_lag_ms: AtomicI64,
    pub context: Arc<attempt::Context>,
    /// The leases of the attempts started and not yet written back.
    pub leases: Arc<Leases>,
    pub outcome_tx: mpsc::Sender<Finished>,
    /// Every attempt started, and every reservation not yet used, for the drain at shutdown.
    pub attempts: TaskTracker,
    /// Ends the attempts still running when the shutdown grace is over.
    pub abandon: CancellationToken,
    pub config: EngineConfig,
}

impl Lane {
    pub fn claim_request(&self, limit: u32) -> ClaimRequest {
        ClaimRequest {
            now_ms: now_ms(),
            limit,
            lease_ms: self.config.lease_ms,
            outcome_lag_ms: self.outcome_lag_ms.load(Ordering::Relaxed),
            node: self.config.node.clone(),
            max_in_flight_per_endpoint: self.config.max_in_flight_per_endpoint,
            adaptive_concurrency: self.config.adaptive_concurrency,
            circuit: self.config.circuit,
        }
    }

    /// Attempts running and outcomes not yet taken by the dispatcher: the permits taken, less those reserved for
    /// claims under way (a dispatcher's turn reserves hundreds while it runs, and is no load by itself).
    pub fn in_flight(&self) -> usize {
        let taken = self.config.max_in_flight.saturating_sub(self.permits.available_permits());
        taken.saturating_sub(self.reserved.load(Ordering::Relaxed))
    }

    /// Reserves up to `most` free permits; `None` when none is free or the dispatcher has stopped.
    pub fn reserve(&self, most: usize) -> Option<Reservation> {
        loop {
            let free = self.permits.available_permits().min(most);
            if free == 0 {
                return None;
            }
            match Arc::clone(&self.permits).try_acquire_many_owned(u32::try_from(free).unwrap_or(u32::MAX)) {
                Ok(permits) => {
                    self.reserved.fetch_add(free, Ordering::Relaxed);
                    let reserved = Arc::clone(&self.reserved);
                    return Some(Reservation { permits, reserved, _drain: self.attempts.token() });
                }
                // Another claimer took some between the count and the take: count again.
                Err(TryAcquireError::NoPermits) => continue,
                Err(TryAcquireError::Closed) => return None,
            }
        }
    }

    /// Starts an attempt per claim, each with one of the reserved permits; the permits left over go back.
    pub fn start(&self, claims: Vec<Claim>, mut reservation: Reservation) {
        for claim in claims {
            let Some(permit) = reservation.take_one() else {
                // Cannot happen (no more is claimed than reserved); the lease expires and the delivery is resent.
                tracing::warn!(delivery = %claim.delivery.id, "no reserved permit for a claimed delivery");
                continue;
            };
            self.leases.hold(Lease { delivery_id: claim.delivery.id.clone(), lease_token: claim.lease_token });
            let (context, outcome_tx) = (Arc::clone(&self.context), self.outcome_tx.clone());
            let abandon = self.abandon.clone();
            self.attempts.spawn(async move {
                let outcome = tokio::select! {
                    outcome = attempt::run(&context, &claim) => outcome,
                    () = abandon.cancelled() => return,
                };
                // Never waits (see the module's docs); an abandoned attempt's outcome is not written.
                tokio::select! {
                    _ = outcome_tx.send(Finished { outcome, _permit: permit }) => {}
                    () = abandon.cancelled() => {}
                }
            });
        }
    }
}

/// Publishes `events` and, when this process runs a dispatcher with free permits, claims their deliveries in the
/// same transaction and starts them at once. The dispatcher is woken for whatever was not claimed so.
pub async fn publish(
    store: &Arc<dyn Store>,
    waker: &Waker,
    tenant: &TenantId,
    events: Vec<Event>,
) -> Result<Vec<Published>, StoreError> {
    let lane =
        waker.lane().filter(|lane| store.claims_in_publish() && lane.in_flight() < PUBLISHES_CLAIM_BELOW_IN_FLIGHT);
    let reserved = lane.as_ref().and_then(|lane| lane.reserve(events.len().saturating_mul(OWN_CLAIMS_PER_EVENT)));
    let (published, claimed) = match (lane, reserved) {
        (Some(lane), Some(reservation)) => {
            // In a task of its own: a caller that goes away (a client hanging up) cannot leave claims committed
            // and never started; they would wait for their lease to expire.
            let (store, tenant) = (Arc::clone(store), tenant.clone());
            let own = tokio::spawn(async move {
                let request = lane.claim_request(reservation.count());
                let (published, claims) = store.publish_and_claim(&tenant, events, request).await?;
                let claimed: HashSet<DeliveryId> = claims.iter().map(|c| c.delivery.id.clone()).collect();
                lane.start(claims, reservation);
                Ok::<_, StoreError>((published, claimed))
            });
            own.await.map_err(|_| StoreError::Closed)??
        }
        _ => (store.publish(tenant, events).await?, HashSet::new()),
    };
    // The claim may have taken an endpoint's older due deliveries before these: whatever it left is due.
    let mut made = published.iter().filter(|p| !p.duplicate).flat_map(|p| &p.delivery_ids);
    if made.any(|id| !claimed.contains(id)) {
        waker.wake();
    }
    Ok(published)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lane(max_in_flight: usize) -> Lane {
        let client = crate::client::build(true, 4).unwrap_or_else(|e| panic!("{e}"));
        let context = attempt::Context {
            sender: crate::client::sender(true, 4).unwrap_or_else(|e| panic!("{e}")),
            client,
            catalog: Arc::default(),
            tokens: crate::oauth::TokenCache::default(),
            allow_private_targets: true,
            metrics: None,
        };
        Lane {
            permits: Arc::new(Semaphore::new(max_in_flight)),
            reserved: Arc::default(),
            outcome_lag_ms: AtomicI64::default(),
            context: Arc::new(context),
            leases: Arc::default(),
            outcome_tx: mpsc::channel(max_in_flight).0,
            attempts: TaskTracker::new(),
            abandon: CancellationToken::new(),
            config: EngineConfig { max_in_flight, ..EngineConfig::default() },
        }
    }

    #[test]
    fn permits_reserved_for_a_claim_count_as_in_flight_only_once_they_are_attempts() {
        let lane = lane(64);
        let Some(mut reservation) = lane.reserve(10) else { panic!("64 permits are free") };
        assert_eq!((reservation.count(), lane.in_flight()), (10, 0), "a claim under way is no load");
        let attempt = reservation.take_one();
        assert!(attempt.is_some());
        assert_eq!(lane.in_flight(), 1, "a permit taken for an attempt is");
        drop(reservation);
        assert_eq!((lane.in_flight(), lane.permits.available_permits()), (1, 63), "the rest went back");
        drop(attempt);
        assert_eq!((lane.in_flight(), lane.permits.available_permits()), (0, 64));
    }
}
