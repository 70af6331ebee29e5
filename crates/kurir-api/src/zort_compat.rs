//! ZORT-compatible webhook management: `POST /v4/Webhook/UpdateWebhook` and `GET /v4/Webhook/GetWebhook`.
//!
//! A ZORT client authenticates with the headers `storename` (the tenant id), `apikey` (an API key's id) and
//! `apisecret` (its secret), and configures one URL per trigger plus the three "Key Reference" values that go
//! out as headers. Behind the calls are ordinary `zort` endpoints, one per distinct URL, subscribed to the
//! triggers that point at it and owned by the calling key, so an event published with that key is not echoed
//! back to them (ZORT's loop rule). They are visible and editable in the REST API.
//!
//! Decisions where ZORT's docs are silent (docs/platforms.md lists them):
//! - UpdateWebhook replaces the calling key's whole configuration: a field that is absent, null or blank switches
//!   its trigger off, as ZORT's docs say of every URL field.
//! - The four delete triggers without a documented field get kurir's own (`deleteorderurl`,
//!   `deletepurchaseurl`, `deletereturnorderurl`, `deletereturnpurchaseurl`). When one is absent (a client that
//!   does not know kurir's fields), that trigger goes to the matching update URL; present and null or blank, it is
//!   off like any other.
//! - GetWebhook answers, for every field, the URL its trigger goes to (so a delete field shows its fallback).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use kurir_core::endpoint::{self, Dialect, Endpoint, SigningSecret, ZortKeys, DEFAULT_TIMEOUT_MS};
use kurir_core::id::{ApiKeyId, EndpointId, TenantId};
use kurir_wire::WebhookSecret;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::verify_key;
use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(update_webhook)).routes(routes!(get_webhook))
}

/// ZORT's answer: a status code and a description, and for GetWebhook every field of the configuration (`key1`,
/// `key2`, `key3` and one `…url` per trigger, each a string or null).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
struct ZortAnswer {
    /// The HTTP status again, as text (`"200"`).
    #[serde(rename = "resCode")]
    res_code: String,
    #[serde(rename = "resDesc")]
    res_desc: String,
    #[serde(flatten)]
    configuration: BTreeMap<String, Option<String>>,
}

/// UpdateWebhook's fields, as JSON or as a form: `key1`, `key2`, `key3` and one `…url` field per trigger
/// (`addproducturl`, …; `GET /v1/event-types` gives each ZORT type's `zort.url_field`), each a string or null.
#[derive(ToSchema)]
#[allow(dead_code)]
struct UpdateWebhookIn {
    key1: Option<String>,
    key2: Option<String>,
    key3: Option<String>,
    #[serde(flatten)]
    urls: BTreeMap<String, Option<String>>,
}

/// Turns a failure of the store into ZORT's answer shape, keeping its status (and `Retry-After` for a 503).
fn failed(err: ApiError) -> Response {
    let mut response = refuse(err.status, "Internal error");
    if err.status == StatusCode::SERVICE_UNAVAILABLE {
        response.headers_mut().insert(header::RETRY_AFTER, axum::http::HeaderValue::from_static("5"));
    }
    response
}

/// ZORT's answer shape: `{"resCode": "<status>", "resDesc": "..."}`, with the HTTP status to match.
fn answer(status: StatusCode, description: &str, mut extra: Map<String, Value>) -> Response {
    extra.insert("resCode".into(), status.as_u16().to_string().into());
    extra.insert("resDesc".into(), description.into());
    (status, axum::Json(Value::Object(extra))).into_response()
}

fn refuse(status: StatusCode, description: &str) -> Response {
    answer(status, description, Map::new())
}

