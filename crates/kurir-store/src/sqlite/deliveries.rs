//! Deliveries and attempts: the tenant's view (list, retry, recover) and the dispatcher's claims (its outcomes are
//! written back by `outcomes.rs`).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use kurir_core::circuit::{Circuit, CircuitOverrides};
use kurir_core::delivery::{Attempt, Delivery, DeliveryState};
use kurir_core::endpoint::Endpoint;
use kurir_core::event::Event;
use kurir_core::id::{DeliveryId, EndpointId, TenantId};
use rand::seq::SliceRandom;
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, ToSql};

use super::endpoints;
use super::rows::{self, collect, ATTEMPT_COLUMNS, DELIVERY_COLUMNS, ENDPOINT_COLUMNS, EVENT_COLUMNS};
use super::values::{Chunked, Rows};
use crate::claiming::{gate, shares, Gate, InFlight, Limit, Rate};
use crate::codec::decode_circuit;
use crate::{sql, Claim, ClaimRequest, DeliveryFilter, Lease, NodeId, StoreError};

pub(crate) fn list(conn: &Connection, tenant: &TenantId, filter: &DeliveryFilter) -> Result<Vec<Delivery>, StoreError> {
    let index = state_index(filter);
    let named = index.as_ref().map_or(String::new(), |(name, _)| format!(" INDEXED BY {name}"));
    let mut sql = format!("SELECT {DELIVERY_COLUMNS} FROM deliveries{named} WHERE tenant_id = ?");
    let mut args = vec![SqlValue::from(tenant.as_str().to_owned())];
    if let Some((_, condition)) = &index {
        sql.push_str(&format!(" AND {condition}"));
    }
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

/// For one endpoint's deliveries in one state, the index of their own that unfinished and dead deliveries have,
/// with its condition written as a literal: a bound `state = ?` cannot show the planner that the partial index
/// applies. Without it such a page walks back through the endpoint's whole history.
fn state_index(filter: &DeliveryFilter) -> Option<(&'static str, String)> {
    match (&filter.endpoint, filter.state) {
        (Some(_), Some(state)) if DeliveryState::UNFINISHED.contains(&state) => {
            Some(("deliveries_queue", sql::unfinished("")))
        }
        (Some(_), Some(DeliveryState::Dead)) => Some(("deliveries_dead", "state = 'dead'".to_owned())),
        _ => None,
    }
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
    // The state is checked by the UPDATE itself: two nodes retrying, or a claim racing the retry, cannot both win.
    let changed = conn.execute(
        &format!(
            "UPDATE deliveries SET state = {}, next_attempt_at = ?3, updated_at = ?3
             WHERE tenant_id = ?1 AND id = ?2 AND {}",
            sql::RESENT_STATE,
            sql::resendable()
        ),
        params![tenant.as_str(), id.as_str(), now_ms],
    )?;
    let current = get(conn, tenant, id)?;
    if changed == 0 {
        return Err(StoreError::Conflict(format!("delivery is still {}", current.state.as_str())));
    }
    Ok(current)
}

pub(crate) fn circuit_of(conn: &Connection, tenant: &TenantId, endpoint: &EndpointId) -> Result<Circuit, StoreError> {
    endpoints::get(conn, tenant, endpoint)?;
    read_circuit(conn, endpoint.as_str()).map(|(circuit, _)| circuit)
}

/// The tenant's statistics since a minute (see `crate::stats`).
pub(crate) fn attempt_stats(
    conn: &Connection,
    tenant: &TenantId,
    since_minute: i64,
) -> Result<Vec<crate::EndpointMinute>, StoreError> {
    let mut stmt = conn.prepare_cached(&crate::stats::select_sql('?'))?;
    let width = crate::stats::count_columns().len();
    let rows = stmt.query_map(rusqlite::params![tenant.as_str(), since_minute], |row| {
        let endpoint: String = row.get(0)?;
        let minute: i64 = row.get(1)?;
        let counts = (0..width).map(|i| row.get::<_, i64>(2 + i)).collect::<rusqlite::Result<Vec<i64>>>()?;
        Ok((endpoint, minute, counts))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (endpoint, minute, counts) = row?;
        let endpoint_id = rows::parse("attempt_stats", endpoint)?;
        out.push(crate::EndpointMinute { endpoint_id, minute, tally: crate::stats::from_counts(&counts) });
    }
    Ok(out)
}

pub(crate) fn resume(
    conn: &Connection,
    tenant: &TenantId,
    endpoint: &EndpointId,
    now_ms: i64,
) -> Result<u64, StoreError> {
    endpoints::get(conn, tenant, endpoint)?;
    write_circuit(conn, endpoint.as_str(), &Circuit::default(), now_ms)?;
    // Only what waits for a later time moves; a backlog that is due already stays as it is. Rewriting every
    // waiting row held the writer for 4 s per million (issue 16: a drain after an outage started seconds late).
    conn.execute(
        &format!(
            "UPDATE deliveries INDEXED BY deliveries_queue SET next_attempt_at = ?2, updated_at = ?2
             WHERE endpoint_id = ?1 AND {} AND next_attempt_at > ?2 AND state IN ('pending', 'retrying')
               AND tenant_id = ?3",
            sql::unfinished("")
        ),
        params![endpoint.as_str(), now_ms, tenant.as_str()],
    )?;
    // The waiting ones are the unfinished ones not in flight, both counted in an index alone.
    let waiting: i64 = conn.query_row(
        &format!(
            "SELECT (SELECT COUNT(*) FROM deliveries INDEXED BY deliveries_queue WHERE endpoint_id = ?1 AND {})
                  - (SELECT COUNT(*) FROM deliveries INDEXED BY deliveries_in_flight
                     WHERE endpoint_id = ?1 AND state = 'in_flight')",
            sql::unfinished("")
        ),
        params![endpoint.as_str()],
        |row| row.get(0),
    )?;
    Ok(waiting.max(0) as u64)
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
        "UPDATE deliveries INDEXED BY deliveries_dead SET state = 'pending', next_attempt_at = ?4, updated_at = ?4
         WHERE tenant_id = ?1 AND endpoint_id = ?2 AND state = 'dead' AND created_at >= ?3",
        params![tenant.as_str(), endpoint.as_str(), since_ms, now_ms],
    )?;
    Ok(changed as u64)
}

/// One endpoint with something due, as the claim sees it before reading any of its deliveries.
struct ReadyEndpoint {
    id: String,
    circuit: Circuit,
    in_flight: InFlight,
    /// The endpoint's own in-flight limit and circuit settings, if it has them.
    max_in_flight: Option<u32>,
    own_circuit: CircuitOverrides,
    /// Its rate limit with the stored state, if it has one.
    rate: Option<Rate>,
}

// The claim's statements, written once from kurir-core's state lists: a claim runs them per endpoint and per
// delivery, so they are not formatted again each time.

/// `queued(endpoint_id)`, for a `WITH RECURSIVE`: the distinct endpoints with an unfinished delivery, found by
/// walking `deliveries_queue` one index seek per endpoint instead of one step per queued row, so a backlog of one
/// endpoint costs the walk one step. The last row is a NULL. The walk names its index: without statistics the
/// planner took an index that also holds every finished delivery, and a store of a million delivered events made
/// each claim step over all of them (the paced p99 was seconds).
static QUEUED_ENDPOINTS: LazyLock<String> = LazyLock::new(|| {
    let unfinished = sql::unfinished("");
    format!(
        "queued(endpoint_id) AS (
             SELECT (SELECT endpoint_id FROM deliveries INDEXED BY deliveries_queue WHERE {unfinished}
                     ORDER BY endpoint_id LIMIT 1)
             UNION ALL
             SELECT (SELECT endpoint_id FROM deliveries INDEXED BY deliveries_queue
                     WHERE {unfinished} AND endpoint_id > queued.endpoint_id ORDER BY endpoint_id LIMIT 1)
             FROM queued WHERE queued.endpoint_id IS NOT NULL)"
    )
});

