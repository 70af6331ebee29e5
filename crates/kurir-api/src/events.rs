//! `/v1/tenants/{tenant}/events`: publishing and the event log.
//!
//! A publish is validated against its event type's schema before anything is stored, then written with one
//! delivery per subscribed endpoint in one group-committed transaction; the 202 comes after the commit, so an
//! accepted event is never lost. The payload is kept byte for byte as it arrived.

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use kurir_core::event::{validate_idempotency_key, validate_ordering_key, Event, ZortParams};
use kurir_core::id::{ApiKeyId, EventId, TenantId};
use kurir_store::EventFilter;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::auth::Caller;
use crate::deliveries::DeliveryOut;
use crate::error::ApiError;
use crate::extract::{Json, Query};
use crate::openapi::{ErrorBody, Page, TenantParam};
use crate::state::AppState;
use crate::time::{parse_rfc3339, rfc3339};

/// One event: 1 MiB. A batch: 16 MiB and 1,000 events (DESIGN.md).
pub const MAX_EVENT_BYTES: usize = 1 << 20;
pub const MAX_BATCH_BYTES: usize = 16 << 20;
pub const MAX_BATCH_EVENTS: usize = 1_000;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct EventIn {
    /// A catalog type (`product.updated`, `ADDPRODUCT`, …) or one of the tenant's own.
    #[serde(rename = "type")]
    #[schema(example = "product.updated")]
    event_type: String,
    /// The event's data, validated against its type's schema and kept byte for byte.
    #[schema(value_type = Value)]
    payload: Box<RawValue>,
    /// Deliveries with the same key reach each endpoint in publish order; derived from the payload when absent.
    #[serde(default)]
    ordering_key: Option<String>,
    /// In a batch only; a single publish uses the `Idempotency-Key` header.
    #[serde(default)]
    idempotency_key: Option<String>,
    /// ZORT's query parameters, for triggers whose payload does not carry them (UPDATEORDERTRACKING).
    #[serde(default)]
    params: Option<ParamsIn>,
}

/// ZORT's query parameters; each a string or a number of at most 256 characters.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ParamsIn {
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    number: Option<Value>,
    #[serde(default)]
    paymentstatus: Option<Value>,
}

/// ZORT's query parameters as the event keeps them.
#[derive(Serialize, ToSchema)]
struct ParamsOut {
    id: Option<String>,
    number: Option<String>,
    paymentstatus: Option<String>,
}

