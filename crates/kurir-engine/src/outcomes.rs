//! Writes attempt outcomes back in batches: every outcome that finished while the previous write was committing
//! goes into the next one, so a thousand deliveries finishing at once cost a few fsyncs, not a thousand. A batch
//! the store refuses is tried again with a growing pause (the database may be away), for up to a minute; then
//! it is given up and its leases are let go, so they expire and the deliveries are sent again (at least once).
//! After a write, what it showed about endpoints (failing and dead deliveries, disabled and recovered endpoints)
//! is told to their tenants ([`crate::notices`]).

use std::sync::Arc;

use std::time::{Duration, Instant};

use kurir_core::circuit::CircuitPolicy;
use kurir_store::{EndpointChange, Lease, Outcome, Store};
use tokio::sync::mpsc;

use crate::leases::Leases;
use crate::Waker;

/// Most outcomes in one store write.
const MAX_BATCH: usize = 1_024;

/// How long a batch is tried before it is given up.
const GIVE_UP_AFTER: Duration = Duration::from_secs(60);

/// What the outcome writer works with.
pub struct Writer {
    pub store: Arc<dyn Store>,
    /// Woken after each write: ordered successors and freed capacity may now be due.
    pub waker: Waker,
    /// When a written outcome opens its endpoint's circuit.
    pub circuit: CircuitPolicy,
    /// The leases of written (or given up) outcomes are released from here.
    pub leases: Arc<Leases>,
    pub metrics: Option<Arc<kurir_metrics::Metrics>>,
}

/// Writes outcomes back in batches until every sender is dropped, then returns after writing what it holds.
pub async fn run(writer: Writer, mut outcomes: mpsc::Receiver<Outcome>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while outcomes.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let written = std::mem::take(&mut batch);
        let held: Vec<Lease> =
            written.iter().map(|o| Lease { delivery_id: o.delivery_id.clone(), lease_token: o.lease_token }).collect();
        let (count, started) = (written.len(), Instant::now());
        let changes = write_with_retries(writer.store.as_ref(), &written, writer.circuit).await;
        if let Some(metrics) = &writer.metrics {
            metrics.outcomes_written(count, started.elapsed());
        }
        writer.leases.release(&held);
        writer.waker.wake();
        if let Some(changes) = changes {
            crate::notices::tell(writer.store.as_ref(), &written, changes).await;
        }
    }
}

/// Writes a batch; what it did to endpoints, or `None` when it was given up.
async fn write_with_retries(
    store: &dyn Store,
    outcomes: &[Outcome],
    circuit: CircuitPolicy,
) -> Option<Vec<EndpointChange>> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(100);
    loop {
        match store.record_outcomes(outcomes.to_vec(), circuit).await {
            Ok(changes) => return Some(changes),
            Err(err) if started.elapsed() < GIVE_UP_AFTER => {
                tracing::warn!(error = %err, count = outcomes.len(), "cannot write attempt outcomes yet; trying again");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(5));
            }
            Err(err) => {
                tracing::error!(error = %err, count = outcomes.len(), "giving up writing attempt outcomes; their deliveries will be sent again");
                return None;
            }
        }
    }
}