/// The endpoints of `queued` (a CTE) that are ready, with what their gate needs: `?1` is now, `?2` a closed
/// circuit's text, `?4` this node (`?3` is for the CTE).
fn ready_sql(queued: &str) -> String {
    // The endpoint's live leases on every node: counted, and the earliest end among this node's.
    let live_leases = "FROM deliveries f INDEXED BY deliveries_in_flight
                       WHERE f.endpoint_id = q.endpoint_id AND f.state = 'in_flight' AND f.next_attempt_at > ?1";
    format!(
        "WITH RECURSIVE {queued}
         SELECT q.endpoint_id, COALESCE(h.circuit, ?2), (SELECT COUNT(*) {live_leases}),
                n.max_in_flight, n.circuit_failures, n.circuit_cooldown_ms, n.rate_count, n.rate_period_ms,
                COALESCE(h.rate_tat, 0), (SELECT MIN(f.next_attempt_at) {live_leases} AND f.lease_owner = ?4)
         FROM queued q LEFT JOIN endpoint_health h ON h.endpoint_id = q.endpoint_id
              LEFT JOIN endpoints n ON n.id = q.endpoint_id
         WHERE q.endpoint_id IS NOT NULL AND COALESCE(h.held_until, 0) <= ?1 AND COALESCE(h.rate_until, 0) <= ?1
           AND EXISTS (SELECT 1 FROM deliveries d INDEXED BY deliveries_queue
                       WHERE d.endpoint_id = q.endpoint_id AND {} AND d.next_attempt_at <= ?1)",
        sql::unfinished("d")
    )
}

