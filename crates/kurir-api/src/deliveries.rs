//! `/v1/tenants/{tenant}/deliveries`: the delivery log, its attempts, and sending one again.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use kurir_core::delivery::{Attempt, Delivery, DeliveryState};
use kurir_core::id::{DeliveryId, EndpointId, TenantId};
use kurir_store::DeliveryFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::events::{next_cursor, page_limit};
use crate::extract::Query;
use crate::openapi::{List, Page, TenantParam};
use crate::state::AppState;
use crate::time::rfc3339;

/// One event on its way to one endpoint.
#[derive(Serialize, ToSchema)]
pub(crate) struct DeliveryOut {
    id: String,
    event_id: String,
    endpoint_id: String,
    event_type: String,
    ordering_key: Option<String>,
    /// `pending`, `in_flight`, `succeeded`, `retrying` or `dead`.
    state: &'static str,
    attempts: u32,
    /// When it is next tried (pending, retrying); absent once finished.
    next_attempt_at: Option<String>,
    /// Why a waiting delivery waits longer than its schedule says: its endpoint's circuit is open (it goes when
    /// the circuit lets a probe out, `held_until`, or when the endpoint is resumed).
    #[serde(skip_serializing_if = "Option::is_none")]
    held: Option<HeldOut>,
    last_status: Option<u16>,
    last_error: Option<String>,
    created_at: String,
    updated_at: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct HeldOut {
    reason: &'static str,
    /// When the circuit lets a probe out.
    until: String,
}

impl From<Delivery> for DeliveryOut {
    fn from(d: Delivery) -> Self {
        let waiting = matches!(d.state, DeliveryState::Pending | DeliveryState::Retrying);
        DeliveryOut {
            id: d.id.to_string(),
            event_id: d.event_id.to_string(),
            endpoint_id: d.endpoint_id.to_string(),
            event_type: d.event_type,
            ordering_key: d.ordering_key,
            state: d.state.as_str(),
            attempts: d.attempts,
            next_attempt_at: waiting.then(|| rfc3339(d.next_attempt_at_ms)),
            held: None,
            last_status: d.last_status,
            last_error: d.last_error,
            created_at: rfc3339(d.created_at_ms),
            updated_at: rfc3339(d.updated_at_ms),
        }
    }
}

/// One try of a delivery, with the request as sent and the response as received.
#[derive(Serialize, ToSchema)]
struct AttemptOut {
    id: String,
    attempt: u32,
    started_at: String,
    duration_ms: u32,
    /// The receiver's HTTP status; absent when no answer came.
    status: Option<u16>,
    /// `connect`, `timeout`, `tls`, `status`, … when the attempt failed.
    error_kind: Option<&'static str>,
    error: Option<String>,
    /// The first 4 KiB of the response body.
    response: String,
    /// The response's headers as `[name, value]` pairs (cookies masked).
    #[schema(value_type = Vec<Vec<String>>)]
    response_headers: Vec<(String, String)>,
    /// The request as sent: `{"method", "url", "headers": [[name, value], ...], "body"}`, secret header values
    /// masked and the body cut at 16 KiB; absent when no request went out.
    request: Option<RequestOut>,
}

/// A request as kurir sent it.
#[derive(Serialize, ToSchema)]
struct RequestOut {
    method: String,
    url: String,
    /// `[name, value]` pairs; secret values masked.
    #[schema(value_type = Vec<Vec<String>>)]
    headers: Vec<(String, String)>,
    body: String,
}

impl From<Attempt> for AttemptOut {
    fn from(a: Attempt) -> Self {
        AttemptOut {
            id: a.id.to_string(),
            attempt: a.attempt_no,
            started_at: rfc3339(a.started_at_ms),
            duration_ms: a.duration_ms,
            status: a.status,
            error_kind: a.error_kind.map(|k| k.as_str()),
            error: a.error,
            response: a.response_excerpt,
            response_headers: a.response_headers,
            request: a.request.map(|r| RequestOut { method: r.method, url: r.url, headers: r.headers, body: r.body }),
        }
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(show)).routes(routes!(attempts)).routes(routes!(retry))
}

/// The `{tenant}/deliveries/{delivery}` path parameters.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
struct DeliveryParams {
    /// The tenant's id.
    tenant: String,
    /// The delivery's id.
    delivery: String,
}

fn delivery_id(text: &str) -> Result<DeliveryId, ApiError> {
    text.parse().map_err(|_| ApiError::not_found("delivery"))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// `pending`, `in_flight`, `succeeded`, `retrying` or `dead`.
    state: Option<String>,
    /// Only this endpoint's deliveries.
    endpoint: Option<String>,
    /// Only deliveries of this event type.
    event_type: Option<String>,
    /// The cursor: the previous page's `next_cursor`.
    before: Option<String>,
    /// 1 to 250 (default 50).
    limit: Option<u32>,
}

/// The delivery log, newest first.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/deliveries", tag = "deliveries", operation_id = "list_deliveries",
    params(TenantParam, ListQuery), responses((status = 200, body = Page<DeliveryOut>)))]
