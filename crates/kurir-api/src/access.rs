//! The access log: one line per request at debug level (`--log debug`, or `--log kurir::access=debug`), with the
//! route's template rather than the path, so a source's secret id never reaches the log.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

/// Logs method, route, status and duration of each request to a route (apply with `route_layer`).
pub async fn access_log(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let response = next.run(request).await;
    tracing::debug!(
        target: "kurir::access",
        %method,
        route,
        status = response.status().as_u16(),
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    response
}