/// Every ready endpoint, found by walking the queue.
pub(super) static READY_SQL: LazyLock<String> = LazyLock::new(|| ready_sql(&QUEUED_ENDPOINTS));

/// One endpoint (`?3`), if it is ready: a publish's own claim asks this for each endpoint it routed to.
static READY_ONE_SQL: LazyLock<String> = LazyLock::new(|| ready_sql("queued(endpoint_id) AS (SELECT ?3)"));

/// One endpoint's due deliveries, oldest due first. A delivery with an ordering key waits while an earlier one
/// (lower `seq`) of the same endpoint and key is unfinished; the `deliveries_ordering` index answers that per row.
static DUE_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT d.seq FROM deliveries d INDEXED BY deliveries_queue
         WHERE d.endpoint_id = ?1 AND {} AND d.next_attempt_at <= ?2
           AND (d.ordering_key IS NULL OR NOT EXISTS (
                 SELECT 1 FROM deliveries e
                 WHERE e.endpoint_id = d.endpoint_id AND e.ordering_key = d.ordering_key AND e.seq < d.seq
                   AND e.ordering_key IS NOT NULL AND {}))
         ORDER BY d.next_attempt_at
         LIMIT ?3",
        sql::unfinished("d"),
        sql::unfinished("e")
    )
});

/// Leases deliveries (`v`: their `seq` and a new lease token each) that are still unfinished and due; returns
/// what sending them needs. `?1` is the lease's end, `?2` the node, `?3` now. `OR FAIL`: no statement journal,
/// since a failure undoes the whole claim (its savepoint; see `writer`).
fn lease_sql(rows: &Rows) -> String {
    let (seq, token, join) = (rows.column(1), rows.column(2), rows.join());
    format!(
        "UPDATE OR FAIL deliveries SET state = 'in_flight', next_attempt_at = ?1, lease_token = {token}, lease_owner = ?2,
                updated_at = ?3{join}
         WHERE deliveries.seq = {seq} AND {} AND deliveries.next_attempt_at <= ?3
         RETURNING {DELIVERY_COLUMNS}, event_seq, deliveries.seq, lease_token",
        sql::unfinished("deliveries")
    )
}

/// Events by `seq` (the last column).
fn load_events_sql(rows: &Rows) -> String {
    format!("SELECT {EVENT_COLUMNS}, seq FROM events WHERE seq IN ({})", rows.list())
}

static LOAD_ENDPOINT_SQL: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {ENDPOINT_COLUMNS} FROM endpoints WHERE id = ?1"));

/// The endpoints with an unfinished delivery due now and a circuit that does not hold them (see
/// [`QUEUED_ENDPOINTS`] for how they are found), or those of `only` that are.
fn ready_endpoints(
    conn: &Connection,
    request: &ClaimRequest,
    only: Option<&[String]>,
) -> Result<Vec<ReadyEndpoint>, StoreError> {
    let (now_ms, circuit, node) = (request.now_ms, Circuit::default().encode(), request.node.as_str());
    let read = |row: &rusqlite::Row<'_>| {
        let circuit: String = row.get(1)?;
        Ok(ReadyEndpoint {
            id: row.get(0)?,
            circuit: decode_circuit(&circuit)?,
            in_flight: InFlight::of(row.get(2)?, row.get(9)?, request),
            max_in_flight: row.get(3)?,
            own_circuit: CircuitOverrides { failures: row.get(4)?, cooldown_ms: row.get(5)? },
            rate: Rate::of(stored_rate(row.get(6)?, row.get(7)?), row.get(8)?),
        })
    };
    let Some(only) = only else {
        let mut stmt = conn.prepare_cached(&READY_SQL)?;
        // `?3` is the one endpoint of `READY_ONE_SQL`; this statement leaves it out.
        return collect(&mut stmt, params![now_ms, circuit, rusqlite::types::Null, node], read);
    };
    let mut stmt = conn.prepare_cached(&READY_ONE_SQL)?;
    let mut ready = Vec::new();
    for endpoint in only {
        ready.extend(collect(&mut stmt, params![now_ms, circuit, endpoint, node], read)?);
    }
    Ok(ready)
}