impl ParamsIn {
    /// Each value must be a string or a number of at most 256 characters; it goes into a query string.
    fn validate(self) -> Result<ZortParams, ApiError> {
        let text = |name: &str, value: Option<Value>| -> Result<Option<String>, ApiError> {
            let text = match value {
                None | Some(Value::Null) => return Ok(None),
                Some(Value::String(text)) => text,
                Some(Value::Number(number)) => number.to_string(),
                Some(_) => return Err(ApiError::invalid(format!("params.{name}"), "must be a string or a number")),
            };
            if text.len() > 256 {
                return Err(ApiError::invalid(format!("params.{name}"), "must be at most 256 characters"));
            }
            Ok(Some(text))
        };
        Ok(ZortParams {
            id: text("id", self.id)?,
            number: text("number", self.number)?,
            paymentstatus: text("paymentstatus", self.paymentstatus)?,
        })
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct BatchIn {
    /// 1 to 1,000 events, published all or none.
    events: Vec<EventIn>,
}

#[derive(Serialize, ToSchema)]
struct EventOut {
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    #[schema(value_type = Value)]
    payload: Box<RawValue>,
    ordering_key: Option<String>,
    /// The API key that published it; endpoints owned by that key do not get it (loop suppression).
    origin_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<ParamsOut>,
    created_at: String,
}

/// An event with its deliveries.
#[derive(Serialize, ToSchema)]
struct EventDetailOut {
    #[serde(flatten)]
    event: EventOut,
    deliveries: Vec<DeliveryOut>,
}

/// A published event.
#[derive(Serialize, ToSchema)]
struct PublishedOut {
    id: String,
    /// How many deliveries it made: one per subscribed, enabled endpoint.
    deliveries: u32,
    delivery_ids: Vec<String>,
    /// Why it made no delivery, when it made none.
    #[serde(skip_serializing_if = "Option::is_none")]
    no_deliveries: Option<&'static str>,
}

/// One event of a published batch, in the order given.
#[derive(Serialize, ToSchema)]
struct BatchItemOut {
    id: String,
    deliveries: u32,
    delivery_ids: Vec<String>,
    /// True when its `idempotency_key` had been published before: nothing new was made.
    duplicate: bool,
}

#[derive(Serialize, ToSchema)]
struct BatchOut {
    events: Vec<BatchItemOut>,
}

impl EventOut {
    fn new(event: Event) -> Result<Self, ApiError> {
        Ok(EventOut {
            id: event.id.to_string(),
            payload: RawValue::from_string(event.payload).map_err(|err| ApiError::internal(&err))?,
            event_type: event.event_type,
            ordering_key: event.ordering_key,
            origin_key: event.origin_key.map(|k| k.to_string()),
            params: event.params.map(|p| ParamsOut { id: p.id, number: p.number, paymentstatus: p.paymentstatus }),
            created_at: rfc3339(event.created_at_ms),
        })
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, publish).layer(DefaultBodyLimit::max(MAX_EVENT_BYTES)))
        .routes(routes!(publish_batch).layer(DefaultBodyLimit::max(MAX_BATCH_BYTES)))
        .routes(routes!(show))
}

/// Validates one incoming event into what the store writes. Errors name the field.
async fn prepare(
    state: &AppState,
    tenant: &TenantId,
    origin: Option<&ApiKeyId>,
    input: EventIn,
    idempotency_key: Option<String>,
) -> Result<Event, ApiError> {
    let unprocessable = |code, error: kurir_core::CoreError| {
        let field = error.field().unwrap_or("payload").to_owned();
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, error.into_message()).with_field(field)
    };
    let event_type = state.publishable_type(tenant, &input.event_type).await?.ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_event_type",
            format!("unknown event type `{}`", input.event_type),
        )
        .with_field("type")
    })?;
    let payload: Value = serde_json::from_str(input.payload.get()).map_err(|err| ApiError::internal(&err))?;
    event_type.validate(&payload).map_err(|err| unprocessable("schema_violation", err))?;
    let params = input.params.map(ParamsIn::validate).transpose()?;
    // ZORT's doc requires every query parameter it lists for a trigger: refuse rather than send without them.
    if let Some(trigger) = &event_type.zort {
        let missing = kurir_wire::zort::missing_parameters(trigger, params.as_ref(), &payload);
        if let Some(first) = missing.first() {
            let message = format!(
                "ZORT's {} needs {} as query parameters: give them in `params`, or as top-level payload fields",
                event_type.name,
                missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(" and ")
            );
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "missing_parameter", message)
                .with_field(format!("params.{first}")));
        }
    }
    let ordering_key = match input.ordering_key {
        Some(key) => {
            validate_ordering_key(&key)?;
            Some(key)
        }
        None => event_type.ordering_key(&payload).or_else(|| ordering_from_params(&event_type, params.as_ref())),
    };
    if let Some(key) = &idempotency_key {
        validate_idempotency_key(key)?;
    }
    let now = kurir_engine::now_ms();
    Ok(Event {
        id: EventId::generate(now as u64, rand::random()),
        tenant: tenant.clone(),
        event_type: event_type.name.clone(),
        payload: input.payload.get().to_owned(),
        ordering_key,
        origin_key: origin.cloned(),
        idempotency_key,
        params,
        created_at_ms: now,
        subject_endpoint: None,
    })
}

/// A ZORT trigger whose payload is an array (UPDATEORDERTRACKING) orders by the order id given in `params`.
fn ordering_from_params(event_type: &kurir_core::catalog::EventType, params: Option<&ZortParams>) -> Option<String> {
    event_type.zort.as_ref()?;
    let id = params?.id.as_deref()?;
    let entity = match event_type.category.as_str() {
        "Order" => "order",
        _ => return None,
    };
    Some(format!("{entity}:{id}"))
}