/// The tenant and key that `storename`/`apikey`/`apisecret` name, or a ZORT-shaped refusal. Which of the three
/// was wrong is not said.
/// Failed attempts count against the address's throttle, as bearer tokens do (429 with `Retry-After` while held).
async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<Peer>,
) -> Result<(TenantId, ApiKeyId), Response> {
    let address = peer.map(|axum::Extension(info)| info.0.ip());
    if let Some(Err(secs)) = address.map(|ip| state.auth_failures.check(&ip)) {
        let mut refusal = refuse(StatusCode::TOO_MANY_REQUESTS, "Too many failed authentications; try again later");
        if let Ok(value) = axum::http::HeaderValue::from_str(&secs.to_string()) {
            refusal.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return Err(refusal);
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty());
    let denied = || {
        if let Some(ip) = address {
            state.auth_failures.failed(ip);
        }
        refuse(StatusCode::UNAUTHORIZED, "Invalid storename, apikey or apisecret")
    };
    let (Some(store), Some(key_id), Some(secret)) = (header("storename"), header("apikey"), header("apisecret")) else {
        return Err(denied());
    };
    match verify_key(state, key_id, secret).await {
        Ok(Some(key)) if key.tenant.as_str() == store => Ok((key.tenant, key.id)),
        Ok(_) => Err(denied()),
        Err(err) => Err(err.into_response()),
    }
}

/// The ZORT triggers of the catalog: (url field, trigger name, fallback field).
fn triggers(state: &AppState) -> Vec<(String, String, Option<String>)> {
    state
        .catalog
        .iter()
        .filter_map(|t| t.zort.as_ref().map(|z| (z.url_field.clone(), t.name.clone(), z.fallback_url_field.clone())))
        .collect()
}

/// Reads a JSON or form body into field → value (lower-cased names; JSON values must be strings or null).
fn read_fields(headers: &HeaderMap, body: &Bytes) -> Result<HashMap<String, String>, String> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        return Ok(form_urlencoded::parse(body).map(|(k, v)| (k.to_ascii_lowercase(), v.into_owned())).collect());
    }
    let value: Value = serde_json::from_slice(body).map_err(|err| format!("the body is not JSON or a form: {err}"))?;
    let object = value.as_object().ok_or("the body must be a JSON object")?;
    let mut fields = HashMap::new();
    for (name, value) in object {
        match value {
            Value::String(text) => {
                fields.insert(name.to_ascii_lowercase(), text.clone());
            }
            // Null is a field that is present and blank: its trigger is off.
            Value::Null => {
                fields.insert(name.to_ascii_lowercase(), String::new());
            }
            _ => return Err(format!("{name} must be a string")),
        }
    }
    Ok(fields)
}

/// The caller's address, as the server records it.
type Peer = axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>;

/// ZORT's UpdateWebhook: replaces the calling key's whole webhook configuration.
#[utoipa::path(post, path = "/v4/Webhook/UpdateWebhook", tag = "zort",
    security(("zort_storename" = [], "zort_apikey" = [], "zort_apisecret" = [])),
    request_body(content((UpdateWebhookIn = "application/json"), (UpdateWebhookIn = "application/x-www-form-urlencoded"))),
    responses(
        (status = 200, body = ZortAnswer),
        (status = 400, description = "A field breaks a rule; `resDesc` names it.", body = ZortAnswer),
        (status = 401, description = "Wrong storename, apikey or apisecret.", body = ZortAnswer),
        (status = 429, description = "Too many failed authentications; see `Retry-After`.", body = ZortAnswer),
        (status = 503, description = "The database is unavailable; nothing was changed.", body = ZortAnswer),
    ))]
async fn update_webhook(
    State(state): State<AppState>,
    peer: Option<Peer>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (tenant, key) = match authenticate(&state, &headers, peer).await {
        Ok(caller) => caller,
        Err(refusal) => return refusal,
    };
    let fields = match read_fields(&headers, &body) {
        Ok(fields) => fields,
        Err(problem) => return refuse(StatusCode::BAD_REQUEST, &problem),
    };
    match apply(&state, &tenant, &key, &fields).await {
        Ok(()) => answer(StatusCode::OK, "Success", Map::new()),
        Err(Problem::Input(problem)) => refuse(StatusCode::BAD_REQUEST, &problem),
        // The cause was logged when the error was made; the caller learns nothing of it.
        Err(Problem::Internal(err)) => failed(err),
    }
}

enum Problem {
    Input(String),
    Internal(ApiError),
}

impl From<kurir_store::StoreError> for Problem {
    fn from(err: kurir_store::StoreError) -> Self {
        Problem::Internal(ApiError::from(err))
    }
}

/// The tenant's choice of signature headers, applied to every endpoint UpdateWebhook made for it (zort endpoints
/// owned by a key), so the choice is made once and holds for all of them.
pub async fn apply_signature_choice(state: &AppState, tenant: &kurir_core::tenant::Tenant) -> Result<(), ApiError> {
    let now = kurir_engine::now_ms();
    for endpoint in state.store.list_endpoints(&tenant.id).await? {
        let managed = endpoint.dialect == Dialect::Zort && endpoint.owner_key.is_some();
        if managed && endpoint.signature_headers != tenant.zort_signature_headers {
            let signature_headers = tenant.zort_signature_headers;
            state.store.update_endpoint(Endpoint { signature_headers, updated_at_ms: now, ..endpoint }).await?;
        }
    }
    Ok(())
}

