//! Writing outcomes back on PostgreSQL: attempts, the deliveries' next states (fenced by the lease tokens in
//! `delivery_queue`), and each endpoint's circuit.

use std::collections::{BTreeMap, HashMap};

use deadpool_postgres::{GenericClient, Transaction};
use kurir_core::circuit::{Circuit, CircuitChange, CircuitOverrides, CircuitPolicy};
use kurir_core::delivery::{Attempt, NextStep};
use kurir_core::tenant::AttemptLog;

use super::admin::get_tenant;
use super::rows;
use super::{pg_error, Cached, PgStore, DISPATCH_SETTINGS};
use crate::claiming::feed;
use crate::{EndpointChange, Outcome, Result};

pub(crate) async fn record_outcomes(
    store: &PgStore,
    outcomes: &[Outcome],
    policy: &CircuitPolicy,
) -> Result<Vec<EndpointChange>> {
    let mut client = store.client().await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    tx.batch_execute(DISPATCH_SETTINGS).await.map_err(pg_error)?;
    let changes = write(&tx, outcomes, policy).await?;
    add_stats(&tx, outcomes).await?;
    tx.commit().await.map_err(pg_error)?;
    Ok(changes)
}

/// Writes outcomes in `tx`, all but their statistics ([`add_stats`], which a transaction runs last: every batch
/// of a busy endpoint adds to the same statistics row, so its lock is best held only until the commit that
/// follows). Returns what they did to endpoints.
pub(crate) async fn write(
    tx: &Transaction<'_>,
    outcomes: &[Outcome],
    policy: &CircuitPolicy,
) -> Result<Vec<EndpointChange>> {
    let mut log_modes: HashMap<String, AttemptLog> = HashMap::new();
    for outcome in outcomes {
        let tenant = outcome.tenant.as_str();
        if !log_modes.contains_key(tenant) {
            let mode = get_tenant(tx, &outcome.tenant).await.map(|t| t.attempt_log).unwrap_or_default();
            log_modes.insert(tenant.to_owned(), mode);
        }
    }
    let kept: Vec<&Attempt> = outcomes
        .iter()
        .filter(|o| log_modes.get(o.tenant.as_str()).copied().unwrap_or_default().keeps(o.next == NextStep::Succeeded))
        .map(|o| &o.attempt)
        .collect();
    insert_attempts(tx, &kept).await?;
    update_delivery_states(tx, outcomes).await?;
    let mut changes = Vec::new();
    for (outcome, change) in feed_circuits(tx, outcomes, policy).await? {
        let at_ms = outcome.finished_at_ms();
        let change = match change {
            CircuitChange::Disable { reason } => {
                disable(tx, outcome, &reason, at_ms).await?.then_some(CircuitChange::Disable { reason })
            }
            recovered => Some(recovered),
        };
        let (tenant, endpoint) = (outcome.tenant.clone(), outcome.endpoint_id.clone());
        changes.extend(change.map(|change| EndpointChange { tenant, endpoint, change, at_ms }));
    }
    for outcome in outcomes {
        if let Some(reason) = &outcome.disable_endpoint {
            if disable(tx, outcome, reason, outcome.finished_at_ms()).await? {
                let change = CircuitChange::Disable { reason: reason.clone() };
                let (tenant, endpoint) = (outcome.tenant.clone(), outcome.endpoint_id.clone());
                changes.push(EndpointChange { tenant, endpoint, change, at_ms: outcome.finished_at_ms() });
            }
        }
    }
    Ok(changes)
}

/// Disables an outcome's endpoint if it is enabled; whether it was.
async fn disable(tx: &Transaction<'_>, outcome: &Outcome, reason: &str, at_ms: i64) -> Result<bool> {
    let changed = tx
        .execute_cached(
            "UPDATE endpoints SET enabled = FALSE, disabled_reason = $3, updated_at = $4
             WHERE tenant_id = $1 AND id = $2 AND enabled",
            &[&outcome.tenant.as_str(), &outcome.endpoint_id.as_str(), &reason, &at_ms],
        )
        .await
        .map_err(pg_error)?;
    Ok(changed > 0)
}

/// Adds a batch's attempts to the statistics, in one statement whose rows come in (endpoint, minute) order.
pub(crate) async fn add_stats(tx: &Transaction<'_>, outcomes: &[Outcome]) -> Result<()> {
    let tallies = crate::stats::tally(outcomes);
    if tallies.is_empty() {
        return Ok(());
    }
    let width = crate::stats::count_columns().len();
    let mut tenants = Vec::with_capacity(tallies.len());
    let mut endpoints = Vec::with_capacity(tallies.len());
    let mut minutes = Vec::with_capacity(tallies.len());
    let mut counts: Vec<Vec<i64>> = vec![Vec::with_capacity(tallies.len()); width];
    for ((endpoint, minute), (tenant, tally)) in &tallies {
        tenants.push(tenant.as_str());
        endpoints.push(endpoint.as_str());
        minutes.push(*minute);
        for (column, n) in counts.iter_mut().zip(crate::stats::counts(tally)) {
            column.push(n);
        }
    }
    let arrays: Vec<String> = (4..4 + width).map(|i| format!("${i}::int8[]")).collect();
    let rows = format!("SELECT * FROM UNNEST($1::text[], $2::text[], $3::int8[], {}) ORDER BY 2, 3", arrays.join(", "));
    let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = vec![&tenants, &endpoints, &minutes];
    params.extend(counts.iter().map(|c| c as &(dyn tokio_postgres::types::ToSql + Sync)));
    tx.execute_cached(&crate::stats::upsert_sql(&rows), &params).await.map_err(pg_error)?;
    Ok(())
}

