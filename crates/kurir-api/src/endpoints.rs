//! `/v1/tenants/{tenant}/endpoints`: where deliveries go.
//!
//! Create and PATCH share one path: a PATCH overlays its fields on the endpoint's current settings and the
//! result is validated exactly like a new endpoint, so there is one set of rules.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use kurir_core::circuit::CircuitOverrides;
use kurir_core::endpoint::{self, Dialect, Endpoint, EndpointAuth, SigningSecret, ZortKeys, DEFAULT_TIMEOUT_MS};
use kurir_core::id::{ApiKeyId, EndpointId, TenantId};
use kurir_core::rate::RateLimit;
use kurir_core::retry::RetrySchedule;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{parse_json, Json};
use crate::openapi::{List, TenantParam};
use crate::state::AppState;
use crate::time::{parse_rfc3339, rfc3339};

/// The editable settings of an endpoint, as the API takes them.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct EndpointIn {
    url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dialect: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    /// Absent or null: every event type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    event_types: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    headers: Option<BTreeMap<String, String>>,
    /// `whsec_…` (HMAC, `v1`) or `whsk_…` (an ed25519 key pair, `v1a`); generated when absent. Only on create:
    /// PATCH cannot set it (use rotate-secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    /// The scheme of a generated key: `v1` (HMAC, the default) or `v1a` (ed25519). Only on create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signature_scheme: Option<String>,
    /// A list of waits in seconds, or a preset name (`default`, `dealpos`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry_schedule: Option<ScheduleIn>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    timeout_ms: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    owner_key: Option<String>,
    /// The three ZORT key headers; required by the `zort` dialect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    zort: Option<ZortKeysIn>,
    /// Whether kurir's `webhook-*` signature headers go along in the `dealpos` and `zort` dialects (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signature_headers: Option<bool>,
    /// `{"type": "oauth2", "token_url", "client_id", "client_secret", "scope"?}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    auth: Option<AuthIn>,
    /// At most this many attempts at once to this endpoint, on every node together (1-1000; the server's
    /// `--endpoint-max-in-flight`, 512 by default, when absent, and never above it): for a small receiver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_in_flight: Option<u32>,
    /// Failures in a row that open its circuit (1-100; the server's `--circuit-failures`, 5, when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    circuit_failures: Option<u32>,
    /// How long its open circuit first holds deliveries, in ms (1000-3600000; the server's
    /// `--circuit-cooldown-ms`, 30000, when absent); it doubles after each failed probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    circuit_cooldown_ms: Option<u32>,
    /// At most `count` deliveries per `per` (`second` or `minute`), for the endpoint as a whole on every node;
    /// beyond it deliveries wait in the queue, none is dropped. Absent: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rate_limit: Option<RateLimitIn>,
}

/// An endpoint's rate limit.
#[derive(Deserialize, Serialize, ToSchema, Clone, Copy)]
#[serde(deny_unknown_fields)]
struct RateLimitIn {
    /// 1 to 100,000.
    count: u32,
    /// `second` or `minute`.
    per: Per,
}

#[derive(Deserialize, Serialize, ToSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Per {
    Second,
    Minute,
}

impl RateLimitIn {
    fn limit(self) -> Result<RateLimit, ApiError> {
        let period_ms = match self.per {
            Per::Second => RateLimit::SECOND,
            Per::Minute => RateLimit::MINUTE,
        };
        Ok(RateLimit::new(self.count, period_ms)?)
    }

    fn of(limit: RateLimit) -> RateLimitIn {
        let per = if limit.period_ms == RateLimit::MINUTE { Per::Minute } else { Per::Second };
        RateLimitIn { count: limit.count, per }
    }
}

/// How kurir authenticates to the receiver, beside the signature: an OAuth 2 client-credentials token.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields, tag = "type", rename_all = "lowercase")]
enum AuthIn {
    Oauth2 {
        token_url: String,
        client_id: String,
        client_secret: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scope: Option<String>,
    },
}

impl From<AuthIn> for EndpointAuth {
    fn from(auth: AuthIn) -> Self {
        match auth {
            AuthIn::Oauth2 { token_url, client_id, client_secret, scope } => {
                EndpointAuth::OAuth2 { token_url, client_id, client_secret, scope }
            }
        }
    }
}

/// ZORT's three key headers (`storename`, `apikey`, `apisecret`). Shown masked.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ZortKeysIn {
    key1: String,
    key2: String,
    key3: String,
}

