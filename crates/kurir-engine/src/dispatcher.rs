//! The dispatcher loop.
//!
//! ```text
//!            ┌────────── wake (publish, outcome written) ──────────┐
//!            ▼                                                      │
//!   claim due (≤ free permits) ──▶ spawn attempt ──▶ outcome queue ─┘
//!            │ nothing due
//!            ▼
//!   sleep until the next due time (or 1 s, or a wake, or shutdown)
//! ```
//!
//! Concurrency is bounded by a semaphore, so a flood of due deliveries is leased no faster than it can be sent.

use std::sync::Arc;
use std::time::Duration;

use kurir_core::catalog::Catalog;
use kurir_core::circuit::{Admission, CircuitPolicy};
use kurir_core::delivery::NextStep;
use kurir_store::{Postponed, Store};
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::health::Health;
use crate::oauth::TokenCache;
use crate::{attempt, client, now_ms, outcomes, EngineError, Waker};

#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Lets endpoints reach private and loopback addresses (tests, on-premises receivers).
    pub allow_private_targets: bool,
    /// Attempts in flight at once, across all endpoints.
    pub max_in_flight: usize,
    /// Most deliveries leased by one claim.
    pub claim_batch: u32,
    /// How long a claim owns a delivery. Longer than the longest timeout, so a live attempt never loses its lease.
    pub lease_ms: i64,
    /// How long in-flight attempts may take to finish at shutdown before they are abandoned (and later resent).
    pub shutdown_grace: Duration,
    /// Whether to release every lease at start. True for a single node: nothing else can own them.
    pub release_leases_at_start: bool,
    /// Most attempts in flight to one endpoint, so that a slow one cannot take every permit.
    pub max_in_flight_per_endpoint: u32,
    pub circuit: CircuitPolicy,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            allow_private_targets: false,
            max_in_flight: 1_024,
            claim_batch: 256,
            lease_ms: 180_000,
            shutdown_grace: Duration::from_secs(10),
            release_leases_at_start: true,
            max_in_flight_per_endpoint: 256,
            circuit: CircuitPolicy::default(),
        }
    }
}

/// The longest the dispatcher sleeps without looking at the store: a safety net, not the hot path.
const IDLE_POLL: Duration = Duration::from_secs(1);

/// Runs the engine until `shutdown` is cancelled, then lets in-flight attempts finish within the grace period.
pub async fn run(
    store: Arc<dyn Store>,
    catalog: Arc<Catalog>,
    config: EngineConfig,
    waker: Waker,
    shutdown: CancellationToken,
) -> Result<(), EngineError> {
    let client = client::build(config.allow_private_targets, config.max_in_flight_per_endpoint as usize)?;
    let context = Arc::new(attempt::Context {
        client,
        catalog,
        tokens: TokenCache::default(),
        allow_private_targets: config.allow_private_targets,
    });
    if config.release_leases_at_start {
        let released = store.release_leases(now_ms()).await?;
        if released > 0 {
            tracing::info!(released, "resuming deliveries that were in flight when kurir stopped");
        }
    }
    let (outcome_tx, outcome_rx) = mpsc::channel(config.max_in_flight.max(1));
    let writer = tokio::spawn(outcomes::run(Arc::clone(&store), outcome_rx, waker.clone()));
    let dispatcher = Dispatcher {
        permits: Arc::new(Semaphore::new(config.max_in_flight)),
        health: Arc::new(Health::new(config.circuit, config.max_in_flight_per_endpoint)),
        store: Arc::clone(&store),
        context,
        lease_ms: config.lease_ms,
        outcome_tx,
    };
    let mut attempts = JoinSet::new();

    while !shutdown.is_cancelled() {
        while attempts.try_join_next().is_some() {}
        let free = dispatcher.permits.available_permits().min(config.claim_batch as usize) as u32;
        let claimed = if free == 0 { 0 } else { dispatcher.dispatch_due(&mut attempts, free).await };
        if claimed > 0 && claimed == free as usize {
            continue; // more may be due right now
        }
        let sleep = match store.next_due_after(now_ms()).await {
            Ok(Some(due_ms)) => Duration::from_millis(u64::try_from(due_ms - now_ms()).unwrap_or(0)).min(IDLE_POLL),
            Ok(None) => IDLE_POLL,
            Err(err) => {
                tracing::error!(error = %err, "cannot read the next due time");
                IDLE_POLL
            }
        };
        tokio::select! {
            () = tokio::time::sleep(sleep) => {}
            () = waker.woken() => {}
            () = shutdown.cancelled() => {}
        }
    }

    drain(&mut attempts, config.shutdown_grace).await;
    drop(dispatcher); // the last outcome sender: the writer finishes what it holds and stops
    let _ = writer.await;
    Ok(())
}

