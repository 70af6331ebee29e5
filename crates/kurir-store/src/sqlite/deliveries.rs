//! Deliveries and attempts: the tenant's view (list, retry, recover) and the dispatcher's (claim, write back).

use std::collections::HashMap;
use std::sync::Arc;

use kurir_core::delivery::{Attempt, Delivery, NextStep};
use kurir_core::endpoint::Endpoint;
use kurir_core::event::Event;
use kurir_core::id::{DeliveryId, EndpointId, TenantId};
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};

use super::endpoints;
use super::rows::{self, collect, ATTEMPT_COLUMNS, DELIVERY_COLUMNS, ENDPOINT_COLUMNS, EVENT_COLUMNS};
use crate::{Claim, DeliveryFilter, Outcome, Postponed, StoreError};

pub(crate) fn list(conn: &Connection, tenant: &TenantId, filter: &DeliveryFilter) -> Result<Vec<Delivery>, StoreError> {
    let mut sql = format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE tenant_id = ?");
    let mut args = vec![SqlValue::from(tenant.as_str().to_owned())];
    if let Some(state) = filter.state {
        sql.push_str(" AND state = ?");
        args.push(state.as_str().to_owned().into());
    }
    if let Some(endpoint) = &filter.endpoint {
        sql.push_str(" AND endpoint_id = ?");
        args.push(endpoint.as_str().to_owned().into());
    }
    if let Some(event_type) = &filter.event_type {
        sql.push_str(" AND event_type = ?");
        args.push(event_type.clone().into());
    }
    if let Some(before) = &filter.before {
        sql.push_str(" AND seq < (SELECT seq FROM deliveries WHERE id = ?)");
        args.push(before.as_str().to_owned().into());
    }
    sql.push_str(" ORDER BY seq DESC LIMIT ?");
    args.push(i64::from(filter.limit).into());
    let mut stmt = conn.prepare_cached(&sql)?;
    collect(&mut stmt, params_from_iter(args), rows::delivery)
}

pub(crate) fn get(conn: &Connection, tenant: &TenantId, id: &DeliveryId) -> Result<Delivery, StoreError> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE tenant_id = ?1 AND id = ?2"))?;
    collect(&mut stmt, params![tenant.as_str(), id.as_str()], rows::delivery)?
        .pop()
        .ok_or(StoreError::NotFound("delivery"))
}

pub(crate) fn attempts(conn: &Connection, tenant: &TenantId, id: &DeliveryId) -> Result<Vec<Attempt>, StoreError> {
    get(conn, tenant, id)?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE tenant_id = ?1 AND delivery_id = ?2 ORDER BY seq"
    ))?;
    collect(&mut stmt, params![tenant.as_str(), id.as_str()], rows::attempt)
}

pub(crate) fn retry(
    conn: &Connection,
    tenant: &TenantId,
    id: &DeliveryId,
    now_ms: i64,
) -> Result<Delivery, StoreError> {
    let current = get(conn, tenant, id)?;
    if current.state.blocks_successors() {
        return Err(StoreError::Conflict(format!("delivery is still {}", current.state.as_str())));
    }
    conn.execute(
        "UPDATE deliveries SET state = 'pending', next_attempt_at = ?3, updated_at = ?3 WHERE tenant_id = ?1 AND id = ?2",
        params![tenant.as_str(), id.as_str(), now_ms],
    )?;
    get(conn, tenant, id)
}

pub(crate) fn recover(
    conn: &Connection,
    tenant: &TenantId,
    endpoint: &EndpointId,
    since_ms: i64,
    now_ms: i64,
) -> Result<u64, StoreError> {
    endpoints::get(conn, tenant, endpoint)?;
    let changed = conn.execute(
        "UPDATE deliveries SET state = 'pending', next_attempt_at = ?4, updated_at = ?4
         WHERE tenant_id = ?1 AND endpoint_id = ?2 AND state = 'dead' AND created_at >= ?3",
        params![tenant.as_str(), endpoint.as_str(), since_ms, now_ms],
    )?;
    Ok(changed as u64)
}

