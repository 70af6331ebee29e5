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
pub mod callouts;
pub mod deliveries;
pub mod endpoints;
pub mod error;
pub mod event_types;
pub mod events;
pub mod extract;
pub mod inbound;
pub mod metrics;
pub mod refusals;
pub mod sources;
pub mod state;
pub mod tenants;
pub mod throttle;
pub mod time;
pub mod zort_compat;

use axum::routing::get;
use axum::Router;

pub use state::{ApiConfig, AppState};

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .merge(tenants::router())
        .merge(api_keys::router())
        .merge(endpoints::router())
        .merge(events::router())
        .merge(deliveries::router())
        .merge(event_types::router())
        .merge(zort_compat::router())
        .merge(sources::router())
        .merge(callouts::router())
        .merge(inbound::router())
        .merge(metrics::router())
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

/// Ready when the store answers.
async fn ready(axum::extract::State(state): axum::extract::State<AppState>) -> Result<&'static str, error::ApiError> {
    state.store.ping().await?;
    Ok("ready")
}
