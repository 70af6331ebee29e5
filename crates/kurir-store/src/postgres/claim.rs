//! Claiming on PostgreSQL: endpoint by endpoint over `delivery_queue` (see `queue`), with each endpoint's
//! `endpoint_health` row locked `FOR UPDATE SKIP LOCKED` so one node at a time claims for an endpoint and its
//! in-flight count is exact across nodes, and the due rows locked the same way. The lease `UPDATE` re-checks that
//! each row is still due, so of two claimers only one takes it.

use std::collections::HashMap;
use std::sync::Arc;

use deadpool_postgres::Transaction;
use kurir_core::circuit::Circuit;
use kurir_core::endpoint::Endpoint;
use rand::seq::SliceRandom;

use super::outcomes::write_circuit;
use super::rows;
use super::{pg_error, queue, Cached, PgStore, NO_FLUSH_WAIT};
use crate::claiming::{gate, shares};
use crate::{Claim, ClaimRequest, Result, StoreError};

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
    WHERE q.endpoint_id IS NOT NULL AND COALESCE(h.held_until, 0) <= $1
      AND EXISTS (SELECT 1 FROM delivery_queue d WHERE d.endpoint_id = q.endpoint_id AND d.next_attempt_at <= $1)";

/// One endpoint's due deliveries, oldest due first; a delivery with an ordering key waits while an earlier one
/// (lower `seq`) of the same endpoint and key is queued, in flight on any node or not.
const DUE_SQL: &str = "
    SELECT q.seq FROM delivery_queue q
    WHERE q.endpoint_id = $1 AND q.next_attempt_at <= $2
      AND (q.ordering_key IS NULL OR NOT EXISTS (
            SELECT 1 FROM delivery_queue e
            WHERE e.endpoint_id = q.endpoint_id AND e.ordering_key = q.ordering_key AND e.seq < q.seq))
    ORDER BY q.next_attempt_at
    LIMIT $3
    FOR UPDATE OF q SKIP LOCKED";

/// An endpoint this claim holds the `endpoint_health` lock of, with what may be taken from it.
struct Locked {
    id: String,
    stored: Circuit,
    gated: Circuit,
    room: u32,
    taken: u32,
}

pub(crate) async fn claim_due(store: &PgStore, request: &ClaimRequest) -> Result<Vec<Claim>> {
    let now = request.now_ms;
    let mut client = store.client().await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    tx.batch_execute(NO_FLUSH_WAIT).await.map_err(pg_error)?;
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
        if let Some(endpoint) = lock_endpoint(&tx, id, request).await? {
            locked.push(endpoint);
        }
    }
    let mut claims = Vec::new();
    let mut endpoints: HashMap<String, Option<Arc<Endpoint>>> = HashMap::new();
    for _ in 0..2 {
        let left = request.limit.saturating_sub(locked.iter().map(|e| e.taken).sum());
        let rooms: Vec<u32> = locked.iter().map(|e| e.room.saturating_sub(e.taken)).collect();
        let mut progressed = false;
        for (index, share) in shares(&rooms, left).into_iter().enumerate() {
            if share == 0 {
                continue;
            }
            let endpoint = &mut locked[index];
            let got = lease_endpoint(&tx, &endpoint.id, share, request, &mut endpoints, &mut claims).await?;
            endpoint.taken += got;
            progressed |= got == share;
        }
        if !progressed {
            break;
        }
    }
    for endpoint in &locked {
        if endpoint.taken > 0 && endpoint.gated != endpoint.stored {
            write_circuit(&tx, &endpoint.id, &endpoint.gated, now).await?;
        }
    }
    tx.commit().await.map_err(pg_error)?;
    Ok(claims)
}

/// Locks an endpoint's health row unless another node is claiming for it (then it is skipped this round), and
/// gates it on its circuit and its in-flight count across every node.
async fn lock_endpoint(tx: &Transaction<'_>, id: String, request: &ClaimRequest) -> Result<Option<Locked>> {
    let row = tx
        .query_opt_cached("SELECT circuit FROM endpoint_health WHERE endpoint_id = $1 FOR UPDATE SKIP LOCKED", &[&id])
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
    let stored = Circuit::decode(&text).map_err(|err| StoreError::corrupt("endpoint_health", err))?;
    // Counted in a statement of its own, after the lock: its snapshot then sees every lease committed by the
    // claim that held the lock before (a subquery of the locking statement would use an older snapshot).
    let row = tx
        .query_one_cached(
            "SELECT COUNT(*) FROM delivery_queue WHERE endpoint_id = $1 AND leased AND next_attempt_at > $2",
            &[&id, &request.now_ms],
        )
        .await
        .map_err(pg_error)?;
    let in_flight: i64 = rows::get(&row, "delivery_queue", 0)?;
    let in_flight = u32::try_from(in_flight).unwrap_or(u32::MAX);
    let gate = gate(stored, in_flight, request.max_in_flight_per_endpoint, request.now_ms, &request.circuit);
    Ok(Some(Locked { id, stored, gated: gate.circuit, room: gate.room, taken: 0 }))
}

