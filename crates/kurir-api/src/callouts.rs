//! The loyalty call-outs: `PUT /v1/tenants/{t}/callout-providers/{name}` says where each goes;
//! `POST /v1/tenants/{t}/callouts/{name}` (a platform) and `POST /in/{source}/callouts/{name}` (DealPOS itself, to
//! a DealPOS source) relay a request to it and answer with the provider's answer.
//!
//! The POS is waiting, so nothing is queued: kurir forwards at once, waits up to the provider's timeout (5 s by
//! default), checks the answer against the documented shape, and answers 502 (the provider failed or answered
//! something undocumented) or 504 (it was too slow) otherwise. A circuit breaker per call-out answers 502 at once
//! while a provider keeps failing, so the till is not held up by a dead provider. Every exchange is logged.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use kurir_core::callout::{self, Callout, CalloutProvider};
use kurir_core::circuit::{Admission, Circuit, CircuitPolicy};
use kurir_core::endpoint;
use kurir_core::id::TenantId;
use kurir_store::CalloutRecord;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::Json;
use crate::state::AppState;
use crate::time::rfc3339;

/// A dead provider fails fast after this many failures in a row, for 30 s at first.
const CIRCUIT: CircuitPolicy =
    CircuitPolicy { failure_threshold: 3, base_cooldown_ms: 30_000, max_cooldown_ms: 300_000, probe_hold_ms: 2_000 };

/// How much of a request and an answer the log keeps.
const EXCERPT_BYTES: usize = 4 * 1024;

/// Circuit state per (tenant, call-out), shared by every request.
#[derive(Default)]
pub struct CalloutCircuits(Mutex<HashMap<(TenantId, String), Circuit>>);

impl CalloutCircuits {
    fn admit(&self, key: &(TenantId, String), now_ms: i64) -> Admission {
        let Ok(mut circuits) = self.0.lock() else { return Admission::Send };
        circuits.entry(key.clone()).or_default().admit(now_ms, &CIRCUIT)
    }

    fn record(&self, key: &(TenantId, String), success: bool, now_ms: i64) {
        if let Ok(mut circuits) = self.0.lock() {
            circuits.entry(key.clone()).or_default().record(success, now_ms, &CIRCUIT);
        }
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/tenants/{tenant}/callout-providers", get(list))
        .route("/v1/tenants/{tenant}/callout-providers/{name}", get(show).put(put).delete(remove))
        .route("/v1/tenants/{tenant}/callout-providers/{name}/log", get(log))
        .route("/v1/tenants/{tenant}/callouts/{name}", post(call))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProviderIn {
    url: String,
    #[serde(default)]
    timeout_ms: Option<u32>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
}

fn describe(provider: &CalloutProvider) -> Value {
    json!({
        "name": provider.name,
        "url": provider.url,
        "timeout_ms": provider.timeout_ms,
        "headers": provider.headers,
        "updated_at": rfc3339(provider.updated_at_ms),
    })
}

fn known(name: &str) -> Result<Callout, ApiError> {
    Callout::get(name).ok_or_else(|| {
        let known = callout::NAMES.join(", ");
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("unknown call-out `{name}`; known: {known}"))
    })
}

async fn put(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, name)): Path<(String, String)>,
    Json(body): Json<ProviderIn>,
) -> Result<axum::Json<Value>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    known(&name)?;
    endpoint::validate_url(&body.url, state.config.allow_private_targets)?;
    endpoint::validate_headers(&body.headers)?;
    let timeout_ms = body.timeout_ms.unwrap_or(callout::DEFAULT_TIMEOUT_MS);
    if !(100..=callout::MAX_TIMEOUT_MS).contains(&timeout_ms) {
        return Err(ApiError::invalid("timeout_ms", format!("must be between 100 and {}", callout::MAX_TIMEOUT_MS)));
    }
    let provider = CalloutProvider {
        tenant,
        name,
        url: body.url,
        timeout_ms,
        headers: body.headers,
        updated_at_ms: kurir_engine::now_ms(),
    };
    state.store.put_callout_provider(provider.clone()).await?;
    Ok(axum::Json(describe(&provider)))
}

async fn show(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, name)): Path<(String, String)>,
) -> Result<axum::Json<Value>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    Ok(axum::Json(describe(&state.store.get_callout_provider(&tenant, &name).await?)))
}

async fn list(
    caller: Caller,
    State(state): State<AppState>,
    Path(tenant): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let data: Vec<Value> = state.store.list_callout_providers(&tenant).await?.iter().map(describe).collect();
    Ok(axum::Json(json!({ "data": data })))
}

