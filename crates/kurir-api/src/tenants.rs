//! `/v1/tenants`: the admin creates tenants; a tenant key sees only its own.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use kurir_core::tenant::{validate_name, validate_publish_rate, validate_retention_days, AttemptLog, Tenant};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Admin, Caller};
use crate::error::ApiError;
use crate::extract::Json;
use crate::openapi::{ErrorBody, List, TenantParam};
use crate::state::AppState;
use crate::time::rfc3339;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TenantIn {
    /// Letters, digits, `-` and `_`; the tenant's id in every path.
    #[schema(example = "store-1")]
    id: String,
    name: String,
    /// `full` (the default), `errors` or `none`.
    #[serde(default)]
    attempt_log: Option<String>,
    /// Events a second the tenant may publish (in bursts of as many); absent or null: no limit.
    #[serde(default)]
    publish_rate: Option<u32>,
    /// Days its history (events, deliveries, attempts, logs) is kept; absent or null: the server's default.
    #[serde(default)]
    retention_days: Option<u32>,
    /// Whether the endpoints ZORT's UpdateWebhook makes carry kurir's `webhook-*` signature headers beside ZORT's
    /// own (true, the default), or only ZORT's headers.
    #[serde(default)]
    zort_signature_headers: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct TenantOut {
    id: String,
    name: String,
    /// Which attempts the log keeps: `full`, `errors` or `none` (DealPOS's webhook-log modes).
    attempt_log: &'static str,
    /// Events a second the tenant may publish; null: no limit.
    publish_rate: Option<u32>,
    /// Days its history is kept; null: the server's default (`--retention-days`, 30 unless set).
    retention_days: Option<u32>,
    /// Whether UpdateWebhook's endpoints carry kurir's signature headers beside ZORT's own.
    zort_signature_headers: bool,
    created_at: String,
}

impl From<Tenant> for TenantOut {
    fn from(tenant: Tenant) -> Self {
        TenantOut {
            id: tenant.id.to_string(),
            name: tenant.name,
            attempt_log: tenant.attempt_log.as_str(),
            publish_rate: tenant.publish_rate,
            retention_days: tenant.retention_days,
            zort_signature_headers: tenant.zort_signature_headers,
            created_at: rfc3339(tenant.created_at_ms),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TenantPatch {
    name: Option<String>,
    attempt_log: Option<String>,
    /// A number sets the limit; null removes it; absent leaves it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>)]
    publish_rate: Option<Option<u32>>,
    /// A number of days sets it; null goes back to the server's default; absent leaves it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>)]
    retention_days: Option<Option<u32>>,
    /// Switches kurir's signature headers on or off for every endpoint UpdateWebhook made and makes.
    zort_signature_headers: Option<bool>,
}

/// A field that may be absent (outer `None`), null (`Some(None)`) or a value.
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(de: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(de).map(Some)
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(show, update))
}

/// One tenant.
#[utoipa::path(get, path = "/v1/tenants/{tenant}", tag = "tenants", operation_id = "get_tenant", params(TenantParam),
    responses((status = 200, body = TenantOut)))]
async fn show(
    caller: Caller,
    State(state): State<AppState>,
    Path(tenant): Path<String>,
) -> Result<axum::Json<TenantOut>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    Ok(axum::Json(state.store.get_tenant(&tenant).await?.into()))
}

/// Renames a tenant or sets its attempt-log mode (the admin or the tenant's own key), or its publish rate (the
/// admin only).
#[utoipa::path(patch, path = "/v1/tenants/{tenant}", tag = "tenants", operation_id = "update_tenant",
    params(TenantParam), request_body = TenantPatch,
    responses((status = 200, body = TenantOut),
        (status = 403, description = "A tenant key tried to set the publish rate or the retention.", body = ErrorBody)))]
async fn update(
    caller: Caller,
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    Json(patch): Json<TenantPatch>,
) -> Result<axum::Json<TenantOut>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    if (patch.publish_rate.is_some() || patch.retention_days.is_some()) && caller != Caller::Admin {
        return Err(ApiError::forbidden("only the admin sets a tenant's publish rate and retention"));
    }
    let mut current = state.store.get_tenant(&tenant).await?;
    if let Some(name) = patch.name {
        validate_name(&name)?;
        current.name = name;
    }
    if let Some(mode) = patch.attempt_log {
        current.attempt_log = AttemptLog::parse(&mode)?;
    }
    if let Some(rate) = patch.publish_rate {
        rate.map(validate_publish_rate).transpose()?;
        current.publish_rate = rate;
    }
    if let Some(days) = patch.retention_days {
        days.map(validate_retention_days).transpose()?;
        current.retention_days = days;
    }
    let zort_headers_changed =
        patch.zort_signature_headers.is_some_and(|wanted| wanted != current.zort_signature_headers);
    if let Some(wanted) = patch.zort_signature_headers {
        current.zort_signature_headers = wanted;
    }
    state.store.update_tenant(current.clone()).await?;
    if zort_headers_changed {
        crate::zort_compat::apply_signature_choice(&state, &current).await?;
    }
    state.publish_rates.remember(&current.id, current.publish_rate);
    Ok(axum::Json(current.into()))
}

/// Creates a tenant (the admin only).
#[utoipa::path(post, path = "/v1/tenants", tag = "tenants", operation_id = "create_tenant", request_body = TenantIn,
    security(("admin_token" = [])),
    responses((status = 201, body = TenantOut), (status = 409, description = "A tenant with this id exists.", body = ErrorBody)))]
async fn create(
    _: Admin,
    State(state): State<AppState>,
    Json(body): Json<TenantIn>,
) -> Result<(StatusCode, axum::Json<TenantOut>), ApiError> {
    let id = body.id.parse()?;
    validate_name(&body.name)?;
    let attempt_log = body.attempt_log.as_deref().map(AttemptLog::parse).transpose()?.unwrap_or_default();
    body.publish_rate.map(validate_publish_rate).transpose()?;
    body.retention_days.map(validate_retention_days).transpose()?;
    let tenant = Tenant {
        id,
        name: body.name,
        attempt_log,
        created_at_ms: kurir_engine::now_ms(),
        publish_rate: body.publish_rate,
        retention_days: body.retention_days,
        zort_signature_headers: body.zort_signature_headers.unwrap_or(true),
    };
    state.store.create_tenant(tenant.clone()).await?;
    Ok((StatusCode::CREATED, axum::Json(tenant.into())))
}

/// Every tenant for the admin; a tenant key sees its own.
#[utoipa::path(get, path = "/v1/tenants", tag = "tenants", operation_id = "list_tenants",
    responses((status = 200, body = List<TenantOut>)))]
async fn list(caller: Caller, State(state): State<AppState>) -> Result<axum::Json<List<TenantOut>>, ApiError> {
    let tenants = match &caller {
        Caller::Admin => state.store.list_tenants().await?,
        Caller::Tenant { tenant, .. } => vec![state.store.get_tenant(tenant).await?],
    };
    let data: Vec<TenantOut> = tenants.into_iter().map(TenantOut::from).collect();
    Ok(List::of(data))
}
