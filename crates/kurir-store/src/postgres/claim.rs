//! Claiming on PostgreSQL: endpoint by endpoint over `delivery_queue` (see `queue`), with each endpoint's
//! `endpoint_health` row locked `FOR UPDATE SKIP LOCKED` so one node at a time claims for an endpoint and its
//! in-flight count is exact across nodes, and the due rows locked the same way. The lease `UPDATE` re-checks that
//! each row is still due, so of two claimers only one takes it.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use deadpool_postgres::Transaction;
use kurir_core::circuit::Circuit;
use kurir_core::endpoint::Endpoint;
use rand::seq::SliceRandom;

use super::outcomes::write_circuit;
use super::rows;
use super::{pg_error, queue, Cached, PgStore, DISPATCH_SETTINGS};
use crate::claiming::{gate, shares, Gate, InFlight, Limit, Rate};
use crate::{Claim, ClaimRequest, Result, StoreError};
use kurir_core::circuit::CircuitOverrides;
use kurir_core::rate::RateLimit;

/// The endpoints with a queued delivery due now whose circuit does not hold them, found by walking the distinct
/// endpoints of `delivery_queue_due` (one index probe each), as on SQLite.
const READY_SQL: &str = "
    WITH RECURSIVE queued(endpoint_id) AS (
        SELECT (SELECT endpoint_id FROM delivery_queue ORDER BY endpoint_id LIMIT 1)
        UNION ALL
        SELECT (SELECT endpoint_id FROM delivery_queue WHERE endpoint_id > queued.endpoint_id
                ORDER BY endpoint_id LIMIT 1)
        FROM queued WHERE queued.endpoint_id IS NOT NULL)
    SELECT q.endpoint_id FROM queued q LEFT JOIN endpoint_health h ON h.endpoint_id = q.endpoint_id
    WHERE q.endpoint_id IS NOT NULL AND COALESCE(h.held_until, 0) <= $1 AND COALESCE(h.rate_until, 0) <= $1
      AND EXISTS (SELECT 1 FROM delivery_queue d WHERE d.endpoint_id = q.endpoint_id AND d.next_attempt_at <= $1)";

/// One endpoint's due deliveries, oldest due first; a delivery with an ordering key waits while an earlier one
/// (lower `seq`) of the same endpoint and key is queued, in flight on any node or not.
///
/// "This endpoint, due by now" is written as a range of `delivery_queue_due`'s whole key, ordered by that key:
/// only that index has the rows in that order. Written as `endpoint_id = $1 AND next_attempt_at <= $2 ORDER BY
/// next_attempt_at`, the generic plan PostgreSQL switches to after five uses could walk `delivery_queue_next`
/// instead: every endpoint's due rows (a held endpoint's backlog among them) and the dead entries of claimed
/// rows, 5-8 ms a claim in the benchmark against 0.7.
const DUE_SQL: &str = "SELECT q.seq FROM delivery_queue q
    WHERE (q.endpoint_id, q.next_attempt_at) >= ($1, -9223372036854775808)
      AND (q.endpoint_id, q.next_attempt_at) <= ($1, $2)
      AND (q.ordering_key IS NULL OR NOT EXISTS (
            SELECT 1 FROM delivery_queue e
            WHERE e.endpoint_id = q.endpoint_id AND e.ordering_key = q.ordering_key AND e.seq < q.seq))
    ORDER BY q.endpoint_id, q.next_attempt_at
    LIMIT $3
    FOR UPDATE OF q SKIP LOCKED";

/// The leased deliveries' records, marked in flight and returned with their events (a claim runs it per endpoint,
/// so it is written once).
static LEASE_RECORDS_SQL: LazyLock<String> = LazyLock::new(|| {
    let event_columns: Vec<String> = rows::EVENT_COLUMNS.split(", ").map(|c| format!("e.{c}")).collect();
    format!(
        "WITH leased AS (
             UPDATE deliveries SET state = 'in_flight', next_attempt_at = $2, updated_at = $3 WHERE seq = ANY($1)
             RETURNING {}, event_seq)
         SELECT leased.*, {} FROM leased JOIN events e ON e.seq = leased.event_seq",
        rows::DELIVERY_COLUMNS,
        event_columns.join(", ")
    )
});

