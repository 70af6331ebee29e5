//! Deliveries and attempts: the tenant's view (list, retry, recover) and the dispatcher's (claim, write back,
//! leases), shared by every node of the database.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use deadpool_postgres::{GenericClient, Transaction};
use kurir_core::circuit::{Circuit, CircuitPolicy};
use kurir_core::delivery::{Attempt, Delivery, NextStep};
use kurir_core::endpoint::Endpoint;
use kurir_core::id::{DeliveryId, EndpointId, TenantId};
use kurir_core::tenant::AttemptLog;
use rand::seq::SliceRandom;
use tokio_postgres::types::ToSql;

use super::admin::{get_endpoint, get_tenant};
use super::rows::{self, all};
use super::{pg_error, wakeups, Cached, PgStore};
use crate::claiming::{gate, shares};
use crate::{sql, Claim, ClaimRequest, DeliveryFilter, NodeId, Outcome, Result, StoreError};

pub(crate) async fn list(store: &PgStore, tenant: &TenantId, filter: &DeliveryFilter) -> Result<Vec<Delivery>> {
    let mut sql = format!("SELECT {} FROM deliveries WHERE tenant_id = $1", rows::DELIVERY_COLUMNS);
    let tenant = tenant.as_str().to_owned();
    let state = filter.state.map(|s| s.as_str().to_owned());
    let endpoint = filter.endpoint.as_ref().map(|e| e.as_str().to_owned());
    let before = filter.before.as_ref().map(|b| b.as_str().to_owned());
    let limit = i64::from(filter.limit);
    let mut args: Vec<&(dyn ToSql + Sync)> = vec![&tenant];
    for (column, value) in [("state", &state), ("endpoint_id", &endpoint), ("event_type", &filter.event_type)] {
        if let Some(value) = value {
            args.push(value);
            sql.push_str(&format!(" AND {column} = ${}", args.len()));
        }
    }
    if let Some(before) = &before {
        args.push(before);
        sql.push_str(&format!(" AND seq < (SELECT seq FROM deliveries WHERE id = ${})", args.len()));
    }
    args.push(&limit);
    sql.push_str(&format!(" ORDER BY seq DESC LIMIT ${}", args.len()));
    let client = store.client().await?;
    all(client.query_cached(&sql, &args).await.map_err(pg_error)?, rows::delivery)
}

async fn get_in(client: &impl GenericClient, tenant: &TenantId, id: &DeliveryId) -> Result<Delivery> {
    let sql = format!("SELECT {} FROM deliveries WHERE tenant_id = $1 AND id = $2", rows::DELIVERY_COLUMNS);
    let row = client.query_opt_cached(&sql, &[&tenant.as_str(), &id.as_str()]).await.map_err(pg_error)?;
    row.map(|row| rows::delivery(&row)).transpose()?.ok_or(StoreError::NotFound("delivery"))
}

pub(crate) async fn get(store: &PgStore, tenant: &TenantId, id: &DeliveryId) -> Result<Delivery> {
    get_in(&store.client().await?, tenant, id).await
}

pub(crate) async fn attempts(store: &PgStore, tenant: &TenantId, id: &DeliveryId) -> Result<Vec<Attempt>> {
    let client = store.client().await?;
    get_in(&client, tenant, id).await?;
    let sql = format!(
        "SELECT {} FROM attempts WHERE tenant_id = $1 AND delivery_id = $2 ORDER BY seq",
        rows::ATTEMPT_COLUMNS
    );
    all(client.query_cached(&sql, &[&tenant.as_str(), &id.as_str()]).await.map_err(pg_error)?, rows::attempt)
}

pub(crate) async fn retry(store: &PgStore, tenant: &TenantId, id: &DeliveryId, now_ms: i64) -> Result<Delivery> {
    let client = store.client().await?;
    let sql = format!(
        "UPDATE deliveries SET state = 'pending', next_attempt_at = $3, updated_at = $3
         WHERE tenant_id = $1 AND id = $2 AND {}",
        sql::resendable()
    );
    let changed = client.execute_cached(&sql, &[&tenant.as_str(), &id.as_str(), &now_ms]).await.map_err(pg_error)?;
    if changed > 0 {
        client.execute_cached(wakeups::NOTIFY, &[]).await.map_err(pg_error)?;
    }
    let current = get_in(&client, tenant, id).await?;
    if changed == 0 {
        return Err(StoreError::Conflict(format!("delivery is still {}", current.state.as_str())));
    }
    Ok(current)
}