/// What one round of claiming and spawning needs.
struct Dispatcher {
    store: Arc<dyn Store>,
    context: Arc<attempt::Context>,
    /// One permit per attempt in flight, across all endpoints.
    permits: Arc<Semaphore>,
    health: Arc<Health>,
    lease_ms: i64,
    outcome_tx: mpsc::Sender<kurir_store::Outcome>,
}

impl Dispatcher {
    /// Claims up to `limit` due deliveries and spawns an attempt for each one its endpoint admits; the others are
    /// given back (postponed). Returns how many were claimed.
    async fn dispatch_due(&self, attempts: &mut JoinSet<()>, limit: u32) -> usize {
        let (store, context, permits, health, outcome_tx) =
            (&self.store, &self.context, &self.permits, &self.health, &self.outcome_tx);
        let claims = match store.claim_due(now_ms(), limit, self.lease_ms, health.saturated()).await {
            Ok(claims) => claims,
            Err(err) => {
                tracing::error!(error = %err, "cannot claim due deliveries");
                return 0;
            }
        };
        let count = claims.len();
        let now = now_ms();
        let mut held = Vec::new();
        for claim in claims {
            if let Admission::Hold { until_ms } = health.admit(&claim.endpoint.id, now) {
                held.push(Postponed {
                    delivery_id: claim.delivery.id,
                    lease_token: claim.lease_token,
                    due_ms: until_ms,
                });
                continue;
            }
            let Ok(permit) = Arc::clone(permits).try_acquire_owned() else {
                // Cannot happen (we claimed no more than the free permits); the lease expires and it is resent.
                tracing::warn!(delivery = %claim.delivery.id, "no free permit for a claimed delivery");
                continue;
            };
            let context = Arc::clone(context);
            let outcome_tx = outcome_tx.clone();
            let health = Arc::clone(health);
            attempts.spawn(async move {
                let outcome = attempt::run(&context, &claim).await;
                let sent = outcome.attempt.error_kind != Some(kurir_core::delivery::AttemptErrorKind::Disabled);
                let success = sent.then_some(outcome.next == NextStep::Succeeded);
                health.finished(&claim.endpoint.id, success, now_ms());
                drop(permit);
                // The writer only stops after this sender is dropped, so this send fails only at teardown.
                let _ = outcome_tx.send(outcome).await;
            });
        }
        if !held.is_empty() {
            if let Err(err) = store.postpone(held).await {
                tracing::error!(error = %err, "cannot postpone held deliveries; they are resent when their lease ends");
            }
        }
        count
    }
}

/// Waits for in-flight attempts, up to `grace`; what is still running then is abandoned and will be resent.
async fn drain(attempts: &mut JoinSet<()>, grace: Duration) {
    if attempts.is_empty() {
        return;
    }
    tracing::info!(in_flight = attempts.len(), "waiting for in-flight attempts to finish");
    let finished = tokio::time::timeout(grace, async { while attempts.join_next().await.is_some() {} }).await;
    if finished.is_err() {
        tracing::warn!(abandoned = attempts.len(), "shutdown grace ran out; the rest will be resent at next start");
        attempts.abort_all();
    }
}
