//! Checkpoints beside the writer, not inside it.
//!
//! A checkpoint copies the WAL's pages back into the database file. By default SQLite runs one inside the commit
//! that takes the WAL past 1,000 pages, on the connection that committed. For kurir that is the writer, the one
//! thread every publish, claim and outcome queues for, and a checkpoint there reads back and rewrites every page
//! the commits since the last one wrote.
//!
//! Here a thread of its own, with a connection of its own, does the copying. The writer's WAL hook nudges it when
//! the WAL holds [`BACKGROUND_AT_PAGES`] that no checkpoint has copied yet (so, like SQLite's, about once per
//! 1,000 pages written, not after every commit past them). Its checkpoint is `PASSIVE`: it copies what is
//! committed (after an fsync of the WAL, so what reaches the database file is durable) and waits for no lock.
//!
//! SQLite starts the WAL over from its beginning only when a checkpoint has copied it all by the time the next
//! transaction begins. Under sustained writes a checkpoint beside the writer seldom catches up with the latest
//! commit, so the WAL would keep growing. The writer therefore still checkpoints itself at
//! [`WRITER_AT_PAGES`], after waiting for a background checkpoint under way, which leaves it less to copy. A reader
//! holding an old snapshot can keep any checkpoint from catching up, and one commit can be larger than the limit,
//! as with SQLite's own checkpoint; otherwise the WAL stays about that size.
//!
//! Where the writer is what limits kurir, this is faster (BENCHMARKS.md, session 14): a backlog of 200,000 drained
//! at 33,660–34,810/s against 29,271–32,002/s, batches and ten endpoints went 10–13 % faster, and the paced p99
//! did not grow. The copying is the same; it only moved to a core that had time.

use std::os::raw::c_int;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use rusqlite::Connection;

use crate::StoreError;

/// The pages not yet copied at which the writer's commit nudges the background checkpoint: SQLite's own default for
/// a checkpoint in the commit.
pub(super) const BACKGROUND_AT_PAGES: c_int = 1_000;

/// The WAL's size in pages at which the writer checkpoints itself, so that the WAL can start over.
pub(super) const WRITER_AT_PAGES: c_int = 4_000;

/// Starts the background checkpoint for the database at `path`, and makes `writer` nudge it (replacing SQLite's
/// checkpoint in the commit). The thread ends when `writer` is closed.
pub(super) fn start(path: &Path, writer: &mut Connection) -> Result<(), StoreError> {
    start_at(path, writer, BACKGROUND_AT_PAGES, WRITER_AT_PAGES)
}

/// [`start`] with the thresholds given, for tests.
fn start_at(path: &Path, writer: &mut Connection, background_at: c_int, writer_at: c_int) -> Result<(), StoreError> {
    let conn = Connection::open(path)?;
    // Never waits for a lock (a PASSIVE checkpoint waits for none, but the pragma reads the schema first): the
    // writer may be waiting for this checkpoint to end.
    conn.busy_timeout(std::time::Duration::ZERO)?;
    // A capacity of one: a nudge while one is pending changes nothing.
    let (nudge, nudged) = mpsc::sync_channel::<()>(1);
    // Held by whichever checkpoint runs: SQLite would answer the other one busy, and the writer's must not miss.
    let turn = Arc::new(Mutex::new(()));
    let progress = Arc::new(Progress::default());
    let (background_turn, background_progress) = (Arc::clone(&turn), Arc::clone(&progress));
    std::thread::Builder::new()
        .name("kurir-sqlite-checkpoint".into())
        .spawn(move || run(&conn, &nudged, &background_turn, &background_progress))?;
    writer.wal_hook(Some(move |wal: &mut rusqlite::hooks::Wal, pages: c_int| {
        let uncopied = progress.uncopied(pages);
        if pages >= writer_at {
            // Waits for a background checkpoint under way (it waits for no lock), which leaves this one less to copy.
            let _turn = turn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            match wal.checkpoint() {
                Ok(()) => {}
                // Another process's checkpoint (processes may share the file): the next commit tries again.
                Err(err) if err.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) => {
                    tracing::debug!(error = %err, pages, "the writer's checkpoint found another one running");
                }
                Err(err) => {
                    tracing::warn!(error = %err, pages, "the writer's checkpoint failed; the next commit tries again");
                }
            }
        } else if uncopied >= background_at {
            let _ = nudge.try_send(());
        }
        // Never an error: SQLite would report it as the commit's, and the commit has happened.
        Ok(())
    }))?;
    Ok(())
}

/// What the writer's WAL hook knows of the background's work: how long the WAL was when its last checkpoint ran, and
/// how many of those pages it copied (packed in one atomic, the length in the high half). A checkpoint beside a busy
/// writer seldom catches up with the last commit, so the WAL does not start over; counting from its length alone,
/// every commit after the first 1,000 pages would nudge another checkpoint for the few pages written since the
/// last one.
#[derive(Default)]
struct Progress(AtomicU64);