/// Leases up to `limit` of one endpoint's due deliveries (locked `SKIP LOCKED`, re-checked in the `UPDATE`).
async fn lease_endpoint(
    tx: &Transaction<'_>,
    endpoint_id: &str,
    limit: u32,
    request: &ClaimRequest,
    endpoints: &mut HashMap<String, Option<Arc<Endpoint>>>,
    claims: &mut Vec<Claim>,
) -> Result<u32> {
    let now = request.now_ms;
    let seqs: Vec<i64> = tx
        .query_cached(DUE_SQL, &[&endpoint_id, &now, &i64::from(limit)])
        .await
        .map_err(pg_error)?
        .iter()
        .map(|row| rows::get(row, "deliveries", 0))
        .collect::<Result<_>>()?;
    if seqs.is_empty() {
        return Ok(0);
    }
    let endpoint = match endpoints.get(endpoint_id) {
        Some(cached) => cached.clone(),
        None => {
            let sql = format!("SELECT {} FROM endpoints WHERE id = $1", rows::ENDPOINT_COLUMNS);
            let row = tx.query_opt_cached(&sql, &[&endpoint_id]).await.map_err(pg_error)?;
            let endpoint = row.map(|row| rows::endpoint(&row)).transpose()?.map(Arc::new);
            endpoints.insert(endpoint_id.to_owned(), endpoint.clone());
            endpoint
        }
    };
    let Some(endpoint) = endpoint else {
        queue::end_orphans(tx, endpoint_id, now).await?;
        return Ok(0);
    };
    let token: i64 = rand::random();
    let lease_end = now + request.lease_ms;
    let queued: Vec<i64> = tx
        .query_cached(
            "UPDATE delivery_queue SET leased = TRUE, next_attempt_at = $2, lease_token = $3, lease_owner = $4
             WHERE seq = ANY($1) AND next_attempt_at <= $5
             RETURNING seq",
            &[&seqs, &lease_end, &token, &request.node.as_str(), &now],
        )
        .await
        .map_err(pg_error)?
        .iter()
        .map(|row| rows::get(row, "delivery_queue", 0))
        .collect::<Result<_>>()?;
    let lease_sql = format!(
        "UPDATE deliveries SET state = 'in_flight', next_attempt_at = $2, updated_at = $3 WHERE seq = ANY($1)
         RETURNING {}, event_seq",
        rows::DELIVERY_COLUMNS
    );
    let leased = tx.query_cached(&lease_sql, &[&queued, &lease_end, &now]).await.map_err(pg_error)?;
    let event_seqs: Vec<i64> = leased.iter().map(|row| rows::get(row, "deliveries", 13)).collect::<Result<_>>()?;
    let event_sql = format!("SELECT seq, {} FROM events WHERE seq = ANY($1)", rows::EVENT_COLUMNS);
    let mut events = HashMap::new();
    for row in tx.query_cached(&event_sql, &[&event_seqs]).await.map_err(pg_error)? {
        let seq: i64 = rows::get(&row, "events", 0)?;
        events.insert(seq, event_from(&row)?);
    }
    let mut ordered: Vec<(i64, Claim)> = Vec::with_capacity(leased.len());
    for (row, event_seq) in leased.iter().zip(event_seqs) {
        let delivery = rows::delivery(row)?;
        let event = events
            .get(&event_seq)
            .cloned()
            .ok_or_else(|| StoreError::corrupt("deliveries", format!("event {event_seq} is missing")))?;
        ordered.push((
            delivery.next_attempt_at_ms,
            Claim { delivery, lease_token: token, event, endpoint: Arc::clone(&endpoint) },
        ));
    }
    let count = ordered.len() as u32;
    claims.extend(ordered.into_iter().map(|(_, claim)| claim));
    Ok(count)
}

/// An event row whose first column is its `seq`.
fn event_from(row: &tokio_postgres::Row) -> Result<kurir_core::event::Event> {
    // The event columns follow `seq`; read them through a shifted view.
    const T: &str = "events";
    let origin: Option<String> = rows::get(row, T, 6)?;
    Ok(kurir_core::event::Event {
        id: crate::codec::parse(T, rows::get(row, T, 1)?)?,
        tenant: crate::codec::parse(T, rows::get(row, T, 2)?)?,
        event_type: rows::get(row, T, 3)?,
        payload: rows::get(row, T, 4)?,
        ordering_key: rows::get(row, T, 5)?,
        origin_key: origin.map(|key| crate::codec::parse(T, key)).transpose()?,
        idempotency_key: rows::get(row, T, 7)?,
        created_at_ms: rows::get(row, T, 8)?,
        params: crate::codec::decode_params(rows::get(row, T, 9)?)?,
    })
}
