//! The delivery statistics every backend keeps (kurir-core's `stats`): how a batch of outcomes becomes per
//! endpoint-and-minute tallies, and the SQL that adds them to `attempt_stats`, written once for both backends.

use std::collections::BTreeMap;

use kurir_core::delivery::NextStep;
use kurir_core::id::{EndpointId, TenantId};
use kurir_core::stats::{minute_of, Tally, BUCKETS};

use crate::Outcome;

/// One endpoint's tally of one minute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointMinute {
    pub endpoint_id: EndpointId,
    /// Unix minutes (`unix_ms / 60,000`).
    pub minute: i64,
    pub tally: Tally,
}

/// The tallies a batch of outcomes adds, keyed by (endpoint, minute) and in that order (the order rows are
/// locked in, so two writers never wait on each other in a cycle). Only attempts that went out count; an
/// attempt succeeded when its delivery did (a 2xx), as the circuit breaker counts it.
pub(crate) fn tally(outcomes: &[Outcome]) -> BTreeMap<(String, i64), (TenantId, Tally)> {
    let mut tallies: BTreeMap<(String, i64), (TenantId, Tally)> = BTreeMap::new();
    for outcome in outcomes.iter().filter(|o| o.attempt.was_sent()) {
        let attempt = &outcome.attempt;
        let key = (outcome.endpoint_id.to_string(), minute_of(attempt.started_at_ms));
        let entry = tallies.entry(key).or_insert_with(|| (outcome.tenant.clone(), Tally::default()));
        entry.1.add(outcome.next == NextStep::Succeeded, attempt.duration_ms);
    }
    tallies
}

/// The count columns after the key, in the order of a [`Tally`]: `succeeded, failed, lat_0, ..., lat_13`.
pub(crate) fn count_columns() -> Vec<String> {
    let mut columns = vec!["succeeded".to_owned(), "failed".to_owned()];
    columns.extend((0..BUCKETS).map(|bucket| format!("lat_{bucket}")));
    columns
}

/// A tally's counts in [`count_columns`] order.
pub(crate) fn counts(tally: &Tally) -> Vec<i64> {
    let mut counts = vec![tally.succeeded as i64, tally.failed as i64];
    counts.extend(tally.latency.iter().map(|n| *n as i64));
    counts
}

/// A tally from counts in [`count_columns`] order.
pub(crate) fn from_counts(counts: &[i64]) -> Tally {
    let at = |i: usize| counts.get(i).copied().unwrap_or(0).max(0) as u64;
    let mut tally = Tally { succeeded: at(0), failed: at(1), ..Tally::default() };
    for (bucket, n) in tally.latency.iter_mut().enumerate() {
        *n = at(2 + bucket);
    }
    tally
}

/// `INSERT INTO attempt_stats (...) <rows> ON CONFLICT ... DO UPDATE` adding each count; `rows` is a `VALUES`
/// list or a `SELECT` giving `tenant_id, endpoint_id, minute` and the counts.
pub(crate) fn upsert_sql(rows: &str) -> String {
    let columns = count_columns();
    let adds: Vec<String> = columns.iter().map(|c| format!("{c} = attempt_stats.{c} + excluded.{c}")).collect();
    format!(
        "INSERT INTO attempt_stats (tenant_id, endpoint_id, minute, {}) {rows}
         ON CONFLICT (endpoint_id, minute) DO UPDATE SET {}",
        columns.join(", "),
        adds.join(", ")
    )
}

/// The read of a tenant's tallies since a minute; `$1`/`?1` is the tenant, `$2`/`?2` the first minute.
pub(crate) fn select_sql(placeholder: char) -> String {
    format!(
        "SELECT endpoint_id, minute, {} FROM attempt_stats WHERE tenant_id = {placeholder}1 AND minute >= {placeholder}2
         ORDER BY minute, endpoint_id",
        count_columns().join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_round_trip_through_their_columns() {
        let mut tally = Tally::default();
        tally.add(true, 3);
        tally.add(false, 30_000);
        assert_eq!(counts(&tally).len(), count_columns().len());
        assert_eq!(from_counts(&counts(&tally)), tally);
    }

    #[test]
    fn the_upsert_adds_every_count() {
        let sql = upsert_sql("VALUES (?1)");
        assert!(sql.contains("lat_13 = attempt_stats.lat_13 + excluded.lat_13"));
        assert!(sql.contains("succeeded = attempt_stats.succeeded + excluded.succeeded"));
        assert!(!sql.contains(&format!("lat_{BUCKETS}")));
    }
}
