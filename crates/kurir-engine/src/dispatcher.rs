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
//! Which endpoints may have deliveries handed out (circuit breaker, per-endpoint in-flight limit) is decided by
//! the store's claim, for the endpoint as a whole across every node sharing the database; a delivery that is
//! claimed is sent. A second task renews this node's leases while its attempts run.

use std::sync::Arc;
use std::time::Duration;

use kurir_core::catalog::Catalog;
use kurir_core::circuit::CircuitPolicy;
use kurir_store::{ClaimRequest, Lease, NodeId, Store};
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::leases::Leases;
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
    /// This process's name in the leases it takes.
    pub node: NodeId,
    /// How long a claim owns a delivery unless renewed. The node renews its leases every third of this while
    /// attempts run, so an attempt may take longer than the lease; a dead node's deliveries are sent by another
    /// node once this much time has passed.
    pub lease_ms: i64,
    /// How long in-flight attempts may take to finish at shutdown before they are abandoned (and later resent).
    pub shutdown_grace: Duration,
    /// Most attempts in flight to one endpoint across all nodes, so that a slow one cannot take every permit.
    pub max_in_flight_per_endpoint: u32,
    /// Whether each endpoint's attempts at once follow its adaptive window (`kurir_core::window`) under that
    /// limit, or may use all of it from the start.
    pub adaptive_concurrency: bool,
    pub circuit: CircuitPolicy,
    /// Where attempts and outcome writes are counted (`/metrics`); `None` counts nothing.
    pub metrics: Option<Arc<kurir_metrics::Metrics>>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            allow_private_targets: false,
            max_in_flight: 1_024,
            claim_batch: 256,
            node: NodeId::random(),
            lease_ms: 30_000,
            shutdown_grace: Duration::from_secs(10),
            max_in_flight_per_endpoint: 256,
            adaptive_concurrency: true,
            circuit: CircuitPolicy::default(),
            metrics: None,
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
        metrics: config.metrics.clone(),
    });
    // Another node's publish wakes this dispatcher too (where the store can tell).
    store.on_due({
        let waker = waker.clone();
        Arc::new(move || waker.wake())
    });
    let released = store.release_leases(&config.node, now_ms()).await?;
    if released > 0 {
        tracing::info!(
            released,
            "resuming deliveries that were in flight when this node stopped or whose lease expired"
        );
    }
    let (outcome_tx, outcome_rx) = mpsc::channel(config.max_in_flight.max(1));
    let leases = Arc::new(Leases::default());
    let writer = tokio::spawn(outcomes::run(
        outcomes::Writer {
            store: Arc::clone(&store),
            waker: waker.clone(),
            circuit: config.circuit,
            leases: Arc::clone(&leases),
            metrics: config.metrics.clone(),
        },
        outcome_rx,
    ));
    // The renewer outlives the drain and the last outcome write, so no lease expires while it is still used.
    let renewer_stop = CancellationToken::new();
    let renewer = tokio::spawn(renew_leases(
        Arc::clone(&store),
        config.node.clone(),
        Arc::clone(&leases),
        config.lease_ms,
        renewer_stop.clone(),
    ));
    let dispatcher = Dispatcher {
        leases,
        permits: Arc::new(Semaphore::new(config.max_in_flight)),
        store: Arc::clone(&store),
        context,
        config: config.clone(),
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
    renewer_stop.cancel();
    let _ = renewer.await;
    Ok(())
}

/// Renews the leases this node works on every third of the lease until stopped, so that long attempts keep
/// theirs and leases can stay short.
async fn renew_leases(
    store: Arc<dyn Store>,
    node: NodeId,
    leases: Arc<Leases>,
    lease_ms: i64,
    stop: CancellationToken,
) {
    let every = Duration::from_millis(u64::try_from(lease_ms / 3).unwrap_or(1_000).max(100));
    loop {
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = stop.cancelled() => return,
        }
        if let Err(err) = store.renew_leases(&node, leases.held(), now_ms(), lease_ms).await {
            tracing::error!(error = %err, "cannot renew leases; another node may send these deliveries again");
        }
    }
}

/// What one round of claiming and spawning needs.
struct Dispatcher {
    store: Arc<dyn Store>,
    context: Arc<attempt::Context>,
    /// One permit per attempt in flight, across all endpoints.
    permits: Arc<Semaphore>,
    /// The leases of the attempts spawned and not yet written back.
    leases: Arc<Leases>,
    config: EngineConfig,
    outcome_tx: mpsc::Sender<kurir_store::Outcome>,
}

impl Dispatcher {
    /// Claims up to `limit` due deliveries and spawns an attempt for each. Returns how many were claimed.
    async fn dispatch_due(&self, attempts: &mut JoinSet<()>, limit: u32) -> usize {
        let request = ClaimRequest {
            now_ms: now_ms(),
            limit,
            lease_ms: self.config.lease_ms,
            node: self.config.node.clone(),
            max_in_flight_per_endpoint: self.config.max_in_flight_per_endpoint,
            adaptive_concurrency: self.config.adaptive_concurrency,
            circuit: self.config.circuit,
        };
        let claims = match self.store.claim_due(request).await {
            Ok(claims) => claims,
            Err(err) => {
                tracing::error!(error = %err, "cannot claim due deliveries");
                return 0;
            }
        };
        let count = claims.len();
        for claim in claims {
            let Ok(permit) = Arc::clone(&self.permits).try_acquire_owned() else {
                // Cannot happen (we claimed no more than the free permits); the lease expires and it is resent.
                tracing::warn!(delivery = %claim.delivery.id, "no free permit for a claimed delivery");
                continue;
            };
            self.leases.hold(Lease { delivery_id: claim.delivery.id.clone(), lease_token: claim.lease_token });
            let context = Arc::clone(&self.context);
            let outcome_tx = self.outcome_tx.clone();
            attempts.spawn(async move {
                let outcome = attempt::run(&context, &claim).await;
                drop(permit);
                // The writer only stops after this sender is dropped, so this send fails only at teardown.
                let _ = outcome_tx.send(outcome).await;
            });
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