/// An endpoint's leases that have not expired, across every node (`delivery_queue_leased`), and the earliest end
/// among this node's (`$3`): the index in order until the first of them.
static IN_FLIGHT_SQL: LazyLock<String> = LazyLock::new(|| {
    let live_leases = "FROM delivery_queue WHERE endpoint_id = $1 AND leased AND next_attempt_at > $2";
    format!("SELECT (SELECT COUNT(*) {live_leases}), (SELECT MIN(next_attempt_at) {live_leases} AND lease_owner = $3)")
});

static ENDPOINT_ROW_SQL: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {} FROM endpoints WHERE id = $1", rows::ENDPOINT_COLUMNS));

/// An endpoint this claim holds the `endpoint_health` lock of, with what may be taken from it.
struct Locked {
    id: String,
    stored: Circuit,
    gate: Gate,
    taken: u32,
    rate: Option<Rate>,
}

pub(crate) async fn claim_due(store: &PgStore, request: &ClaimRequest) -> Result<Vec<Claim>> {
    let mut client = store.client().await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    tx.batch_execute(DISPATCH_SETTINGS).await.map_err(pg_error)?;
    let claims = claim(&tx, request).await?;
    tx.commit().await.map_err(pg_error)?;
    Ok(claims)
}

/// Claims in `tx`; the endpoints' locks are held until it ends.
pub(crate) async fn claim(tx: &Transaction<'_>, request: &ClaimRequest) -> Result<Vec<Claim>> {
    let now = request.now_ms;
    let mut ready: Vec<String> = tx
        .query_cached(READY_SQL, &[&now])
        .await
        .map_err(pg_error)?
        .iter()
        .map(|row| rows::get(row, "deliveries", 0))
        .collect::<Result<_>>()?;
    ready.shuffle(&mut rand::rng());
    let mut locked = Vec::new();
    for id in ready {
        if let Some(endpoint) = lock_endpoint(tx, id, request).await? {
            locked.push(endpoint);
        }
    }
    let mut claims = Vec::new();
    let mut endpoints: HashMap<String, Option<Arc<Endpoint>>> = HashMap::new();
    for _ in 0..2 {
        let left = request.limit.saturating_sub(locked.iter().map(|e| e.taken).sum());
        let rooms: Vec<u32> = locked.iter().map(|e| e.gate.room.saturating_sub(e.taken)).collect();
        let mut progressed = false;
        for (index, share) in shares(&rooms, left).into_iter().enumerate() {
            if share == 0 {
                continue;
            }
            let endpoint = &mut locked[index];
            let got = lease_endpoint(tx, &endpoint.id, share, request, &mut endpoints, &mut claims).await?;
            endpoint.taken += got;
            progressed |= got == share;
        }
        if !progressed {
            break;
        }
    }
    for endpoint in &locked {
        let circuit = endpoint.gate.after(endpoint.taken);
        if endpoint.taken > 0 && circuit != endpoint.stored {
            write_circuit(tx, &endpoint.id, &circuit, now).await?;
        }
        if let (Some(rate), true) = (endpoint.rate, endpoint.taken > 0) {
            let (tat, until) = rate.after(endpoint.taken, now);
            tx.execute_cached(
                "UPDATE endpoint_health SET rate_tat = $2, rate_until = $3 WHERE endpoint_id = $1",
                &[&endpoint.id, &tat, &until],
            )
            .await
            .map_err(pg_error)?;
        }
    }
    Ok(claims)
}

