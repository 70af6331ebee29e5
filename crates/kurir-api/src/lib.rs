//! kurir's HTTP surface: the management and publish API under `/v1`, and health checks.
//!
//! # Layout
//!
//! One module per resource, each with its own `router()` and its DTOs (`…In`, `…Out`): [`tenants`],
//! [`api_keys`], [`endpoints`], [`events`], [`deliveries`], [`event_types`]; [`zort_compat`] is ZORT's own
//! `UpdateWebhook`/`GetWebhook` over the same endpoints. [`auth`] turns the bearer token into
//! a [`auth::Caller`] that handlers take as an argument, so every route states who may call it; [`error`] is the
//! one error shape; [`extract`] makes malformed input answer in that shape too.
//!
//! # Design
//!
//! The DTOs are the HTTP contract; domain types never go on the wire as they are. This crate is the only one that
//! knows status codes. [`app`] builds the router from state alone, so tests can drive it without a socket.

pub mod access;
pub mod api_keys;
pub mod auth;
pub mod backfills;
pub mod callouts;
pub mod deliveries;
pub mod endpoints;
pub mod error;
pub mod event_types;
pub mod events;
pub mod extract;
pub mod inbound;
pub mod key_cache;
pub mod metrics;
pub mod openapi;
pub mod publish_limit;
pub mod refusals;
pub mod signing;
pub mod sources;
pub mod state;
pub mod tenants;
pub mod throttle;
pub mod time;
pub mod zort_compat;

use std::sync::OnceLock;

use axum::http::header;
use axum::Router;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use state::{ApiConfig, AppState};

/// Every route with its description. A route is added here or in a module's `router()`, always by `routes!`.
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(ready))
        .routes(routes!(openapi_json))
        .merge(tenants::router())
        .merge(api_keys::router())
        .merge(endpoints::router())
        .merge(backfills::router())
        .merge(events::router())
        .merge(deliveries::router())
        .merge(event_types::router())
        .merge(zort_compat::router())
        .merge(sources::router())
        .merge(callouts::router())
        .merge(inbound::router())
        .merge(metrics::router())
}

/// The OpenAPI description of every route, as served at `/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    openapi::finish(routes().into_openapi())
}

/// [`document`] as JSON, made once.
fn document_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| document().to_json().unwrap_or_else(|err| format!("{{\"error\": \"{err}\"}}")))
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    Router::from(routes())
        .fallback(|| async { error::ApiError::not_found("route") })
        // A known path with a method it does not take: the standard error body, not an empty 405.
        .method_not_allowed_fallback(|method: axum::http::Method, uri: axum::http::Uri| async move {
            error::ApiError::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!("{} does not take {method}", uri.path()),
            )
        })
        .layer(axum::extract::DefaultBodyLimit::max(events::MAX_EVENT_BYTES))
        .with_state(state)
}

/// Alive: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "health", security(()), responses((status = 200, body = String, example = "ok")))]
async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the store answers.
#[utoipa::path(get, path = "/readyz", tag = "health", security(()), responses((status = 200, body = String, example = "ready"),
    (status = 503, description = "The store does not answer.", body = openapi::ErrorBody)))]
async fn ready(axum::extract::State(state): axum::extract::State<AppState>) -> Result<&'static str, error::ApiError> {
    state.store.ping().await?;
    Ok("ready")
}

/// This document: the OpenAPI 3.1 description of every route. A readable rendering is at `/docs`.
#[utoipa::path(get, path = "/openapi.json", tag = "health", security(()),
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json", body = Object)))]
async fn openapi_json() -> impl axum::response::IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], document_json())
}
