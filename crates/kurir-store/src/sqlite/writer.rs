//! The single writer. SQLite allows one writer at a time, so kurir gives it exactly one: a thread that owns the
//! write connection and turns whatever is queued into one transaction and one fsync.
//!
//! Group commit falls out of the loop: while a commit's fsync runs, new jobs queue up, and the next transaction
//! takes all of them. Each job runs inside its own savepoint, so one job's failure (a conflict, a bad row) rolls
//! back only that job. Replies are sent only after the commit is durable: a caller that hears "ok" can tell its
//! client so. The queue is bounded: a flood of writes makes publishers wait instead of eating memory.

use std::sync::Arc;

use kurir_metrics::Metrics;
use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use crate::StoreError;

/// Most jobs in one transaction: enough to amortise an fsync, small enough to keep each commit short.
const MAX_JOBS_PER_COMMIT: usize = 512;

/// How many jobs may wait; senders beyond this wait for room (backpressure).
pub(crate) const QUEUE_CAPACITY: usize = 4_096;

/// Runs a job's effect once the transaction holding it has committed (or failed to).
type Completion = Box<dyn FnOnce(Option<&StoreError>) + Send>;
/// A job: runs on the write connection inside the shared transaction, returns how to answer its caller.
pub(crate) type Job = Box<dyn FnOnce(&Connection) -> Completion + Send>;

#[derive(Clone)]
pub(crate) struct WriterHandle {
    queue: mpsc::Sender<Job>,
}

impl WriterHandle {
    /// Starts the writer thread on `conn`. The thread ends when every handle is dropped.
    pub(crate) fn spawn(conn: Connection, metrics: Option<Arc<Metrics>>) -> Result<Self, StoreError> {
        let (queue, jobs) = mpsc::channel(QUEUE_CAPACITY);
        std::thread::Builder::new().name("kurir-sqlite-writer".into()).spawn(move || run(conn, jobs, metrics))?;
        Ok(WriterHandle { queue })
    }

    /// Runs `work` in the next group commit and returns its result once that commit is durable.
    pub(crate) async fn write<R, F>(&self, work: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let result = in_savepoint(conn, work);
            Box::new(move |commit_error| {
                let outcome = match commit_error {
                    Some(err) => Err(err.clone()),
                    None => result,
                };
                // The caller may have gone away (its request was cancelled); the write stands regardless.
                let _ = reply.send(outcome);
            })
        });
        self.queue.send(job).await.map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }
}

fn in_savepoint<R>(
    conn: &Connection,
    work: impl FnOnce(&Connection) -> Result<R, StoreError>,
) -> Result<R, StoreError> {
    conn.execute_batch("SAVEPOINT job")?;
    match work(conn) {
        Ok(value) => {
            conn.execute_batch("RELEASE job")?;
            Ok(value)
        }
        Err(err) => {
            conn.execute_batch("ROLLBACK TO job; RELEASE job")?;
            Err(err)
        }
    }
}

fn run(conn: Connection, mut jobs: mpsc::Receiver<Job>, metrics: Option<Arc<Metrics>>) {
    let mut batch = Vec::with_capacity(MAX_JOBS_PER_COMMIT);
    while let Some(first) = jobs.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_JOBS_PER_COMMIT {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let (size, started) = (batch.len(), std::time::Instant::now());
        commit_batch(&conn, &mut batch);
        if let Some(metrics) = &metrics {
            metrics.commit(size, started.elapsed());
        }
    }
    tracing::debug!("sqlite writer stopped: every handle was dropped");
}

fn commit_batch(conn: &Connection, batch: &mut Vec<Job>) {
    if let Err(err) = conn.execute_batch("BEGIN IMMEDIATE") {
        let err = StoreError::from(err);
        tracing::error!(error = %err, "cannot begin a write transaction");
        for job in batch.drain(..) {
            // Nothing ran; answer every caller with the failure without running its work.
            drop(job);
        }
        return;
    }
    let completions: Vec<Completion> = batch.drain(..).map(|job| job(conn)).collect();
    let commit_error = match conn.execute_batch("COMMIT") {
        Ok(()) => None,
        Err(err) => {
            tracing::error!(error = %err, "group commit failed; rolling back");
            let _ = conn.execute_batch("ROLLBACK");
            Some(StoreError::from(err))
        }
    };
    for complete in completions {
        complete(commit_error.as_ref());
    }
}
