//! Writing outcomes back on SQLite: the attempts kept, the deliveries' next states (fenced by their lease tokens),
//! each endpoint's circuit, and the statistics. A turn writes many outcomes at once, so the attempts and the
//! deliveries' states are each written as lists of rows ([`super::values`]), not a statement per outcome.

use std::collections::HashMap;

use kurir_core::circuit::{Circuit, CircuitChange, CircuitPolicy};
use kurir_core::delivery::NextStep;
use kurir_core::id::{EndpointId, TenantId};
use kurir_core::tenant::AttemptLog;
use rusqlite::{Connection, ToSql};

use super::deliveries::{read_circuit, write_circuit};
use super::endpoints;
use super::rows::ATTEMPT_COLUMNS;
use super::tenants::get_tenant;
use super::values::{placeholders, Chunked, Rows};
use crate::claiming::feed;
use crate::{EndpointChange, Outcome, StoreError};

/// One endpoint's circuit while a batch of outcomes is fed to it.
struct Fed<'a> {
    tenant: &'a TenantId,
    id: &'a EndpointId,
    stored: Circuit,
    circuit: Circuit,
    policy: CircuitPolicy,
}

pub(crate) fn record_outcomes(
    conn: &Connection,
    outcomes: &[Outcome],
    policy: &CircuitPolicy,
) -> Result<Vec<EndpointChange>, StoreError> {
    let kept = kept_attempts(conn, outcomes);
    insert_attempts(conn, &kept)?;
    let changed = update_deliveries(conn, outcomes)?;
    if changed < outcomes.len() {
        let ignored = outcomes.len() - changed;
        tracing::warn!(ignored, "outcomes of expired leases ignored; other claims own those deliveries");
    }
    let changes = feed_circuits(conn, outcomes, policy)?;
    add_stats(conn, outcomes)?;
    Ok(changes)
}

/// The outcomes whose attempts their tenant's attempt log keeps.
fn kept_attempts<'o>(conn: &Connection, outcomes: &'o [Outcome]) -> Vec<&'o Outcome> {
    let mut log_modes: HashMap<&str, AttemptLog> = HashMap::new();
    let mut kept = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        let mode = *log_modes
            .entry(outcome.tenant.as_str())
            .or_insert_with(|| get_tenant(conn, &outcome.tenant).map(|t| t.attempt_log).unwrap_or_default());
        if mode.keeps(outcome.next == NextStep::Succeeded) {
            kept.push(outcome);
        }
    }
    kept
}

/// Inserts the attempts of `outcomes`; `OR FAIL` (no statement journal), since a failure fails the whole job (see
/// `writer`).
fn insert_attempts(conn: &Connection, outcomes: &[&Outcome]) -> Result<(), StoreError> {
    let attempts: Vec<_> = outcomes.iter().map(|o| &o.attempt).collect();
    let names: Vec<[&str; 3]> =
        attempts.iter().map(|a| [a.id.as_str(), a.tenant.as_str(), a.delivery_id.as_str()]).collect();
    let kinds: Vec<Option<&str>> = attempts.iter().map(|a| a.error_kind.map(|k| k.as_str())).collect();
    let requests: Vec<Option<String>> =
        attempts.iter().map(|a| crate::codec::request_json(a.request.as_ref())).collect();
    let headers: Vec<Option<String>> =
        attempts.iter().map(|a| crate::codec::header_list_json(&a.response_headers)).collect();
    let mut values: Vec<&dyn ToSql> = Vec::with_capacity(attempts.len() * 12);
    for (index, a) in attempts.iter().enumerate() {
        values.extend([
            &names[index][0] as &dyn ToSql,
            &names[index][1],
            &names[index][2],
            &a.attempt_no,
            &a.started_at_ms,
            &a.duration_ms,
            &a.status,
            &kinds[index],
            &a.error,
            &a.response_excerpt,
            &requests[index],
            &headers[index],
        ]);
    }
    let insert = |rows: &Rows| format!("INSERT OR FAIL INTO attempts ({ATTEMPT_COLUMNS}) VALUES {}", rows.values());
    Chunked { shared: &[], width: 12, values: &values, sql: insert }.execute(conn)?;
    Ok(())
}

