//! Mapping between rows and kurir-core's types. Domain types know nothing of SQL, so the conversions live here;
//! a value that no longer parses becomes [`StoreError::Corrupt`], never a panic.

use std::collections::BTreeMap;
use std::str::FromStr;

use kurir_core::delivery::{Attempt, AttemptErrorKind, Delivery, DeliveryState};
use kurir_core::endpoint::{Dialect, Endpoint, EndpointAuth, SigningSecret, ZortKeys};
use kurir_core::event::{Event, ZortParams};
use kurir_core::retry::RetrySchedule;
use rusqlite::Row;
use serde_json::{json, Value};

use crate::StoreError;

fn corrupt(table: &'static str, message: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt { table, message: message.to_string() }
}

/// Parses an id column into its type.
pub(crate) fn parse<T: FromStr>(table: &'static str, text: String) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|err| corrupt(table, format!("`{text}`: {err}")))
}

pub(crate) const ENDPOINT_COLUMNS: &str = "id, tenant_id, url, dialect, description, event_types, headers, secrets, \
     retry_schedule, timeout_ms, enabled, disabled_reason, owner_key, created_at, updated_at, zort_keys, \
     signature_headers, auth";

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
        dialect: Dialect::parse(&dialect).map_err(|err| corrupt(T, err))?,
        description: row.get(4)?,
        event_types: event_types.map(|text| serde_json::from_str(&text)).transpose().map_err(|err| corrupt(T, err))?,
        headers: serde_json::from_str::<BTreeMap<String, String>>(&headers).map_err(|err| corrupt(T, err))?,
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
    })
}

pub(crate) fn auth_json(auth: Option<&EndpointAuth>) -> Option<String> {
    auth.map(|auth| match auth {
        EndpointAuth::OAuth2 { token_url, client_id, client_secret, scope } => json!({"oauth2": {
            "token_url": token_url, "client_id": client_id, "client_secret": client_secret, "scope": scope,
        }})
        .to_string(),
    })
}

fn decode_auth(text: Option<String>) -> Result<Option<EndpointAuth>, StoreError> {
    let Some(text) = text else { return Ok(None) };
    let value: Value = serde_json::from_str(&text).map_err(|err| corrupt("endpoints", err))?;
    let oauth = &value["oauth2"];
    let field = |name: &str| {
        oauth[name].as_str().map(str::to_owned).ok_or_else(|| corrupt("endpoints", format!("auth {name} missing")))
    };
    Ok(Some(EndpointAuth::OAuth2 {
        token_url: field("token_url")?,
        client_id: field("client_id")?,
        client_secret: field("client_secret")?,
        scope: oauth["scope"].as_str().map(str::to_owned),
    }))
}

fn decode_zort_keys(text: Option<String>) -> Result<Option<ZortKeys>, StoreError> {
    let Some(text) = text else { return Ok(None) };
    let value: Value = serde_json::from_str(&text).map_err(|err| corrupt("endpoints", err))?;
    let key = |name: &str| {
        value[name].as_str().map(str::to_owned).ok_or_else(|| corrupt("endpoints", format!("zort key {name} missing")))
    };
    Ok(Some(ZortKeys { key1: key("key1")?, key2: key("key2")?, key3: key("key3")? }))
}

pub(crate) fn zort_keys_json(keys: Option<&ZortKeys>) -> Option<String> {
    keys.map(|k| json!({"key1": k.key1, "key2": k.key2, "key3": k.key3}).to_string())
}

pub(crate) fn params_json(params: Option<&ZortParams>) -> Option<String> {
    params.map(|p| json!({"id": p.id, "number": p.number, "paymentstatus": p.paymentstatus}).to_string())
}

fn decode_params(text: Option<String>) -> Result<Option<ZortParams>, StoreError> {
    let Some(text) = text else { return Ok(None) };
    let value: Value = serde_json::from_str(&text).map_err(|err| corrupt("events", err))?;
    let field = |name: &str| value[name].as_str().map(str::to_owned);
    Ok(Some(ZortParams { id: field("id"), number: field("number"), paymentstatus: field("paymentstatus") }))
}

/// The JSON columns of an endpoint: (event_types, headers, secrets, retry_schedule).
pub(crate) fn endpoint_json(endpoint: &Endpoint) -> (Option<String>, String, String, Option<String>) {
    let secrets: Vec<Value> =
        endpoint.secrets.iter().map(|s| json!({"secret": s.secret, "expires_at_ms": s.expires_at_ms})).collect();
    (
        endpoint.event_types.as_ref().map(|types| json!(types).to_string()),
        json!(endpoint.headers).to_string(),
        Value::Array(secrets).to_string(),
        endpoint.retry_schedule.as_ref().map(|s| match s.preset_name() {
            Some(name) => json!(name).to_string(),
            None => json!(s.waits_secs()).to_string(),
        }),
    )
}

/// A schedule is stored as its preset's name (`"dealpos"`) or as its list of waits.
fn decode_schedule(text: &str) -> Result<RetrySchedule, StoreError> {
    match serde_json::from_str::<Value>(text).map_err(|err| corrupt("endpoints", err))? {
        Value::String(name) => {
            RetrySchedule::preset(&name).ok_or_else(|| corrupt("endpoints", format!("unknown preset {name}")))
        }
        waits => {
            let waits: Vec<u32> = serde_json::from_value(waits).map_err(|err| corrupt("endpoints", err))?;
            RetrySchedule::new(waits).map_err(|err| corrupt("endpoints", err))
        }
    }
}

fn decode_secrets(text: &str) -> Result<Vec<SigningSecret>, StoreError> {
    let values: Vec<Value> = serde_json::from_str(text).map_err(|err| corrupt("endpoints", err))?;
    values
        .into_iter()
        .map(|value| {
            let secret = value["secret"].as_str().ok_or_else(|| corrupt("endpoints", "secret without text"))?;
            Ok(SigningSecret { secret: secret.to_owned(), expires_at_ms: value["expires_at_ms"].as_i64() })
        })
        .collect()
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
        state: DeliveryState::parse(&state).ok_or_else(|| corrupt(T, format!("unknown state `{state}`")))?,
        attempts: row.get(7)?,
        next_attempt_at_ms: row.get(8)?,
        last_status: row.get(9)?,
        last_error: row.get(10)?,
        created_at_ms: row.get(11)?,
        updated_at_ms: row.get(12)?,
    })
}

pub(crate) const ATTEMPT_COLUMNS: &str =
    "id, tenant_id, delivery_id, attempt_no, started_at, duration_ms, status, error_kind, error, response";

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
            .map(|k| AttemptErrorKind::parse(&k).ok_or_else(|| corrupt(T, format!("unknown error kind `{k}`"))))
            .transpose()?,
        error: row.get(8)?,
        response_excerpt: row.get(9)?,
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
