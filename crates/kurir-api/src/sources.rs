//! `/v1/tenants/{tenant}/sources`: inbound URLs for DealPOS, ZORT and Standard Webhooks senders, and their logs.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use kurir_core::endpoint::{Dialect, ZortKeys};
use kurir_core::source::{Source, SourceId, SourceVerify};
use kurir_wire::WebhookSecret;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::Json;
use crate::state::AppState;
use crate::time::rfc3339;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceIn {
    dialect: String,
    name: String,
    #[serde(default)]
    verify: Value,
    #[serde(default)]
    strict: bool,
}

/// A PATCH: any of name, credentials and strictness. The dialect and the id (the URL) stay.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourcePatch {
    name: Option<String>,
    verify: Option<Value>,
    strict: Option<bool>,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/tenants/{tenant}/sources", get(list).post(create))
        .route("/v1/tenants/{tenant}/sources/{source}", get(show).patch(update).delete(remove))
        .route("/v1/tenants/{tenant}/sources/{source}/inbound", get(inbound_log))
        .route("/v1/tenants/{tenant}/sources/{source}/refusals", get(refusal_log))
}

/// The URL a vendor is given: DealPOS needs one per event (`{event}`), ZORT and Standard Webhooks one in all.
pub fn url(state: &AppState, source: &Source) -> String {
    let base = state.config.public_url.trim_end_matches('/');
    match source.verify.dialect() {
        Dialect::Dealpos => format!("{base}/in/{}/{{event}}", source.id),
        Dialect::Zort | Dialect::Standard => format!("{base}/in/{}", source.id),
    }
}

/// For a DealPOS source, the URL of each DealPOS webhook (the `{event}` of `url` filled in), to paste into DealPOS
/// one by one; nothing for the other dialects, which post every event to one URL.
fn event_urls(state: &AppState, source: &Source) -> Value {
    if source.verify.dialect() != Dialect::Dealpos {
        return Value::Null;
    }
    let template = url(state, source);
    let urls: serde_json::Map<String, Value> = state
        .catalog
        .iter()
        .filter(|t| t.platform == "dealpos")
        .map(|t| (t.name.clone(), Value::from(template.replace("{event}", &t.name))))
        .collect();
    Value::Object(urls)
}

fn describe(state: &AppState, source: &Source) -> Value {
    let verify = match &source.verify {
        SourceVerify::Zort(k) => json!({"key1": k.key1, "key2": k.key2, "key3": k.key3}),
        SourceVerify::Dealpos { api_key } => json!({"api_key": api_key}),
        SourceVerify::Standard { secrets } => json!({"secret": secrets.first()}),
    };
    json!({
        "id": source.id.to_string(),
        "url": url(state, source),
        "event_urls": event_urls(state, source),
        "dialect": source.verify.dialect().as_str(),
        "name": source.name,
        "verify": verify,
        "strict": source.strict,
        "created_at": rfc3339(source.created_at_ms),
    })
}

fn text_field(verify: &Value, name: &str) -> Result<Option<String>, ApiError> {
    match &verify[name] {
        Value::Null => Ok(None),
        Value::String(text) if !text.trim().is_empty() => Ok(Some(text.trim().to_owned())),
        _ => Err(ApiError::invalid(format!("verify.{name}"), "must be a non-blank string")),
    }
}

