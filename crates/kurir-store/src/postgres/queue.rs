//! The delivery queue: on PostgreSQL, the unfinished deliveries also have a row in `delivery_queue`, a small table
//! that holds only what a claim looks at (endpoint, ordering key, due time, lease). Claims, outcomes and leases
//! work on it; `deliveries` keeps the record and is updated in place. A finished delivery leaves the queue, so
//! the indexes claims walk stay as small as the work that is left, and their dead entries are few and vacuumed
//! fast, however long the delivery log grows. (SQLite updates its indexes in place and needs no such split.)
//!
//! A row is in the queue exactly while its delivery is unfinished: publishing inserts both; an outcome that
//! finishes a delivery deletes its queue row in the statement that checks its lease; a retry by hand or a recovery
//! puts it back; deleting an endpoint removes its rows.

use deadpool_postgres::GenericClient;

use super::{pg_error, Cached, PgStore};
use crate::{sql, Lease, NodeId, Result};

/// Makes the deliveries with these `seq`s due at `now_ms` (a retry by hand, a recovery, a resumed endpoint):
/// queued if they were not, brought forward if they wait. A row leased by a node is left alone (its delivery is
/// in flight).
pub(crate) async fn enqueue_due(client: &impl GenericClient, seqs: &[i64], now_ms: i64) -> Result<()> {
    if seqs.is_empty() {
        return Ok(());
    }
    client
        .execute_cached(
            "INSERT INTO delivery_queue (seq, endpoint_id, ordering_key, next_attempt_at)
             SELECT seq, endpoint_id, ordering_key, $2 FROM deliveries WHERE seq = ANY($1)
             ON CONFLICT (seq) DO UPDATE SET next_attempt_at = EXCLUDED.next_attempt_at
                 WHERE NOT delivery_queue.leased",
            &[&seqs, &now_ms],
        )
        .await
        .map_err(pg_error)?;
    Ok(())
}

/// Queues every unfinished delivery that has no queue row (after `kurir store copy`).
pub(crate) async fn enqueue_unfinished(client: &impl GenericClient) -> Result<u64> {
    let sql = format!(
        "INSERT INTO delivery_queue (seq, endpoint_id, ordering_key, next_attempt_at)
         SELECT seq, endpoint_id, ordering_key, next_attempt_at FROM deliveries WHERE {}
         ON CONFLICT (seq) DO NOTHING",
        sql::unfinished("")
    );
    client.execute_cached(&sql, &[]).await.map_err(pg_error)
}

/// Ends an endpoint's unfinished deliveries (dead, `endpoint deleted`): out of the queue first, then their
/// records, the order in which outcome writes take the same rows (so the two never deadlock).
pub(crate) async fn end_endpoint(client: &impl GenericClient, endpoint: &str, now_ms: i64) -> Result<()> {
    client.execute_cached("DELETE FROM delivery_queue WHERE endpoint_id = $1", &[&endpoint]).await.map_err(pg_error)?;
    let sql = format!(
        "UPDATE deliveries SET state = 'dead', last_error = 'endpoint deleted', updated_at = $2
         WHERE endpoint_id = $1 AND {}",
        sql::unfinished("")
    );
    client.execute_cached(&sql, &[&endpoint, &now_ms]).await.map_err(pg_error)?;
    Ok(())
}

/// Inside a claim: ends the queued deliveries of an endpoint that no longer exists (a publish raced its
/// deletion), skipping rows another transaction holds, so a claim never waits here.
pub(crate) async fn end_orphans(client: &impl GenericClient, endpoint: &str, now_ms: i64) -> Result<()> {
    let rows = client
        .query_cached(
            "DELETE FROM delivery_queue WHERE seq IN (
                 SELECT seq FROM delivery_queue WHERE endpoint_id = $1 FOR UPDATE SKIP LOCKED)
             RETURNING seq",
            &[&endpoint],
        )
        .await
        .map_err(pg_error)?;
    let seqs: Vec<i64> = rows.iter().map(|row| super::rows::get(row, "delivery_queue", 0)).collect::<Result<_>>()?;
    client
        .execute_cached(
            "UPDATE deliveries SET state = 'dead', last_error = 'endpoint deleted', updated_at = $2 WHERE seq = ANY($1)",
            &[&seqs, &now_ms],
        )
        .await
        .map_err(pg_error)?;
    Ok(())
}

