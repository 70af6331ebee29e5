//! A tenant's overview: its endpoints, the troubled ones first, and the deliveries that died most recently:
//! what needs a look at 2 a.m.

use axum::extract::{Path, State};
use kurir_core::delivery::DeliveryState;
use kurir_store::DeliveryFilter;
use maud::{html, Markup};

use crate::layout::{self, Chrome, Section};
use crate::pages::endpoints::endpoint_table;
use crate::pages::events::deliveries_table;
use crate::pages::{scope, PageError};
use crate::web_auth::Viewer;
use crate::Dashboard;

/// How many dead deliveries the overview lists.
const DEAD_SHOWN: u32 = 10;

pub async fn page_for(dashboard: &Dashboard, chrome: &Chrome) -> Result<Markup, PageError> {
    let endpoints = endpoint_table(dashboard, chrome).await?;
    let filter = DeliveryFilter { state: Some(DeliveryState::Dead), limit: DEAD_SHOWN, ..DeliveryFilter::default() };
    let dead = dashboard.app.store.list_deliveries(&chrome.tenant, filter).await?;
    let content = html! {
        h1 { "Overview" }
        h2 { "Endpoints" }
        div.table-wrap data-live="endpoints" { (endpoints) }
        h2 { "Deliveries that died most recently" }
        div.table-wrap data-live="dead" { (deliveries_table(chrome, &dead)) }
        p { a href={ (chrome.path("/events")) "?state=dead" } { "Every dead delivery →" } }
    };
    Ok(layout::page(chrome, "Overview", content))
}

pub async fn page(
    State(dashboard): State<Dashboard>,
    viewer: Viewer,
    Path(tenant): Path<String>,
) -> Result<Markup, PageError> {
    let tenant = scope(&dashboard, &viewer, &tenant).await?;
    let chrome = Chrome::load(&dashboard, &viewer, tenant, Section::Overview).await?;
    page_for(&dashboard, &chrome).await
}