/// The waits between attempts in seconds (`[5, 300, 1800]`), or a preset's name (`default`, `dealpos`).
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(untagged)]
enum ScheduleIn {
    Waits(Vec<u32>),
    Preset(String),
}

#[derive(Serialize, ToSchema)]
struct EndpointOut {
    id: String,
    url: String,
    dialect: &'static str,
    description: String,
    event_types: Option<Vec<String>>,
    headers: BTreeMap<String, String>,
    retry_schedule: Vec<u32>,
    /// The preset the schedule came from (`default`, `dealpos`), if any.
    retry_preset: Option<&'static str>,
    timeout_ms: u32,
    enabled: bool,
    disabled_reason: Option<String>,
    owner_key: Option<String>,
    zort: Option<ZortKeysIn>,
    signature_headers: bool,
    /// The OAuth settings without the client secret.
    auth: Option<AuthOut>,
    /// Its own in-flight limit; null: the server's.
    max_in_flight: Option<u32>,
    /// Its own circuit settings; null: the server's.
    circuit_failures: Option<u32>,
    circuit_cooldown_ms: Option<u32>,
    /// Its rate limit; null: none.
    rate_limit: Option<RateLimitIn>,
    created_at: String,
    updated_at: String,
    /// What receivers verify with (on create only): the `whsec_` secret, or the `whpk_` public key.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    /// `v1` (HMAC-SHA256 with a shared secret) or `v1a` (ed25519; receivers hold only the public key).
    signature_scheme: &'static str,
    /// The circuit breaker, on a single endpoint's page.
    #[serde(skip_serializing_if = "Option::is_none")]
    circuit: Option<CircuitOut>,
}

/// An endpoint's OAuth 2 settings, without the client secret.
#[derive(Serialize, ToSchema)]
struct AuthOut {
    /// Always `oauth2`.
    #[serde(rename = "type")]
    kind: &'static str,
    token_url: String,
    client_id: String,
    scope: Option<String>,
}

/// An endpoint's circuit breaker: why deliveries may wait longer than the retry schedule says.
#[derive(Serialize, ToSchema)]
struct CircuitOut {
    /// `closed`, `open` or `probing`.
    state: &'static str,
    consecutive_failures: u32,
    /// While open: when the next probe may go.
    held_until: Option<String>,
    /// Attempts at once kurir lets it have now: its adaptive window (it starts at 4, grows while the endpoint
    /// answers fast and halves when it is overloaded), never above its `max_in_flight` nor the server's limit.
    /// A server started with `--fixed-concurrency` gives it that whole limit instead.
    concurrency_window: u32,
}

/// The fields of [`EndpointIn`] a PATCH may carry, each optional: a field present replaces the current value, a
/// null one resets it to its default. The secret cannot be set here (use rotate-secret).
#[derive(ToSchema)]
#[allow(dead_code)]
struct EndpointPatch {
    url: Option<String>,
    dialect: Option<String>,
    description: Option<String>,
    event_types: Option<Vec<String>>,
    headers: Option<BTreeMap<String, String>>,
    retry_schedule: Option<ScheduleIn>,
    timeout_ms: Option<u32>,
    enabled: Option<bool>,
    owner_key: Option<String>,
    zort: Option<ZortKeysIn>,
    signature_headers: Option<bool>,
    auth: Option<AuthIn>,
    max_in_flight: Option<u32>,
    circuit_failures: Option<u32>,
    circuit_cooldown_ms: Option<u32>,
    rate_limit: Option<RateLimitIn>,
}

#[derive(Serialize, ToSchema)]
struct RecoveredOut {
    /// How many dead deliveries are due again.
    recovered: u64,
}

#[derive(Serialize, ToSchema)]
struct ResumedOut {
    /// How many waiting deliveries are due now.
    resumed: u64,
}

#[derive(Serialize, ToSchema)]
struct TestSentOut {
    event_id: String,
    delivery_id: String,
}

/// The `{tenant}/endpoints/{endpoint}` path parameters.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub(crate) struct EndpointParams {
    /// The tenant's id.
    tenant: String,
    /// The endpoint's id.
    endpoint: String,
}