pub(crate) async fn recover(
    store: &PgStore,
    tenant: &TenantId,
    endpoint: &EndpointId,
    since_ms: i64,
    now_ms: i64,
) -> Result<u64> {
    let client = store.client().await?;
    get_endpoint(&client, tenant, endpoint).await?;
    let changed = client
        .execute_cached(
            "UPDATE deliveries SET state = 'pending', next_attempt_at = $4, updated_at = $4
             WHERE tenant_id = $1 AND endpoint_id = $2 AND state = 'dead' AND created_at >= $3",
            &[&tenant.as_str(), &endpoint.as_str(), &since_ms, &now_ms],
        )
        .await
        .map_err(pg_error)?;
    if changed > 0 {
        client.execute_cached(wakeups::NOTIFY, &[]).await.map_err(pg_error)?;
    }
    Ok(changed)
}

/// The endpoints with an unfinished delivery due now whose circuit does not hold them, found by walking the
/// distinct endpoints of `deliveries_queue` (one index probe each), as on SQLite.
fn ready_sql() -> String {
    let unfinished = sql::unfinished("");
    format!(
        "WITH RECURSIVE queued(endpoint_id) AS (
             SELECT (SELECT endpoint_id FROM deliveries WHERE {unfinished} ORDER BY endpoint_id LIMIT 1)
             UNION ALL
             SELECT (SELECT endpoint_id FROM deliveries WHERE {unfinished} AND endpoint_id > queued.endpoint_id
                     ORDER BY endpoint_id LIMIT 1)
             FROM queued WHERE queued.endpoint_id IS NOT NULL)
         SELECT q.endpoint_id FROM queued q LEFT JOIN endpoint_health h ON h.endpoint_id = q.endpoint_id
         WHERE q.endpoint_id IS NOT NULL AND COALESCE(h.held_until, 0) <= $1
           AND EXISTS (SELECT 1 FROM deliveries d
                       WHERE d.endpoint_id = q.endpoint_id AND {} AND d.next_attempt_at <= $1)",
        sql::unfinished("d")
    )
}

fn due_sql() -> String {
    format!(
        "SELECT d.seq FROM deliveries d
         WHERE d.endpoint_id = $1 AND {} AND d.next_attempt_at <= $2
           AND (d.ordering_key IS NULL OR NOT EXISTS (
                 SELECT 1 FROM deliveries e
                 WHERE e.endpoint_id = d.endpoint_id AND e.ordering_key = d.ordering_key AND e.seq < d.seq
                   AND e.ordering_key IS NOT NULL AND {}))
         ORDER BY d.next_attempt_at
         LIMIT $3
         FOR UPDATE OF d SKIP LOCKED",
        sql::unfinished("d"),
        sql::unfinished("e")
    )
}

/// An endpoint this claim holds the `endpoint_health` lock of, with what may be taken from it.
struct Locked {
    id: String,
    stored: Circuit,
    gated: Circuit,
    room: u32,
    taken: u32,
}

/// Claims and outcomes commit without waiting for the WAL flush: if the server crashed and lost one, the
/// delivery would be leased or written again and sent again, which at-least-once delivery allows. Publishes
/// wait for the flush: a 2xx is kept.
const NO_FLUSH_WAIT: &str = "SET LOCAL synchronous_commit = off";