/// Locks an endpoint's health row unless another node is claiming for it (then it is skipped this round), and
/// gates it on its circuit and its in-flight count across every node.
async fn lock_endpoint(tx: &Transaction<'_>, id: String, request: &ClaimRequest) -> Result<Option<Locked>> {
    let row = tx
        .query_opt_cached(
            "SELECT h.circuit, e.max_in_flight, e.circuit_failures, e.circuit_cooldown_ms, e.rate_count,
                    e.rate_period_ms, h.rate_tat
             FROM endpoint_health h JOIN endpoints e ON e.id = h.endpoint_id
             WHERE h.endpoint_id = $1 FOR UPDATE OF h SKIP LOCKED",
            &[&id],
        )
        .await
        .map_err(pg_error)?;
    let Some(row) = row else {
        // Locked by another node's claim, or the endpoint is gone (publish raced its deletion).
        let exists = tx.query_opt_cached("SELECT 1 FROM endpoints WHERE id = $1", &[&id]).await.map_err(pg_error)?;
        if exists.is_none() {
            queue::end_orphans(tx, &id, request.now_ms).await?;
        }
        return Ok(None);
    };
    let text: String = rows::get(&row, "endpoint_health", 0)?;
    let stored = crate::codec::decode_circuit(&text)?;
    let own_limit: Option<i64> = rows::get(&row, "endpoints", 1)?;
    let own_limit = own_limit.map(|n| u32::try_from(n).unwrap_or(u32::MAX));
    let number = |index| -> Result<Option<u32>> {
        let value: Option<i64> = rows::get(&row, "endpoints", index)?;
        Ok(value.map(|n| u32::try_from(n).unwrap_or(u32::MAX)))
    };
    let own_circuit = CircuitOverrides { failures: number(2)?, cooldown_ms: number(3)? };
    let period_ms: Option<i64> = rows::get(&row, "endpoints", 5)?;
    let limit = number(4)?.zip(period_ms).and_then(|(count, period)| RateLimit::new(count, period).ok());
    let rate = Rate::of(limit, rows::get(&row, "endpoint_health", 6)?);
    // Counted in a statement of its own, after the lock: its snapshot then sees every lease committed by the
    // claim that held the lock before (a subquery of the locking statement would use an older snapshot).
    let row =
        tx.query_one_cached(&IN_FLIGHT_SQL, &[&id, &request.now_ms, &request.node.as_str()]).await.map_err(pg_error)?;
    let in_flight = InFlight::of(rows::get(&row, "delivery_queue", 0)?, rows::get(&row, "delivery_queue", 1)?, request);
    let limit = Limit::of(own_limit, request);
    let gate = gate(stored, in_flight, limit, request.now_ms, &request.circuit.for_endpoint(&own_circuit), rate);
    Ok(Some(Locked { id, stored, gate, taken: 0, rate }))
}

/// Leases up to `limit` of one endpoint's due deliveries: the queue rows (picked by `DUE_SQL`, locked `SKIP
/// LOCKED`, and re-checked as due by the `UPDATE` itself), then the deliveries' records, returned with their
/// events in the same statement.
async fn lease_endpoint(
    tx: &Transaction<'_>,
    endpoint_id: &str,
    limit: u32,
    request: &ClaimRequest,
    endpoints: &mut HashMap<String, Option<Arc<Endpoint>>>,
    claims: &mut Vec<Claim>,
) -> Result<u32> {
    let now = request.now_ms;
    let Some(endpoint) = endpoint_row(tx, endpoint_id, endpoints).await? else {
        queue::end_orphans(tx, endpoint_id, now).await?;
        return Ok(0);
    };
    let token: i64 = rand::random();
    let lease_end = now + request.lease_ms;
    // Two statements: folding the pick into the UPDATE (`WHERE seq IN (DUE_SQL)`) let the planner re-run the
    // pick per row, which took minutes on a queue of 20,000.
    let due: Vec<i64> = tx
        .query_cached(DUE_SQL, &[&endpoint_id, &now, &i64::from(limit)])
        .await
        .map_err(pg_error)?
        .iter()
        .map(|row| rows::get(row, "delivery_queue", 0))
        .collect::<Result<_>>()?;
    if due.is_empty() {
        return Ok(0);
    }
    let queued: Vec<i64> = tx
        .query_cached(
            "UPDATE delivery_queue SET leased = TRUE, next_attempt_at = $2, lease_token = $3, lease_owner = $4
             WHERE seq = ANY($1) AND next_attempt_at <= $5
             RETURNING seq",
            &[&due, &lease_end, &token, &request.node.as_str(), &now],
        )
        .await
        .map_err(pg_error)?
        .iter()
        .map(|row| rows::get(row, "delivery_queue", 0))
        .collect::<Result<_>>()?;
    if queued.is_empty() {
        return Ok(0);
    }
    let leased = tx.query_cached(&LEASE_RECORDS_SQL, &[&queued, &lease_end, &now]).await.map_err(pg_error)?;
    if leased.len() < queued.len() {
        return Err(StoreError::corrupt("deliveries", "a queued delivery has no record or no event"));
    }
    for row in &leased {
        let delivery = rows::delivery(row)?;
        // The event's columns follow the delivery's 13 and its `event_seq`.
        let event = rows::event_at(row, 14)?;
        claims.push(Claim { delivery, lease_token: token, event, endpoint: Arc::clone(&endpoint) });
    }
    Ok(leased.len() as u32)
}

