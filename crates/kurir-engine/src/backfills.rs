//! Works the running backfills: each gets one batch in turn (the store's `backfill_step`: one write that queues
//! up to a batch of deliveries and moves its cursor), with a pause between batches, until it is done or
//! cancelled. Progress lives in the store, so a restarted node, or another node, goes on where it stopped.

use std::sync::Arc;
use std::time::Duration;

use kurir_store::Store;
use tokio_util::sync::CancellationToken;

use crate::Waker;

/// Events looked at in one batch.
pub const BATCH: u32 = 500;
/// The pause between two batches, the writer's time for everything else.
const PAUSE: Duration = Duration::from_millis(20);
/// How often the store is asked whether a backfill is waiting, when none is.
const IDLE: Duration = Duration::from_millis(500);

/// Works backfills until `shutdown`.
pub async fn run(store: Arc<dyn Store>, waker: Waker, shutdown: CancellationToken) {
    loop {
        let worked = work_once(store.as_ref(), &waker).await;
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(if worked { PAUSE } else { IDLE }) => {}
        }
    }
}

/// One batch of every running backfill; whether there was any.
pub async fn work_once(store: &dyn Store, waker: &Waker) -> bool {
    let running = match store.running_backfills().await {
        Ok(running) => running,
        Err(err) => {
            tracing::warn!(error = %err, "cannot read the running backfills; trying again");
            return false;
        }
    };
    for backfill in &running {
        match store.backfill_step(&backfill.id, BATCH, crate::now_ms()).await {
            Ok(after) if after.queued > backfill.queued => waker.wake(),
            Ok(_) => {}
            Err(err) => tracing::warn!(backfill = %backfill.id, error = %err, "a backfill batch failed; trying again"),
        }
    }
    !running.is_empty()
}
