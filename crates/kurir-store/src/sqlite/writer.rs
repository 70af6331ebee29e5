//! The single writer. SQLite allows one writer at a time, so kurir gives it exactly one: a thread that owns the
//! write connection and turns whatever is queued into one transaction, with at most one fsync.
//!
//! Group commit falls out of the loop: while a commit's fsync runs, new jobs queue up, and the next transaction takes
//! all of them. One job's failure (a conflict, a bad row) must undo only that job, but a savepoint per job costs a
//! copy of every page the job changes (see [`Size`]; 5-7 % of the server's CPU with single publishes), and jobs
//! almost never fail. So a transaction first runs its jobs without savepoints; if one fails, it is rolled back and
//! every job runs again, each in a savepoint of its own ([`commit_batch`]). A job's work is therefore `Fn`: it may
//! run twice, and only the committed run's writes and answer count. For the same reason the dispatcher's statements
//! over many rows are `OR FAIL`: SQLite then keeps no statement journal (another copy of every page the statement
//! changes, so that a row that fails undoes the rows before it). The rule that makes it safe: an error of an
//! `OR FAIL` statement fails its job (undone by the transaction's rollback or the job's savepoint), or is caught only
//! behind a savepoint of its own (a claim's, see `claim_beside`). Replies are sent only after the commit: a caller
//! that hears "ok" can tell its client so.
//! The queue is bounded: a flood of writes makes publishers wait instead of eating memory.
//!
//! Not every write needs its own fsync (see [`Durability`]): a transaction of only claims, outcomes and lease
//! renewals commits to the WAL without one, and the next synced commit makes it durable with everything before it.
//!
//! At light load a commit of its own is most of what a small job costs (writing the WAL's pages, the flip of
//! `synchronous`, waking threads). A job that can wait says how long ([`WriterHandle::write_patiently`]); a
//! transaction of only such jobs waits that long for one more job, and commits with it. The dispatcher's turns
//! use this to ride along with the next publish.

use std::sync::Arc;
use std::time::Duration;

use kurir_metrics::Metrics;
use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use crate::StoreError;

/// Most jobs in one transaction: enough to amortise an fsync, small enough to keep each commit short.
const MAX_JOBS_PER_COMMIT: usize = 512;

/// How many jobs may wait; senders beyond this wait for room (backpressure).
pub(crate) const QUEUE_CAPACITY: usize = 4_096;

/// Whether a write must be on the disk before its caller hears back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Durability {
    /// fsynced before the reply. Everything a client is told was accepted or changed: publishes, receipts, the
    /// management API's writes. Losing one of these in a power failure would break a promise.
    Synced,
    /// Committed to the WAL without an fsync: the dispatcher's claims, outcomes and lease renewals. A power
    /// failure may lose the last of them, which only means a delivery is leased or sent again after the restart,
    /// as at-least-once allows. Because the WAL is written in order and a commit's fsync covers every frame before
    /// it, a lost relaxed write never leaves a later synced one standing without it. PostgreSQL's backend makes
    /// the same choice with `synchronous_commit = off` for these writes.
    Relaxed,
}

/// How many pages a job may change, which decides where its savepoint's copies of them are kept.
///
/// Jobs run in savepoints of their own only after a job of their transaction failed (see [`commit_batch`]), but
/// a claim's `SAVEPOINT` and a statement that changes several rows (SQLite's statement journal) copy pages too.
/// A savepoint copies each page a job first changes into a sub-journal. SQLite keeps it in memory up to 64 KiB,
/// then in a temporary file, and once in a file every later job of the transaction writes there too: a `pwrite`
/// per page, 13–17 % of the server's CPU with single publishes (each publish changes about twenty pages of
/// tables and indexes). So transactions of ordinary jobs run with `temp_store = MEMORY`, which keeps the
/// sub-journal in memory whatever its size. A bulk job (one statement over every delivery of an endpoint:
/// resuming, recovering, deleting or replacing endpoints) could copy hundreds of megabytes there, so a
/// transaction holding one runs with `temp_store = FILE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Size {
    /// A bounded number of rows: everything but the bulk jobs below.
    Bounded,
    /// As many rows as a backlog holds.
    Bulk,
}