/// The due deliveries, oldest due first. A delivery with an ordering key waits while an earlier one (lower `seq`)
/// of the same endpoint and key is unfinished; the `deliveries_ordering` index answers that per row.
const DUE_SQL: &str = "
    SELECT d.seq FROM deliveries d
    WHERE d.state IN ('pending', 'retrying', 'in_flight') AND d.next_attempt_at <= ?1
      AND d.endpoint_id NOT IN (SELECT value FROM json_each(?3))
      AND (d.ordering_key IS NULL OR NOT EXISTS (
            SELECT 1 FROM deliveries e
            WHERE e.endpoint_id = d.endpoint_id AND e.ordering_key = d.ordering_key AND e.seq < d.seq
              AND e.ordering_key IS NOT NULL AND e.state IN ('pending', 'retrying', 'in_flight')))
    ORDER BY d.next_attempt_at
    LIMIT ?2";

pub(crate) fn claim_due(
    conn: &Connection,
    now_ms: i64,
    limit: u32,
    lease_ms: i64,
    skip: &[EndpointId],
) -> Result<Vec<Claim>, StoreError> {
    let skip_json = serde_json::Value::from(skip.iter().map(|id| id.as_str()).collect::<Vec<_>>()).to_string();
    let seqs: Vec<i64> = {
        let mut stmt = conn.prepare_cached(DUE_SQL)?;
        collect(&mut stmt, params![now_ms, limit, skip_json], |row| Ok(row.get(0)?))?
    };
    let mut claims = Vec::with_capacity(seqs.len());
    let mut endpoint_cache: HashMap<String, Option<Arc<Endpoint>>> = HashMap::new();
    let mut lease = conn.prepare_cached(
        "UPDATE deliveries SET state = 'in_flight', next_attempt_at = ?2, lease_token = ?3, updated_at = ?4
         WHERE seq = ?1",
    )?;
    let mut load =
        conn.prepare_cached(&format!("SELECT {DELIVERY_COLUMNS}, event_seq FROM deliveries WHERE seq = ?1"))?;
    let mut load_event = conn.prepare_cached(&format!("SELECT {EVENT_COLUMNS} FROM events WHERE seq = ?1"))?;
    let mut load_endpoint = conn.prepare_cached(&format!("SELECT {ENDPOINT_COLUMNS} FROM endpoints WHERE id = ?1"))?;
    for seq in seqs {
        let token: i64 = rand::random();
        lease.execute(params![seq, now_ms + lease_ms, token, now_ms])?;
        let (delivery, event_seq) =
            load.query_row([seq], |row| Ok((rows::delivery(row), row.get::<_, i64>(13)?))).map_err(StoreError::from)?;
        let delivery = delivery?;
        let event: Event = collect(&mut load_event, [event_seq], rows::event)?
            .pop()
            .ok_or(StoreError::Corrupt { table: "deliveries", message: format!("event {event_seq} is missing") })?;
        let endpoint_id = delivery.endpoint_id.as_str().to_owned();
        if !endpoint_cache.contains_key(&endpoint_id) {
            let endpoint = collect(&mut load_endpoint, [&endpoint_id], rows::endpoint)?.pop().map(Arc::new);
            endpoint_cache.insert(endpoint_id.clone(), endpoint);
        }
        match endpoint_cache.get(&endpoint_id).cloned().flatten() {
            Some(endpoint) => claims.push(Claim { delivery, lease_token: token, event, endpoint }),
            None => {
                // The endpoint was deleted between publish and now: nothing can be sent.
                conn.execute(
                    "UPDATE deliveries SET state = 'dead', last_error = 'endpoint deleted', lease_token = NULL WHERE seq = ?1",
                    [seq],
                )?;
            }
        }
    }
    Ok(claims)
}

