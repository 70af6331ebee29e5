//! Backfills: send a tenant's past events (since a time, optionally until one, optionally of some types) to one
//! endpoint, whether or not they were delivered before. The engine works them in bounded batches in publish
//! order; their progress can be read, and they can be cancelled. (`recover` sends again only what died.)

use axum::extract::{Path, State};
use axum::http::StatusCode;
use kurir_core::backfill::{Backfill, BackfillState};
use kurir_core::id::{BackfillId, TenantId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Caller;
use crate::endpoints::{endpoint_id, EndpointParams};
use crate::error::ApiError;
use crate::extract::Json;
use crate::openapi::List;
use crate::state::AppState;
use crate::time::{parse_rfc3339, rfc3339};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(show)).routes(routes!(cancel))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct BackfillIn {
    /// RFC 3339: events published at or after this time…
    #[schema(example = "2026-11-01T00:00:00Z")]
    since: String,
    /// …and before this one (RFC 3339), when given.
    #[serde(default)]
    until: Option<String>,
    /// Only these event types, when given.
    #[serde(default)]
    event_types: Option<Vec<String>>,
}

/// A backfill and how far it got.
#[derive(Serialize, ToSchema)]
struct BackfillOut {
    id: String,
    endpoint_id: String,
    since: String,
    until: Option<String>,
    event_types: Option<Vec<String>>,
    /// `running`, `done` or `cancelled`.
    state: &'static str,
    /// Events looked at so far.
    scanned: u64,
    /// Deliveries made so far (the events of the wanted types).
    queued: u64,
    created_at: String,
    updated_at: String,
}

impl From<Backfill> for BackfillOut {
    fn from(b: Backfill) -> Self {
        BackfillOut {
            id: b.id.to_string(),
            endpoint_id: b.endpoint.to_string(),
            since: rfc3339(b.since_ms),
            until: b.until_ms.map(rfc3339),
            event_types: b.event_types,
            state: b.state.as_str(),
            scanned: b.scanned,
            queued: b.queued,
            created_at: rfc3339(b.created_at_ms),
            updated_at: rfc3339(b.updated_at_ms),
        }
    }
}

/// The `{tenant}/backfills/{backfill}` path parameters.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
struct BackfillParams {
    /// The tenant's id.
    tenant: String,
    /// The backfill's id.
    backfill: String,
}

fn backfill_id(text: &str) -> Result<BackfillId, ApiError> {
    text.parse().map_err(|_| ApiError::not_found("backfill"))
}

/// Starts sending the tenant's events since a time to this endpoint, in publish order, in the background.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/endpoints/{endpoint}/backfills", tag = "endpoints",
    operation_id = "create_backfill", params(EndpointParams), request_body = BackfillIn,
    responses((status = 202, body = BackfillOut)))]
async fn create(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, endpoint)): Path<(String, String)>,
    Json(body): Json<BackfillIn>,
) -> Result<(StatusCode, axum::Json<BackfillOut>), ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let backfill = start(&state, &tenant, &endpoint, body).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(backfill.into())))
}

async fn start(state: &AppState, tenant: &TenantId, endpoint: &str, body: BackfillIn) -> Result<Backfill, ApiError> {
    let since_ms = parse_rfc3339("since", &body.since)?;
    let until_ms = body.until.as_deref().map(|t| parse_rfc3339("until", t)).transpose()?;
    Backfill::validate_range(since_ms, until_ms)?;
    if let Some(types) = &body.event_types {
        for (index, name) in types.iter().enumerate() {
            if state.event_type(tenant, name).await?.is_none() {
                return Err(ApiError::invalid(format!("event_types[{index}]"), format!("unknown event type `{name}`")));
            }
        }
    }
    let now = kurir_engine::now_ms();
    let backfill = Backfill {
        id: BackfillId::generate(now as u64, rand::random()),
        tenant: tenant.clone(),
        endpoint: endpoint_id(endpoint)?,
        since_ms,
        until_ms,
        event_types: body.event_types,
        cursor: None,
        state: BackfillState::Running,
        scanned: 0,
        queued: 0,
        created_at_ms: now,
        updated_at_ms: now,
    };
    state.store.create_backfill(backfill.clone()).await?;
    Ok(backfill)
}

/// The endpoint's backfills, newest first.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/endpoints/{endpoint}/backfills", tag = "endpoints",
    operation_id = "list_backfills", params(EndpointParams), responses((status = 200, body = List<BackfillOut>)))]
async fn list(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, endpoint)): Path<(String, String)>,
) -> Result<axum::Json<List<BackfillOut>>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let endpoint = endpoint_id(&endpoint)?;
    state.store.get_endpoint(&tenant, &endpoint).await?;
    let backfills = state.store.list_backfills(&tenant, Some(&endpoint)).await?;
    Ok(List::of(backfills.into_iter().map(BackfillOut::from).collect()))
}

/// One backfill: its state and how far it got.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/backfills/{backfill}", tag = "endpoints",
    operation_id = "get_backfill", params(BackfillParams), responses((status = 200, body = BackfillOut)))]
async fn show(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<axum::Json<BackfillOut>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    Ok(axum::Json(state.store.get_backfill(&tenant, &backfill_id(&id)?).await?.into()))
}

/// Stops a backfill: nothing more is queued; what it queued already is sent.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/backfills/{backfill}/cancel", tag = "endpoints",
    operation_id = "cancel_backfill", params(BackfillParams), responses((status = 200, body = BackfillOut)))]
async fn cancel(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<axum::Json<BackfillOut>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let backfill = state.store.cancel_backfill(&tenant, &backfill_id(&id)?, kurir_engine::now_ms()).await?;
    Ok(axum::Json(backfill.into()))
}