/// Validates the whole configuration, then replaces the key's `zort` endpoints with it in one transaction.
async fn apply(
    state: &AppState,
    tenant: &TenantId,
    key: &ApiKeyId,
    fields: &HashMap<String, String>,
) -> Result<(), Problem> {
    let known = known_fields(state);
    if let Some(name) = fields.keys().filter(|name| !known.contains(*name)).min() {
        return Err(Problem::Input(unknown_field(name, &known)));
    }
    let value = |name: &str| fields.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    let keys = ZortKeys {
        key1: value("key1").ok_or(Problem::Input("key1 is required".into()))?.to_owned(),
        key2: value("key2").ok_or(Problem::Input("key2 is required".into()))?.to_owned(),
        key3: value("key3").ok_or(Problem::Input("key3 is required".into()))?.to_owned(),
    };
    keys.validate().map_err(|err| Problem::Input(err.to_string()))?;

    // URL → the triggers that go there, in a stable order.
    let mut targets: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (field, trigger, fallback) in triggers(state) {
        // A blank field switches its trigger off; only an absent one falls back (kurir's own delete fields).
        let url = match fields.contains_key(&field) {
            true => value(&field),
            false => fallback.as_deref().and_then(value),
        };
        if let Some(url) = url {
            endpoint::validate_url(url, state.config.allow_private_targets)
                .map_err(|err| Problem::Input(format!("{field}: {}", err.into_message())))?;
            targets.entry(url.to_owned()).or_default().push(trigger);
        }
    }

    let now = kurir_engine::now_ms();
    let signature_headers = state.store.get_tenant(tenant).await?.zort_signature_headers;
    let current: Vec<Endpoint> = state
        .store
        .list_endpoints(tenant)
        .await?
        .into_iter()
        .filter(|e| e.dialect == Dialect::Zort && e.owner_key.as_ref() == Some(key))
        .collect();
    let endpoints = targets
        .into_iter()
        .map(|(url, mut types)| {
            types.sort();
            match current.iter().find(|e| e.url == url) {
                Some(existing) => Endpoint {
                    event_types: Some(types),
                    zort_keys: Some(keys.clone()),
                    signature_headers,
                    updated_at_ms: now,
                    ..existing.clone()
                },
                None => Endpoint { signature_headers, ..new_endpoint(tenant, key, url, types, keys.clone(), now) },
            }
        })
        .collect();
    state.store.replace_owned_endpoints(tenant, key, Dialect::Zort, endpoints, now).await?;
    // The keys are the configuration's, not only its endpoints': kept even when every trigger is off.
    let keys_json = serde_json::json!({"key1": keys.key1, "key2": keys.key2, "key3": keys.key3}).to_string();
    state.store.put_secret(&keys_setting(tenant, key), Some(&keys_json)).await?;
    Ok(())
}

/// The sealed setting that holds a ZORT configuration's keys: one per tenant and API key.
fn keys_setting(tenant: &TenantId, key: &ApiKeyId) -> String {
    format!("zort.keys.{tenant}.{key}")
}

/// The keys the last UpdateWebhook of this key set (`None` before any).
async fn stored_keys(state: &AppState, tenant: &TenantId, key: &ApiKeyId) -> Result<Option<ZortKeys>, ApiError> {
    let Some(text) = state.store.get_secret(&keys_setting(tenant, key)).await? else { return Ok(None) };
    let value: Value = serde_json::from_str(&text).map_err(|err| ApiError::internal(&err))?;
    let field = |name: &str| value[name].as_str().unwrap_or_default().to_owned();
    Ok(Some(ZortKeys { key1: field("key1"), key2: field("key2"), key3: field("key3") }))
}

/// Every field UpdateWebhook takes: the three keys, each trigger's URL field and kurir's own fields for the
/// delete triggers that ZORT gives none.
fn known_fields(state: &AppState) -> BTreeSet<String> {
    let mut known: BTreeSet<String> = ["key1", "key2", "key3"].into_iter().map(str::to_owned).collect();
    for (field, _, fallback) in triggers(state) {
        known.insert(field.to_ascii_lowercase());
        known.extend(fallback.map(|f| f.to_ascii_lowercase()));
    }
    known
}

/// Says which field is unknown, and the known one it most likely meant (a misspelled field would otherwise be
/// ignored, and its trigger silently not configured).
fn unknown_field(name: &str, known: &BTreeSet<String>) -> String {
    let closest = known.iter().min_by_key(|candidate| edit_distance(name, candidate));
    match closest {
        Some(closest) if edit_distance(name, closest) <= 3 => {
            format!("{name} is not an UpdateWebhook field; did you mean {closest}?")
        }
        _ => format!("{name} is not an UpdateWebhook field"),
    }
}

/// Levenshtein distance between two field names.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