pub(crate) fn record_outcomes(conn: &Connection, outcomes: &[Outcome]) -> Result<(), StoreError> {
    // The tenant's attempt_log mode decides whether the attempt row is kept: full, errors (failures only), none.
    let mut insert_attempt = conn.prepare_cached(&format!(
        "INSERT INTO attempts ({ATTEMPT_COLUMNS})
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10
         WHERE (SELECT CASE attempt_log WHEN 'full' THEN 1 WHEN 'errors' THEN ?11 = 0 ELSE 0 END
                FROM tenants WHERE id = ?2)"
    ))?;
    let mut update = conn.prepare_cached(
        "UPDATE deliveries SET state = ?3, attempts = attempts + 1, next_attempt_at = ?4, lease_token = NULL,
                last_status = ?5, last_error = ?6, updated_at = ?7
         WHERE id = ?1 AND lease_token = ?2 AND state = 'in_flight'",
    )?;
    for outcome in outcomes {
        let attempt = &outcome.attempt;
        insert_attempt.execute(params![
            attempt.id.as_str(),
            attempt.tenant.as_str(),
            attempt.delivery_id.as_str(),
            attempt.attempt_no,
            attempt.started_at_ms,
            attempt.duration_ms,
            attempt.status,
            attempt.error_kind.map(|k| k.as_str()),
            attempt.error,
            attempt.response_excerpt,
            outcome.next == NextStep::Succeeded,
        ])?;
        let finished_at = attempt.started_at_ms + i64::from(attempt.duration_ms);
        let next_at = match outcome.next {
            NextStep::RetryAt { due_ms } => due_ms,
            NextStep::Succeeded | NextStep::Dead => finished_at,
        };
        let changed = update.execute(params![
            outcome.delivery_id.as_str(),
            outcome.lease_token,
            outcome.next.state().as_str(),
            next_at,
            attempt.status,
            attempt.error,
            finished_at,
        ])?;
        if changed == 0 {
            tracing::warn!(delivery = %outcome.delivery_id, "outcome of an expired lease ignored; another claim owns it");
        }
        if let Some(reason) = &outcome.disable_endpoint {
            endpoints::disable(conn, &outcome.tenant, &outcome.endpoint_id, reason, finished_at)?;
        }
    }
    Ok(())
}

pub(crate) fn postpone(conn: &Connection, deliveries: &[Postponed]) -> Result<(), StoreError> {
    let mut update = conn.prepare_cached(
        "UPDATE deliveries SET state = CASE WHEN attempts = 0 THEN 'pending' ELSE 'retrying' END,
                next_attempt_at = ?3, lease_token = NULL
         WHERE id = ?1 AND lease_token = ?2 AND state = 'in_flight'",
    )?;
    for item in deliveries {
        update.execute(params![item.delivery_id.as_str(), item.lease_token, item.due_ms])?;
    }
    Ok(())
}

pub(crate) fn next_due_after(conn: &Connection, now_ms: i64) -> Result<Option<i64>, StoreError> {
    let next: Option<i64> = conn
        .prepare_cached(
            "SELECT MIN(next_attempt_at) FROM deliveries
             WHERE state IN ('pending', 'retrying', 'in_flight') AND next_attempt_at > ?1",
        )?
        .query_row([now_ms], |row| row.get(0))
        .optional()?
        .flatten();
    Ok(next)
}

pub(crate) fn release_leases(conn: &Connection, now_ms: i64) -> Result<u64, StoreError> {
    let changed = conn.execute(
        "UPDATE deliveries SET state = CASE WHEN attempts = 0 THEN 'pending' ELSE 'retrying' END,
                next_attempt_at = ?1, lease_token = NULL, updated_at = ?1
         WHERE state = 'in_flight'",
        [now_ms],
    )?;
    Ok(changed as u64)
}