/// Feeds every sent attempt to its endpoint's circuit. Circuits are read without a lock first; only those the
/// batch changes are then locked (in one order, so two nodes never deadlock), read again, fed again and written.
/// So the common case (a healthy endpoint staying closed) takes no lock that a claim would have to skip. Returns
/// what the batch did to endpoints (recovered, or failing long enough to disable), each with its latest outcome.
async fn feed_circuits<'o>(
    tx: &Transaction<'_>,
    outcomes: &'o [Outcome],
    policy: &CircuitPolicy,
) -> Result<Vec<(&'o Outcome, CircuitChange)>> {
    let sent: Vec<&Outcome> = outcomes.iter().filter(|o| o.attempt.was_sent()).collect();
    let mut ids: Vec<&str> = sent.iter().map(|o| o.endpoint_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let feed = |mut circuit: Circuit, endpoint: &str, policy: &CircuitPolicy, announce: bool| {
        for outcome in sent.iter().filter(|o| o.endpoint_id.as_str() == endpoint) {
            if feed(&mut circuit, outcome, policy) && announce {
                tracing::warn!(%endpoint, "circuit opened: the endpoint keeps failing; its deliveries are held and probed");
            }
        }
        circuit
    };
    let unlocked = read_circuits(tx, &ids, false).await?;
    let changed: Vec<&str> = unlocked
        .iter()
        .filter(|(id, (stored, own))| feed(*stored, id, &policy.for_endpoint(own), false) != *stored)
        .map(|(id, _)| id.as_str())
        .collect();
    let mut changes = Vec::new();
    if changed.is_empty() {
        return Ok(changes);
    }
    let latest = sent.iter().map(|o| o.finished_at_ms()).max().unwrap_or(0);
    for (id, (stored, own)) in read_circuits(tx, &changed, true).await? {
        let policy = policy.for_endpoint(&own);
        let fed = feed(stored, &id, &policy, true);
        if fed != stored {
            write_circuit(tx, &id, &fed, latest).await?;
        }
        let last = sent.iter().rev().find(|o| o.endpoint_id.as_str() == id);
        if let (Some(change), Some(outcome)) = (fed.change(&stored, latest, &policy), last) {
            changes.push((*outcome, change));
        }
    }
    Ok(changes)
}

/// The stored circuits of some endpoints, by id (in id order); `lock` takes their rows `FOR UPDATE`.
/// The stored circuits of some endpoints and their own circuit settings, by id (in id order); `lock` takes the
/// health rows `FOR UPDATE`.
async fn read_circuits(
    tx: &Transaction<'_>,
    ids: &[&str],
    lock: bool,
) -> Result<BTreeMap<String, (Circuit, CircuitOverrides)>> {
    let lock = if lock { " FOR UPDATE OF h" } else { "" };
    let sql = format!(
        "SELECT h.endpoint_id, h.circuit, e.circuit_failures, e.circuit_cooldown_ms
         FROM endpoint_health h LEFT JOIN endpoints e ON e.id = h.endpoint_id
         WHERE h.endpoint_id = ANY($1) ORDER BY h.endpoint_id{lock}"
    );
    let mut circuits = BTreeMap::new();
    for row in tx.query_cached(&sql, &[&ids]).await.map_err(pg_error)? {
        let text: String = rows::get(&row, "endpoint_health", 1)?;
        let circuit = crate::codec::decode_circuit(&text)?;
        let number = |index| -> Result<Option<u32>> {
            let value: Option<i64> = rows::get(&row, "endpoints", index)?;
            Ok(value.map(|n| u32::try_from(n).unwrap_or(u32::MAX)))
        };
        let own = CircuitOverrides { failures: number(2)?, cooldown_ms: number(3)? };
        circuits.insert(rows::get(&row, "endpoint_health", 0)?, (circuit, own));
    }
    Ok(circuits)
}

/// Inserts the kept attempts in one statement. Their ids stay unique-indexed here (SQLite dropped its index): a
/// `COMMIT` whose answer the network lost leaves the dispatcher retrying a batch that landed, and the ids' unique
/// violation is what stops it from being written twice.
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
                                  $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])",
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
            &text(&|a| crate::codec::request_json(a.request.as_ref())),
            &text(&|a| crate::codec::header_list_json(&a.response_headers)),
        ],
    )
    .await
    .map_err(pg_error)?;
    Ok(())
}