async fn remove(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, name)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    state.store.delete_callout_provider(&tenant, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn log(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, name)): Path<(String, String)>,
) -> Result<axum::Json<Value>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let records = state.store.list_callout_log(&tenant, &name, 100).await?;
    let data: Vec<Value> = records
        .into_iter()
        .map(|r| {
            json!({"at": rfc3339(r.at_ms), "duration_ms": r.duration_ms, "status": r.status, "outcome": r.outcome,
                   "error": r.error, "request": r.request, "response": r.response})
        })
        .collect();
    Ok(axum::Json(json!({ "data": data })))
}

async fn call(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, name)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    relay(&state, &tenant, &name, body).await
}

fn excerpt(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(EXCERPT_BYTES)]).into_owned()
}

/// What happened, for the caller and for the log.
struct Exchange {
    status: Option<u16>,
    outcome: &'static str,
    error: Option<String>,
    response: Vec<u8>,
}

/// Relays one call-out request to the tenant's provider and answers with the provider's (checked) answer.
pub async fn relay(state: &AppState, tenant: &TenantId, name: &str, body: Bytes) -> Result<Response, ApiError> {
    let callout = known(name)?;
    let provider = state.store.get_callout_provider(tenant, name).await?;
    serde_json::from_slice::<Value>(&body).map_err(|err| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", format!("the request is not JSON: {err}"))
    })?;
    let key = (tenant.clone(), name.to_owned());
    let started = Instant::now();
    let at_ms = kurir_engine::now_ms();
    let exchange = match state.callout_circuits.admit(&key, at_ms) {
        Admission::Hold { .. } => Exchange {
            status: None,
            outcome: "circuit_open",
            error: Some("the provider failed repeatedly; answering at once until it recovers".into()),
            response: Vec::new(),
        },
        Admission::Send | Admission::Probe => {
            let exchange = forward(state, &callout, &provider, body.clone()).await;
            let success = matches!(exchange.outcome, "ok" | "refused");
            state.callout_circuits.record(&key, success, kurir_engine::now_ms());
            exchange
        }
    };
    let record = CalloutRecord {
        tenant: tenant.clone(),
        name: name.to_owned(),
        at_ms,
        duration_ms: u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX),
        status: exchange.status,
        outcome: exchange.outcome.to_owned(),
        error: exchange.error.clone(),
        request: excerpt(&body),
        response: excerpt(&exchange.response),
    };
    // The POS is waiting: the log write does not hold up the answer.
    let store = Arc::clone(&state.store);
    tokio::spawn(async move {
        if let Err(err) = store.log_callout(record).await {
            tracing::warn!(error = %err, "cannot log a call-out");
        }
    });
    Ok(answer(exchange))
}

async fn forward(state: &AppState, callout: &Callout, provider: &CalloutProvider, body: Bytes) -> Exchange {
    let failed = |outcome, error: String| Exchange { status: None, outcome, error: Some(error), response: Vec::new() };
    let mut request = state
        .http
        .post(&provider.url)
        .timeout(std::time::Duration::from_millis(u64::from(provider.timeout_ms)))
        .header("content-type", "application/json");
    for (header, value) in &provider.headers {
        request = request.header(header, value);
    }
    let response = match request.body(body).send().await {
        Ok(response) => response,
        Err(err) if err.is_timeout() => {
            return failed("timeout", format!("no answer within {} ms", provider.timeout_ms))
        }
        Err(err) => return failed("unreachable", format!("the provider cannot be reached: {err}")),
    };
    let status = response.status().as_u16();
    let bytes = match response.bytes().await {
        Ok(bytes) => bytes.to_vec(),
        Err(err) if err.is_timeout() => {
            return failed("timeout", format!("no answer within {} ms", provider.timeout_ms))
        }
        Err(err) => return failed("unreachable", format!("the answer could not be read: {err}")),
    };
    let parsed: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    match callout.check_answer(status, &parsed) {
        Ok(()) => Exchange {
            status: Some(status),
            outcome: if status == 400 { "refused" } else { "ok" },
            error: None,
            response: bytes,
        },
        Err(err) => {
            Exchange { status: Some(status), outcome: "bad_answer", error: Some(err.to_string()), response: bytes }
        }
    }
}

fn answer(exchange: Exchange) -> Response {
    let error = |status: StatusCode, code: &'static str| {
        ApiError::new(status, code, exchange.error.clone().unwrap_or_default()).into_response()
    };
    match exchange.outcome {
        "ok" | "refused" => {
            let status = exchange.status.and_then(|s| StatusCode::from_u16(s).ok()).unwrap_or(StatusCode::OK);
            (status, [("content-type", "application/json")], exchange.response).into_response()
        }
        "timeout" => error(StatusCode::GATEWAY_TIMEOUT, "provider_timeout"),
        "bad_answer" => error(StatusCode::BAD_GATEWAY, "provider_bad_answer"),
        "circuit_open" => error(StatusCode::BAD_GATEWAY, "provider_circuit_open"),
        _ => error(StatusCode::BAD_GATEWAY, "provider_unreachable"),
    }
}