pub(crate) async fn claim_due(store: &PgStore, request: &ClaimRequest) -> Result<Vec<Claim>> {
    let now = request.now_ms;
    let mut client = store.client().await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    tx.batch_execute(NO_FLUSH_WAIT).await.map_err(pg_error)?;
    let mut ready: Vec<String> = tx
        .query_cached(&ready_sql(), &[&now])
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
        .query_opt_cached(
            "SELECT h.circuit,
                    (SELECT COUNT(*) FROM deliveries f
                     WHERE f.endpoint_id = h.endpoint_id AND f.state = 'in_flight' AND f.next_attempt_at > $2)
             FROM endpoint_health h WHERE h.endpoint_id = $1 FOR UPDATE OF h SKIP LOCKED",
            &[&id, &request.now_ms],
        )
        .await
        .map_err(pg_error)?;
    let Some(row) = row else {
        // Locked by another node's claim, or the endpoint is gone (its deliveries are ended when leased).
        let exists = tx.query_opt_cached("SELECT 1 FROM endpoints WHERE id = $1", &[&id]).await.map_err(pg_error)?;
        if exists.is_none() {
            end_deliveries_of_deleted(tx, &id, request.now_ms).await?;
        }
        return Ok(None);
    };
    let text: String = rows::get(&row, "endpoint_health", 0)?;
    let in_flight: i64 = rows::get(&row, "endpoint_health", 1)?;
    let stored = Circuit::decode(&text).map_err(|err| StoreError::corrupt("endpoint_health", err))?;
    let in_flight = u32::try_from(in_flight).unwrap_or(u32::MAX);
    let gate = gate(stored, in_flight, request.max_in_flight_per_endpoint, request.now_ms, &request.circuit);
    Ok(Some(Locked { id, stored, gated: gate.circuit, room: gate.room, taken: 0 }))
}

async fn end_deliveries_of_deleted(tx: &Transaction<'_>, endpoint: &str, now_ms: i64) -> Result<()> {
    let sql = format!(
        "UPDATE deliveries SET state = 'dead', last_error = 'endpoint deleted', lease_token = NULL, lease_owner = NULL,
                updated_at = $2
         WHERE endpoint_id = $1 AND {}",
        sql::unfinished("")
    );
    tx.execute_cached(&sql, &[&endpoint, &now_ms]).await.map_err(pg_error)?;
    Ok(())
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
        .query_cached(&due_sql(), &[&endpoint_id, &now, &i64::from(limit)])
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
        end_deliveries_of_deleted(tx, endpoint_id, now).await?;
        return Ok(0);
    };
    let token: i64 = rand::random();
    let lease_sql = format!(
        "UPDATE deliveries SET state = 'in_flight', next_attempt_at = $2, lease_token = $3, lease_owner = $4,
                updated_at = $5
         WHERE seq = ANY($1) AND {} AND next_attempt_at <= $5
         RETURNING {}, event_seq",
        sql::unfinished(""),
        rows::DELIVERY_COLUMNS
    );
    let leased = tx
        .query_cached(&lease_sql, &[&seqs, &(now + request.lease_ms), &token, &request.node.as_str(), &now])
        .await
        .map_err(pg_error)?;
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

async fn write_circuit(client: &impl GenericClient, endpoint: &str, circuit: &Circuit, now_ms: i64) -> Result<()> {
    client
        .execute_cached(
            "INSERT INTO endpoint_health (endpoint_id, circuit, held_until) VALUES ($1, $2, $3)
             ON CONFLICT (endpoint_id) DO UPDATE SET circuit = excluded.circuit, held_until = excluded.held_until",
            &[&endpoint, &circuit.encode(), &circuit.held_until(now_ms).unwrap_or(0)],
        )
        .await
        .map_err(pg_error)?;
    Ok(())
}

pub(crate) async fn record_outcomes(store: &PgStore, outcomes: &[Outcome], policy: &CircuitPolicy) -> Result<()> {
    let mut client = store.client().await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    tx.batch_execute(NO_FLUSH_WAIT).await.map_err(pg_error)?;
    let mut log_modes: HashMap<String, AttemptLog> = HashMap::new();
    for outcome in outcomes {
        let tenant = outcome.tenant.as_str();
        if !log_modes.contains_key(tenant) {
            let mode = get_tenant(&tx, &outcome.tenant).await.map(|t| t.attempt_log).unwrap_or_default();
            log_modes.insert(tenant.to_owned(), mode);
        }
    }
    let kept: Vec<&Attempt> = outcomes
        .iter()
        .filter(|o| log_modes.get(o.tenant.as_str()).copied().unwrap_or_default().keeps(o.next == NextStep::Succeeded))
        .map(|o| &o.attempt)
        .collect();
    insert_attempts(&tx, &kept).await?;
    update_delivery_states(&tx, outcomes).await?;
    feed_circuits(&tx, outcomes, policy).await?;
    for outcome in outcomes {
        if let Some(reason) = &outcome.disable_endpoint {
            let finished_at = outcome.attempt.started_at_ms + i64::from(outcome.attempt.duration_ms);
            tx.execute_cached(
                "UPDATE endpoints SET enabled = FALSE, disabled_reason = $3, updated_at = $4
                 WHERE tenant_id = $1 AND id = $2",
                &[&outcome.tenant.as_str(), &outcome.endpoint_id.as_str(), reason, &finished_at],
            )
            .await
            .map_err(pg_error)?;
        }
    }
    tx.commit().await.map_err(pg_error)
}