fn verify_settings(dialect: Dialect, verify: &Value) -> Result<SourceVerify, ApiError> {
    if !(verify.is_null() || verify.is_object()) {
        return Err(ApiError::invalid("verify", "must be an object"));
    }
    match dialect {
        Dialect::Zort => {
            let key = |name: &str| {
                text_field(verify, name)?
                    .ok_or_else(|| ApiError::invalid(format!("verify.{name}"), "is required for a zort source"))
            };
            let keys = ZortKeys { key1: key("key1")?, key2: key("key2")?, key3: key("key3")? };
            keys.validate().map_err(|err| {
                ApiError::invalid(err.field().unwrap_or("verify").replace("zort.", "verify."), err.to_string())
            })?;
            Ok(SourceVerify::Zort(keys))
        }
        Dialect::Dealpos => Ok(SourceVerify::Dealpos { api_key: text_field(verify, "api_key")? }),
        Dialect::Standard => {
            let secret = match text_field(verify, "secret")? {
                Some(text) => {
                    WebhookSecret::parse(&text).map_err(|err| ApiError::invalid("verify.secret", err.to_string()))?
                }
                None => WebhookSecret::from_random(rand::random()),
            };
            Ok(SourceVerify::Standard { secrets: vec![secret.expose()] })
        }
    }
}

fn source_id(text: &str) -> Result<SourceId, ApiError> {
    text.parse().map_err(|_| ApiError::not_found("source"))
}

async fn create(
    caller: Caller,
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    Json(body): Json<SourceIn>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let dialect = Dialect::parse(&body.dialect)?;
    let source = Source {
        id: SourceId::from_random(rand::random()),
        tenant,
        name: checked_name(&body.name)?,
        verify: verify_settings(dialect, &body.verify)?,
        strict: body.strict,
        created_at_ms: kurir_engine::now_ms(),
    };
    state.store.create_source(source.clone()).await?;
    Ok((StatusCode::CREATED, axum::Json(describe(&state, &source))))
}

async fn list(
    caller: Caller,
    State(state): State<AppState>,
    Path(tenant): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let data: Vec<Value> = state.store.list_sources(&tenant).await?.iter().map(|s| describe(&state, s)).collect();
    Ok(axum::Json(json!({ "data": data })))
}

async fn show(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<axum::Json<Value>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let source = state.store.get_source(&tenant, &source_id(&id)?).await?;
    Ok(axum::Json(describe(&state, &source)))
}

fn checked_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::invalid("name", "must be 1-200 characters and not blank"));
    }
    Ok(name.to_owned())
}

/// Rotates a vendor's credentials, switches strictness or renames, keeping the URL the vendor was given.
async fn update(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
    Json(body): Json<SourcePatch>,
) -> Result<axum::Json<Value>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let mut source = state.store.get_source(&tenant, &source_id(&id)?).await?;
    if let Some(name) = &body.name {
        source.name = checked_name(name)?;
    }
    if let Some(verify) = &body.verify {
        source.verify = verify_settings(source.verify.dialect(), verify)?;
    }
    if let Some(strict) = body.strict {
        source.strict = strict;
    }
    state.store.update_source(source.clone()).await?;
    Ok(axum::Json(describe(&state, &source)))
}

async fn remove(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    state.store.delete_source(&tenant, &source_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn inbound_log(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<axum::Json<Value>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let id = source_id(&id)?;
    state.store.get_source(&tenant, &id).await?;
    let records = state.store.list_inbound(&tenant, &id, 250).await?;
    let data: Vec<Value> = records
        .into_iter()
        .map(|r| {
            json!({
                "received_at": rfc3339(r.received_at_ms),
                "event_id": r.event_id.to_string(),
                "event_type": r.event_type,
                "valid": r.validation_error.is_none(),
                "validation_error": r.validation_error,
                "duplicate": r.duplicate,
            })
        })
        .collect();
    Ok(axum::Json(json!({ "data": data })))
}

/// What the source refused, newest first: when, the status the sender got, why, and from which address.
async fn refusal_log(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<axum::Json<Value>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let id = source_id(&id)?;
    state.store.get_source(&tenant, &id).await?;
    let refusals = state.store.list_refusals(&tenant, &id, kurir_store::REFUSALS_KEPT).await?;
    let data: Vec<Value> = refusals
        .into_iter()
        .map(|r| json!({"at": rfc3339(r.at_ms), "status": r.status, "reason": r.reason, "address": r.address}))
        .collect();
    Ok(axum::Json(json!({ "data": data })))
}
