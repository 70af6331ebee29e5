//! OAuth 2.0 client credentials towards endpoints (RFC 6749 §4.4), as DealPOS offers its merchants.
//!
//! One cached token per endpoint. Fetching is single-flight: the first attempt that finds no valid token fetches
//! one while the others for the same endpoint wait for it, so a burst of deliveries costs one token request. A
//! token is used until 30 s before it expires (5 minutes when the server gives no `expires_in`); an endpoint that
//! answers 401 gets one fresh token and one resend within the same attempt.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use kurir_core::endpoint::EndpointAuth;
use kurir_core::id::EndpointId;
use serde_json::Value;

/// How long before its expiry a token stops being used.
const EXPIRY_MARGIN: Duration = Duration::from_secs(30);
/// How long a token without `expires_in` is used.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);
/// The longest a token request may take.
const TOKEN_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone)]
struct Token {
    value: String,
    usable_until: Instant,
}

type Slot = Arc<tokio::sync::Mutex<Option<Token>>>;

#[derive(Default)]
pub struct TokenCache {
    slots: Mutex<HashMap<EndpointId, Slot>>,
}

impl TokenCache {
    fn slot(&self, endpoint: &EndpointId) -> Slot {
        let Ok(mut slots) = self.slots.lock() else { return Slot::default() };
        Arc::clone(slots.entry(endpoint.clone()).or_default())
    }

    /// A token for `endpoint`: the cached one while it is good, else a new one. `stale` is a token the endpoint
    /// just refused; if it is still the cached one, it is dropped and a new one fetched.
    pub async fn token(
        &self,
        client: &reqwest::Client,
        endpoint: &EndpointId,
        auth: &EndpointAuth,
        stale: Option<&str>,
    ) -> Result<String, String> {
        let slot = self.slot(endpoint);
        let mut cached = slot.lock().await;
        if let Some(token) = cached.as_ref() {
            let refused = stale == Some(token.value.as_str());
            if !refused && token.usable_until > Instant::now() {
                return Ok(token.value.clone());
            }
        }
        let fresh = fetch(client, auth).await?;
        let value = fresh.value.clone();
        *cached = Some(fresh);
        Ok(value)
    }
}

async fn fetch(client: &reqwest::Client, auth: &EndpointAuth) -> Result<Token, String> {
    let EndpointAuth::OAuth2 { token_url, client_id, client_secret, scope } = auth;
    let mut form = form_body(&[("grant_type", "client_credentials")]);
    if let Some(scope) = scope {
        form = format!("{form}&{}", form_body(&[("scope", scope)]));
    }
    // RFC 6749 §2.3.1: the client id and secret are form-encoded before they are joined for Basic.
    let credentials = STANDARD.encode(format!("{}:{}", form_body_value(client_id), form_body_value(client_secret)));
    let response = client
        .post(token_url)
        .timeout(TOKEN_TIMEOUT)
        .header("authorization", format!("Basic {credentials}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(form)
        .send()
        .await
        .map_err(|err| format!("token request failed: {err}"))?;
    let status = response.status();
    let body = response.text().await.map_err(|err| format!("token response unreadable: {err}"))?;
    if !status.is_success() {
        return Err(format!("the token endpoint answered {status}"));
    }
    let json: Value = serde_json::from_str(&body).map_err(|_| "the token response is not JSON".to_owned())?;
    let value =
        json["access_token"].as_str().filter(|t| !t.is_empty()).ok_or("the token response has no access_token")?;
    let lifetime = json["expires_in"].as_u64().map(Duration::from_secs).unwrap_or(DEFAULT_LIFETIME);
    Ok(Token { value: value.to_owned(), usable_until: Instant::now() + lifetime.saturating_sub(EXPIRY_MARGIN) })
}

fn form_body(pairs: &[(&str, &str)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        serializer.append_pair(name, value);
    }
    serializer.finish()
}

fn form_body_value(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