/// Feeds every sent attempt to its endpoint's circuit. Circuits are read without a lock first; only those the
/// batch changes are then locked (in one order, so two nodes never deadlock), read again, fed again and written.
/// So the common case (a healthy endpoint staying closed) takes no lock that a claim would have to skip.
async fn feed_circuits(tx: &Transaction<'_>, outcomes: &[Outcome], policy: &CircuitPolicy) -> Result<()> {
    let sent: Vec<&Outcome> = outcomes.iter().filter(|o| o.attempt.was_sent()).collect();
    let mut ids: Vec<&str> = sent.iter().map(|o| o.endpoint_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let feed = |mut circuit: Circuit, endpoint: &str, announce: bool| {
        for outcome in sent.iter().filter(|o| o.endpoint_id.as_str() == endpoint) {
            let finished_at = outcome.attempt.started_at_ms + i64::from(outcome.attempt.duration_ms);
            if circuit.record(outcome.next == NextStep::Succeeded, finished_at, policy) && announce {
                tracing::warn!(%endpoint, "circuit opened: the endpoint keeps failing; its deliveries are held and probed");
            }
        }
        circuit
    };
    let unlocked = read_circuits(tx, &ids, false).await?;
    let changed: Vec<&str> = unlocked
        .iter()
        .filter(|(id, stored)| feed(**stored, id, false) != **stored)
        .map(|(id, _)| id.as_str())
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    let latest = sent.iter().map(|o| o.attempt.started_at_ms + i64::from(o.attempt.duration_ms)).max().unwrap_or(0);
    for (id, stored) in read_circuits(tx, &changed, true).await? {
        let fed = feed(stored, &id, true);
        if fed != stored {
            write_circuit(tx, &id, &fed, latest).await?;
        }
    }
    Ok(())
}

/// The stored circuits of some endpoints, by id (in id order); `lock` takes their rows `FOR UPDATE`.
async fn read_circuits(tx: &Transaction<'_>, ids: &[&str], lock: bool) -> Result<BTreeMap<String, Circuit>> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    let sql = format!(
        "SELECT endpoint_id, circuit FROM endpoint_health WHERE endpoint_id = ANY($1) ORDER BY endpoint_id{lock}"
    );
    let mut circuits = BTreeMap::new();
    for row in tx.query_cached(&sql, &[&ids]).await.map_err(pg_error)? {
        let text: String = rows::get(&row, "endpoint_health", 1)?;
        let circuit = Circuit::decode(&text).map_err(|err| StoreError::corrupt("endpoint_health", err))?;
        circuits.insert(rows::get(&row, "endpoint_health", 0)?, circuit);
    }
    Ok(circuits)
}

/// Inserts the kept attempts in one statement.
async fn insert_attempts(tx: &Transaction<'_>, attempts: &[&Attempt]) -> Result<()> {
    if attempts.is_empty() {
        return Ok(());
    }
    let text = |f: &dyn Fn(&Attempt) -> Option<String>| attempts.iter().map(|a| f(a)).collect::<Vec<_>>();
    let number = |f: &dyn Fn(&Attempt) -> Option<i64>| attempts.iter().map(|a| f(a)).collect::<Vec<_>>();
    tx.execute_cached(
        &format!(
            "INSERT INTO attempts ({})
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::int8[], $5::int8[], $6::int8[], $7::int8[],
                                  $8::text[], $9::text[], $10::text[])",
            rows::ATTEMPT_COLUMNS
        ),
        &[
            &text(&|a| Some(a.id.as_str().to_owned())),
            &text(&|a| Some(a.tenant.as_str().to_owned())),
            &text(&|a| Some(a.delivery_id.as_str().to_owned())),
            &number(&|a| Some(i64::from(a.attempt_no))),
            &number(&|a| Some(a.started_at_ms)),
            &number(&|a| Some(i64::from(a.duration_ms))),
            &number(&|a| a.status.map(i64::from)),
            &text(&|a| a.error_kind.map(|k| k.as_str().to_owned())),
            &text(&|a| a.error.clone()),
            &text(&|a| Some(a.response_excerpt.clone())),
        ],
    )
    .await
    .map_err(pg_error)?;
    Ok(())
}