fn new_endpoint(
    tenant: &TenantId,
    key: &ApiKeyId,
    url: String,
    types: Vec<String>,
    keys: ZortKeys,
    now: i64,
) -> Endpoint {
    Endpoint {
        id: EndpointId::generate(now as u64, rand::random()),
        tenant: tenant.clone(),
        url,
        dialect: Dialect::Zort,
        description: "configured through ZORT UpdateWebhook".into(),
        event_types: Some(types),
        headers: BTreeMap::new(),
        secrets: vec![SigningSecret {
            secret: WebhookSecret::from_random(rand::random()).expose(),
            expires_at_ms: None,
        }],
        retry_schedule: None,
        timeout_ms: DEFAULT_TIMEOUT_MS,
        enabled: true,
        disabled_reason: None,
        owner_key: Some(key.clone()),
        zort_keys: Some(keys),
        signature_headers: true,
        auth: None,
        max_in_flight: None,
        circuit: Default::default(),
        rate_limit: None,
        created_at_ms: now,
        updated_at_ms: now,
    }
}

/// ZORT's GetWebhook: the calling key's keys and the URL of every trigger (null when off).
#[utoipa::path(get, path = "/v4/Webhook/GetWebhook", tag = "zort",
    security(("zort_storename" = [], "zort_apikey" = [], "zort_apisecret" = [])),
    responses(
        (status = 200, body = ZortAnswer),
        (status = 401, description = "Wrong storename, apikey or apisecret.", body = ZortAnswer),
        (status = 429, description = "Too many failed authentications; see `Retry-After`.", body = ZortAnswer),
        (status = 503, description = "The database is unavailable.", body = ZortAnswer),
    ))]
async fn get_webhook(State(state): State<AppState>, peer: Option<Peer>, headers: HeaderMap) -> Response {
    let (tenant, key) = match authenticate(&state, &headers, peer).await {
        Ok(caller) => caller,
        Err(refusal) => return refusal,
    };
    let endpoints = match state.store.list_endpoints(&tenant).await {
        Ok(endpoints) => endpoints,
        Err(err) => return failed(ApiError::from(err)),
    };
    let owned: Vec<&Endpoint> =
        endpoints.iter().filter(|e| e.dialect == Dialect::Zort && e.owner_key.as_ref() == Some(&key)).collect();
    let keys = match owned.iter().find_map(|e| e.zort_keys.clone()) {
        Some(keys) => Some(keys),
        None => match stored_keys(&state, &tenant, &key).await {
            Ok(keys) => keys,
            Err(err) => return failed(err),
        },
    };
    let mut out = Map::new();
    out.insert("key1".into(), keys.as_ref().map(|k| k.key1.clone()).into());
    out.insert("key2".into(), keys.as_ref().map(|k| k.key2.clone()).into());
    out.insert("key3".into(), keys.as_ref().map(|k| k.key3.clone()).into());
    for (field, trigger, _) in triggers(&state) {
        let url = owned.iter().find(|e| e.enabled && e.wants(&trigger, None)).map(|e| e.url.clone());
        out.insert(field, url.into());
    }
    answer(StatusCode::OK, "Success", out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_named_with_a_suggestion() {
        assert_eq!(edit_distance("updateproductur", "updateproducturl"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        let known: BTreeSet<String> = ["key1", "updateproducturl"].into_iter().map(str::to_owned).collect();
        assert_eq!(
            unknown_field("updateproductur", &known),
            "updateproductur is not an UpdateWebhook field; did you mean updateproducturl?"
        );
        assert_eq!(unknown_field("colour", &known), "colour is not an UpdateWebhook field");
    }

    #[test]
    fn fields_come_from_json_or_forms() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, "application/json".parse().unwrap_or_else(|_| unreachable!()));
        let fields = read_fields(&headers, &Bytes::from_static(br#"{"Key1": "a", "addproducturl": null}"#));
        assert_eq!(fields.ok().and_then(|f| f.get("key1").cloned()).as_deref(), Some("a"));
        let bad = read_fields(&headers, &Bytes::from_static(br#"{"key1": 5}"#));
        assert_eq!(bad.err().as_deref(), Some("key1 must be a string"));
        headers.insert(
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded".parse().unwrap_or_else(|_| unreachable!()),
        );
        let form = read_fields(&headers, &Bytes::from_static(b"key1=a%20b&addproducturl=https%3A%2F%2Fx.example%2Fp"));
        let form = form.unwrap_or_default();
        assert_eq!(form.get("key1").map(String::as_str), Some("a b"));
        assert_eq!(form.get("addproducturl").map(String::as_str), Some("https://x.example/p"));
    }
}
