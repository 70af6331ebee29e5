//! `/v1/tenants/{tenant}/sources`: inbound URLs for DealPOS, ZORT and Standard Webhooks senders, and their logs.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use kurir_core::endpoint::{Dialect, ZortKeys};
use kurir_core::source::{Source, SourceId, SourceVerify};
use kurir_wire::WebhookSecret;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::Json;
use crate::openapi::{List, TenantParam};
use crate::state::AppState;
use crate::time::rfc3339;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SourceIn {
    /// Who sends: `dealpos`, `zort` or `standard`.
    dialect: String,
    /// 1-200 characters.
    name: String,
    #[serde(default)]
    #[schema(value_type = Option<VerifyFields>)]
    verify: Value,
    /// Refuse what fails its type's schema (422) instead of keeping it marked invalid.
    #[serde(default)]
    strict: bool,
}

/// A PATCH: any of name, credentials and strictness. The dialect and the id (the URL) stay.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SourcePatch {
    name: Option<String>,
    #[schema(value_type = Option<VerifyFields>)]
    verify: Option<Value>,
    strict: Option<bool>,
}

/// How a source checks its sender, by dialect: `zort` needs `key1`-`key3` (ZORT's three key headers); `dealpos`
/// may have an `api_key` the sender puts in its `Authorization` header; `standard` has a `whsec_…` `secret`
/// (generated when absent).
#[derive(Serialize, ToSchema)]
struct VerifyFields {
    #[serde(skip_serializing_if = "Option::is_none")]
    key1: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key2: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key3: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

/// An inbound URL and how it checks what arrives there.
#[derive(Serialize, ToSchema)]
struct SourceOut {
    id: String,
    /// The URL to give the sender; a DealPOS one has `{event}` in it.
    url: String,
    /// For DealPOS, each webhook's own URL by event name, to paste into DealPOS one by one.
    event_urls: Option<BTreeMap<String, String>>,
    dialect: &'static str,
    name: String,
    verify: VerifyFields,
    strict: bool,
    created_at: String,
}

/// One event a source received.
#[derive(Serialize, ToSchema)]
struct InboundOut {
    received_at: String,
    event_id: String,
    event_type: String,
    /// False when its type's schema refused it (kept anyway unless the source is strict).
    valid: bool,
    validation_error: Option<String>,
    /// True when the sender sent it before (same id): not published again.
    duplicate: bool,
}

/// One request a source refused.
#[derive(Serialize, ToSchema)]
struct RefusalOut {
    at: String,
    /// The status the sender got.
    status: u16,
    reason: String,
    /// The sender's address, when known.
    address: Option<String>,
}

/// The `{tenant}/sources/{source}` path parameters.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
struct SourceParams {
    /// The tenant's id.
    tenant: String,
    /// The source's id (the last part of its URL).
    source: String,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update, remove))
        .routes(routes!(inbound_log))
        .routes(routes!(refusal_log))
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
fn event_urls(state: &AppState, source: &Source) -> Option<BTreeMap<String, String>> {
    if source.verify.dialect() != Dialect::Dealpos {
        return None;
    }
    let template = url(state, source);
    let urls = state
        .catalog
        .iter()
        .filter(|t| t.platform == "dealpos")
        .map(|t| (t.name.clone(), template.replace("{event}", &t.name)))
        .collect();
    Some(urls)
}

fn describe(state: &AppState, source: &Source) -> SourceOut {
    let none = VerifyFields { key1: None, key2: None, key3: None, api_key: None, secret: None };
    let verify = match &source.verify {
        SourceVerify::Zort(k) => {
            VerifyFields { key1: Some(k.key1.clone()), key2: Some(k.key2.clone()), key3: Some(k.key3.clone()), ..none }
        }
        SourceVerify::Dealpos { api_key } => VerifyFields { api_key: api_key.clone(), ..none },
        SourceVerify::Standard { secrets } => VerifyFields { secret: secrets.first().cloned(), ..none },
    };
    SourceOut {
        id: source.id.to_string(),
        url: url(state, source),
        event_urls: event_urls(state, source),
        dialect: source.verify.dialect().as_str(),
        name: source.name.clone(),
        verify,
        strict: source.strict,
        created_at: rfc3339(source.created_at_ms),
    }
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

/// Makes an inbound URL for a DealPOS, ZORT or Standard Webhooks sender.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/sources", tag = "sources", operation_id = "create_source",
    params(TenantParam), request_body = SourceIn, responses((status = 201, body = SourceOut)))]
async fn create(
    caller: Caller,
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    Json(body): Json<SourceIn>,
) -> Result<(StatusCode, axum::Json<SourceOut>), ApiError> {
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

/// The tenant's sources.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/sources", tag = "sources", operation_id = "list_sources",
    params(TenantParam), responses((status = 200, body = List<SourceOut>)))]
async fn list(
    caller: Caller,
    State(state): State<AppState>,
    Path(tenant): Path<String>,
) -> Result<axum::Json<List<SourceOut>>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    Ok(List::of(state.store.list_sources(&tenant).await?.iter().map(|s| describe(&state, s)).collect()))
}

/// One source.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/sources/{source}", tag = "sources", operation_id = "get_source",
    params(SourceParams), responses((status = 200, body = SourceOut)))]
async fn show(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<axum::Json<SourceOut>, ApiError> {
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
#[utoipa::path(patch, path = "/v1/tenants/{tenant}/sources/{source}", tag = "sources", operation_id = "update_source",
    params(SourceParams), request_body = SourcePatch, responses((status = 200, body = SourceOut)))]
async fn update(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
    Json(body): Json<SourcePatch>,
) -> Result<axum::Json<SourceOut>, ApiError> {
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

/// Deletes a source: its URL answers 404 from now on.
#[utoipa::path(delete, path = "/v1/tenants/{tenant}/sources/{source}", tag = "sources", operation_id = "delete_source",
    params(SourceParams), responses((status = 204, description = "Deleted.")))]
async fn remove(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    state.store.delete_source(&tenant, &source_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The latest 250 events the source received, newest first.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/sources/{source}/inbound", tag = "sources",
    operation_id = "list_source_inbound", params(SourceParams), responses((status = 200, body = List<InboundOut>)))]
async fn inbound_log(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<axum::Json<List<InboundOut>>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let id = source_id(&id)?;
    state.store.get_source(&tenant, &id).await?;
    let records = state.store.list_inbound(&tenant, &id, 250).await?;
    let data = records
        .into_iter()
        .map(|r| InboundOut {
            received_at: rfc3339(r.received_at_ms),
            event_id: r.event_id.to_string(),
            event_type: r.event_type,
            valid: r.validation_error.is_none(),
            validation_error: r.validation_error,
            duplicate: r.duplicate,
        })
        .collect();
    Ok(List::of(data))
}

/// What the source refused, newest first: when, the status the sender got, why, and from which address.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/sources/{source}/refusals", tag = "sources",
    operation_id = "list_source_refusals", params(SourceParams), responses((status = 200, body = List<RefusalOut>)))]
async fn refusal_log(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<axum::Json<List<RefusalOut>>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let id = source_id(&id)?;
    state.store.get_source(&tenant, &id).await?;
    let refusals = state.store.list_refusals(&tenant, &id, kurir_store::REFUSALS_KEPT).await?;
    let data = refusals
        .into_iter()
        .map(|r| RefusalOut { at: rfc3339(r.at_ms), status: r.status, reason: r.reason, address: r.address })
        .collect();
    Ok(List::of(data))
}
