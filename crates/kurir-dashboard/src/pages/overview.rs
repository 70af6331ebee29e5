//! A tenant's overview: deliveries per interval by outcome and latency percentiles over the last hours (of all
//! endpoints, or of one), the endpoints with their health, the troubled ones first, and the deliveries that died
//! most recently: what needs a look at 2 a.m. The charts come from the store's per-minute statistics.

use axum::extract::{Path, Query, State};
use kurir_core::delivery::DeliveryState;
use kurir_core::id::EndpointId;
use kurir_core::stats::MINUTE_MS;
use kurir_store::DeliveryFilter;
use maud::{html, Markup};
use serde::Deserialize;

use crate::chart;
use crate::layout::{self, Chrome, Section};
use crate::pages::endpoints::endpoint_table;
use crate::pages::events::deliveries_table;
use crate::pages::{tenant_chrome, PageError};
use crate::web_auth::Viewer;
use crate::Dashboard;

/// How many dead deliveries the overview lists.
const DEAD_SHOWN: u32 = 10;
/// How many columns a chart has, whatever its span.
const COLUMNS: i64 = 60;
/// The spans the viewer can pick, in hours.
const SPANS: [i64; 4] = [1, 3, 6, 24];

#[derive(Deserialize, Default)]
pub struct ChartQuery {
    #[serde(default)]
    hours: Option<i64>,
    #[serde(default)]
    endpoint: Option<String>,
}

pub async fn page(
    State(dashboard): State<Dashboard>,
    viewer: Viewer,
    Path(tenant): Path<String>,
    Query(query): Query<ChartQuery>,
) -> Result<Markup, PageError> {
    let chrome = tenant_chrome(&dashboard, &viewer, &tenant, Section::Overview).await?;
    let endpoints = endpoint_table(&dashboard, &chrome).await?;
    let filter = DeliveryFilter { state: Some(DeliveryState::Dead), limit: DEAD_SHOWN, ..DeliveryFilter::default() };
    let dead = dashboard.app.store.list_deliveries(&chrome.tenant, filter).await?;
    let charts = charts(&dashboard, &chrome, &query).await?;
    let content = html! {
        h1 { "Overview" }
        (charts)
        h2 { "Endpoints" }
        div.table-wrap data-live="endpoints" { (endpoints) }
        h2 { "Deliveries that died most recently" }
        div.table-wrap data-live="dead" { (deliveries_table(&chrome, &dead)) }
        p { a href={ (chrome.path("/events")) "?state=dead" } { "Every dead delivery →" } }
    };
    Ok(layout::page(&chrome, "Overview", content))
}

/// The span picker and the two charts, for all endpoints or the one picked.
async fn charts(dashboard: &Dashboard, chrome: &Chrome, query: &ChartQuery) -> Result<Markup, PageError> {
    let hours = query.hours.filter(|h| SPANS.contains(h)).unwrap_or(3);
    let endpoints = dashboard.app.store.list_endpoints(&chrome.tenant).await?;
    let picked: Option<EndpointId> =
        query.endpoint.as_deref().and_then(|text| text.parse().ok()).filter(|id| endpoints.iter().any(|e| e.id == *id));
    let per_column = hours * 60 / COLUMNS;
    let from_minute = chart::since_minute(kurir_engine::now_ms(), COLUMNS * per_column);
    let stats = dashboard.app.store.attempt_stats(&chrome.tenant, from_minute).await?;
    let tallies = chart::columns(&stats, picked.as_ref(), from_minute, per_column, COLUMNS as usize);
    let start_ms = from_minute * MINUTE_MS;
    let interval = if per_column == 1 { "minute".to_owned() } else { format!("{per_column} minutes") };
    let whose = match picked.as_ref().and_then(|id| endpoints.iter().find(|e| e.id == *id)) {
        Some(endpoint) => endpoint.url.clone(),
        None => "all endpoints".to_owned(),
    };
    Ok(html! {
        form.filters.card method="get" action=(chrome.path("")) aria-label="Chart settings" {
            div {
                label for="c-hours" { "Span" }
                select #c-hours name="hours" {
                    @for span in SPANS { option value=(span) selected[span == hours] { "last " (span) " h" } }
                }
            }
            div {
                label for="c-endpoint" { "Endpoint" }
                select #c-endpoint name="endpoint" {
                    option value="" { "all endpoints" }
                    @for endpoint in &endpoints {
                        option value=(endpoint.id) selected[picked.as_ref() == Some(&endpoint.id)] { (endpoint.url) }
                    }
                }
            }
            div { button type="submit" { "Show" } }
        }
        div.charts data-live="charts" {
            (chart::outcome_bars(&format!("Attempts per {interval}, {whose}"), &tallies, start_ms, per_column))
            (chart::latency_lines(&format!("Latency per {interval}, {whose}"), &tallies, start_ms, per_column))
        }
    })
}