impl EndpointOut {
    fn new(endpoint: Endpoint, with_secret: bool) -> Self {
        let secret = with_secret.then(|| crate::signing::receiver_key(&endpoint)).flatten();
        let signature_scheme = crate::signing::scheme_of(&endpoint);
        EndpointOut {
            id: endpoint.id.to_string(),
            url: endpoint.url.clone(),
            dialect: endpoint.dialect.as_str(),
            retry_schedule: endpoint.schedule().waits_secs().to_vec(),
            retry_preset: endpoint.retry_schedule.as_ref().and_then(|s| s.preset_name()),
            description: endpoint.description,
            event_types: endpoint.event_types,
            // Header values and ZORT keys are credentials: shown as set, with their last four characters.
            headers: endpoint.headers.iter().map(|(name, value)| (name.clone(), endpoint::masked(value))).collect(),
            timeout_ms: endpoint.timeout_ms,
            enabled: endpoint.enabled,
            disabled_reason: endpoint.disabled_reason,
            owner_key: endpoint.owner_key.map(|k| k.to_string()),
            zort: endpoint.zort_keys.map(|k| ZortKeysIn {
                key1: endpoint::masked(&k.key1),
                key2: endpoint::masked(&k.key2),
                key3: endpoint::masked(&k.key3),
            }),
            signature_headers: endpoint.signature_headers,
            auth: endpoint.auth.as_ref().map(|auth| match auth {
                EndpointAuth::OAuth2 { token_url, client_id, scope, .. } => AuthOut {
                    kind: "oauth2",
                    token_url: token_url.clone(),
                    client_id: client_id.clone(),
                    scope: scope.clone(),
                },
            }),
            max_in_flight: endpoint.max_in_flight,
            circuit_failures: endpoint.circuit.failures,
            circuit_cooldown_ms: endpoint.circuit.cooldown_ms,
            rate_limit: endpoint.rate_limit.map(RateLimitIn::of),
            created_at: rfc3339(endpoint.created_at_ms),
            updated_at: rfc3339(endpoint.updated_at_ms),
            secret,
            signature_scheme,
            circuit: None,
        }
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update, remove))
        .routes(routes!(crate::signing::show_secret))
        .routes(routes!(crate::signing::rotate_secret))
        .routes(routes!(recover))
        .routes(routes!(resume))
        .routes(routes!(send_test))
}

pub(crate) fn endpoint_id(text: &str) -> Result<EndpointId, ApiError> {
    text.parse().map_err(|_| ApiError::not_found("endpoint"))
}

/// Validates settings into an endpoint. `existing` keeps identity, secrets and creation time on a PATCH.
async fn build(
    state: &AppState,
    tenant: &TenantId,
    body: EndpointIn,
    existing: Option<Endpoint>,
) -> Result<Endpoint, ApiError> {
    endpoint::validate_url(&body.url, state.config.allow_private_targets)?;
    let dialect = Dialect::parse(body.dialect.as_deref().unwrap_or("standard"))?;
    let description = body.description.unwrap_or_default();
    if description.chars().count() > 1_000 {
        return Err(ApiError::invalid("description", "must be at most 1000 characters"));
    }
    if let Some(types) = &body.event_types {
        for (index, name) in types.iter().enumerate() {
            if state.event_type(tenant, name).await?.is_none() {
                return Err(ApiError::invalid(format!("event_types[{index}]"), format!("unknown event type `{name}`")));
            }
        }
    }
    endpoint::check_dealpos_url(dialect, &body.url, body.event_types.as_deref())?;
    let headers = body.headers.unwrap_or_default();
    endpoint::validate_headers(&headers)?;
    let retry_schedule = match body.retry_schedule {
        None => None,
        Some(ScheduleIn::Waits(waits)) => Some(RetrySchedule::new(waits)?),
        Some(ScheduleIn::Preset(name)) => Some(RetrySchedule::preset(&name).ok_or_else(|| {
            ApiError::invalid("retry_schedule", format!("unknown preset `{name}`; known: default, dealpos"))
        })?),
    };
    // DealPOS waits 30 s for an answer; its preset brings that timeout along unless one is given.
    let preset_timeout = retry_schedule.as_ref().and_then(|s| (s.preset_name() == Some("dealpos")).then_some(30_000));
    let timeout_ms = body.timeout_ms.or(preset_timeout).unwrap_or(DEFAULT_TIMEOUT_MS);
    endpoint::validate_timeout_ms(timeout_ms)?;
    let zort_keys = match (dialect, body.zort) {
        (Dialect::Zort, Some(keys)) => {
            let keys = ZortKeys { key1: keys.key1, key2: keys.key2, key3: keys.key3 };
            keys.validate()?;
            Some(keys)
        }
        (Dialect::Zort, None) => {
            return Err(ApiError::invalid("zort", "the zort dialect needs {\"key1\", \"key2\", \"key3\"}"))
        }
        (_, Some(_)) => return Err(ApiError::invalid("zort", "ZORT keys apply only to the zort dialect")),
        (_, None) => None,
    };
    body.max_in_flight.map(endpoint::validate_max_in_flight).transpose()?;
    let circuit = CircuitOverrides { failures: body.circuit_failures, cooldown_ms: body.circuit_cooldown_ms };
    circuit.validate()?;
    let rate_limit = body.rate_limit.map(RateLimitIn::limit).transpose()?;
    let auth = body.auth.map(EndpointAuth::from);
    if let Some(auth) = &auth {
        auth.validate(state.config.allow_private_targets)?;
    }
    let owner_key = match body.owner_key {
        None => None,
        Some(text) => Some(owner_key(state, tenant, &text).await?),
    };
    let now = kurir_engine::now_ms();
    let enabled = body.enabled.unwrap_or(true);
    let (id, secrets, created_at_ms, disabled_reason) = match existing {
        Some(old) => {
            if body.secret.is_some() {
                return Err(ApiError::invalid("secret", "cannot be changed here; use rotate-secret"));
            }
            if body.signature_scheme.is_some() {
                return Err(ApiError::invalid("signature_scheme", "cannot be changed here; use rotate-secret"));
            }
            let reason = if enabled { None } else { old.disabled_reason };
            (old.id, old.secrets, old.created_at_ms, reason)
        }
        None => {
            let key = crate::signing::new_key(body.secret.as_deref(), body.signature_scheme.as_deref())?;
            let secrets = vec![SigningSecret { secret: key.expose(), expires_at_ms: None }];
            (EndpointId::generate(now as u64, rand::random()), secrets, now, None)
        }
    };
    Ok(Endpoint {
        id,
        tenant: tenant.clone(),
        url: body.url,
        dialect,
        description,
        event_types: body.event_types,
        headers,
        secrets,
        retry_schedule,
        timeout_ms,
        enabled,
        disabled_reason,
        owner_key,
        zort_keys,
        signature_headers: body.signature_headers.unwrap_or(true),
        auth,
        max_in_flight: body.max_in_flight,
        circuit,
        rate_limit,
        created_at_ms,
        updated_at_ms: now,
    })
}

