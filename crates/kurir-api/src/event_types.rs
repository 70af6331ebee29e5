//! `/v1/event-types` (the catalog) and `/v1/tenants/{tenant}/event-types` (a tenant's own types).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use kurir_core::catalog::EventType;
use kurir_store::CustomEventType;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::Json;
use crate::openapi::{ErrorBody, List, TenantParam};
use crate::state::AppState;
use crate::time::rfc3339;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(catalog)).routes(routes!(list_custom, create_custom))
}

/// An event type: its schema, how its events are ordered, its examples, and for ZORT how it is sent.
#[derive(Serialize, ToSchema)]
struct EventTypeOut {
    name: String,
    /// `dealpos`, `zort`, `kurir` or `custom`.
    platform: String,
    category: String,
    title: String,
    description: String,
    ordering: Option<OrderingOut>,
    /// The JSON Schema a payload must satisfy.
    schema: Value,
    examples: Vec<ExampleOut>,
    zort: Option<ZortTriggerOut>,
}

/// Where the ordering key comes from: `<entity>:<value at pointer>`.
#[derive(Serialize, ToSchema)]
struct OrderingOut {
    entity: String,
    /// A JSON pointer into the payload (`/ID`).
    pointer: String,
}

#[derive(Serialize, ToSchema)]
struct ExampleOut {
    name: String,
    payload: Value,
    /// True when the docs give no example and this one was built from the documented fields.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    built: bool,
    /// The docs' example as published, when it was not valid JSON (`payload` is then the repair).
    #[serde(skip_serializing_if = "Option::is_none")]
    raw: Option<String>,
}

/// How a ZORT trigger is configured (`UpdateWebhook`'s URL field) and sent (its query parameters).
#[derive(Serialize, ToSchema)]
struct ZortTriggerOut {
    url_field: String,
    query: Vec<String>,
    fallback_url_field: Option<String>,
}

/// A tenant's own event type, as created.
#[derive(Serialize, ToSchema)]
struct CreatedTypeOut {
    #[serde(flatten)]
    event_type: EventTypeOut,
    created_at: String,
}

/// A tenant's own event type, as listed.
#[derive(Serialize, ToSchema)]
struct CustomTypeOut {
    name: String,
    /// Always `custom`.
    platform: &'static str,
    description: String,
    schema: Value,
    created_at: String,
}

fn describe(event_type: &EventType) -> EventTypeOut {
    EventTypeOut {
        name: event_type.name.clone(),
        platform: event_type.platform.clone(),
        category: event_type.category.clone(),
        title: event_type.title.clone(),
        description: event_type.description.clone(),
        ordering: event_type
            .ordering
            .as_ref()
            .map(|o| OrderingOut { entity: o.entity.clone(), pointer: o.pointer.clone() }),
        schema: event_type.schema.clone(),
        examples: event_type
            .examples
            .iter()
            .map(|e| ExampleOut {
                name: e.name.clone(),
                payload: e.payload.clone(),
                built: e.built,
                raw: e.raw.clone(),
            })
            .collect(),
        zort: event_type.zort.as_ref().map(|z| ZortTriggerOut {
            url_field: z.url_field.clone(),
            query: z.query.clone(),
            fallback_url_field: z.fallback_url_field.clone(),
        }),
    }
}

/// The built-in catalog. Any valid token may read it: it is the same for every tenant.
#[utoipa::path(get, path = "/v1/event-types", tag = "event-types", operation_id = "list_catalog",
    responses((status = 200, body = List<EventTypeOut>)))]
async fn catalog(_: Caller, State(state): State<AppState>) -> axum::Json<List<EventTypeOut>> {
    List::of(state.catalog.iter().map(|t| describe(t)).collect())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CustomIn {
    /// Lower-case words joined by dots (`loyalty.points_added`); not a catalog name.
    name: String,
    /// A JSON Schema (draft 2020-12) for the payload.
    schema: Value,
    #[serde(default)]
    description: String,
}

/// Adds an event type of the tenant's own, with its schema.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/event-types", tag = "event-types", operation_id = "create_event_type",
    params(TenantParam), request_body = CustomIn,
    responses((status = 201, body = CreatedTypeOut),
        (status = 409, description = "The name is taken, by the catalog or the tenant.", body = ErrorBody)))]
async fn create_custom(
    caller: Caller,
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    Json(body): Json<CustomIn>,
) -> Result<(StatusCode, axum::Json<CreatedTypeOut>), ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    if kurir_core::operational::is_operational(&body.name) {
        return Err(ApiError::invalid("name", "`kurir.` names are kurir's own operational events"));
    }
    if state.catalog.get(&body.name).is_some() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!("`{}` is a built-in event type", body.name),
        )
        .with_field("name"));
    }
    // Compiling checks both the name and the schema before anything is stored.
    let compiled = EventType::custom(&body.name, body.schema.clone(), body.description.clone())?;
    let stored = CustomEventType {
        tenant,
        name: body.name,
        description: body.description,
        schema: body.schema.to_string(),
        created_at_ms: kurir_engine::now_ms(),
    };
    state.store.create_event_type(stored.clone()).await?;
    let out = CreatedTypeOut { event_type: describe(&compiled), created_at: rfc3339(stored.created_at_ms) };
    Ok((StatusCode::CREATED, axum::Json(out)))
}

/// The tenant's own event types.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/event-types", tag = "event-types", operation_id = "list_event_types",
    params(TenantParam), responses((status = 200, body = List<CustomTypeOut>)))]
async fn list_custom(
    caller: Caller,
    State(state): State<AppState>,
    Path(tenant): Path<String>,
) -> Result<axum::Json<List<CustomTypeOut>>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let types = state.store.list_event_types(&tenant).await?;
    let data = types
        .into_iter()
        .map(|t| CustomTypeOut {
            schema: serde_json::from_str(&t.schema).unwrap_or(Value::Null),
            name: t.name,
            platform: "custom",
            description: t.description,
            created_at: rfc3339(t.created_at_ms),
        })
        .collect();
    Ok(List::of(data))
}
