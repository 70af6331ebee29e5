//! Mapping between rows and kurir-core's types. Domain types know nothing of SQL, so the conversions live here;
//! a value that no longer parses becomes [`StoreError::Corrupt`], never a panic.

use kurir_core::circuit::CircuitOverrides;
use kurir_core::delivery::{Attempt, AttemptErrorKind, Delivery, DeliveryState};
use kurir_core::endpoint::{Dialect, Endpoint};
use kurir_core::event::Event;
use kurir_core::rate::RateLimit;
use rusqlite::Row;

pub(crate) use crate::codec::*;
use crate::StoreError;

pub(crate) const ENDPOINT_COLUMNS: &str = "id, tenant_id, url, dialect, description, event_types, headers, secrets, \
     retry_schedule, timeout_ms, enabled, disabled_reason, owner_key, created_at, updated_at, zort_keys, \
     signature_headers, auth, max_in_flight, circuit_failures, circuit_cooldown_ms, rate_count, \
     rate_period_ms";

pub(crate) fn endpoint(row: &Row<'_>) -> Result<Endpoint, StoreError> {
    const T: &str = "endpoints";
    let event_types: Option<String> = row.get(5)?;
    let headers: String = row.get(6)?;
    let secrets: String = row.get(7)?;
    let schedule: Option<String> = row.get(8)?;
    let owner: Option<String> = row.get(12)?;
    let dialect: String = row.get(3)?;
    Ok(Endpoint {
        id: parse(T, row.get(0)?)?,
        tenant: parse(T, row.get(1)?)?,
        url: row.get(2)?,
        dialect: Dialect::parse(&dialect).map_err(|err| StoreError::corrupt(T, err))?,
        description: row.get(4)?,
        event_types: decode_event_types(event_types)?,
        headers: decode_headers(&headers)?,
        secrets: decode_secrets(&secrets)?,
        retry_schedule: schedule.map(|text| decode_schedule(&text)).transpose()?,
        timeout_ms: row.get(9)?,
        enabled: row.get(10)?,
        disabled_reason: row.get(11)?,
        owner_key: owner.map(|key| parse(T, key)).transpose()?,
        created_at_ms: row.get(13)?,
        updated_at_ms: row.get(14)?,
        zort_keys: decode_zort_keys(row.get(15)?)?,
        signature_headers: row.get(16)?,
        auth: decode_auth(row.get(17)?)?,
        max_in_flight: row.get(18)?,
        circuit: CircuitOverrides { failures: row.get(19)?, cooldown_ms: row.get(20)? },
        rate_limit: rate_limit(row.get(21)?, row.get(22)?)?,
    })
}

/// An endpoint's stored rate limit, checked again as it is read.
fn rate_limit(count: Option<u32>, period_ms: Option<i64>) -> Result<Option<RateLimit>, StoreError> {
    match (count, period_ms) {
        (Some(count), Some(period_ms)) => {
            RateLimit::new(count, period_ms).map(Some).map_err(|err| StoreError::corrupt("endpoints", err))
        }
        _ => Ok(None),
    }
}

pub(crate) const EVENT_COLUMNS: &str =
    "id, tenant_id, event_type, payload, ordering_key, origin_key, idempotency_key, created_at, params";

pub(crate) fn event(row: &Row<'_>) -> Result<Event, StoreError> {
    const T: &str = "events";
    let origin: Option<String> = row.get(5)?;
    Ok(Event {
        id: parse(T, row.get(0)?)?,
        tenant: parse(T, row.get(1)?)?,
        event_type: row.get(2)?,
        payload: row.get(3)?,
        ordering_key: row.get(4)?,
        origin_key: origin.map(|key| parse(T, key)).transpose()?,
        idempotency_key: row.get(6)?,
        created_at_ms: row.get(7)?,
        params: decode_params(row.get(8)?)?,
        // Not stored: it matters only while the event is published.
        subject_endpoint: None,
    })
}

pub(crate) const DELIVERY_COLUMNS: &str = "id, tenant_id, event_id, endpoint_id, event_type, ordering_key, state, \
     attempts, next_attempt_at, last_status, last_error, created_at, updated_at";

pub(crate) fn delivery(row: &Row<'_>) -> Result<Delivery, StoreError> {
    const T: &str = "deliveries";
    let state: String = row.get(6)?;
    Ok(Delivery {
        id: parse(T, row.get(0)?)?,
        tenant: parse(T, row.get(1)?)?,
        event_id: parse(T, row.get(2)?)?,
        endpoint_id: parse(T, row.get(3)?)?,
        event_type: row.get(4)?,
        ordering_key: row.get(5)?,
        state: DeliveryState::parse(&state)
            .ok_or_else(|| StoreError::corrupt(T, format!("unknown state `{state}`")))?,
        attempts: row.get(7)?,
        next_attempt_at_ms: row.get(8)?,
        last_status: row.get(9)?,
        last_error: row.get(10)?,
        created_at_ms: row.get(11)?,
        updated_at_ms: row.get(12)?,
    })
}

pub(crate) use crate::sql::ATTEMPT_COLUMNS;

pub(crate) fn attempt(row: &Row<'_>) -> Result<Attempt, StoreError> {
    const T: &str = "attempts";
    let kind: Option<String> = row.get(7)?;
    Ok(Attempt {
        id: parse(T, row.get(0)?)?,
        tenant: parse(T, row.get(1)?)?,
        delivery_id: parse(T, row.get(2)?)?,
        attempt_no: row.get(3)?,
        started_at_ms: row.get(4)?,
        duration_ms: row.get(5)?,
        status: row.get(6)?,
        error_kind: kind
            .map(|k| {
                AttemptErrorKind::parse(&k).ok_or_else(|| StoreError::corrupt(T, format!("unknown error kind `{k}`")))
            })
            .transpose()?,
        error: row.get(8)?,
        response_excerpt: row.get(9)?,
        request: decode_request(row.get(10)?)?,
        response_headers: decode_header_list(row.get(11)?)?,
    })
}

/// Runs `map` over every row of a prepared query.
pub(crate) fn collect<T, P: rusqlite::Params>(
    stmt: &mut rusqlite::Statement<'_>,
    params: P,
    map: impl Fn(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut rows = stmt.query(params)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(map(row)?);
    }
    Ok(out)
}
