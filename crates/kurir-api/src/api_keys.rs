//! `/v1/tenants/{tenant}/api-keys`: a tenant's credentials. The secret is shown once, at creation.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use kurir_core::api_key::ApiKey;
use kurir_core::id::{ApiKeyId, TenantId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{sha256, Caller};
use crate::error::ApiError;
use crate::extract::Json;
use crate::openapi::{List, TenantParam};
use crate::state::AppState;
use crate::time::rfc3339;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ApiKeyIn {
    /// 1-200 characters: what the key is for.
    name: String,
}

#[derive(Serialize, ToSchema)]
struct ApiKeyOut {
    id: String,
    /// The key id again, under the name the ZORT-style headers use (`apikey`).
    key: String,
    name: String,
    created_at: String,
    revoked_at: Option<String>,
}

impl From<ApiKey> for ApiKeyOut {
    fn from(key: ApiKey) -> Self {
        ApiKeyOut {
            id: key.id.to_string(),
            key: key.id.to_string(),
            name: key.name,
            created_at: rfc3339(key.created_at_ms),
            revoked_at: key.revoked_at_ms.map(rfc3339),
        }
    }
}

/// A new key, with its secret: shown this once.
#[derive(Serialize, ToSchema)]
struct ApiKeyCreated {
    #[serde(flatten)]
    key: ApiKeyOut,
    /// The key's secret (the ZORT-style `apisecret`).
    secret: String,
    /// `key.secret`: the bearer token.
    token: String,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(revoke))
}

/// A new secret: 256 random bits, URL-safe base64 (no dot, so the token splits unambiguously).
fn new_secret() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// Makes an API key; its secret and bearer token are shown in this answer only.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/api-keys", tag = "api-keys", operation_id = "create_api_key",
    params(TenantParam), request_body = ApiKeyIn, responses((status = 201, body = ApiKeyCreated)))]
async fn create(
    caller: Caller,
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    Json(body): Json<ApiKeyIn>,
) -> Result<(StatusCode, axum::Json<ApiKeyCreated>), ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let (key, secret, token) = create_key(&state, tenant, &body.name).await?;
    Ok((StatusCode::CREATED, axum::Json(ApiKeyCreated { key: key.into(), secret, token })))
}

/// Makes an API key for a tenant: the key, its secret and its bearer token (`<id>.<secret>`), shown once.
pub async fn create_key(state: &AppState, tenant: TenantId, name: &str) -> Result<(ApiKey, String, String), ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::invalid("name", "must be 1-200 characters and not blank"));
    }
    let now = kurir_engine::now_ms();
    let secret = new_secret();
    let key = ApiKey {
        id: ApiKeyId::generate(now as u64, rand::random()),
        tenant,
        name: name.to_owned(),
        secret_hash: sha256(&secret),
        created_at_ms: now,
        revoked_at_ms: None,
    };
    state.store.create_api_key(key.clone()).await?;
    let token = format!("{}.{secret}", key.id);
    Ok((key, secret, token))
}

/// The tenant's API keys, revoked ones included; never their secrets.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/api-keys", tag = "api-keys", operation_id = "list_api_keys",
    params(TenantParam), responses((status = 200, body = List<ApiKeyOut>)))]
async fn list(
    caller: Caller,
    State(state): State<AppState>,
    Path(tenant): Path<String>,
) -> Result<axum::Json<List<ApiKeyOut>>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let keys: Vec<ApiKeyOut> = state.store.list_api_keys(&tenant).await?.into_iter().map(ApiKeyOut::from).collect();
    Ok(List::of(keys))
}

/// Revokes a key: it stops working at once on the node that revoked it, and within a second on the others sharing
/// the database.
#[utoipa::path(delete, path = "/v1/tenants/{tenant}/api-keys/{key}", tag = "api-keys", operation_id = "revoke_api_key",
    params(TenantParam, ("key" = String, Path, description = "The key's id.")),
    responses((status = 204, description = "Revoked.")))]
async fn revoke(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, key)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    revoke_key(&state, &tenant, &key).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes one of a tenant's API keys: it stops working at once here (within a second on other nodes, whose
/// [`crate::key_cache`] may hold it), and the dashboard sessions made with it end.
pub async fn revoke_key(state: &AppState, tenant: &TenantId, key: &str) -> Result<(), ApiError> {
    let key: ApiKeyId = key.parse().map_err(|_| ApiError::not_found("api key"))?;
    state.store.revoke_api_key(tenant, &key, kurir_engine::now_ms()).await?;
    state.api_keys.forget(key.as_str());
    Ok(())
}