pub(crate) fn claim_due(conn: &Connection, request: &ClaimRequest) -> Result<Vec<Claim>, StoreError> {
    Ok(claim_due_among(conn, request, None)?.claims)
}

/// What a claim took, and whether it found anything due at all.
#[derive(Debug, Default)]
pub(crate) struct Claimed {
    pub claims: Vec<Claim>,
    /// No endpoint it looked at had a delivery due (those whose circuit holds them aside).
    pub nothing_due: bool,
}

/// A claim, of every ready endpoint or only of those in `only`.
pub(crate) fn claim_due_among(
    conn: &Connection,
    request: &ClaimRequest,
    only: Option<&[String]>,
) -> Result<Claimed, StoreError> {
    let now = request.now_ms;
    let mut ready = ready_endpoints(conn, request, only)?;
    let nothing_due = ready.is_empty();
    ready.shuffle(&mut rand::rng());
    let gates: Vec<Gate> = ready
        .iter()
        .map(|e| {
            let limit = Limit::of(e.max_in_flight, request);
            gate(e.circuit, e.in_flight, limit, now, &request.circuit.for_endpoint(&e.own_circuit), e.rate)
        })
        .collect();
    let mut leaser = Leaser::new(conn, request);
    let mut taken = vec![0u32; ready.len()];
    // Two passes: an equal share each, then what some endpoints could not use (ordering held them back) goes
    // to those that used all of theirs.
    for _ in 0..2 {
        let left = request.limit.saturating_sub(taken.iter().sum());
        let rooms: Vec<u32> = gates.iter().zip(&taken).map(|(g, t)| g.room.saturating_sub(*t)).collect();
        let mut progressed = false;
        for (index, share) in shares(&rooms, left).into_iter().enumerate() {
            if share == 0 {
                continue;
            }
            let got = leaser.lease_endpoint(&ready[index].id, share)?;
            taken[index] += got;
            progressed |= got == share;
        }
        if !progressed {
            break;
        }
    }
    for ((endpoint, gate), taken) in ready.iter().zip(&gates).zip(&taken) {
        let circuit = gate.after(*taken);
        if *taken > 0 && circuit != endpoint.circuit {
            write_circuit(conn, &endpoint.id, &circuit, now)?;
        }
        if let (Some(rate), true) = (endpoint.rate, *taken > 0) {
            let (tat, until) = rate.after(*taken, now);
            conn.prepare_cached("UPDATE endpoint_health SET rate_tat = ?2, rate_until = ?3 WHERE endpoint_id = ?1")?
                .execute(params![endpoint.id, tat, until])?;
        }
    }
    Ok(Claimed { claims: leaser.claims, nothing_due })
}

/// Leases deliveries and loads what sending them needs, caching endpoints across one claim.
struct Leaser<'c> {
    conn: &'c Connection,
    request: &'c ClaimRequest,
    endpoints: HashMap<String, Option<Arc<Endpoint>>>,
    claims: Vec<Claim>,
}

impl<'c> Leaser<'c> {
    fn new(conn: &'c Connection, request: &'c ClaimRequest) -> Self {
        Leaser { conn, request, endpoints: HashMap::new(), claims: Vec::new() }
    }

    /// Leases up to `limit` of one endpoint's due deliveries; returns how many.
    fn lease_endpoint(&mut self, endpoint_id: &str, limit: u32) -> Result<u32, StoreError> {
        let now = self.request.now_ms;
        let seqs: Vec<i64> = {
            let mut stmt = self.conn.prepare_cached(&DUE_SQL)?;
            collect(&mut stmt, params![endpoint_id, now, limit], |row| Ok(row.get(0)?))?
        };
        let Some(endpoint) = self.endpoint(endpoint_id)? else {
            // The endpoint was deleted between publish and now: nothing can be sent.
            for seq in seqs {
                self.conn.execute(
                    "UPDATE deliveries SET state = 'dead', last_error = 'endpoint deleted', lease_token = NULL,
                            lease_owner = NULL WHERE seq = ?1",
                    [seq],
                )?;
            }
            return Ok(0);
        };
        let claims = self.lease(&seqs, &endpoint)?;
        let leased = u32::try_from(claims.len()).unwrap_or(u32::MAX);
        self.claims.extend(claims);
        Ok(leased)
    }