async fn list(
    caller: Caller,
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<axum::Json<Page<DeliveryOut>>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let limit = page_limit(query.limit)?;
    let delivery_state = query
        .state
        .map(|s| {
            DeliveryState::parse(&s).ok_or_else(|| {
                ApiError::invalid("state", "must be one of pending, in_flight, succeeded, retrying, dead")
            })
        })
        .transpose()?;
    let filter = DeliveryFilter {
        state: delivery_state,
        endpoint: query
            .endpoint
            .map(|e| e.parse().map_err(|_| ApiError::invalid("endpoint", "is not an endpoint id")))
            .transpose()?,
        event_type: query.event_type,
        before: query
            .before
            .map(|b| b.parse().map_err(|_| ApiError::invalid("before", "is not a delivery id")))
            .transpose()?,
        limit,
    };
    let deliveries = state.store.list_deliveries(&tenant, filter).await?;
    let next_cursor = next_cursor(&deliveries, limit, |d| d.id.to_string());
    let data = with_holds(&state, &tenant, deliveries).await?;
    Ok(axum::Json(Page { data, next_cursor }))
}

/// One delivery.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/deliveries/{delivery}", tag = "deliveries",
    operation_id = "get_delivery", params(DeliveryParams), responses((status = 200, body = DeliveryOut)))]
async fn show(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<axum::Json<DeliveryOut>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let delivery = state.store.get_delivery(&tenant, &delivery_id(&id)?).await?;
    let mut out = with_holds(&state, &tenant, vec![delivery]).await?;
    out.pop().map(axum::Json).ok_or_else(|| ApiError::not_found("delivery"))
}

/// The deliveries as the API shows them, each waiting one whose endpoint's circuit holds it saying so. One
/// circuit read per endpoint on the page.
async fn with_holds(
    state: &AppState,
    tenant: &TenantId,
    deliveries: Vec<Delivery>,
) -> Result<Vec<DeliveryOut>, ApiError> {
    let now = kurir_engine::now_ms();
    let mut held_until: HashMap<EndpointId, Option<i64>> = HashMap::new();
    let mut out = Vec::with_capacity(deliveries.len());
    for delivery in deliveries {
        let waiting = matches!(delivery.state, DeliveryState::Pending | DeliveryState::Retrying);
        let until = match (waiting, held_until.get(&delivery.endpoint_id)) {
            (false, _) => None,
            (true, Some(until)) => *until,
            (true, None) => {
                // A deleted endpoint's deliveries are dead, not waiting; a read error must not hide the page.
                let until = match state.store.endpoint_circuit(tenant, &delivery.endpoint_id).await {
                    Ok(circuit) => circuit.held_until(now),
                    Err(_) => None,
                };
                held_until.insert(delivery.endpoint_id.clone(), until);
                until
            }
        };
        let mut shown = DeliveryOut::from(delivery);
        shown.held = until.map(|until| HeldOut { reason: "the endpoint's circuit is open", until: rfc3339(until) });
        out.push(shown);
    }
    Ok(out)
}

/// A delivery's attempts, oldest first, as far as the tenant's attempt-log mode keeps them.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/deliveries/{delivery}/attempts", tag = "deliveries",
    operation_id = "list_attempts", params(DeliveryParams), responses((status = 200, body = List<AttemptOut>)))]
async fn attempts(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<axum::Json<List<AttemptOut>>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let attempts = state.store.list_attempts(&tenant, &delivery_id(&id)?).await?;
    let data: Vec<AttemptOut> = attempts.into_iter().map(AttemptOut::from).collect();
    Ok(List::of(data))
}

/// Sends a delivery again now, whatever its state but in flight.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/deliveries/{delivery}/retry", tag = "deliveries",
    operation_id = "retry_delivery", params(DeliveryParams),
    responses((status = 202, body = DeliveryOut),
        (status = 409, description = "The delivery is in flight.", body = crate::openapi::ErrorBody)))]
async fn retry(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<(StatusCode, axum::Json<DeliveryOut>), ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let delivery = send_again(&state, &tenant, &id).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(delivery.into())))
}

/// Sends a delivery again now, whatever its state but in flight (the REST route and the dashboard's button).
pub async fn send_again(state: &AppState, tenant: &TenantId, delivery: &str) -> Result<Delivery, ApiError> {
    let delivery = state.store.retry_delivery(tenant, &delivery_id(delivery)?, kurir_engine::now_ms()).await?;
    state.waker.wake();
    Ok(delivery)
}
