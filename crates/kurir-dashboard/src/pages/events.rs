//! The event log, filtered by type and time; with a delivery state or an endpoint, the delivery log instead
//! (what failed, where). Newest first, paged by cursor (the store seeks by id, so page 1,000 costs what page 1
//! does). The first page updates itself as events come in.

use axum::extract::{Path, Query, State};
use kurir_api::error::ApiError;
use kurir_core::delivery::{Delivery, DeliveryState};
use kurir_core::event::Event;
use kurir_store::{DeliveryFilter, EventFilter};
use maud::{html, Markup};
use serde::Deserialize;

use crate::format;
use crate::layout::{page, Chrome, Section};
use crate::pages::{tenant_chrome, PageError};
use crate::web_auth::Viewer;
use crate::Dashboard;

const PAGE: u32 = 50;

/// The filters, as the filter form sends them (empty fields are absent filters).
#[derive(Deserialize, Default)]
pub struct Filters {
    #[serde(rename = "type", default)]
    event_type: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    endpoint: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    before: String,
}

impl Filters {
    fn lists_deliveries(&self) -> bool {
        !self.state.is_empty() || !self.endpoint.is_empty()
    }

    /// This page's query string with `before` set to `cursor`.
    fn next_page(&self, cursor: &str) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("type", &self.event_type),
            ("q", &self.q),
            ("state", &self.state),
            ("endpoint", &self.endpoint),
            ("since", &self.since),
            ("until", &self.until),
        ] {
            if !value.is_empty() {
                query.append_pair(name, value);
            }
        }
        query.append_pair("before", cursor);
        query.finish()
    }
}

fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn time_filter(field: &str, text: &str) -> Result<Option<i64>, ApiError> {
    match optional(text) {
        None => Ok(None),
        Some(text) => format::parse_local_time(&text)
            .map(Some)
            .ok_or_else(|| ApiError::invalid(field, "must be a date and time such as 2026-11-24T08:00")),
    }
}

pub async fn list(
    State(dashboard): State<Dashboard>,
    viewer: Viewer,
    Path(tenant): Path<String>,
    Query(filters): Query<Filters>,
) -> Result<maud::Markup, PageError> {
    let chrome = tenant_chrome(&dashboard, &viewer, &tenant, Section::Events).await?;
    let tenant = chrome.tenant.clone();
    let endpoints = dashboard.app.store.list_endpoints(&tenant).await?;
    let result = if filters.lists_deliveries() {
        delivery_rows(&dashboard, &chrome, &filters).await
    } else {
        event_rows(&dashboard, &chrome, &filters).await
    };
    let (table, error) = match result {
        Ok(table) => (table, None),
        Err(err) if err.field.is_some() => (html! {}, Some(err)),
        Err(err) => return Err(err.into()),
    };
    let title = if filters.lists_deliveries() { "Deliveries" } else { "Events" };
    let content = html! {
        h1 { (title) }
        (filter_form(&chrome, &filters, &endpoints, error.as_ref()))
        (table)
    };
    Ok(page(&chrome, title, content))
}