/// A job's work and its caller, kept until the transaction holding it has committed (or failed to).
trait Pending: Send {
    /// Runs the work, in a savepoint of its own or not, and keeps its result; whether it succeeded.
    fn run(&mut self, conn: &Connection, own_savepoint: bool) -> bool;
    /// Answers the caller with the kept result, or with `commit_error` when the transaction did not commit.
    fn answer(self: Box<Self>, commit_error: Option<&StoreError>);
}

struct Caller<R, F> {
    work: F,
    result: Option<Result<R, StoreError>>,
    reply: oneshot::Sender<Result<R, StoreError>>,
}

impl<R, F> Pending for Caller<R, F>
where
    R: Send + 'static,
    F: Fn(&Connection) -> Result<R, StoreError> + Send + 'static,
{
    fn run(&mut self, conn: &Connection, own_savepoint: bool) -> bool {
        let result = if own_savepoint { in_savepoint(conn, &self.work) } else { (self.work)(conn) };
        let succeeded = result.is_ok();
        self.result = Some(result);
        succeeded
    }

    fn answer(self: Box<Self>, commit_error: Option<&StoreError>) {
        let outcome = match (commit_error, self.result) {
            (Some(err), _) => Err(err.clone()),
            (None, Some(result)) => result,
            // Not reached: every job of a committed transaction ran.
            (None, None) => Err(StoreError::Closed),
        };
        // The caller may have gone away (its request was cancelled); the write stands regardless.
        let _ = self.reply.send(outcome);
    }
}

/// A job: runs on the write connection inside the shared transaction, then answers its caller.
pub(crate) struct Job {
    durability: Durability,
    size: Size,
    /// How long the job may wait for company before its transaction starts; `None` for not at all.
    patience: Option<Duration>,
    work: Box<dyn Pending>,
}

/// The durability a transaction of `jobs` needs: synced if any of them is.
fn batch_durability(jobs: &[Job]) -> Durability {
    if jobs.iter().any(|job| job.durability == Durability::Synced) {
        Durability::Synced
    } else {
        Durability::Relaxed
    }
}

/// Where a transaction of `jobs` keeps its sub-journals: in files if any of them is a bulk job.
fn batch_size(jobs: &[Job]) -> Size {
    if jobs.iter().any(|job| job.size == Size::Bulk) {
        Size::Bulk
    } else {
        Size::Bounded
    }
}