/// Publishes one event: validated, stored durably with one delivery per subscribed endpoint, then answered.
///
/// The same `Idempotency-Key` within 24 h answers the first publish again (with `Idempotent-Replayed: true`)
/// instead of publishing twice.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/events", tag = "events", operation_id = "publish_event",
    params(TenantParam, ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried publish safe.")),
    request_body = EventIn,
    responses(
        (status = 202, body = PublishedOut,
            headers(("Idempotent-Replayed" = String, description = "`true` when this answers an earlier publish"))),
        (status = 422, description = "Unknown event type, one of kurir's own, a payload its schema refuses, or a \
            missing ZORT parameter (`unknown_event_type`, `reserved_event_type`, `schema_violation`, \
            `missing_parameter`); `field` names the input.", body = ErrorBody),
    ))]
async fn publish(
    caller: Caller,
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    Json(input): Json<EventIn>,
) -> Result<Response, ApiError> {
    let started = std::time::Instant::now();
    let tenant = caller.tenant(&state, &tenant).await?;
    state.admit_publish(&tenant, 1).await?;
    if input.idempotency_key.is_some() {
        return Err(ApiError::invalid("idempotency_key", "use the Idempotency-Key header for a single publish"));
    }
    let idempotency_key = match headers.get("idempotency-key") {
        Some(value) => {
            Some(value.to_str().map_err(|_| ApiError::invalid("Idempotency-Key", "must be visible ASCII"))?.to_owned())
        }
        None => None,
    };
    let event = prepare(&state, &tenant, caller.key(), input, idempotency_key).await?;
    let (event_type, origin) = (event.event_type.clone(), event.origin_key.clone());
    let published = kurir_engine::publish(&state.store, &state.waker, &tenant, vec![event]).await?;
    let first = published.into_iter().next().ok_or_else(|| ApiError::internal(&kurir_store::StoreError::Closed))?;
    state.metrics.published(u64::from(!first.duplicate), started.elapsed());
    let delivery_ids: Vec<String> = first.delivery_ids.iter().map(ToString::to_string).collect();
    let mut answer = PublishedOut {
        id: first.event_id.to_string(),
        deliveries: first.deliveries,
        delivery_ids,
        no_deliveries: None,
    };
    if first.deliveries == 0 && !first.duplicate {
        answer.no_deliveries = Some(why_no_deliveries(&state, &tenant, &event_type, origin.as_ref()).await?);
    }
    let mut response = (StatusCode::ACCEPTED, axum::Json(answer)).into_response();
    if first.duplicate {
        response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// Why an event made no delivery, in words: nothing subscribes to its type, or only endpoints owned by the
/// publishing key do (loop suppression), or no endpoint is enabled.
async fn why_no_deliveries(
    state: &AppState,
    tenant: &TenantId,
    event_type: &str,
    origin: Option<&kurir_core::id::ApiKeyId>,
) -> Result<&'static str, ApiError> {
    let endpoints = state.store.list_endpoints(tenant).await?;
    // `Endpoint::wants` is publishing's own rule: asked without an origin it leaves loop suppression out.
    let subscribed: Vec<_> = endpoints.iter().filter(|e| e.wants(event_type, None)).collect();
    Ok(if !endpoints.iter().any(|e| e.enabled) {
        "no enabled endpoint"
    } else if subscribed.is_empty() {
        "no endpoint subscribes to this event type"
    } else if subscribed.iter().all(|e| !e.wants(event_type, origin)) {
        "every endpoint that subscribes is owned by the publishing API key (loop suppression)"
    } else {
        "no endpoint wanted it when it was published"
    })
}

/// Publishes up to 1,000 events in one transaction: all are kept or none. Errors name the event by index.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/events/batch", tag = "events", operation_id = "publish_events",
    params(TenantParam), request_body = BatchIn,
    responses(
        (status = 202, body = BatchOut),
        (status = 422, description = "An event breaks a rule; `field` names it (`events[3].payload.ID`). Or the \
            batch holds more events than the tenant's publish rate allows at once (`over_rate_limit`).",
            body = ErrorBody),
    ))]
