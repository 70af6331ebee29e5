//! Writes attempt outcomes back in batches: every outcome that finished while the previous write was committing
//! goes into the next one, so a thousand deliveries finishing at once cost a few fsyncs, not a thousand.

use std::sync::Arc;

use kurir_core::circuit::CircuitPolicy;
use kurir_store::{Outcome, Store};
use tokio::sync::mpsc;

use crate::Waker;

/// Most outcomes in one store write.
const MAX_BATCH: usize = 1_024;

/// Runs until every sender is dropped, then returns after writing what it holds.
/// Each written outcome also feeds its endpoint's circuit breaker, which opens as `circuit` says.
pub async fn run(store: Arc<dyn Store>, mut outcomes: mpsc::Receiver<Outcome>, waker: Waker, circuit: CircuitPolicy) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while outcomes.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let written = std::mem::take(&mut batch);
        let count = written.len();
        if let Err(err) = store.record_outcomes(written, circuit).await {
            // The leases stay; when they expire the deliveries are claimed and sent again (at least once).
            tracing::error!(error = %err, count, "cannot write attempt outcomes; they will be retried after the lease");
        }
        // Ordered successors and freed capacity may now be due.
        waker.wake();
    }
}