pub(crate) async fn next_due_after(store: &PgStore, now_ms: i64) -> Result<Option<i64>> {
    next_due(&store.client().await?, now_ms).await
}

/// The earliest time after `now_ms` at which a queued delivery falls due, a lease ends or a hold lifts.
pub(crate) async fn next_due(client: &impl GenericClient, now_ms: i64) -> Result<Option<i64>> {
    let row = client
        .query_one_cached(
            "SELECT LEAST((SELECT MIN(next_attempt_at) FROM delivery_queue WHERE next_attempt_at > $1),
                          (SELECT MIN(held_until) FROM endpoint_health WHERE held_until > $1),
                          (SELECT MIN(rate_until) FROM endpoint_health WHERE rate_until > $1))",
            &[&now_ms],
        )
        .await
        .map_err(pg_error)?;
    super::rows::get(&row, "delivery_queue", 0)
}

/// The queue and the endpoints' health, for `/metrics`: one round trip.
pub(crate) async fn summary(store: &PgStore, now_ms: i64) -> Result<crate::QueueSummary> {
    const T: &str = "delivery_queue";
    let client = store.client().await?;
    let sql = format!(
        "SELECT (SELECT COUNT(*) FROM delivery_queue),
                (SELECT MIN(next_attempt_at) FROM delivery_queue WHERE NOT leased AND next_attempt_at <= $1),
                (SELECT COUNT(*) FROM endpoint_health WHERE {}),
                (SELECT COUNT(*) FROM endpoints WHERE NOT enabled)",
        sql::CIRCUIT_NOT_CLOSED
    );
    let row = client.query_one_cached(&sql, &[&now_ms]).await.map_err(pg_error)?;
    let count = |i| super::rows::get::<i64>(&row, T, i).map(|n| n.max(0) as u64);
    Ok(crate::QueueSummary {
        unfinished: count(0)?,
        oldest_due_ms: super::rows::get(&row, T, 1)?,
        circuits_open: count(2)?,
        endpoints_disabled: count(3)?,
    })
}

pub(crate) async fn renew_leases(store: &PgStore, node: &NodeId, leases: &[Lease], until_ms: i64) -> Result<u64> {
    if leases.is_empty() {
        return Ok(0);
    }
    let client = store.client().await?;
    let ids: Vec<&str> = leases.iter().map(|l| l.delivery_id.as_str()).collect();
    let tokens: Vec<i64> = leases.iter().map(|l| l.lease_token).collect();
    // Rows another transaction holds (an outcome being written) are skipped, never waited for.
    client
        .execute_cached(
            "UPDATE delivery_queue SET next_attempt_at = $4 WHERE seq IN (
                 SELECT q.seq FROM delivery_queue q
                 JOIN deliveries d ON d.seq = q.seq
                 JOIN UNNEST($1::text[], $2::int8[]) AS o(id, token) ON d.id = o.id AND q.lease_token = o.token
                 WHERE q.leased AND q.lease_owner = $3
                 FOR UPDATE OF q SKIP LOCKED)",
            &[&ids, &tokens, &node.as_str(), &until_ms],
        )
        .await
        .map_err(pg_error)
}

pub(crate) async fn release_leases(store: &PgStore, node: &NodeId, now_ms: i64) -> Result<u64> {
    let mut client = store.client().await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    // A lease without an owner was taken before leases had owners.
    let released: Vec<i64> = tx
        .query_cached(
            "UPDATE delivery_queue SET leased = FALSE, lease_token = NULL, lease_owner = NULL, next_attempt_at = $1
             WHERE leased AND (lease_owner = $2 OR lease_owner IS NULL OR next_attempt_at <= $1)
             RETURNING seq",
            &[&now_ms, &node.as_str()],
        )
        .await
        .map_err(pg_error)?
        .iter()
        .map(|row| super::rows::get(row, "delivery_queue", 0))
        .collect::<Result<_>>()?;
    let sql = format!(
        "UPDATE deliveries SET state = {}, next_attempt_at = $1, updated_at = $1 WHERE seq = ANY($2)",
        sql::UNLEASED_STATE
    );
    tx.execute_cached(&sql, &[&now_ms, &released]).await.map_err(pg_error)?;
    tx.commit().await.map_err(pg_error)?;
    Ok(released.len() as u64)
}