/// Writes every outcome's next state, fenced by its lease token: the queue rows whose token still matches are
/// deleted (finished) or given back due at their retry time, in the statements that check the token; only those
/// deliveries' records are updated.
async fn update_delivery_states(tx: &Transaction<'_>, outcomes: &[Outcome]) -> Result<()> {
    let seq_of = seqs_by_id(tx, outcomes).await?;
    let fence =
        |o: &&Outcome| seq_of.get(o.delivery_id.as_str()).map(|seq| (*seq, o.lease_token, o.next_attempt_at_ms()));
    let (finished, retrying): (Vec<&Outcome>, Vec<&Outcome>) =
        outcomes.iter().partition(|o| !matches!(o.next, NextStep::RetryAt { .. }));
    let finished: Vec<(i64, i64, i64)> = finished.iter().filter_map(fence).collect();
    let retrying: Vec<(i64, i64, i64)> = retrying.iter().filter_map(fence).collect();
    let column =
        |rows: &[(i64, i64, i64)], pick: fn(&(i64, i64, i64)) -> i64| rows.iter().map(pick).collect::<Vec<_>>();
    let mut fenced: Vec<i64> = Vec::with_capacity(outcomes.len());
    if !finished.is_empty() {
        let rows = tx
            .query_cached(
                "DELETE FROM delivery_queue q USING UNNEST($1::int8[], $2::int8[]) AS o(seq, token)
                 WHERE q.seq = o.seq AND q.leased AND q.lease_token = o.token
                 RETURNING q.seq",
                &[&column(&finished, |r| r.0), &column(&finished, |r| r.1)],
            )
            .await
            .map_err(pg_error)?;
        fenced.extend(rows.iter().map(|row| rows::get::<i64>(row, "delivery_queue", 0)).collect::<Result<Vec<_>>>()?);
    }
    if !retrying.is_empty() {
        let rows = tx
            .query_cached(
                "UPDATE delivery_queue q SET leased = FALSE, lease_token = NULL, lease_owner = NULL,
                        next_attempt_at = o.due
                 FROM UNNEST($1::int8[], $2::int8[], $3::int8[]) AS o(seq, token, due)
                 WHERE q.seq = o.seq AND q.leased AND q.lease_token = o.token
                 RETURNING q.seq",
                &[&column(&retrying, |r| r.0), &column(&retrying, |r| r.1), &column(&retrying, |r| r.2)],
            )
            .await
            .map_err(pg_error)?;
        fenced.extend(rows.iter().map(|row| rows::get::<i64>(row, "delivery_queue", 0)).collect::<Result<Vec<_>>>()?);
    }
    if fenced.len() < outcomes.len() {
        let ignored = outcomes.len() - fenced.len();
        tracing::warn!(ignored, "outcomes of expired leases ignored; other claims own those deliveries");
    }
    let kept: std::collections::HashSet<i64> = fenced.into_iter().collect();
    let written: Vec<&Outcome> =
        outcomes.iter().filter(|o| seq_of.get(o.delivery_id.as_str()).is_some_and(|seq| kept.contains(seq))).collect();
    let seqs: Vec<i64> = written.iter().filter_map(|o| seq_of.get(o.delivery_id.as_str()).copied()).collect();
    let states: Vec<&str> = written.iter().map(|o| o.next.state().as_str()).collect();
    let next: Vec<i64> = written.iter().map(|o| o.next_attempt_at_ms()).collect();
    let statuses: Vec<Option<i64>> = written.iter().map(|o| o.attempt.status.map(i64::from)).collect();
    let errors: Vec<Option<&str>> = written.iter().map(|o| o.attempt.error.as_deref()).collect();
    let finished_at: Vec<i64> = written.iter().map(|o| o.finished_at_ms()).collect();
    tx.execute_cached(
        "UPDATE deliveries d SET state = o.state, attempts = d.attempts + 1, next_attempt_at = o.next_at,
                last_status = o.status, last_error = o.error, updated_at = o.finished
         FROM UNNEST($1::int8[], $2::text[], $3::int8[], $4::int8[], $5::text[], $6::int8[])
              AS o(seq, state, next_at, status, error, finished)
         WHERE d.seq = o.seq",
        &[&seqs, &states, &next, &statuses, &errors, &finished_at],
    )
    .await
    .map_err(pg_error)?;
    Ok(())
}

/// The `seq` of each outcome's delivery, by delivery id.
async fn seqs_by_id(tx: &Transaction<'_>, outcomes: &[Outcome]) -> Result<HashMap<String, i64>> {
    let ids: Vec<&str> = outcomes.iter().map(|o| o.delivery_id.as_str()).collect();
    let rows = tx.query_cached("SELECT id, seq FROM deliveries WHERE id = ANY($1)", &[&ids]).await.map_err(pg_error)?;
    rows.iter().map(|row| Ok((rows::get(row, "deliveries", 0)?, rows::get(row, "deliveries", 1)?))).collect()
}

pub(crate) async fn write_circuit(
    client: &impl GenericClient,
    endpoint: &str,
    circuit: &Circuit,
    now_ms: i64,
) -> Result<()> {
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
