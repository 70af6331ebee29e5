//! `/v1/tenants`: the admin creates tenants; a tenant key sees only its own.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use kurir_core::tenant::{validate_name, Tenant};
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
}

#[derive(Serialize)]
pub(crate) struct TenantOut {
    id: String,
    name: String,
    created_at: String,
}

impl From<Tenant> for TenantOut {
    fn from(tenant: Tenant) -> Self {
        TenantOut { id: tenant.id.to_string(), name: tenant.name, created_at: rfc3339(tenant.created_at_ms) }
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/tenants", get(list).post(create))
}

async fn create(
    _: Admin,
    State(state): State<AppState>,
    Json(body): Json<TenantIn>,
) -> Result<(StatusCode, axum::Json<TenantOut>), ApiError> {
    let id = body.id.parse()?;
    validate_name(&body.name)?;
    let tenant = Tenant { id, name: body.name, created_at_ms: kurir_engine::now_ms() };
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
