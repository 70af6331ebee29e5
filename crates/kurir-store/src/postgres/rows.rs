//! Rows to kurir-core's types, for PostgreSQL. Column lists match `sqlite/rows.rs`; the JSON columns go through
//! the shared `codec`, so both backends read the same text the same way.

use kurir_core::api_key::ApiKey;
use kurir_core::callout::CalloutProvider;
use kurir_core::circuit::CircuitOverrides;
use kurir_core::delivery::{Attempt, AttemptErrorKind, Delivery, DeliveryState};
use kurir_core::endpoint::{Dialect, Endpoint};
use kurir_core::event::Event;
use kurir_core::rate::RateLimit;
use kurir_core::source::Source;
use kurir_core::tenant::{AttemptLog, Tenant};
use tokio_postgres::types::FromSql;
use tokio_postgres::Row;

use crate::codec::*;
use crate::{CalloutRecord, CustomEventType, StoreError};

/// One column, with a type mismatch reported as a corrupt row of `table`.
pub(crate) fn get<'a, T: FromSql<'a>>(row: &'a Row, table: &'static str, index: usize) -> Result<T, StoreError> {
    row.try_get(index).map_err(|err| StoreError::corrupt(table, err))
}

/// A `BIGINT` column that holds a small unsigned number.
fn number<T: TryFrom<i64>>(row: &Row, table: &'static str, index: usize) -> Result<T, StoreError> {
    let value: i64 = get(row, table, index)?;
    T::try_from(value).map_err(|_| StoreError::corrupt(table, format!("{value} is out of range in column {index}")))
}

fn optional_number<T: TryFrom<i64>>(row: &Row, table: &'static str, index: usize) -> Result<Option<T>, StoreError> {
    let value: Option<i64> = get(row, table, index)?;
    value
        .map(|v| {
            T::try_from(v).map_err(|_| StoreError::corrupt(table, format!("{v} is out of range in column {index}")))
        })
        .transpose()
}

pub(crate) const ENDPOINT_COLUMNS: &str = "id, tenant_id, url, dialect, description, event_types, headers, secrets, \
     retry_schedule, timeout_ms, enabled, disabled_reason, owner_key, created_at, updated_at, zort_keys, \
     signature_headers, auth, max_in_flight, circuit_failures, circuit_cooldown_ms, rate_count, \
     rate_period_ms";

pub(crate) fn endpoint(row: &Row) -> Result<Endpoint, StoreError> {
    const T: &str = "endpoints";
    let dialect: String = get(row, T, 3)?;
    let headers: String = get(row, T, 6)?;
    let secrets: String = get(row, T, 7)?;
    let schedule: Option<String> = get(row, T, 8)?;
    let owner: Option<String> = get(row, T, 12)?;
    Ok(Endpoint {
        id: parse(T, get(row, T, 0)?)?,
        tenant: parse(T, get(row, T, 1)?)?,
        url: get(row, T, 2)?,
        dialect: Dialect::parse(&dialect).map_err(|err| StoreError::corrupt(T, err))?,
        description: get(row, T, 4)?,
        event_types: decode_event_types(get(row, T, 5)?)?,
        headers: decode_headers(&headers)?,
        secrets: decode_secrets(&secrets)?,
        retry_schedule: schedule.map(|text| decode_schedule(&text)).transpose()?,
        timeout_ms: number(row, T, 9)?,
        enabled: get(row, T, 10)?,
        disabled_reason: get(row, T, 11)?,
        owner_key: owner.map(|key| parse(T, key)).transpose()?,
        created_at_ms: get(row, T, 13)?,
        updated_at_ms: get(row, T, 14)?,
        zort_keys: decode_zort_keys(get(row, T, 15)?)?,
        signature_headers: get(row, T, 16)?,
        auth: decode_auth(get(row, T, 17)?)?,
        max_in_flight: get::<Option<i64>>(row, T, 18)?.map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
        circuit: CircuitOverrides {
            failures: get::<Option<i64>>(row, T, 19)?.map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
            cooldown_ms: get::<Option<i64>>(row, T, 20)?.map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
        },
        rate_limit: match (get::<Option<i64>>(row, T, 21)?, get::<Option<i64>>(row, T, 22)?) {
            (Some(count), Some(period_ms)) => Some(
                RateLimit::new(u32::try_from(count).unwrap_or(0), period_ms)
                    .map_err(|err| StoreError::corrupt(T, err))?,
            ),
            _ => None,
        },
    })
}

