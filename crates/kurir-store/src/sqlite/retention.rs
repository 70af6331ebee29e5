//! Retention on SQLite: one purge batch, run as one job of the writer thread, so publishes and outcomes queued
//! meanwhile wait for one batch at most, never for the whole backlog.

use kurir_core::id::TenantId;
use rusqlite::{params, Connection};

use crate::retention::{event_id_boundary, expired_events_sql, log_deletes};
use crate::StoreError;

/// An expired event's (`?1`, its `seq`) attempts, deliveries and the event itself, children first: deliveries
/// reference their event.
pub(super) const PURGE_EVENT_SQL: [&str; 3] = [
    "DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE event_seq = ?1)",
    "DELETE FROM deliveries WHERE event_seq = ?1",
    "DELETE FROM events WHERE seq = ?1",
];

pub(crate) fn purge(conn: &Connection, tenant: &TenantId, before_ms: i64, limit: u32) -> Result<u64, StoreError> {
    let mut gone = 0;
    let expired: Vec<i64> = conn
        .prepare_cached(&expired_events_sql('?'))?
        .query_map(params![tenant.as_str(), event_id_boundary(before_ms), limit], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    for seq in &expired {
        for sql in PURGE_EVENT_SQL {
            gone += conn.prepare_cached(sql)?.execute([seq])?;
        }
    }
    for (sql, unit) in log_deletes('?') {
        gone += conn.prepare_cached(&sql)?.execute(params![tenant.as_str(), unit.of(before_ms), limit])?;
    }
    Ok(gone as u64)
}