impl Progress {
    /// Keeps what a checkpoint of a WAL `wal_pages` long did: it copied `pages_copied` of them.
    fn record(&self, wal_pages: c_int, pages_copied: c_int) {
        let (length, done) =
            (u64::from(wal_pages.max(0).unsigned_abs()), u64::from(pages_copied.max(0).unsigned_abs()));
        self.0.store(length << 32 | done, Ordering::Relaxed);
    }

    /// The pages of a WAL now `pages` long that no checkpoint has copied yet. A WAL shorter than it was at the last
    /// checkpoint has started over since, and none of it is copied. (One that started over and has already grown
    /// past that length is counted as if it had not: a nudge comes late, which costs speed, not the WAL's bound.)
    fn uncopied(&self, pages: c_int) -> c_int {
        let packed = self.0.load(Ordering::Relaxed);
        let (length, done) = (packed >> 32, packed & u64::from(u32::MAX));
        let now = u64::from(pages.max(0).unsigned_abs());
        let left = if length > now { now } else { now - done.min(now) };
        c_int::try_from(left).unwrap_or(c_int::MAX)
    }
}

fn run(conn: &Connection, nudged: &mpsc::Receiver<()>, turn: &Mutex<()>, progress: &Progress) {
    while nudged.recv().is_ok() {
        let _turn = turn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Its row: whether another checkpoint kept it from running (another process's), the WAL's pages, and how
        // many of them are now in the database file.
        let row = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
            Ok((row.get::<_, c_int>(0)?, row.get::<_, c_int>(1)?, row.get::<_, c_int>(2)?))
        });
        match row {
            Ok((0, wal_pages, pages_copied)) if pages_copied >= 0 => progress.record(wal_pages, pages_copied),
            Ok(_) => tracing::debug!("a background checkpoint found another one running"),
            Err(err) => {
                tracing::warn!(error = %err, "a background checkpoint failed; the writer checkpoints at its own limit");
            }
        }
    }
    tracing::debug!("the background checkpoint stopped: the writer's connection was closed");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The WAL's length in pages, from its file (a 32-byte header, then frames of a 24-byte header and a page).
    fn wal_pages(dir: &Path) -> u64 {
        let length = std::fs::metadata(dir.join("c.db-wal")).map(|m| m.len()).unwrap_or(0);
        length.saturating_sub(32) / (24 + 4_096)
    }

    fn writer_on(dir: &Path) -> Connection {
        let conn = Connection::open(dir.join("c.db")).unwrap_or_else(|e| panic!("{e}"));
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
             CREATE TABLE t (id INTEGER PRIMARY KEY, filler BLOB)",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        conn
    }

    /// Commits that each write about ten pages (a row of 3,000 bytes fills most of one).
    fn write_commits(conn: &Connection, commits: usize) {
        for _ in 0..commits {
            conn.execute_batch(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10)
                 INSERT INTO t (filler) SELECT zeroblob(3000) FROM n",
            )
            .unwrap_or_else(|e| panic!("{e}"));
        }
    }

    #[test]
    fn only_pages_no_checkpoint_copied_count_and_a_wal_that_started_over_counts_from_nothing() {
        let progress = Progress::default();
        assert_eq!(progress.uncopied(1_000), 1_000);
        progress.record(1_000, 1_000);
        assert_eq!(progress.uncopied(1_050), 50, "a background checkpoint copied the first 1,000");
        assert_eq!(progress.uncopied(20), 20, "the WAL started over");
        progress.record(1_500, 1_200);
        assert_eq!(progress.uncopied(1_600), 400, "a checkpoint that did not catch up copied 1,200");
    }

    #[test]
    fn the_background_copies_the_wal_back_and_the_writers_own_checkpoint_keeps_it_bounded() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut writer = writer_on(dir.path());
        start_at(&dir.path().join("c.db"), &mut writer, 50, 200).unwrap_or_else(|e| panic!("{e}"));
        write_commits(&writer, 300);
        // 300 commits of ~10 pages: 3,000 pages went through a WAL that may not pass the writer's 200 by more
        // than a commit.
        assert!(wal_pages(dir.path()) <= 230, "the WAL grew to {} pages", wal_pages(dir.path()));
        let rows: i64 =
            writer.query_row("SELECT count(*) FROM t", [], |row| row.get(0)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rows, 3_000);
    }

    #[test]
    fn a_nudge_alone_checkpoints_off_the_writer() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut writer = writer_on(dir.path());
        // The writer's own checkpoint is out of reach: only the background can copy pages back.
        start_at(&dir.path().join("c.db"), &mut writer, 50, c_int::MAX).unwrap_or_else(|e| panic!("{e}"));
        let before = std::fs::metadata(dir.path().join("c.db")).map(|m| m.len()).unwrap_or(0);
        write_commits(&writer, 20);
        let copied = (0..600).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(50));
            std::fs::metadata(dir.path().join("c.db")).map(|m| m.len()).unwrap_or(0) > before + 100 * 4_096
        });
        assert!(copied, "the database file did not grow: no checkpoint ran beside the writer");
    }
}
