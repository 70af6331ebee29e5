//! An endpoint's signing keys: an HMAC secret (`whsec_`, Standard Webhooks `v1`) or an ed25519 key pair
//! (`whsk_`, `v1a`), what its receivers verify with (the secret, or the `whpk_` public key: the `whsk_` key never
//! leaves kurir once made), and rotation: a new key signs at once and the previous ones beside it for 24 hours.

use axum::body::Bytes;
use axum::extract::{Path, State};
use kurir_core::endpoint::{Endpoint, SigningSecret, ROTATION_OVERLAP_MS};
use kurir_core::id::TenantId;
use kurir_wire::{SignKey, SigningKey, WebhookSecret};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::parse_json;
use crate::state::AppState;
use crate::time::rfc3339;

/// The two schemes, as the API names them.
const HMAC: &str = "v1";
const ED25519: &str = "v1a";

/// The key a new endpoint signs with: the one given (`whsec_…` or `whsk_…`), or a new one of `scheme`.
pub fn new_key(given: Option<&str>, scheme: Option<&str>) -> Result<SignKey, ApiError> {
    match (given, scheme) {
        (Some(text), scheme) => {
            let key = SignKey::parse(text).map_err(|err| ApiError::invalid("secret", err.to_string()))?;
            match scheme {
                Some(scheme) if scheme != scheme_of_key(&key) => Err(ApiError::invalid(
                    "signature_scheme",
                    format!("`{scheme}` does not match the secret given, a {} key", scheme_of_key(&key)),
                )),
                _ => Ok(key),
            }
        }
        (None, scheme) => generated(scheme.unwrap_or(HMAC)),
    }
}

/// A new random key of a scheme.
fn generated(scheme: &str) -> Result<SignKey, ApiError> {
    match scheme {
        HMAC => Ok(SignKey::Secret(WebhookSecret::from_random(rand::random()))),
        ED25519 => Ok(SignKey::Ed25519(SigningKey::from_seed(rand::random()))),
        other => Err(ApiError::invalid("signature_scheme", format!("must be v1 or v1a, not `{other}`"))),
    }
}

fn scheme_of_key(key: &SignKey) -> &'static str {
    match key {
        SignKey::Secret(_) => HMAC,
        SignKey::Ed25519(_) => ED25519,
    }
}

/// The key that signs new deliveries (during a rotation the previous ones sign beside it).
fn current_key(endpoint: &Endpoint) -> Option<SignKey> {
    let current = endpoint.secrets.iter().find(|s| s.expires_at_ms.is_none())?;
    SignKey::parse(&current.secret).ok()
}

/// The scheme an endpoint signs with now.
pub fn scheme_of(endpoint: &Endpoint) -> &'static str {
    current_key(endpoint).as_ref().map_or(HMAC, scheme_of_key)
}

/// What the endpoint's receiver verifies with now: the `whsec_` secret, or the `whpk_` public key.
pub fn receiver_key(endpoint: &Endpoint) -> Option<String> {
    current_key(endpoint).map(|key| key.receiver_key().expose())
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SecretOut {
    /// What the receiver verifies with: the `whsec_` secret (`v1`), or the `whpk_` public key (`v1a`).
    secret: Option<String>,
    signature_scheme: &'static str,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RotateIn {
    /// The scheme of the new key: `v1` or `v1a`; the endpoint's current one when absent. Switching sends both
    /// kinds of signature for 24 hours.
    #[serde(default)]
    signature_scheme: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct RotatedOut {
    /// What receivers verify the new key with: a `whsec_` secret, or a `whpk_` public key.
    secret: String,
    signature_scheme: &'static str,
    /// Until then the previous keys sign beside the new one.
    previous_expires_at: String,
}

/// The endpoint's current signing secret (or, for `v1a`, its public key).
#[utoipa::path(get, path = "/v1/tenants/{tenant}/endpoints/{endpoint}/secret", tag = "endpoints",
    operation_id = "get_endpoint_secret", params(crate::endpoints::EndpointParams),
    responses((status = 200, body = SecretOut)))]
pub(crate) async fn show_secret(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<axum::Json<SecretOut>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let endpoint = state.store.get_endpoint(&tenant, &crate::endpoints::endpoint_id(&id)?).await?;
    Ok(axum::Json(SecretOut { secret: receiver_key(&endpoint), signature_scheme: scheme_of(&endpoint) }))
}

/// A new signing key; the previous one keeps signing beside it for 24 h, so receivers can switch over. The body
/// is optional: `{"signature_scheme": "v1a"}` switches to ed25519 (`v1` back to HMAC).
#[utoipa::path(post, path = "/v1/tenants/{tenant}/endpoints/{endpoint}/rotate-secret", tag = "endpoints",
    operation_id = "rotate_endpoint_secret", params(crate::endpoints::EndpointParams),
    request_body(content = Option<RotateIn>), responses((status = 200, body = RotatedOut)))]
pub(crate) async fn rotate_secret(
    caller: Caller,
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<axum::Json<RotatedOut>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let wanted: RotateIn =
        if body.iter().all(u8::is_ascii_whitespace) { RotateIn::default() } else { parse_json(&body)? };
    let (key, previous_expires_at_ms) = rotate_to(&state, &tenant, &id, wanted.signature_scheme.as_deref()).await?;
    Ok(axum::Json(RotatedOut {
        secret: key.receiver_key().expose(),
        signature_scheme: scheme_of_key(&key),
        previous_expires_at: rfc3339(previous_expires_at_ms),
    }))
}

/// Rotates an endpoint's signing key, keeping its scheme: what receivers verify the new key with, and when the
/// previous one stops signing.
pub async fn rotate(state: &AppState, tenant: &TenantId, id: &str) -> Result<(String, i64), ApiError> {
    let (key, until) = rotate_to(state, tenant, id, None).await?;
    Ok((key.receiver_key().expose(), until))
}

/// Rotates to a new key of `scheme` (the current one when `None`).
async fn rotate_to(
    state: &AppState,
    tenant: &TenantId,
    id: &str,
    scheme: Option<&str>,
) -> Result<(SignKey, i64), ApiError> {
    let mut endpoint = state.store.get_endpoint(tenant, &crate::endpoints::endpoint_id(id)?).await?;
    let fresh = generated(scheme.unwrap_or_else(|| scheme_of(&endpoint)))?;
    let now = kurir_engine::now_ms();
    endpoint.secrets.retain(|s| s.expires_at_ms.is_none_or(|at| at > now));
    for secret in &mut endpoint.secrets {
        secret.expires_at_ms.get_or_insert(now + ROTATION_OVERLAP_MS);
    }
    endpoint.secrets.insert(0, SigningSecret { secret: fresh.expose(), expires_at_ms: None });
    endpoint.updated_at_ms = now;
    state.store.update_endpoint(endpoint).await?;
    Ok((fresh, now + ROTATION_OVERLAP_MS))
}