    /// Leases those of `seqs` still unfinished and due, in that order: the check is in the UPDATE, so of two
    /// claimers (threads or processes) only one changes a row. Each lease gets a token of its own.
    fn lease(&self, seqs: &[i64], endpoint: &Arc<Endpoint>) -> Result<Vec<Claim>, StoreError> {
        let request = self.request;
        let tokens: Vec<i64> = seqs.iter().map(|_| rand::random()).collect();
        let values: Vec<&dyn ToSql> = seqs.iter().zip(&tokens).flat_map(|(s, t)| [s as &dyn ToSql, t]).collect();
        let (lease_end, owner) = (request.now_ms + request.lease_ms, request.node.as_str());
        let shared: [&dyn ToSql; 3] = [&lease_end, &owner, &request.now_ms];
        let lease = Chunked { shared: &shared, width: 2, values: &values, sql: lease_sql };
        let mut leased = lease.query(self.conn, |row| {
            Ok((rows::delivery(row)?, row.get::<_, i64>(13)?, row.get::<_, i64>(14)?, row.get::<_, i64>(15)?))
        })?;
        let position: HashMap<i64, usize> = seqs.iter().enumerate().map(|(index, seq)| (*seq, index)).collect();
        leased.sort_by_key(|(_, _, seq, _)| position.get(seq).copied());
        let mut event_seqs: Vec<i64> = leased.iter().map(|(_, event_seq, _, _)| *event_seq).collect();
        event_seqs.sort_unstable();
        event_seqs.dedup();
        let values: Vec<&dyn ToSql> = event_seqs.iter().map(|seq| seq as &dyn ToSql).collect();
        let load = Chunked { shared: &[], width: 1, values: &values, sql: load_events_sql };
        let events: HashMap<i64, Event> =
            load.query(self.conn, |row| Ok((row.get::<_, i64>(9)?, rows::event(row)?)))?.into_iter().collect();
        leased
            .into_iter()
            .map(|(delivery, event_seq, _, lease_token)| {
                let event = events
                    .get(&event_seq)
                    .cloned()
                    .ok_or_else(|| StoreError::corrupt("deliveries", format!("event {event_seq} is missing")))?;
                Ok(Claim { delivery, lease_token, event, endpoint: Arc::clone(endpoint) })
            })
            .collect()
    }

    fn endpoint(&mut self, id: &str) -> Result<Option<Arc<Endpoint>>, StoreError> {
        if let Some(cached) = self.endpoints.get(id) {
            return Ok(cached.clone());
        }
        let mut load = self.conn.prepare_cached(&LOAD_ENDPOINT_SQL)?;
        let endpoint = collect(&mut load, [id], rows::endpoint)?.pop().map(Arc::new);
        self.endpoints.insert(id.to_owned(), endpoint.clone());
        Ok(endpoint)
    }
}

pub(super) fn write_circuit(
    conn: &Connection,
    endpoint: &str,
    circuit: &Circuit,
    now_ms: i64,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO endpoint_health (endpoint_id, circuit, held_until) VALUES (?1, ?2, ?3)
         ON CONFLICT (endpoint_id) DO UPDATE SET circuit = excluded.circuit, held_until = excluded.held_until",
    )?
    .execute(params![endpoint, circuit.encode(), circuit.held_until(now_ms).unwrap_or(0)])?;
    Ok(())
}

/// An endpoint's stored circuit and its own circuit settings.
pub(super) fn read_circuit(conn: &Connection, endpoint: &str) -> Result<(Circuit, CircuitOverrides), StoreError> {
    let found: Option<(Option<String>, CircuitOverrides)> = conn
        .prepare_cached(
            "SELECT h.circuit, n.circuit_failures, n.circuit_cooldown_ms
             FROM endpoints n LEFT JOIN endpoint_health h ON h.endpoint_id = n.id WHERE n.id = ?1",
        )?
        .query_row([endpoint], |row| {
            Ok((row.get(0)?, CircuitOverrides { failures: row.get(1)?, cooldown_ms: row.get(2)? }))
        })
        .optional()?;
    let (text, own) = found.unwrap_or_default();
    Ok((text.as_deref().map(decode_circuit).transpose()?.unwrap_or_default(), own))
}

