//! Vacuuming `delivery_queue` between autovacuum's rounds.
//!
//! Every claim and outcome leaves dead row versions in the queue, and dead entries in its indexes: a lease moves
//! a row's due time, an outcome deletes it or moves it again. Until a vacuum removes them, a claim's index walks
//! step over them. Autovacuum looks at each database about once a minute, and at ten thousand deliveries a
//! second a minute is over a million dead entries: a claim's in-flight count took 1.6 ms instead of 0.15, and
//! the whole node delivered 6–13 % less. So the node whose turns change the queue vacuums it itself, once enough
//! has changed, and never more than a twentieth of the time (a big queue takes longer to vacuum, so it is
//! vacuumed less often). `SKIP_LOCKED`: when another node is vacuuming it, this one does not wait. Vacuuming needs
//! the role that owns the table (the one that ran the migrations); another role logs a warning and leaves it to
//! autovacuum. A vacuum takes one of the pool's connections while it runs (20–40 ms for a queue of tens of
//! thousands).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use deadpool_postgres::Pool;

/// Queue rows changed (claimed, finished, rescheduled) before a vacuum is worth it.
const MIN_CHANGES: u64 = 10_000;

/// The time between two vacuums is at least this many times the last one's length.
const SPACING: u32 = 20;

/// How long to leave the queue alone after a vacuum failed (the role does not own the table, say).
const AFTER_A_FAILURE: Duration = Duration::from_secs(600);

/// Whether to vacuum now: enough changed since the last vacuum, which ended long enough ago for its length.
pub(crate) fn is_due(changed: u64, since_last: Duration, last_took: Duration) -> bool {
    changed >= MIN_CHANGES && since_last >= last_took.saturating_mul(SPACING)
}

/// One per store: what changed since the last vacuum and how long that one took.
#[derive(Debug)]
pub(crate) struct QueueVacuum {
    changed: AtomicU64,
    running: Arc<AtomicBool>,
    /// When the last vacuum ended and how long it took (or, after a failure, how long to wait).
    last: Arc<Mutex<(Instant, Duration)>>,
}

impl Default for QueueVacuum {
    fn default() -> Self {
        QueueVacuum {
            changed: AtomicU64::new(0),
            running: Arc::new(AtomicBool::new(false)),
            last: Arc::new(Mutex::new((Instant::now(), Duration::ZERO))),
        }
    }
}

impl QueueVacuum {
    /// Counts a turn's changes; starts a vacuum in the background when one is due and none is running.
    pub(crate) fn changed(&self, rows: u64, pool: &Pool) {
        let changed = self.changed.fetch_add(rows, Ordering::Relaxed) + rows;
        let Ok((ended, took)) = self.last.lock().map(|last| *last) else { return };
        if !is_due(changed, ended.elapsed(), took) || self.running.swap(true, Ordering::AcqRel) {
            return;
        }
        self.changed.store(0, Ordering::Relaxed);
        let (pool, running, last) = (pool.clone(), Arc::clone(&self.running), Arc::clone(&self.last));
        tokio::spawn(async move {
            let started = Instant::now();
            let took = match vacuum(&pool).await {
                Ok(()) => started.elapsed(),
                Err(err) => {
                    tracing::warn!(error = %err, "cannot vacuum the delivery queue; autovacuum is left to do it");
                    AFTER_A_FAILURE / SPACING
                }
            };
            if let Ok(mut last) = last.lock() {
                *last = (Instant::now(), took);
            }
            running.store(false, Ordering::Release);
        });
    }
}

async fn vacuum(pool: &Pool) -> Result<(), String> {
    let client = pool.get().await.map_err(|err| err.to_string())?;
    // PostgreSQL skips a table its role may not vacuum with a warning, not an error: ask first, so that such a
    // role backs off (and says why) instead of vacuuming nothing every few seconds.
    let row = client
        .query_one("SELECT pg_has_role(relowner, 'USAGE') FROM pg_class WHERE oid = 'delivery_queue'::regclass", &[])
        .await
        .map_err(|err| super::chain(&err))?;
    if !row.try_get::<_, bool>(0).map_err(|err| super::chain(&err))? {
        return Err("kurir's database role does not own delivery_queue, so it may not vacuum it".into());
    }
    client.batch_execute("VACUUM (SKIP_LOCKED) delivery_queue").await.map_err(|err| super::chain(&err))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vacuum_waits_for_enough_changes_and_for_twenty_times_its_last_length() {
        let ms = Duration::from_millis;
        assert!(!is_due(MIN_CHANGES - 1, ms(60_000), ms(0)), "too little changed");
        assert!(is_due(MIN_CHANGES, ms(0), ms(0)), "enough changed, and the last took no time");
        assert!(!is_due(MIN_CHANGES * 10, ms(799), ms(40)), "a 40 ms vacuum at most every 800 ms");
        assert!(is_due(MIN_CHANGES, ms(800), ms(40)));
        assert!(!is_due(MIN_CHANGES, ms(599_999), AFTER_A_FAILURE / SPACING), "after a failure, ten minutes");
    }

    #[tokio::test]
    async fn a_node_vacuums_the_queue_once_its_turns_changed_enough() {
        let (store, client) = super::super::test_store("vacuum").await;
        let vacuums = || async {
            let row = client
                .query_one("SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'delivery_queue'", &[])
                .await
                .unwrap_or_else(|err| panic!("{err}"));
            row.get::<_, i64>(0)
        };
        store.queue_vacuum.changed(MIN_CHANGES - 1, &store.pool);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(vacuums().await, 0, "not yet: too little changed");
        store.queue_vacuum.changed(1, &store.pool);
        let deadline = Instant::now() + Duration::from_secs(10);
        while vacuums().await == 0 {
            assert!(Instant::now() < deadline, "the queue was not vacuumed within 10 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