/// An owner key must be one of the tenant's own keys.
async fn owner_key(state: &AppState, tenant: &TenantId, text: &str) -> Result<ApiKeyId, ApiError> {
    let unknown = || ApiError::invalid("owner_key", "is not an API key of this tenant");
    let key: ApiKeyId = text.parse().map_err(|_| unknown())?;
    let keys = state.store.list_api_keys(tenant).await?;
    keys.iter().any(|k| k.id == key).then_some(key).ok_or_else(unknown)
}

/// Creates an endpoint. The answer carries its signing secret (generated unless given).
#[utoipa::path(post, path = "/v1/tenants/{tenant}/endpoints", tag = "endpoints", operation_id = "create_endpoint",
    params(TenantParam), request_body = EndpointIn, responses((status = 201, body = EndpointOut)))]
async fn create(
    caller: Caller,
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    Json(body): Json<EndpointIn>,
) -> Result<(StatusCode, axum::Json<EndpointOut>), ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let endpoint = build(&state, &tenant, body, None).await?;
    state.store.create_endpoint(endpoint.clone()).await?;
    Ok((StatusCode::CREATED, axum::Json(EndpointOut::new(endpoint, true))))
}

/// Creates an endpoint from settings in the REST body's shape (the dashboard's form comes through here, so its
/// errors name the same fields).
pub async fn create_from(state: &AppState, tenant: &TenantId, settings: Value) -> Result<Endpoint, ApiError> {
    let body: EndpointIn = parse_json(settings.to_string().as_bytes())?;
    let endpoint = build(state, tenant, body, None).await?;
    state.store.create_endpoint(endpoint.clone()).await?;
    Ok(endpoint)
}

/// The tenant's endpoints.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/endpoints", tag = "endpoints", operation_id = "list_endpoints",
    params(TenantParam), responses((status = 200, body = List<EndpointOut>)))]
async fn list(
    caller: Caller,
    State(state): State<AppState>,
    Path(tenant): Path<String>,
) -> Result<axum::Json<List<EndpointOut>>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let endpoints = state.store.list_endpoints(&tenant).await?;
    let data: Vec<EndpointOut> = endpoints.into_iter().map(|e| EndpointOut::new(e, false)).collect();
    Ok(List::of(data))
}

