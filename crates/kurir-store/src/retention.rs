//! Retention's SQL, written once for both backends (numbered placeholders: `?1` for SQLite, `$1` for PostgreSQL):
//! which events are old enough to go (published before the cutoff, every delivery finished: a delivery still
//! pending keeps its event), and the bounded deletes of the logs. Each statement touches at most `limit` rows,
//! so one purge batch is a short write that publishes and outcomes are never queued behind for long.

use crate::sql;

/// The history logs kept per tenant: (table, the columns that name a row, the column that says when it was
/// written, how that column counts time).
const LOGS: [(&str, &str, &str, TimeUnit); 3] = [
    ("inbound", "seq", "received_at", TimeUnit::Millis),
    ("callout_log", "seq", "at", TimeUnit::Millis),
    ("attempt_stats", "endpoint_id, minute", "minute", TimeUnit::Minutes),
];

#[derive(Clone, Copy)]
pub(crate) enum TimeUnit {
    Millis,
    Minutes,
}

impl TimeUnit {
    /// The cutoff in this unit.
    pub(crate) fn of(self, cutoff_ms: i64) -> i64 {
        match self {
            TimeUnit::Millis => cutoff_ms,
            TimeUnit::Minutes => cutoff_ms.div_euclid(60_000),
        }
    }
}

/// Up to `{p}3` `seq`s of a tenant's (`{p}1`) events published before the event id `{p}2` whose deliveries are
/// all finished, oldest first.
///
/// Found through the tenant's events by `seq` (`events_tenant_seq`), below the `seq` of the first event of any
/// tenant at or after the boundary (one seek in the ids' unique index), so that a pass reads only what is old
/// enough, and nothing when nothing is. Publish order and id order agree but for publishes made in the same few
/// milliseconds (or on nodes whose clocks differ): the id check keeps a younger event with an older `seq`, and an
/// older event with a younger `seq` waits for a later pass.
pub(crate) fn expired_events_sql(p: char) -> String {
    format!(
        "SELECT e.seq FROM events e
         WHERE e.tenant_id = {p}1
           AND e.seq < COALESCE((SELECT b.seq FROM events b WHERE b.id >= {p}2 ORDER BY b.id LIMIT 1), {})
           AND e.id < {p}2
           AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_seq = e.seq AND {})
         ORDER BY e.seq LIMIT {p}3",
        i64::MAX,
        sql::unfinished("d")
    )
}

/// For each log: the delete of up to `{p}3` of a tenant's (`{p}1`) rows written before `{p}2`, with the unit `{p}2`
/// is in.
pub(crate) fn log_deletes(p: char) -> Vec<(String, TimeUnit)> {
    LOGS.iter()
        .map(|(table, key, time, unit)| {
            let sql = format!(
                "DELETE FROM {table} WHERE ({key}) IN
                   (SELECT {key} FROM {table} WHERE tenant_id = {p}1 AND {time} < {p}2 LIMIT {p}3)"
            );
            (sql, *unit)
        })
        .collect()
}

/// The event id below which every event was published before `cutoff_ms` (ids are time-ordered).
pub(crate) fn event_id_boundary(cutoff_ms: i64) -> String {
    kurir_core::id::EventId::generate(cutoff_ms.max(0) as u64, 0).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_boundary_sorts_between_events_before_and_after_the_cutoff() {
        let before = kurir_core::id::EventId::generate(999, u128::MAX).to_string();
        let after = kurir_core::id::EventId::generate(1_000, 0).to_string();
        let boundary = event_id_boundary(1_000);
        assert!(before < boundary && boundary <= after, "{before} < {boundary} <= {after}");
        assert_eq!(TimeUnit::Minutes.of(120_000), 2);
        assert!(expired_events_sql('$').contains("$3") && log_deletes('?').iter().all(|(sql, _)| sql.contains("?2")));
    }
}
