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
use kurir_core::callout::{self, Callout, CalloutProvider};
use kurir_core::circuit::{Admission, Circuit, CircuitPolicy};
use kurir_core::endpoint;
use kurir_core::id::TenantId;
use kurir_store::CalloutRecord;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::Json;
use crate::openapi::{ErrorBody, List, TenantParam};
use crate::state::AppState;
use crate::time::rfc3339;

/// A dead provider fails fast after this many failures in a row, for 30 s at first.
const CIRCUIT: CircuitPolicy = CircuitPolicy {
    failure_threshold: 3,
    base_cooldown_ms: 30_000,
    max_cooldown_ms: 300_000,
    probe_hold_ms: 2_000,
    // A call-out provider is not an endpoint: nothing to disable.
    disable_after_ms: 0,
    disable_min_attempts: 0,
};

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

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(show, put, remove))
        .routes(routes!(log))
        .routes(routes!(call))
}

/// The `{tenant}/…/{name}` path parameters of a call-out.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
struct CalloutParams {
    /// The tenant's id.
    tenant: String,
    /// `fetchLoyaltyPoints`, `loyaltyPointOnOrderComplete`, `loyaltyValidateCoupon` or `validateCoupon`.
    name: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ProviderIn {
    /// Where the call-out is relayed to.
    url: String,
    /// 100 to the maximum; 5,000 by default.
    #[serde(default)]
    timeout_ms: Option<u32>,
    /// Extra headers sent to the provider (its credentials, say).
    #[serde(default)]
    headers: BTreeMap<String, String>,
}

/// Where one call-out goes.
#[derive(Serialize, ToSchema)]
struct ProviderOut {
    name: String,
    url: String,
    timeout_ms: u32,
    headers: BTreeMap<String, String>,
    updated_at: String,
}

/// One relayed call-out: what was asked, what the provider answered.
#[derive(Serialize, ToSchema)]
struct CalloutLogOut {
    at: String,
    duration_ms: u32,
    status: Option<u16>,
    /// `ok`, `refused`, `timeout`, `unreachable`, `bad_answer` or `circuit_open`.
    outcome: String,
    error: Option<String>,
    /// The first 4 KiB of the request.
    request: String,
    /// The first 4 KiB of the answer.
    response: String,
}

fn describe(provider: &CalloutProvider) -> ProviderOut {
    ProviderOut {
        name: provider.name.clone(),
        url: provider.url.clone(),
        timeout_ms: provider.timeout_ms,
        headers: provider.headers.clone(),
        updated_at: rfc3339(provider.updated_at_ms),
    }
}

fn known(name: &str) -> Result<Callout, ApiError> {
    Callout::get(name).ok_or_else(|| {
        let known = callout::NAMES.join(", ");
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("unknown call-out `{name}`; known: {known}"))
    })
}

/// Says where a call-out goes: creates or replaces its provider.
#[utoipa::path(put, path = "/v1/tenants/{tenant}/callout-providers/{name}", tag = "callouts",
    operation_id = "put_callout_provider", params(CalloutParams), request_body = ProviderIn,
    responses((status = 200, body = ProviderOut)))]
async fn put(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, name)): Path<(String, String)>,
    Json(body): Json<ProviderIn>,
) -> Result<axum::Json<ProviderOut>, ApiError> {
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

/// One call-out's provider.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/callout-providers/{name}", tag = "callouts",
    operation_id = "get_callout_provider", params(CalloutParams), responses((status = 200, body = ProviderOut)))]
async fn show(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, name)): Path<(String, String)>,
) -> Result<axum::Json<ProviderOut>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    Ok(axum::Json(describe(&state.store.get_callout_provider(&tenant, &name).await?)))
}

/// The tenant's call-out providers.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/callout-providers", tag = "callouts",
    operation_id = "list_callout_providers", params(TenantParam), responses((status = 200, body = List<ProviderOut>)))]
async fn list(
    caller: Caller,
    State(state): State<AppState>,
    Path(tenant): Path<String>,
) -> Result<axum::Json<List<ProviderOut>>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    Ok(List::of(state.store.list_callout_providers(&tenant).await?.iter().map(describe).collect()))
}

/// Removes a call-out's provider: the call-out answers 404 until one is set again.
#[utoipa::path(delete, path = "/v1/tenants/{tenant}/callout-providers/{name}", tag = "callouts",
    operation_id = "delete_callout_provider", params(CalloutParams), responses((status = 204, description = "Removed.")))]
async fn remove(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, name)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    state.store.delete_callout_provider(&tenant, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The latest 100 exchanges of a call-out, newest first.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/callout-providers/{name}/log", tag = "callouts",
    operation_id = "list_callout_log", params(CalloutParams), responses((status = 200, body = List<CalloutLogOut>)))]
async fn log(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, name)): Path<(String, String)>,
) -> Result<axum::Json<List<CalloutLogOut>>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let records = state.store.list_callout_log(&tenant, &name, 100).await?;
    let data = records
        .into_iter()
        .map(|r| CalloutLogOut {
            at: rfc3339(r.at_ms),
            duration_ms: r.duration_ms,
            status: r.status,
            outcome: r.outcome,
            error: r.error,
            request: r.request,
            response: r.response,
        })
        .collect();
    Ok(List::of(data))
}

/// Relays a call-out to the tenant's provider and answers with the provider's answer, checked against the
/// call-out's documented shape. Nothing is queued: the till is waiting.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/callouts/{name}", tag = "callouts", operation_id = "call_callout",
    params(CalloutParams), request_body(content = Value, description = "The call-out's request, as documented."),
    responses(
        (status = 200, description = "The provider's answer.", body = Value),
        (status = 400, description = "The provider refused (its answer), or the request is not JSON.", body = Value),
        (status = 502, description = "The provider failed, answered something undocumented, or keeps failing.",
            body = ErrorBody),
        (status = 504, description = "The provider did not answer in time.", body = ErrorBody),
    ))]
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