/// One endpoint, with its circuit breaker's state.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/endpoints/{endpoint}", tag = "endpoints",
    operation_id = "get_endpoint", params(EndpointParams), responses((status = 200, body = EndpointOut)))]
async fn show(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<axum::Json<EndpointOut>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let id = endpoint_id(&id)?;
    let endpoint = state.store.get_endpoint(&tenant, &id).await?;
    let circuit = state.store.endpoint_circuit(&tenant, &id).await?;
    let now = kurir_engine::now_ms();
    let concurrency_window = state.config.concurrency_now(&endpoint, &circuit);
    let mut out = EndpointOut::new(endpoint, false);
    // Why deliveries may wait longer than the retry schedule says: an open circuit holds them until its probe.
    out.circuit = Some(CircuitOut {
        state: circuit.state_name(),
        consecutive_failures: circuit.consecutive_failures(),
        held_until: circuit.held_until(now).map(rfc3339),
        concurrency_window,
    });
    Ok(axum::Json(out))
}

/// The current settings in `EndpointIn`'s shape, so a PATCH can overlay fields on them.
fn editable_settings(endpoint: &Endpoint) -> Value {
    json!({
        "url": endpoint.url,
        "dialect": endpoint.dialect.as_str(),
        "description": endpoint.description,
        "event_types": endpoint.event_types,
        "headers": endpoint.headers,
        "retry_schedule": endpoint.retry_schedule.as_ref().map(|s| match s.preset_name() {
            Some(name) => json!(name),
            None => json!(s.waits_secs()),
        }),
        "timeout_ms": endpoint.timeout_ms,
        "enabled": endpoint.enabled,
        "owner_key": endpoint.owner_key.as_ref().map(ToString::to_string),
        "zort": endpoint.zort_keys.as_ref().map(|k| json!({"key1": k.key1, "key2": k.key2, "key3": k.key3})),
        "signature_headers": endpoint.signature_headers,
        "max_in_flight": endpoint.max_in_flight,
        "circuit_failures": endpoint.circuit.failures,
        "circuit_cooldown_ms": endpoint.circuit.cooldown_ms,
        "rate_limit": endpoint.rate_limit.map(RateLimitIn::of),
        "auth": endpoint.auth.as_ref().map(|auth| match auth {
            EndpointAuth::OAuth2 { token_url, client_id, client_secret, scope } => json!({
                "type": "oauth2", "token_url": token_url, "client_id": client_id, "client_secret": client_secret,
                "scope": scope,
            }),
        }),
    })
}

/// Changes some of an endpoint's settings; the result is validated like a new endpoint.
#[utoipa::path(patch, path = "/v1/tenants/{tenant}/endpoints/{endpoint}", tag = "endpoints",
    operation_id = "update_endpoint", params(EndpointParams), request_body = EndpointPatch,
    responses((status = 200, body = EndpointOut)))]
async fn update(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
    Json(patch): Json<serde_json::Map<String, Value>>,
) -> Result<axum::Json<EndpointOut>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let endpoint = patch_endpoint(&state, &tenant, &id, patch).await?;
    Ok(axum::Json(EndpointOut::new(endpoint, false)))
}

/// Overlays `patch` (fields in the REST body's shape) on an endpoint's settings, validates the result like a new
/// endpoint, and stores it.
pub async fn patch_endpoint(
    state: &AppState,
    tenant: &TenantId,
    id: &str,
    patch: serde_json::Map<String, Value>,
) -> Result<Endpoint, ApiError> {
    let current = state.store.get_endpoint(tenant, &endpoint_id(id)?).await?;
    let mut merged = editable_settings(&current);
    for (field, value) in patch {
        merged[field] = value;
    }
    let merged = Value::Object(
        merged.as_object().cloned().unwrap_or_default().into_iter().filter(|(_, v)| !v.is_null()).collect(),
    );
    let body: EndpointIn = parse_json(merged.to_string().as_bytes())?;
    let was_enabled = current.enabled;
    let endpoint = build(state, tenant, body, Some(current)).await?;
    state.store.update_endpoint(endpoint.clone()).await?;
    if endpoint.enabled && !was_enabled {
        // Enabled again: a fresh start, not the failure streak that disabled it (which would disable it again at
        // its next failure), and what waits for it goes now.
        state.store.resume_endpoint(tenant, &endpoint.id, kurir_engine::now_ms()).await?;
        state.waker.wake();
    }
    Ok(endpoint)
}