pub(crate) const EVENT_COLUMNS: &str =
    "id, tenant_id, event_type, payload, ordering_key, origin_key, idempotency_key, created_at, params";

pub(crate) fn event(row: &Row) -> Result<Event, StoreError> {
    event_at(row, 0)
}

/// An event whose `EVENT_COLUMNS` start at column `at` (a join's row).
pub(crate) fn event_at(row: &Row, at: usize) -> Result<Event, StoreError> {
    const T: &str = "events";
    let origin: Option<String> = get(row, T, at + 5)?;
    Ok(Event {
        id: parse(T, get(row, T, at)?)?,
        tenant: parse(T, get(row, T, at + 1)?)?,
        event_type: get(row, T, at + 2)?,
        payload: get(row, T, at + 3)?,
        ordering_key: get(row, T, at + 4)?,
        origin_key: origin.map(|key| parse(T, key)).transpose()?,
        idempotency_key: get(row, T, at + 6)?,
        created_at_ms: get(row, T, at + 7)?,
        params: decode_params(get(row, T, at + 8)?)?,
        // Not stored: it matters only while the event is published.
        subject_endpoint: None,
    })
}

pub(crate) const DELIVERY_COLUMNS: &str = "id, tenant_id, event_id, endpoint_id, event_type, ordering_key, state, \
     attempts, next_attempt_at, last_status, last_error, created_at, updated_at";

pub(crate) fn delivery(row: &Row) -> Result<Delivery, StoreError> {
    const T: &str = "deliveries";
    let state: String = get(row, T, 6)?;
    Ok(Delivery {
        id: parse(T, get(row, T, 0)?)?,
        tenant: parse(T, get(row, T, 1)?)?,
        event_id: parse(T, get(row, T, 2)?)?,
        endpoint_id: parse(T, get(row, T, 3)?)?,
        event_type: get(row, T, 4)?,
        ordering_key: get(row, T, 5)?,
        state: DeliveryState::parse(&state)
            .ok_or_else(|| StoreError::corrupt(T, format!("unknown state `{state}`")))?,
        attempts: number(row, T, 7)?,
        next_attempt_at_ms: get(row, T, 8)?,
        last_status: optional_number(row, T, 9)?,
        last_error: get(row, T, 10)?,
        created_at_ms: get(row, T, 11)?,
        updated_at_ms: get(row, T, 12)?,
    })
}

pub(crate) use crate::sql::ATTEMPT_COLUMNS;

pub(crate) fn attempt(row: &Row) -> Result<Attempt, StoreError> {
    const T: &str = "attempts";
    let kind: Option<String> = get(row, T, 7)?;
    Ok(Attempt {
        id: parse(T, get(row, T, 0)?)?,
        tenant: parse(T, get(row, T, 1)?)?,
        delivery_id: parse(T, get(row, T, 2)?)?,
        attempt_no: number(row, T, 3)?,
        started_at_ms: get(row, T, 4)?,
        duration_ms: number(row, T, 5)?,
        status: optional_number(row, T, 6)?,
        error_kind: kind
            .map(|k| {
                AttemptErrorKind::parse(&k).ok_or_else(|| StoreError::corrupt(T, format!("unknown error kind `{k}`")))
            })
            .transpose()?,
        error: get(row, T, 8)?,
        response_excerpt: get(row, T, 9)?,
        request: decode_request(get(row, T, 10)?)?,
        response_headers: decode_header_list(get(row, T, 11)?)?,
    })
}

pub(crate) const TENANT_COLUMNS: &str =
    "id, name, created_at, attempt_log, publish_rate, retention_days, zort_signature_headers";

