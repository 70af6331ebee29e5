//! `/v1/tenants`: the admin creates tenants; a tenant key sees only its own.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use kurir_core::tenant::{validate_name, AttemptLog, Tenant};
use serde::{Deserialize, Serialize};

use crate::auth::{Admin, Caller};
use crate::error::ApiError;
use crate::extract::Json;
use crate::state::AppState;
use crate::time::rfc3339;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TenantIn {
    id: String,
    name: String,
    #[serde(default)]
    attempt_log: Option<String>,
}

#[derive(Serialize)]
pub(crate) struct TenantOut {
    id: String,
    name: String,
    /// Which attempts the log keeps: `full`, `errors` or `none` (DealPOS's webhook-log modes).
    attempt_log: &'static str,
    created_at: String,
}

impl From<Tenant> for TenantOut {
    fn from(tenant: Tenant) -> Self {
        TenantOut {
            id: tenant.id.to_string(),
            name: tenant.name,
            attempt_log: tenant.attempt_log.as_str(),
            created_at: rfc3339(tenant.created_at_ms),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TenantPatch {
    name: Option<String>,
    attempt_log: Option<String>,
}

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/tenants", get(list).post(create)).route("/v1/tenants/{tenant}", get(show).patch(update))
}

async fn show(
    caller: Caller,
    State(state): State<AppState>,
    Path(tenant): Path<String>,
) -> Result<axum::Json<TenantOut>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    Ok(axum::Json(state.store.get_tenant(&tenant).await?.into()))
}

/// Renames a tenant or sets its attempt-log mode; the admin or the tenant's own key may.
async fn update(
    caller: Caller,
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    Json(patch): Json<TenantPatch>,
) -> Result<axum::Json<TenantOut>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let mut current = state.store.get_tenant(&tenant).await?;
    if let Some(name) = patch.name {
        validate_name(&name)?;
        current.name = name;
    }
    if let Some(mode) = patch.attempt_log {
        current.attempt_log = AttemptLog::parse(&mode)?;
    }
    state.store.update_tenant(current.clone()).await?;
    Ok(axum::Json(current.into()))
}

async fn create(
    _: Admin,
    State(state): State<AppState>,
    Json(body): Json<TenantIn>,
) -> Result<(StatusCode, axum::Json<TenantOut>), ApiError> {
    let id = body.id.parse()?;
    validate_name(&body.name)?;
    let attempt_log = body.attempt_log.as_deref().map(AttemptLog::parse).transpose()?.unwrap_or_default();
    let tenant = Tenant { id, name: body.name, attempt_log, created_at_ms: kurir_engine::now_ms() };
    state.store.create_tenant(tenant.clone()).await?;
    Ok((StatusCode::CREATED, axum::Json(tenant.into())))
}

async fn list(caller: Caller, State(state): State<AppState>) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let tenants = match &caller {
        Caller::Admin => state.store.list_tenants().await?,
        Caller::Tenant { tenant, .. } => vec![state.store.get_tenant(tenant).await?],
    };
    let data: Vec<TenantOut> = tenants.into_iter().map(TenantOut::from).collect();
    Ok(axum::Json(serde_json::json!({ "data": data })))
}