/// An endpoint's row, read once per claim.
async fn endpoint_row(
    tx: &Transaction<'_>,
    endpoint_id: &str,
    endpoints: &mut HashMap<String, Option<Arc<Endpoint>>>,
) -> Result<Option<Arc<Endpoint>>> {
    if let Some(cached) = endpoints.get(endpoint_id) {
        return Ok(cached.clone());
    }
    let row = tx.query_opt_cached(&ENDPOINT_ROW_SQL, &[&endpoint_id]).await.map_err(pg_error)?;
    let endpoint = row.map(|row| rows::endpoint(&row)).transpose()?.map(Arc::new);
    endpoints.insert(endpoint_id.to_owned(), endpoint.clone());
    Ok(endpoint)
}

#[cfg(test)]
mod tests {
    //! PostgreSQL plans a prepared statement for its parameters' values five times, then may switch to one
    //! generic plan for any value. The claim's statements must keep their index in that plan.

    use super::*;

    /// The plan PostgreSQL's generic planning gives `sql` with these arguments (SQL literals).
    async fn generic_plan(client: &deadpool_postgres::Object, sql: &str, arguments: &str) -> String {
        client
            .batch_execute(&format!("DEALLOCATE ALL; PREPARE planned AS {sql}"))
            .await
            .unwrap_or_else(|err| panic!("{err}"));
        let rows = client
            .query(&format!("EXPLAIN EXECUTE planned({arguments})"), &[])
            .await
            .unwrap_or_else(|err| panic!("{err}"));
        rows.iter().map(|row| row.get::<_, String>(0)).collect::<Vec<_>>().join("\n")
    }

    #[tokio::test]
    async fn the_claims_statements_keep_their_index_in_a_generic_plan() {
        let (_store, client) = super::super::test_store("plans").await;
        // A backlog of one endpoint (the case in which the estimates favour the wrong index): 20,000 queued rows,
        // the first 256 leased.
        client
            .batch_execute(
                "INSERT INTO delivery_queue (seq, endpoint_id, next_attempt_at, leased)
                     SELECT n, 'ep_a', n, n <= 256 FROM generate_series(1, 20000) n;
                 ANALYZE delivery_queue;
                 SET plan_cache_mode = force_generic_plan",
            )
            .await
            .unwrap_or_else(|err| panic!("{err}"));

        let due = generic_plan(&client, DUE_SQL, "'ep_a', 10000, 128").await;
        assert!(due.contains("Index Scan using delivery_queue_due"), "the due rows, by endpoint then due time:\n{due}");
        assert!(!due.contains("Sort"), "in the index's order:\n{due}");
        let in_flight = generic_plan(&client, &IN_FLIGHT_SQL, "'ep_a', 10000, 'node-a'").await;
        assert!(in_flight.contains("using delivery_queue_leased on"), "the endpoint's leases only:\n{in_flight}");
    }
}