pub(crate) fn tenant(row: &Row) -> Result<Tenant, StoreError> {
    const T: &str = "tenants";
    let mode: String = get(row, T, 3)?;
    Ok(Tenant {
        id: parse(T, get(row, T, 0)?)?,
        name: get(row, T, 1)?,
        created_at_ms: get(row, T, 2)?,
        attempt_log: AttemptLog::parse(&mode).map_err(|err| StoreError::corrupt(T, err))?,
        publish_rate: get::<Option<i64>>(row, T, 4)?.map(|rate| u32::try_from(rate).unwrap_or(u32::MAX)),
        retention_days: get::<Option<i64>>(row, T, 5)?.map(|days| u32::try_from(days).unwrap_or(u32::MAX)),
        zort_signature_headers: get(row, T, 6)?,
    })
}

pub(crate) const KEY_COLUMNS: &str = "id, tenant_id, name, secret_hash, created_at, revoked_at";

pub(crate) fn api_key(row: &Row) -> Result<ApiKey, StoreError> {
    const T: &str = "api_keys";
    let hash: Vec<u8> = get(row, T, 3)?;
    Ok(ApiKey {
        id: parse(T, get(row, T, 0)?)?,
        tenant: parse(T, get(row, T, 1)?)?,
        name: get(row, T, 2)?,
        secret_hash: <[u8; 32]>::try_from(hash.as_slice())
            .map_err(|_| StoreError::corrupt(T, "secret hash is not 32 bytes"))?,
        created_at_ms: get(row, T, 4)?,
        revoked_at_ms: get(row, T, 5)?,
    })
}

pub(crate) const EVENT_TYPE_COLUMNS: &str = "tenant_id, name, description, schema, created_at";

pub(crate) fn event_type(row: &Row) -> Result<CustomEventType, StoreError> {
    const T: &str = "event_types";
    Ok(CustomEventType {
        tenant: parse(T, get(row, T, 0)?)?,
        name: get(row, T, 1)?,
        description: get(row, T, 2)?,
        schema: get(row, T, 3)?,
        created_at_ms: get(row, T, 4)?,
    })
}

pub(crate) const SOURCE_COLUMNS: &str = "id, tenant_id, name, verify, strict, created_at";

pub(crate) fn source(row: &Row) -> Result<Source, StoreError> {
    const T: &str = "sources";
    let verify: String = get(row, T, 3)?;
    Ok(Source {
        id: parse(T, get(row, T, 0)?)?,
        tenant: parse(T, get(row, T, 1)?)?,
        name: get(row, T, 2)?,
        verify: decode_verify(&verify)?,
        strict: get(row, T, 4)?,
        created_at_ms: get(row, T, 5)?,
    })
}

pub(crate) const PROVIDER_COLUMNS: &str = "tenant_id, name, url, timeout_ms, headers, updated_at";

pub(crate) fn provider(row: &Row) -> Result<CalloutProvider, StoreError> {
    const T: &str = "callout_providers";
    let headers: String = get(row, T, 4)?;
    Ok(CalloutProvider {
        tenant: parse(T, get(row, T, 0)?)?,
        name: get(row, T, 1)?,
        url: get(row, T, 2)?,
        timeout_ms: number(row, T, 3)?,
        headers: serde_json::from_str(&headers).map_err(|err| StoreError::corrupt(T, err))?,
        updated_at_ms: get(row, T, 5)?,
    })
}

pub(crate) const CALLOUT_LOG_COLUMNS: &str =
    "tenant_id, name, at, duration_ms, status, outcome, error, request, response";

pub(crate) fn callout_record(row: &Row) -> Result<CalloutRecord, StoreError> {
    const T: &str = "callout_log";
    Ok(CalloutRecord {
        tenant: parse(T, get(row, T, 0)?)?,
        name: get(row, T, 1)?,
        at_ms: get(row, T, 2)?,
        duration_ms: number(row, T, 3)?,
        status: optional_number(row, T, 4)?,
        outcome: get(row, T, 5)?,
        error: get(row, T, 6)?,
        request: get(row, T, 7)?,
        response: get(row, T, 8)?,
    })
}

/// Maps every row with `map`.
pub(crate) fn all<T>(rows: Vec<Row>, map: impl Fn(&Row) -> Result<T, StoreError>) -> Result<Vec<T>, StoreError> {
    rows.iter().map(map).collect()
}