async fn publish_batch(
    caller: Caller,
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    Json(batch): Json<BatchIn>,
) -> Result<(StatusCode, axum::Json<BatchOut>), ApiError> {
    let started = std::time::Instant::now();
    let tenant = caller.tenant(&state, &tenant).await?;
    if batch.events.is_empty() || batch.events.len() > MAX_BATCH_EVENTS {
        return Err(ApiError::invalid("events", format!("must hold 1 to {MAX_BATCH_EVENTS} events")));
    }
    state.admit_publish(&tenant, batch.events.len() as u32).await?;
    let mut events = Vec::with_capacity(batch.events.len());
    for (index, mut input) in batch.events.into_iter().enumerate() {
        let idempotency_key = input.idempotency_key.take();
        let event = prepare(&state, &tenant, caller.key(), input, idempotency_key).await.map_err(|mut err| {
            err.field = Some(
                format!("events[{index}].{}", err.field.as_deref().unwrap_or("")).trim_end_matches('.').to_owned(),
            );
            err
        })?;
        events.push(event);
    }
    let published = kurir_engine::publish(&state.store, &state.waker, &tenant, events).await?;
    state.metrics.published(published.iter().filter(|p| !p.duplicate).count() as u64, started.elapsed());
    let events = published
        .into_iter()
        .map(|p| BatchItemOut {
            id: p.event_id.to_string(),
            deliveries: p.deliveries,
            delivery_ids: p.delivery_ids.iter().map(ToString::to_string).collect(),
            duplicate: p.duplicate,
        })
        .collect();
    Ok((StatusCode::ACCEPTED, axum::Json(BatchOut { events })))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only events of this type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    event_type: Option<String>,
    /// An ordering key (`product:4711`) or text the payload contains.
    q: Option<String>,
    /// RFC 3339: only events published at or after this time.
    since: Option<String>,
    /// RFC 3339: only events published before this time.
    until: Option<String>,
    /// The cursor: the previous page's `next_cursor`.
    before: Option<String>,
    /// 1 to 250 (default 50).
    limit: Option<u32>,
}

/// The default and largest page sizes of every list.
pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 250;

/// The cursor of the next page: the last item's id when the page is full (a shorter page is the last one).
pub fn next_cursor<T>(items: &[T], limit: u32, id: impl Fn(&T) -> String) -> Option<String> {
    (items.len() == limit as usize).then(|| items.last().map(id)).flatten()
}

pub fn page_limit(limit: Option<u32>) -> Result<u32, ApiError> {
    match limit {
        None => Ok(DEFAULT_PAGE),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::invalid("limit", format!("must be between 1 and {MAX_PAGE}"))),
    }
}

/// The event log, newest first.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/events", tag = "events", operation_id = "list_events",
    params(TenantParam, ListQuery), responses((status = 200, body = Page<EventOut>)))]
async fn list(
    caller: Caller,
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<axum::Json<Page<EventOut>>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let limit = page_limit(query.limit)?;
    let filter = EventFilter {
        event_type: query.event_type,
        text: query.q.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty()),
        since_ms: query.since.as_deref().map(|t| parse_rfc3339("since", t)).transpose()?,
        until_ms: query.until.as_deref().map(|t| parse_rfc3339("until", t)).transpose()?,
        before: query
            .before
            .map(|b| b.parse().map_err(|_| ApiError::invalid("before", "is not an event id")))
            .transpose()?,
        limit,
    };
    let events = state.store.list_events(&tenant, filter).await?;
    let next_cursor = next_cursor(&events, limit, |e| e.id.to_string());
    let data = events.into_iter().map(EventOut::new).collect::<Result<Vec<_>, _>>()?;
    Ok(axum::Json(Page { data, next_cursor }))
}

/// One event and its deliveries.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/events/{event}", tag = "events", operation_id = "get_event",
    params(TenantParam, ("event" = String, Path, description = "The event's id.")),
    responses((status = 200, body = EventDetailOut)))]
async fn show(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<axum::Json<EventDetailOut>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let id: EventId = id.parse().map_err(|_| ApiError::not_found("event"))?;
    let (event, deliveries) = state.store.get_event(&tenant, &id).await?;
    let deliveries: Vec<DeliveryOut> = deliveries.into_iter().map(DeliveryOut::from).collect();
    Ok(axum::Json(EventDetailOut { event: EventOut::new(event)?, deliveries }))
}
