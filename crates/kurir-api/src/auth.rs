//! Who is calling. Handlers state what they need in their signature: [`Caller`] for any valid token, then
//! [`Caller::tenant`] to scope a path's tenant, or [`Admin`] for admin-only routes.
//!
//! 401 for a missing, malformed, unknown or revoked token; 403 for a tenant key on an admin-only route; 404 for
//! another tenant's resources, which look exactly like missing ones.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use kurir_core::api_key::{ApiKey, ApiToken};
use kurir_core::id::{ApiKeyId, TenantId};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Admin,
    Tenant { tenant: TenantId, key: ApiKeyId },
}

pub fn sha256(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

impl Caller {
    /// Scopes a `{tenant}` path segment: the admin reaches any existing tenant, a tenant key only its own.
    pub async fn tenant(&self, state: &AppState, path_tenant: &str) -> Result<TenantId, ApiError> {
        let tenant: TenantId = path_tenant.parse().map_err(|_| ApiError::not_found("tenant"))?;
        match self {
            Caller::Tenant { tenant: own, .. } if *own == tenant => Ok(tenant),
            Caller::Tenant { .. } => Err(ApiError::not_found("tenant")),
            Caller::Admin => {
                state.store.get_tenant(&tenant).await?;
                Ok(tenant)
            }
        }
    }

    /// The key that made this call, recorded as an event's origin (loop suppression).
    pub fn key(&self) -> Option<&ApiKeyId> {
        match self {
            Caller::Admin => None,
            Caller::Tenant { key, .. } => Some(key),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let address = client_address(parts);
        guarded(state, address, async {
            let header =
                parts.headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or_else(ApiError::unauthorized)?;
            let token = header
                .strip_prefix("Bearer ")
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or_else(ApiError::unauthorized)?;
            authenticate(state, token).await
        })
        .await
    }
}

/// The address a request came from, when the server records it.
pub fn client_address(parts: &Parts) -> Option<std::net::IpAddr> {
    parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|info| info.0.ip())
}

/// Runs an authentication under the address's failure throttle: 429 while the address is held, and a 401 it
/// gives counts as a failure.
pub async fn guarded<T>(
    state: &AppState,
    address: Option<std::net::IpAddr>,
    attempt: impl std::future::Future<Output = Result<T, ApiError>>,
) -> Result<T, ApiError> {
    let Some(address) = address else { return attempt.await };
    state.auth_failures.check(&address).map_err(ApiError::throttled)?;
    let result = attempt.await;
    if matches!(&result, Err(err) if err.status == axum::http::StatusCode::UNAUTHORIZED) {
        state.auth_failures.failed(address);
    }
    result
}

/// The caller a bearer token (the admin token, or a tenant's API key) is; 401 for anything else. The
/// dashboard's sign-in comes through here too.
pub async fn authenticate(state: &AppState, token: &str) -> Result<Caller, ApiError> {
    let Some(parsed) = ApiToken::parse(token) else {
        let matches: bool = sha256(token).ct_eq(&state.config.admin_token_hash).into();
        return if matches { Ok(Caller::Admin) } else { Err(ApiError::unauthorized()) };
    };
    let key = verify_key(state, parsed.key_id, parsed.secret).await?.ok_or_else(ApiError::unauthorized)?;
    Ok(Caller::Tenant { tenant: key.tenant, key: key.id })
}

/// The API key `key_id` when `secret` is its secret and it is not revoked; `None` for anything else, without
/// saying which part was wrong. Bearer tokens and ZORT's `apikey`/`apisecret` headers both come through here.
pub async fn verify_key(state: &AppState, key_id: &str, secret: &str) -> Result<Option<ApiKey>, ApiError> {
    let now = std::time::Instant::now();
    let key = match state.api_keys.get(key_id, now) {
        Some(key) => key,
        None => {
            let reading = state.api_keys.reading();
            let Some(key) = state.store.find_api_key(key_id).await? else { return Ok(None) };
            state.api_keys.remember(key.clone(), reading, now);
            key
        }
    };
    let matches: bool = sha256(secret).ct_eq(&key.secret_hash).into();
    Ok((matches && key.is_active()).then_some(key))
}

/// An admin-only route's proof that the caller is the admin.
pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match Caller::from_request_parts(parts, state).await? {
            Caller::Admin => Ok(Admin),
            Caller::Tenant { .. } => Err(ApiError::forbidden("this route needs the admin token")),
        }
    }
}
