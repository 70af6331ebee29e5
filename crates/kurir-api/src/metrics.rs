//! `GET /metrics`: the process's metrics in the Prometheus text format (OpenMetrics), with the queue and the
//! endpoints' health read from the store at scrape time. Admin only: give Prometheus the admin token
//! (`authorization: {credentials: ...}` in its scrape config).

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use kurir_metrics::StoreGauges;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Admin;
use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(scrape))
}

/// The process's metrics for Prometheus (the admin token only).
#[utoipa::path(get, path = "/metrics", tag = "health", security(("admin_token" = [])),
    responses((status = 200, description = "OpenMetrics text.", body = String,
        content_type = "application/openmetrics-text")))]
async fn scrape(_admin: Admin, State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let now = kurir_engine::now_ms();
    let summary = state.store.queue_summary(now).await?;
    let gauges = StoreGauges {
        queued: i64::try_from(summary.unfinished).unwrap_or(i64::MAX),
        oldest_due_age_secs: summary.oldest_due_ms.map(|due| (now - due).max(0) as f64 / 1000.0).unwrap_or(0.0),
        circuits_open: i64::try_from(summary.circuits_open).unwrap_or(i64::MAX),
        endpoints_disabled: i64::try_from(summary.endpoints_disabled).unwrap_or(i64::MAX),
    };
    Ok(([(header::CONTENT_TYPE, kurir_metrics::CONTENT_TYPE)], state.metrics.encode(gauges)))
}