/// Writes every outcome's next state in one statement, fenced by each lease token.
async fn update_delivery_states(tx: &Transaction<'_>, outcomes: &[Outcome]) -> Result<()> {
    let ids: Vec<&str> = outcomes.iter().map(|o| o.delivery_id.as_str()).collect();
    let tokens: Vec<i64> = outcomes.iter().map(|o| o.lease_token).collect();
    let states: Vec<&str> = outcomes.iter().map(|o| o.next.state().as_str()).collect();
    let finished: Vec<i64> =
        outcomes.iter().map(|o| o.attempt.started_at_ms + i64::from(o.attempt.duration_ms)).collect();
    let next_at: Vec<i64> = outcomes
        .iter()
        .zip(&finished)
        .map(|(o, finished)| match o.next {
            NextStep::RetryAt { due_ms } => due_ms,
            NextStep::Succeeded | NextStep::Dead => *finished,
        })
        .collect();
    let statuses: Vec<Option<i64>> = outcomes.iter().map(|o| o.attempt.status.map(i64::from)).collect();
    let errors: Vec<Option<&str>> = outcomes.iter().map(|o| o.attempt.error.as_deref()).collect();
    let updated = tx
        .query_cached(
            "UPDATE deliveries d SET state = o.state, attempts = d.attempts + 1, next_attempt_at = o.next_at,
                    lease_token = NULL, lease_owner = NULL, last_status = o.status, last_error = o.error,
                    updated_at = o.finished
             FROM UNNEST($1::text[], $2::int8[], $3::text[], $4::int8[], $5::int8[], $6::text[], $7::int8[])
                  AS o(id, token, state, next_at, status, error, finished)
             WHERE d.id = o.id AND d.lease_token = o.token AND d.state = 'in_flight'
             RETURNING d.id",
            &[&ids, &tokens, &states, &next_at, &statuses, &errors, &finished],
        )
        .await
        .map_err(pg_error)?;
    if updated.len() < outcomes.len() {
        let ignored = outcomes.len() - updated.len();
        tracing::warn!(ignored, "outcomes of expired leases ignored; other claims own those deliveries");
    }
    Ok(())
}

pub(crate) async fn next_due_after(store: &PgStore, now_ms: i64) -> Result<Option<i64>> {
    let client = store.client().await?;
    let sql = format!(
        "SELECT MIN(t) FROM (
             SELECT MIN(next_attempt_at) AS t FROM deliveries WHERE {} AND next_attempt_at > $1
             UNION ALL
             SELECT MIN(held_until) AS t FROM endpoint_health WHERE held_until > $1) due",
        sql::unfinished("")
    );
    let row = client.query_one_cached(&sql, &[&now_ms]).await.map_err(pg_error)?;
    rows::get(&row, "deliveries", 0)
}

pub(crate) async fn renew_leases(store: &PgStore, node: &NodeId, now_ms: i64, lease_ms: i64) -> Result<u64> {
    let client = store.client().await?;
    client
        .execute_cached(
            "UPDATE deliveries SET next_attempt_at = $2 WHERE state = 'in_flight' AND lease_owner = $1",
            &[&node.as_str(), &(now_ms + lease_ms)],
        )
        .await
        .map_err(pg_error)
}

pub(crate) async fn release_leases(store: &PgStore, node: &NodeId, now_ms: i64) -> Result<u64> {
    let client = store.client().await?;
    let sql = format!(
        "UPDATE deliveries SET state = {}, next_attempt_at = $1, lease_token = NULL, lease_owner = NULL, updated_at = $1
         WHERE state = 'in_flight' AND (lease_owner = $2 OR lease_owner IS NULL OR next_attempt_at <= $1)",
        sql::UNLEASED_STATE
    );
    client.execute_cached(&sql, &[&now_ms, &node.as_str()]).await.map_err(pg_error)
}