/// How long a transaction of `jobs` may wait for one more job: the shortest patience among them, and not at all if
/// any of them cannot wait.
fn batch_patience(jobs: &[Job]) -> Option<Duration> {
    jobs.iter().try_fold(Duration::MAX, |shortest, job| Some(shortest.min(job.patience?)))
}

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

    /// Runs `work` in the next group commit and returns its result once that commit is as durable as asked.
    pub(crate) async fn write<R, F>(&self, durability: Durability, work: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: Fn(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        self.write_sized(durability, Size::Bounded, work).await
    }

    /// [`WriterHandle::write`] for a job of the given [`Size`].
    pub(crate) async fn write_sized<R, F>(&self, durability: Durability, size: Size, work: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: Fn(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        self.submit(durability, size, None, work).await
    }

    /// A relaxed job that may wait up to `patience` for another job to share its commit with.
    pub(crate) async fn write_patiently<R, F>(&self, patience: Duration, work: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: Fn(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        self.submit(Durability::Relaxed, Size::Bounded, Some(patience), work).await
    }

    async fn submit<R, F>(
        &self,
        durability: Durability,
        size: Size,
        patience: Option<Duration>,
        work: F,
    ) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: Fn(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let work = Box::new(Caller { work, result: None, reply });
        self.queue.send(Job { durability, size, patience, work }).await.map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }
}

fn in_savepoint<R>(
    conn: &Connection,
    work: impl FnOnce(&Connection) -> Result<R, StoreError>,
) -> Result<R, StoreError> {
    // Cached statements: every job runs these two, and parsing them each time showed in the profile.
    conn.prepare_cached("SAVEPOINT job")?.execute([])?;
    match work(conn) {
        Ok(value) => {
            conn.prepare_cached("RELEASE job")?.execute([])?;
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
    let mut syncing =
        BatchSetting::start(&conn, "synchronous", Durability::Synced, Durability::Relaxed, set_synchronous);
    let mut journaling = BatchSetting::start(&conn, "temp_store", Size::Bulk, Size::Bounded, set_temp_store);
    let waiting = Waiting::start();
    while let Some(first) = jobs.blocking_recv() {
        batch.push(first);
        take_queued(&mut jobs, &mut batch);
        if let Some(patience) = batch_patience(&batch) {
            if let Some(company) = waiting.for_one_more(&mut jobs, patience) {
                batch.push(company);
                take_queued(&mut jobs, &mut batch);
            }
        }
        let (jobs_in_batch, started) = (batch.len(), std::time::Instant::now());
        let settled =
            syncing.settle(&conn, batch_durability(&batch)).and_then(|()| journaling.settle(&conn, batch_size(&batch)));
        if let Err(err) = settled {
            fail_batch(&mut batch, &err, "choosing the batch's settings");
            continue;
        }
        let ran_again = commit_batch(&conn, &mut batch);
        if let Some(metrics) = &metrics {
            metrics.commit(jobs_in_batch, started.elapsed(), ran_again);
        }
    }
    tracing::debug!("sqlite writer stopped: every handle was dropped");
}

/// Adds what is queued now to `batch`, up to [`MAX_JOBS_PER_COMMIT`], without waiting.
fn take_queued(jobs: &mut mpsc::Receiver<Job>, batch: &mut Vec<Job>) {
    while batch.len() < MAX_JOBS_PER_COMMIT {
        match jobs.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
}

/// A timer for the writer thread, which runs outside tokio's runtime: a runtime of its own on this thread, with a
/// clock and nothing else.
struct Waiting {
    clock: Option<tokio::runtime::Runtime>,
}

impl Waiting {
    fn start() -> Self {
        let clock = tokio::runtime::Builder::new_current_thread().enable_time().build();
        if let Err(err) = &clock {
            tracing::warn!(error = %err, "the writer has no timer; jobs that could wait for company commit at once");
        }
        Waiting { clock: clock.ok() }
    }

    /// The next job, if one comes within `patience` (or is queued already).
    fn for_one_more(&self, jobs: &mut mpsc::Receiver<Job>, patience: Duration) -> Option<Job> {
        let clock = self.clock.as_ref()?;
        clock.block_on(async { tokio::time::timeout(patience, jobs.recv()).await.ok().flatten() })
    }
}

/// A connection setting the writer chooses per batch (`synchronous`, `temp_store`), with one value that is safe
/// for every batch: FULL (fsync) and FILE (sub-journals on disk). Moving to the safe value must work or the batch
/// fails; moving away from it may fail, and the batch then runs under the safe value.
struct BatchSetting<T> {
    name: &'static str,
    current: T,
    safe: T,
    apply: fn(&Connection, T) -> Result<(), StoreError>,
}

impl<T: Copy + PartialEq> BatchSetting<T> {
    /// Sets the safe value whatever the connection was opened with. A failure records `other`, so the first
    /// batch that needs the safe value tries again and is failed if it cannot have it.
    fn start(
        conn: &Connection,
        name: &'static str,
        safe: T,
        other: T,
        apply: fn(&Connection, T) -> Result<(), StoreError>,
    ) -> Self {
        let current = match apply(conn, safe) {
            Ok(()) => safe,
            Err(err) => {
                tracing::error!(error = %err, setting = name, "cannot set the safe value on the write connection");
                other
            }
        };
        BatchSetting { name, current, safe, apply }
    }

    /// Puts `wanted` in force for the next batch; an error means the batch cannot run safely.
    fn settle(&mut self, conn: &Connection, wanted: T) -> Result<(), StoreError> {
        if wanted == self.current {
            return Ok(());
        }
        match (self.apply)(conn, wanted) {
            Ok(()) => {
                self.current = wanted;
                Ok(())
            }
            Err(err) if wanted == self.safe => {
                tracing::error!(error = %err, setting = self.name, "cannot set the safe value; failing the batch");
                Err(err)
            }
            Err(err) => {
                tracing::warn!(error = %err, setting = self.name, "cannot leave the safe value; committing with it");
                Ok(())
            }
        }
    }
}

/// Sets whether commits fsync the WAL (`FULL`) or leave it to the next synced commit or checkpoint (`NORMAL`).
fn set_synchronous(conn: &Connection, durability: Durability) -> Result<(), StoreError> {
    let level = match durability {
        Durability::Synced => "FULL",
        Durability::Relaxed => "NORMAL",
    };
    conn.pragma_update(None, "synchronous", level)?;
    Ok(())
}

/// Keeps sub-journals in memory (bounded jobs) or in temporary files (bulk jobs); see [`Size`].
fn set_temp_store(conn: &Connection, size: Size) -> Result<(), StoreError> {
    let store = match size {
        Size::Bounded => "MEMORY",
        Size::Bulk => "FILE",
    };
    conn.pragma_update(None, "temp_store", store)?;
    Ok(())
}

/// Answers every caller of `batch` with `err`, nothing of it committed; `stage` says where it failed.
fn fail_batch(batch: &mut Vec<Job>, err: &StoreError, stage: &str) {
    tracing::error!(error = %err, jobs = batch.len(), stage, "a write batch failed; nothing of it was committed");
    // Dropping a job drops its reply sender: the caller hears `StoreError::Closed`, a retryable answer.
    batch.clear();
}

/// Runs `batch` in one transaction and answers every job once it is committed: first without savepoints, and if
/// a job fails, again from the start with a savepoint per job (see the module's documentation). Returns whether
/// the jobs ran that second time: a job that keeps failing costs its whole batch a second run, which `/metrics`
/// counts so that it shows.
fn commit_batch(conn: &Connection, batch: &mut Vec<Job>) -> bool {
    // A transaction left open by a failed rollback would make every later BEGIN fail: end it first.
    if let Err(err) = roll_back_if_open(conn) {
        tracing::error!(error = %err, "a write transaction is stuck open and cannot be rolled back");
    }
    if let Err(err) = begin(conn) {
        fail_batch(batch, &err, "beginning the transaction");
        return false;
    }
    // Without savepoints first (jobs almost never fail). `all` stops at the first job that fails, or after which
    // the transaction is gone: SQLite ends it by itself on a full disk, an I/O error or no memory, and a job run
    // after that would commit on its own.
    let ran_again = !batch.iter_mut().all(|job| job.work.run(conn, false) && !conn.is_autocommit());
    if ran_again {
        // Undo everything, then run every job again in a savepoint of its own, so that only the failed ones are
        // undone.
        if let Err(err) = roll_back_if_open(conn).and_then(|()| begin(conn)) {
            fail_batch(batch, &err, "beginning the transaction again after a job failed");
            return true;
        }
        for job in batch.iter_mut() {
            job.work.run(conn, true);
            if conn.is_autocommit() {
                // SQLite ended the transaction: the jobs before are undone, and each after would commit alone.
                let err =
                    StoreError::Unavailable { message: "SQLite ended the write transaction".into(), source: None };
                fail_batch(batch, &err, "running the jobs again, each in its own savepoint");
                return true;
            }
        }
    }
    let commit_error = match conn.prepare_cached("COMMIT").and_then(|mut commit| commit.execute([])) {
        Ok(_) => None,
        Err(err) => {
            tracing::error!(error = %err, "group commit failed; rolling back");
            let _ = roll_back_if_open(conn);
            Some(StoreError::from(err))
        }
    };
    for job in batch.drain(..) {
        job.work.answer(commit_error.as_ref());
    }
    ran_again
}

fn begin(conn: &Connection) -> Result<(), StoreError> {
    conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
    Ok(())
}

/// Rolls back the connection's transaction, if one is open (SQLite may have ended it already).
fn roll_back_if_open(conn: &Connection) -> Result<(), StoreError> {
    if !conn.is_autocommit() {
        conn.execute_batch("ROLLBACK")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(durability: Durability) -> Job {
        Job { durability, ..bounded_job(|_: &Connection| Ok(())).0 }
    }

    /// A bounded, synced job of `work` that cannot wait, with the receiver of its answer.
    fn bounded_job<R, F>(work: F) -> (Job, oneshot::Receiver<Result<R, StoreError>>)
    where
        R: Send + 'static,
        F: Fn(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let work = Box::new(Caller { work, result: None, reply });
        (Job { durability: Durability::Synced, size: Size::Bounded, patience: None, work }, answer)
    }

    /// An in-memory database with a table `t` of ids, for the batch tests.
    fn database_with_table_t() -> Connection {
        let conn = Connection::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
        conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY)").unwrap_or_else(|e| panic!("{e}"));
        conn
    }

    /// Applies `true` (the safe value here) and refuses `false`.
    fn only_safe(_: &Connection, value: bool) -> Result<(), StoreError> {
        if value {
            Ok(())
        } else {
            Err(StoreError::Closed)
        }
    }

    /// Refuses everything.
    fn nothing(_: &Connection, _: bool) -> Result<(), StoreError> {
        Err(StoreError::Closed)
    }

    #[test]
    fn a_setting_that_cannot_leave_its_safe_value_keeps_it_and_one_that_cannot_reach_it_fails_the_batch() {
        let conn = Connection::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
        let mut setting = BatchSetting::start(&conn, "test", true, false, only_safe);
        assert!(setting.current);
        assert!(setting.settle(&conn, false).is_ok(), "leaving the safe value may fail: the batch runs safely");
        assert!(setting.current, "and the safe value stays recorded");

        let mut broken = BatchSetting::start(&conn, "test", true, false, nothing);
        assert!(!broken.current, "a failed start records the other value");
        assert!(broken.settle(&conn, true).is_err(), "a batch that needs the safe value fails without it");
        assert!(broken.settle(&conn, false).is_ok());
    }

    #[test]
    fn a_batch_keeps_its_sub_journals_in_files_when_any_of_its_jobs_is_bulk() {
        let bulk = Job { size: Size::Bulk, ..job(Durability::Synced) };
        assert_eq!(batch_size(&[job(Durability::Synced), job(Durability::Relaxed)]), Size::Bounded);
        assert_eq!(batch_size(&[job(Durability::Relaxed), bulk]), Size::Bulk);
    }

    /// A writer on a fresh database file set up with `pragmas`; the directory lives as long as the first value.
    fn writer_on_a_file(pragmas: &str) -> (tempfile::TempDir, WriterHandle) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let conn = Connection::open(dir.path().join("w.db")).unwrap_or_else(|e| panic!("{e}"));
        conn.execute_batch(pragmas).unwrap_or_else(|e| panic!("{e}"));
        (dir, WriterHandle::spawn(conn, None).unwrap_or_else(|e| panic!("{e}")))
    }

    /// The value of `pragma` (a number) in the transaction of a job of this durability and size.
    async fn pragma_seen_by(writer: &WriterHandle, pragma: &'static str, durability: Durability, size: Size) -> i64 {
        let read = move |c: &Connection| Ok(c.query_row(&format!("PRAGMA {pragma}"), [], |row| row.get::<_, i64>(0))?);
        writer.write_sized(durability, size, read).await.unwrap_or_else(|e| panic!("{e}"))
    }

    /// The `temp_store` a job's own transaction runs under: 2 is MEMORY, 1 FILE.
    async fn temp_store_seen_by(writer: &WriterHandle, size: Size) -> i64 {
        pragma_seen_by(writer, "temp_store", Durability::Relaxed, size).await
    }

    #[tokio::test]
    async fn bulk_jobs_journal_to_files_and_the_others_in_memory() {
        let (_dir, writer) = writer_on_a_file("PRAGMA journal_mode = WAL;");
        assert_eq!(temp_store_seen_by(&writer, Size::Bounded).await, 2);
        assert_eq!(temp_store_seen_by(&writer, Size::Bulk).await, 1);
        assert_eq!(temp_store_seen_by(&writer, Size::Bounded).await, 2);
    }

    #[test]
    fn a_batch_is_synced_when_any_of_its_jobs_must_be() {
        use Durability::{Relaxed, Synced};
        assert_eq!(batch_durability(&[job(Relaxed), job(Relaxed)]), Relaxed);
        assert_eq!(batch_durability(&[job(Relaxed), job(Synced), job(Relaxed)]), Synced);
        assert_eq!(batch_durability(&[job(Synced)]), Synced);
    }

    /// The `synchronous` level a job's own transaction runs under: 2 is FULL (fsync at commit), 1 NORMAL.
    async fn level_seen_by(writer: &WriterHandle, durability: Durability) -> i64 {
        pragma_seen_by(writer, "synchronous", durability, Size::Bounded).await
    }

    #[tokio::test]
    async fn relaxed_writes_commit_without_an_fsync_and_synced_ones_turn_it_back_on() {
        let (_dir, writer) = writer_on_a_file("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
        assert_eq!(level_seen_by(&writer, Durability::Synced).await, 2);
        assert_eq!(level_seen_by(&writer, Durability::Relaxed).await, 1);
        assert_eq!(level_seen_by(&writer, Durability::Relaxed).await, 1);
        assert_eq!(level_seen_by(&writer, Durability::Synced).await, 2);
    }

    #[test]
    fn a_batch_waits_for_company_only_as_long_as_its_least_patient_job_and_not_if_one_cannot() {
        let patient = |ms| Job { patience: Some(Duration::from_millis(ms)), ..job(Durability::Relaxed) };
        assert_eq!(batch_patience(&[patient(5), patient(2)]), Some(Duration::from_millis(2)));
        assert_eq!(batch_patience(&[patient(5), job(Durability::Relaxed)]), None);
        assert_eq!(batch_patience(&[job(Durability::Synced)]), None);
    }

    #[tokio::test]
    async fn a_patient_job_shares_the_commit_of_the_next_job_that_comes() {
        let (_dir, writer) = writer_on_a_file("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
        assert_eq!(level_seen_by(&writer, Durability::Relaxed).await, 1, "a relaxed job alone commits unsynced");
        let read_level = |c: &Connection| Ok(c.query_row("PRAGMA synchronous", [], |row| row.get::<_, i64>(0))?);
        let patient = tokio::spawn({
            let writer = writer.clone();
            async move { writer.write_patiently(Duration::from_secs(600), read_level).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!patient.is_finished(), "a patient job alone waits for company");
        assert_eq!(level_seen_by(&writer, Durability::Synced).await, 2);
        let shared = tokio::time::timeout(Duration::from_secs(60), patient).await;
        let level = shared.unwrap_or_else(|_| panic!("the patient job kept waiting after a job came")).ok();
        assert_eq!(level.and_then(Result::ok), Some(2), "it ran in the synced job's transaction");
    }

    #[tokio::test]
    async fn a_patient_job_that_finds_no_company_commits_on_its_own() {
        let (_dir, writer) = writer_on_a_file("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
        let read_level = |c: &Connection| Ok(c.query_row("PRAGMA synchronous", [], |row| row.get::<_, i64>(0))?);
        let started = std::time::Instant::now();
        let alone = writer.write_patiently(Duration::from_millis(20), read_level).await;
        assert!(started.elapsed() >= Duration::from_millis(20), "it waited for company first");
        assert_eq!(alone.ok(), Some(1), "committed without an fsync, as a relaxed job");
    }

    /// A job of the batch that inserts `id` into `t`, counting its runs in `runs`, and fails after the insert
    /// when `fails`; with the receiver of its answer.
    fn inserting(
        id: i64,
        fails: bool,
        runs: &Arc<std::sync::atomic::AtomicUsize>,
    ) -> (Job, oneshot::Receiver<Result<(), StoreError>>) {
        let runs = Arc::clone(runs);
        let work = move |conn: &Connection| {
            runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            conn.execute("INSERT INTO t (id) VALUES (?1)", [id])?;
            if fails {
                return Err(StoreError::corrupt("t", format!("job {id} failed after its insert")));
            }
            Ok(())
        };
        bounded_job(work)
    }

    fn rows_of_t(conn: &Connection) -> Vec<i64> {
        let mut stmt = conn.prepare("SELECT id FROM t ORDER BY id").unwrap_or_else(|e| panic!("{e}"));
        let rows = stmt.query_map([], |row| row.get(0)).unwrap_or_else(|e| panic!("{e}"));
        rows.collect::<Result<_, _>>().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_job_that_fails_undoes_only_its_own_writes_and_the_others_commit() {
        let conn = database_with_table_t();
        let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (first, first_answer) = inserting(1, false, &runs);
        let (failing, failing_answer) = inserting(2, true, &runs);
        let (last, last_answer) = inserting(3, false, &runs);
        let mut batch = vec![first, failing, last];
        assert!(commit_batch(&conn, &mut batch), "it says the jobs ran a second time");

        assert_eq!(rows_of_t(&conn), vec![1, 3], "the failed job's insert is undone, the others' are committed");
        let answers = [first_answer, failing_answer, last_answer].map(|mut answer| answer.try_recv());
        assert!(matches!(answers[0], Ok(Ok(()))) && matches!(answers[2], Ok(Ok(()))), "{answers:?}");
        assert!(matches!(answers[1], Ok(Err(StoreError::Corrupt { .. }))), "{answers:?}");
        // The first pass stopped at the failure (two runs); the second ran all three in savepoints.
        assert_eq!(runs.load(std::sync::atomic::Ordering::Relaxed), 5);
    }

    #[test]
    fn a_batch_whose_jobs_all_succeed_runs_each_once() {
        let conn = database_with_table_t();
        let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (jobs, answers): (Vec<Job>, Vec<_>) = (1..=3).map(|id| inserting(id, false, &runs)).unzip();
        let mut batch = jobs;
        assert!(!commit_batch(&conn, &mut batch), "one pass");

        assert_eq!(rows_of_t(&conn), vec![1, 2, 3]);
        assert!(answers.into_iter().all(|mut answer| matches!(answer.try_recv(), Ok(Ok(())))));
        assert_eq!(runs.load(std::sync::atomic::Ordering::Relaxed), 3, "no savepoint pass without a failure");
    }

    /// SQLite may end a transaction by itself (a full disk, an I/O error); a job that ends it stands in for that
    /// here. Nothing of the batch may then commit, not even a job run after it, and no caller hears "ok".
    #[test]
    fn a_transaction_that_sqlite_ends_commits_nothing_and_answers_no_one_ok() {
        let conn = database_with_table_t();
        let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (first, first_answer) = inserting(1, false, &runs);
        let (ending, ending_answer) =
            bounded_job(|conn: &Connection| -> Result<(), StoreError> { Ok(conn.execute_batch("ROLLBACK")?) });
        let (last, last_answer) = inserting(3, false, &runs);
        let mut batch = vec![first, ending, last];
        assert!(commit_batch(&conn, &mut batch));

        assert_eq!(rows_of_t(&conn), Vec::<i64>::new(), "nothing committed, not even the job after the end");
        let mut answers = [first_answer, ending_answer, last_answer];
        assert!(answers.iter_mut().all(|answer| !matches!(answer.try_recv(), Ok(Ok(())))), "no one heard ok");
        assert!(conn.is_autocommit(), "no transaction is left open");
    }
}