fn filter_form(
    chrome: &Chrome,
    filters: &Filters,
    endpoints: &[kurir_core::endpoint::Endpoint],
    error: Option<&ApiError>,
) -> Markup {
    let states = ["pending", "in_flight", "retrying", "succeeded", "dead"];
    html! {
        form.filters.card method="get" action=(chrome.path("/events")) aria-label="Filters" {
            div { label for="f-q" { "Search" } input #f-q type="search" name="q" value=(filters.q) placeholder="entity id, product:4711, text"; }
            div { label for="f-type" { "Event type" } input #f-type type="text" name="type" value=(filters.event_type) placeholder="any"; }
            div {
                label for="f-state" { "Delivery state" }
                select #f-state name="state" {
                    option value="" { "any (show events)" }
                    @for state in states { option value=(state) selected[filters.state == state] { (state) } }
                }
            }
            div {
                label for="f-endpoint" { "Endpoint" }
                select #f-endpoint name="endpoint" {
                    option value="" { "any" }
                    @for endpoint in endpoints {
                        @let id = endpoint.id.to_string();
                        option value=(id) selected[filters.endpoint == id] { (endpoint.url) }
                    }
                }
            }
            div { label for="f-since" { "Since (UTC)" } input #f-since type="datetime-local" name="since" value=(filters.since); }
            div { label for="f-until" { "Until (UTC)" } input #f-until type="datetime-local" name="until" value=(filters.until); }
            div { button type="submit" { "Filter" } " " a.button.secondary href=(chrome.path("/events")) { "Clear" } }
            @if let Some(error) = error {
                p.error-box role="alert" {
                    "The filter " strong { (error.field.as_deref().unwrap_or("")) } " " (error.message)
                }
            }
        }
    }
}

async fn event_rows(dashboard: &Dashboard, chrome: &Chrome, filters: &Filters) -> Result<Markup, ApiError> {
    let before = optional(&filters.before)
        .map(|b| b.parse().map_err(|_| ApiError::invalid("before", "is not an event id")))
        .transpose()?;
    let filter = EventFilter {
        event_type: optional(&filters.event_type),
        text: optional(&filters.q),
        since_ms: time_filter("since", &filters.since)?,
        until_ms: time_filter("until", &filters.until)?,
        before,
        limit: PAGE,
    };
    let events = dashboard.app.store.list_events(&chrome.tenant, filter).await?;
    let next = kurir_api::events::next_cursor(&events, PAGE, |e| e.id.to_string());
    // Only the newest page grows as events arrive; older pages stay put while being read, and a search (a scan)
    // is run once, not every two seconds.
    let live = (filters.before.is_empty() && filters.q.is_empty()).then_some("events");
    Ok(html! {
        div.table-wrap data-live=[live] {
            (events_table(chrome, &events))
        }
        @if let Some(cursor) = next {
            nav.pager aria-label="Pages" { a href={ (chrome.path("/events")) "?" (filters.next_page(&cursor)) } { "Older events →" } }
        }
    })
}

fn events_table(chrome: &Chrome, events: &[Event]) -> Markup {
    html! {
        table {
            caption.skip { "Events, newest first" }
            thead { tr { th { "Type" } th { "Event" } th.wide-only { "Ordering key" } th { "Published" } } }
            tbody {
                @for event in events {
                    tr {
                        td { code { (event.event_type) } }
                        td { a.mono href=(chrome.path(&format!("/events/{}", event.id))) { (event.id) } }
                        td.wide-only.mono { (event.ordering_key.as_deref().unwrap_or("—")) }
                        td { (format::when(event.created_at_ms)) }
                    }
                }
                @if events.is_empty() { tr { td colspan="4" { "No events match." } } }
            }
        }
    }
}

async fn delivery_rows(dashboard: &Dashboard, chrome: &Chrome, filters: &Filters) -> Result<Markup, ApiError> {
    // The delivery log has no time or text filter: say so rather than ignore them.
    let event_only = "filters the event log only; clear the delivery state and endpoint to use it";
    for (field, value) in [("q", &filters.q), ("since", &filters.since), ("until", &filters.until)] {
        if !value.trim().is_empty() {
            return Err(ApiError::invalid(field, event_only));
        }
    }
    let state = optional(&filters.state)
        .map(|s| {
            DeliveryState::parse(&s).ok_or_else(|| {
                ApiError::invalid("state", "must be one of pending, in_flight, succeeded, retrying, dead")
            })
        })
        .transpose()?;
    let endpoint = optional(&filters.endpoint)
        .map(|e| e.parse().map_err(|_| ApiError::invalid("endpoint", "is not an endpoint id")))
        .transpose()?;
    let before = optional(&filters.before)
        .map(|b| b.parse().map_err(|_| ApiError::invalid("before", "is not a delivery id")))
        .transpose()?;
    let filter = DeliveryFilter { state, endpoint, event_type: optional(&filters.event_type), before, limit: PAGE };
    let deliveries = dashboard.app.store.list_deliveries(&chrome.tenant, filter).await?;
    let next = kurir_api::events::next_cursor(&deliveries, PAGE, |d| d.id.to_string());
    let live = filters.before.is_empty().then_some("deliveries");
    Ok(html! {
        div.table-wrap data-live=[live] { (deliveries_table(chrome, &deliveries)) }
        @if let Some(cursor) = next {
            nav.pager aria-label="Pages" { a href={ (chrome.path("/events")) "?" (filters.next_page(&cursor)) } { "Older deliveries →" } }
        }
    })
}

/// Deliveries as a table: state, event, attempts, last answer. Shared with the endpoint page.
pub fn deliveries_table(chrome: &Chrome, deliveries: &[Delivery]) -> Markup {
    html! {
        table {
            caption.skip { "Deliveries, newest first" }
            thead { tr { th { "State" } th { "Type" } th { "Event" } th { "Attempts" } th.wide-only { "Last answer" } th { "Updated" } } }
            tbody {
                @for delivery in deliveries {
                    tr {
                        td { span.badge class=(format::state_class(delivery.state)) { (delivery.state.as_str()) } }
                        td { code { (delivery.event_type) } }
                        td { a.mono href=(chrome.path(&format!("/events/{}", delivery.event_id))) { (delivery.event_id) } }
                        td { (delivery.attempts) }
                        td.wide-only { (last_answer(delivery)) }
                        td { (format::when(delivery.updated_at_ms)) }
                    }
                }
                @if deliveries.is_empty() { tr { td colspan="6" { "No deliveries match." } } }
            }
        }
    }
}

/// What the receiver last answered, in a few words.
pub fn last_answer(delivery: &Delivery) -> Markup {
    html! {
        @match (delivery.last_status, &delivery.last_error) {
            (Some(status), _) => span class=(format::status_class(Some(status))) { "HTTP " (status) },
            (None, Some(error)) => span.bad { (error) },
            (None, None) => span.muted { "—" },
        }
    }
}