/// Moves each outcome's delivery to its next state, if the outcome's lease is still the delivery's (an expired
/// lease may have been claimed again since); returns how many were. `OR FAIL`, as [`insert_attempts`].
fn update_deliveries(conn: &Connection, outcomes: &[Outcome]) -> Result<usize, StoreError> {
    let states: Vec<&str> = outcomes.iter().map(|o| o.next.state().as_str()).collect();
    let finished: Vec<i64> = outcomes.iter().map(Outcome::finished_at_ms).collect();
    let next_at: Vec<i64> = outcomes.iter().map(Outcome::next_attempt_at_ms).collect();
    let ids: Vec<&str> = outcomes.iter().map(|o| o.delivery_id.as_str()).collect();
    let mut values: Vec<&dyn ToSql> = Vec::with_capacity(outcomes.len() * 7);
    for (index, outcome) in outcomes.iter().enumerate() {
        values.extend([
            &ids[index] as &dyn ToSql,
            &outcome.lease_token,
            &states[index],
            &next_at[index],
            &outcome.attempt.status,
            &outcome.attempt.error,
            &finished[index],
        ]);
    }
    let update = |rows: &Rows| {
        let [id, token, state, next_at, status, error, finished] = [1, 2, 3, 4, 5, 6, 7].map(|n| rows.column(n));
        format!(
            "UPDATE OR FAIL deliveries SET state = {state}, attempts = attempts + 1, next_attempt_at = {next_at},
                    lease_token = NULL, lease_owner = NULL, last_status = {status}, last_error = {error},
                    updated_at = {finished}{}
             WHERE deliveries.id = {id} AND deliveries.lease_token = {token} AND deliveries.state = 'in_flight'",
            rows.join()
        )
    };
    Chunked { shared: &[], width: 7, values: &values, sql: update }.execute(conn)
}

/// Feeds every sent attempt to its endpoint's circuit (each circuit read once and written once), disables the
/// endpoints an outcome or a long failure streak says must stop; returns what changed for endpoints.
fn feed_circuits(
    conn: &Connection,
    outcomes: &[Outcome],
    policy: &CircuitPolicy,
) -> Result<Vec<EndpointChange>, StoreError> {
    let mut circuits: HashMap<&str, Fed> = HashMap::new();
    let mut changes = Vec::new();
    for outcome in outcomes {
        let finished_at = outcome.finished_at_ms();
        if outcome.attempt.was_sent() {
            let endpoint = outcome.endpoint_id.as_str();
            if !circuits.contains_key(endpoint) {
                let (stored, own) = read_circuit(conn, endpoint)?;
                let (tenant, id, policy) = (&outcome.tenant, &outcome.endpoint_id, policy.for_endpoint(&own));
                circuits.insert(endpoint, Fed { tenant, id, stored, circuit: stored, policy });
            }
            if let Some(fed) = circuits.get_mut(endpoint) {
                if feed(&mut fed.circuit, outcome, &fed.policy) {
                    tracing::warn!(%endpoint, "circuit opened: the endpoint keeps failing; its deliveries are held and probed");
                }
            }
        }
        if let Some(reason) = &outcome.disable_endpoint {
            if endpoints::disable(conn, &outcome.tenant, &outcome.endpoint_id, reason, finished_at)? {
                let change = CircuitChange::Disable { reason: reason.clone() };
                let (tenant, endpoint) = (outcome.tenant.clone(), outcome.endpoint_id.clone());
                changes.push(EndpointChange { tenant, endpoint, change, at_ms: finished_at });
            }
        }
    }
    let now = outcomes.iter().map(Outcome::finished_at_ms).max().unwrap_or(0);
    for (endpoint, Fed { tenant, id, stored, circuit, policy }) in circuits {
        if circuit != stored {
            write_circuit(conn, endpoint, &circuit, now)?;
        }
        // A long enough failure streak disables the endpoint, once: an endpoint disabled already is not news.
        let change = match circuit.change(&stored, now, &policy) {
            Some(CircuitChange::Disable { reason }) if endpoints::disable(conn, tenant, id, &reason, now)? => {
                Some(CircuitChange::Disable { reason })
            }
            Some(CircuitChange::Disable { .. }) | None => None,
            recovered => recovered,
        };
        let (tenant, endpoint) = (tenant.clone(), id.clone());
        changes.extend(change.map(|change| EndpointChange { tenant, endpoint, change, at_ms: now }));
    }
    Ok(changes)
}

/// Adds a batch's attempts to the statistics.
fn add_stats(conn: &Connection, outcomes: &[Outcome]) -> Result<(), StoreError> {
    let width = 3 + crate::stats::count_columns().len();
    let mut upsert =
        conn.prepare_cached(&crate::stats::upsert_sql(&format!("VALUES {}", placeholders(1, width, 1))))?;
    for ((endpoint, minute), (tenant, tally)) in crate::stats::tally(outcomes) {
        let counts = crate::stats::counts(&tally);
        let tenant = tenant.as_str();
        let mut values: Vec<&dyn ToSql> = vec![&tenant, &endpoint, &minute];
        values.extend(counts.iter().map(|n| n as &dyn ToSql));
        upsert.execute(values.as_slice())?;
    }
    Ok(())
}