/// A stored rate limit (both columns or neither); an invalid one reads as none rather than stopping the claim.
fn stored_rate(count: Option<u32>, period_ms: Option<i64>) -> Option<kurir_core::rate::RateLimit> {
    kurir_core::rate::RateLimit::new(count?, period_ms?).ok()
}

/// The queue and the endpoints' health, for `/metrics`.
pub(crate) fn queue_summary(conn: &Connection, now_ms: i64) -> Result<crate::QueueSummary, StoreError> {
    let waiting = sql::state_list(&[DeliveryState::Pending, DeliveryState::Retrying]);
    // Both reads go through `deliveries_queue`, which holds only unfinished deliveries (the condition repeats its
    // `WHERE` so that it applies): the oldest due one is the least of each endpoint's first.
    let sql = format!(
        "WITH RECURSIVE {}
         SELECT (SELECT COUNT(*) FROM deliveries INDEXED BY deliveries_queue WHERE {}),
                (SELECT MIN((SELECT MIN(d.next_attempt_at) FROM deliveries d INDEXED BY deliveries_queue
                             WHERE d.endpoint_id = q.endpoint_id AND {} AND d.state IN ({waiting})
                               AND d.next_attempt_at <= ?1))
                 FROM queued q WHERE q.endpoint_id IS NOT NULL),
                (SELECT COUNT(*) FROM endpoint_health WHERE {}),
                (SELECT COUNT(*) FROM endpoints WHERE NOT enabled)",
        *QUEUED_ENDPOINTS,
        sql::unfinished(""),
        sql::unfinished("d"),
        sql::CIRCUIT_NOT_CLOSED
    );
    let count = |n: i64| n.max(0) as u64;
    let summary = conn.prepare_cached(&sql)?.query_row([now_ms], |row| {
        Ok(crate::QueueSummary {
            unfinished: count(row.get(0)?),
            oldest_due_ms: row.get(1)?,
            circuits_open: count(row.get(2)?),
            endpoints_disabled: count(row.get(3)?),
        })
    })?;
    Ok(summary)
}

/// The earliest time after `?1` at which something may become due: a queued delivery, a held circuit's end, a
/// rate limit's end.
pub(super) static NEXT_DUE_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH RECURSIVE {}
         SELECT MIN(t) FROM (
             SELECT (SELECT MIN(d.next_attempt_at) FROM deliveries d INDEXED BY deliveries_queue
                     WHERE d.endpoint_id = q.endpoint_id AND {} AND d.next_attempt_at > ?1) AS t
             FROM queued q WHERE q.endpoint_id IS NOT NULL
             UNION ALL
             SELECT MIN(held_until) AS t FROM endpoint_health WHERE held_until > ?1
             UNION ALL
             SELECT MIN(rate_until) AS t FROM endpoint_health WHERE rate_until > ?1)",
        *QUEUED_ENDPOINTS,
        sql::unfinished("d")
    )
});

pub(crate) fn next_due_after(conn: &Connection, now_ms: i64) -> Result<Option<i64>, StoreError> {
    let next: Option<i64> =
        conn.prepare_cached(&NEXT_DUE_SQL)?.query_row([now_ms], |row| row.get(0)).optional()?.flatten();
    Ok(next)
}

pub(crate) fn renew_leases(
    conn: &Connection,
    node: &NodeId,
    leases: &[Lease],
    until_ms: i64,
) -> Result<u64, StoreError> {
    let mut renew = conn.prepare_cached(
        "UPDATE deliveries SET next_attempt_at = ?4
         WHERE id = ?1 AND lease_token = ?2 AND lease_owner = ?3 AND state = 'in_flight'",
    )?;
    let mut renewed = 0;
    for lease in leases {
        renewed += renew.execute(params![lease.delivery_id.as_str(), lease.lease_token, node.as_str(), until_ms])?;
    }
    Ok(renewed as u64)
}

pub(crate) fn release_leases(conn: &Connection, node: &NodeId, now_ms: i64) -> Result<u64, StoreError> {
    // A lease without an owner was taken before leases had owners, by the single node of that time.
    let changed = conn.execute(
        &format!(
            "UPDATE deliveries INDEXED BY deliveries_in_flight
             SET state = {}, next_attempt_at = ?1, lease_token = NULL, lease_owner = NULL, updated_at = ?1
             WHERE state = 'in_flight' AND (lease_owner = ?2 OR lease_owner IS NULL OR next_attempt_at <= ?1)",
            sql::UNLEASED_STATE
        ),
        params![now_ms, node.as_str()],
    )?;
    Ok(changed as u64)
}