/// Deletes an endpoint; what was waiting for it is not sent.
#[utoipa::path(delete, path = "/v1/tenants/{tenant}/endpoints/{endpoint}", tag = "endpoints",
    operation_id = "delete_endpoint", params(EndpointParams), responses((status = 204, description = "Deleted.")))]
async fn remove(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    state.store.delete_endpoint(&tenant, &endpoint_id(&id)?, kurir_engine::now_ms()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RecoverIn {
    /// RFC 3339: deliveries that died since then are sent again.
    #[schema(example = "2026-11-24T08:00:00Z")]
    since: String,
}

/// Sends again every delivery of this endpoint that died since a time.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/endpoints/{endpoint}/recover", tag = "endpoints",
    operation_id = "recover_endpoint", params(EndpointParams), request_body = RecoverIn,
    responses((status = 202, body = RecoveredOut)))]
async fn recover(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
    Json(body): Json<RecoverIn>,
) -> Result<(StatusCode, axum::Json<RecoveredOut>), ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let since_ms = parse_rfc3339("since", &body.since)?;
    let recovered = recover_since(&state, &tenant, &id, since_ms).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(RecoveredOut { recovered })))
}

/// Sends again every delivery of an endpoint that died since `since_ms`; how many.
pub async fn recover_since(state: &AppState, tenant: &TenantId, id: &str, since_ms: i64) -> Result<u64, ApiError> {
    let recovered = state.store.recover_endpoint(tenant, &endpoint_id(id)?, since_ms, kurir_engine::now_ms()).await?;
    state.waker.wake();
    Ok(recovered)
}

/// "The receiver is back": closes the endpoint's circuit and sends now what waits for it.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/endpoints/{endpoint}/resume", tag = "endpoints",
    operation_id = "resume_endpoint", params(EndpointParams), responses((status = 202, body = ResumedOut)))]
async fn resume(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<(StatusCode, axum::Json<ResumedOut>), ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let resumed = resume_now(&state, &tenant, &id).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(ResumedOut { resumed })))
}

/// Closes an endpoint's circuit and makes what waits for it due now; how many deliveries.
pub async fn resume_now(state: &AppState, tenant: &TenantId, id: &str) -> Result<u64, ApiError> {
    let resumed = state.store.resume_endpoint(tenant, &endpoint_id(id)?, kurir_engine::now_ms()).await?;
    state.waker.wake();
    Ok(resumed)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TestIn {
    /// The event type whose catalog example is sent.
    #[serde(rename = "type")]
    event_type: String,
}

/// DealPOS's "Test Webhook": sends the catalog example of a type to this endpoint alone, as a real event whose
/// delivery and attempts can be followed like any other.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/endpoints/{endpoint}/test", tag = "endpoints",
    operation_id = "send_test_event", params(EndpointParams), request_body = TestIn,
    responses((status = 202, body = TestSentOut)))]
async fn send_test(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
    Json(body): Json<TestIn>,
) -> Result<(StatusCode, axum::Json<TestSentOut>), ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let (event_id, delivery) = send_test_event(&state, &tenant, &id, &body.event_type, caller.key()).await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(TestSentOut { event_id: event_id.to_string(), delivery_id: delivery.to_string() }),
    ))
}

/// Sends the catalog example of `type_name` to one endpoint as a real event: its id and the delivery's.
pub async fn send_test_event(
    state: &AppState,
    tenant: &TenantId,
    id: &str,
    type_name: &str,
    origin: Option<&ApiKeyId>,
) -> Result<(kurir_core::id::EventId, kurir_core::id::DeliveryId), ApiError> {
    let endpoint = endpoint_id(id)?;
    let event_type = state
        .event_type(tenant, type_name)
        .await?
        .ok_or_else(|| ApiError::invalid("type", format!("unknown event type `{type_name}`")))?;
    let example = event_type
        .examples
        .first()
        .ok_or_else(|| ApiError::invalid("type", format!("`{type_name}` has no example to send")))?;
    let now = kurir_engine::now_ms();
    let event = kurir_core::event::Event {
        id: kurir_core::id::EventId::generate(now as u64, rand::random()),
        tenant: tenant.clone(),
        event_type: event_type.name.clone(),
        payload: example.payload.to_string(),
        ordering_key: event_type.ordering_key(&example.payload),
        origin_key: origin.cloned(),
        idempotency_key: None,
        params: None,
        created_at_ms: now,
        subject_endpoint: None,
    };
    let event_id = event.id.clone();
    let delivery = state.store.publish_to(tenant, event, &endpoint).await?;
    state.waker.wake();
    Ok((event_id, delivery))
}
