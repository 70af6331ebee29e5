//! `/v1/event-types` (the catalog) and `/v1/tenants/{tenant}/event-types` (a tenant's own types).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use kurir_core::catalog::EventType;
use kurir_store::CustomEventType;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::Json;
use crate::state::AppState;
use crate::time::rfc3339;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/event-types", get(catalog))
        .route("/v1/tenants/{tenant}/event-types", get(list_custom).post(create_custom))
}

fn describe(event_type: &EventType) -> Value {
    json!({
        "name": event_type.name,
        "platform": event_type.platform,
        "category": event_type.category,
        "title": event_type.title,
        "description": event_type.description,
        "ordering": event_type.ordering.as_ref().map(|o| json!({"entity": o.entity, "pointer": o.pointer})),
        "schema": event_type.schema,
        "examples": event_type.examples.iter().map(describe_example).collect::<Vec<_>>(),
        "zort": event_type.zort.as_ref().map(|z| json!({
            "url_field": z.url_field,
            "query": z.query,
            "fallback_url_field": z.fallback_url_field,
        })),
    })
}

fn describe_example(example: &kurir_core::catalog::Example) -> Value {
    let mut out = json!({"name": example.name, "payload": example.payload});
    if example.built {
        out["built"] = true.into();
    }
    if let Some(raw) = &example.raw {
        out["raw"] = raw.clone().into();
    }
    out
}

/// The built-in catalog. Any valid token may read it: it is the same for every tenant.
async fn catalog(_: Caller, State(state): State<AppState>) -> axum::Json<Value> {
    let data: Vec<Value> = state.catalog.iter().map(|t| describe(t)).collect();
    axum::Json(json!({ "data": data }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomIn {
    name: String,
    schema: Value,
    #[serde(default)]
    description: String,
}

async fn create_custom(
    caller: Caller,
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    Json(body): Json<CustomIn>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
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
    let mut out = describe(&compiled);
    out["created_at"] = rfc3339(stored.created_at_ms).into();
    Ok((StatusCode::CREATED, axum::Json(out)))
}

async fn list_custom(
    caller: Caller,
    State(state): State<AppState>,
    Path(tenant): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let types = state.store.list_event_types(&tenant).await?;
    let data: Vec<Value> = types
        .into_iter()
        .map(|t| {
            let schema: Value = serde_json::from_str(&t.schema).unwrap_or(Value::Null);
            json!({"name": t.name, "platform": "custom", "description": t.description, "schema": schema,
                   "created_at": rfc3339(t.created_at_ms)})
        })
        .collect();
    Ok(axum::Json(json!({ "data": data })))
}
