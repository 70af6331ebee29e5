//! kurir's web dashboard at `/ui`, served by `kurir serve` itself.
//!
//! # Layout
//!
//! Server-rendered pages (maud) with one small script for live regions; the CSS and the script are embedded in
//! the binary ([`assets`]). [`session`] is the signed sign-in cookie and the form token (pure); [`web_auth`] turns
//! the cookie into the REST API's own [`kurir_api::auth::Caller`] and refuses forms from other sites; [`layout`]
//! is the page shell (navigation, tenant switcher, sign-out); [`pages`] holds one module per page (and `/docs`, the
//! API reference rendered from the OpenAPI document); [`chart`] draws
//! SVG charts and [`format`] turns values into words (both pure).
//!
//! # Design
//!
//! The dashboard has no path of its own to the data: pages read through the [`kurir_store::Store`] trait exactly
//! as the REST handlers do, and every change goes through the operation the REST route calls (creating an
//! endpoint, retrying a delivery, recovering...), so validation, tenant scoping and wake-ups are written once, in
//! kurir-api. A tenant key sees only its tenant; the admin sees every tenant and switches between them.

pub mod assets;
pub mod chart;
pub mod fields;
pub mod format;
pub mod layout;
pub mod pages;
pub mod session;
pub mod web_auth;

use axum::http::{header, HeaderName, HeaderValue};
use axum::routing::{get, post};
use axum::Router;
use kurir_api::AppState;
use kurir_store::StoreError;

use crate::session::SessionKey;

/// The store setting that holds the key sessions are signed with, shared by every node and sealed like every
/// secret (a copy of the database cannot forge a session).
const SESSION_KEY_SETTING: &str = "ui.session_key.sealed";

/// What every page can reach: the API's state and the session key.
#[derive(Clone)]
pub struct Dashboard {
    pub app: AppState,
    pub key: SessionKey,
}

impl Dashboard {
    /// The dashboard over `app`, with the cluster's session key (made on first start).
    pub async fn open(app: AppState) -> Result<Dashboard, StoreError> {
        let fresh: [u8; 32] = rand::random();
        let stored = app.store.secret_setting(SESSION_KEY_SETTING, fresh.to_vec()).await?;
        let bytes: [u8; 32] = stored.try_into().map_err(|_| StoreError::Corrupt {
            table: "settings",
            message: format!("{SESSION_KEY_SETTING} is not 32 bytes"),
        })?;
        Ok(Dashboard { app, key: SessionKey::new(bytes) })
    }
}

/// The dashboard's routes, to merge beside the API's.
pub fn router(dashboard: Dashboard) -> Router {
    use pages::{catalog, endpoints, event, events, keys, overview, sign_in, sources};
    Router::new()
        .route("/ui", get(pages::home))
        .route("/ui/", get(pages::home))
        .route("/ui/sign-in", get(sign_in::form).post(sign_in::submit))
        .route("/ui/sign-out", post(sign_in::sign_out))
        .route("/ui/switch", get(pages::switch_tenant))
        .route("/ui/assets/{name}", get(assets::serve))
        .route("/ui/t/{tenant}", get(overview::page))
        .route("/ui/t/{tenant}/endpoints", get(endpoints::list).post(endpoints::create))
        .route("/ui/t/{tenant}/endpoints/new", get(endpoints::new_form))
        .route("/ui/t/{tenant}/endpoints/{endpoint}", get(endpoints::show))
        .route("/ui/t/{tenant}/endpoints/{endpoint}/edit", get(endpoints::edit_form).post(endpoints::edit_submit))
        .route("/ui/t/{tenant}/endpoints/{endpoint}/{action}", post(endpoints::act))
        .route("/ui/t/{tenant}/events", get(events::list))
        .route("/ui/t/{tenant}/events/{event}", get(event::show))
        .route("/ui/t/{tenant}/deliveries/{delivery}/retry", post(event::retry))
        .route("/ui/t/{tenant}/catalog", get(catalog::list))
        .route("/ui/t/{tenant}/catalog/{name}", get(catalog::show))
        .route("/ui/t/{tenant}/sources", get(sources::list))
        .route("/ui/t/{tenant}/sources/{source}", get(sources::show))
        .route("/ui/t/{tenant}/api-keys", get(keys::list).post(keys::create))
        .route("/ui/t/{tenant}/api-keys/{key}/revoke", post(keys::revoke))
        .route("/ui/t/{tenant}/callouts", get(keys::callouts))
        .route("/docs", get(pages::api_docs::page))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(dashboard)
}

/// Pages load only their own scripts and styles, are never framed, and are not cached.
async fn security_headers(mut response: axum::response::Response) -> axum::response::Response {
    let headers = response.headers_mut();
    let policy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                  form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(HeaderName::from_static("referrer-policy"), HeaderValue::from_static("same-origin"));
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}
