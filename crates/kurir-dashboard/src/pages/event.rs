//! One event: its payload, its deliveries and every attempt of each (what the receiver answered, how long it
//! took, why it failed), with a button that sends a delivery again. The deliveries update themselves.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use kurir_core::delivery::{Attempt, Delivery, DeliveryState};
use kurir_core::endpoint::Endpoint;
use kurir_core::id::{EndpointId, EventId};
use maud::{html, Markup};
use serde::Deserialize;

use crate::format;
use crate::layout::{page, Chrome, Section};
use crate::pages::{scope, tenant_chrome, PageError};
use crate::web_auth::{Posted, Viewer};
use crate::Dashboard;

#[derive(Deserialize)]
pub struct Notice {
    #[serde(default)]
    sent_again: Option<String>,
}

pub async fn show(
    State(dashboard): State<Dashboard>,
    viewer: Viewer,
    Path((tenant, event)): Path<(String, String)>,
    Query(notice): Query<Notice>,
) -> Result<Markup, PageError> {
    let chrome = tenant_chrome(&dashboard, &viewer, &tenant, Section::Events).await?;
    let tenant = chrome.tenant.clone();
    let id: EventId = event.parse().map_err(|_| kurir_api::error::ApiError::not_found("event"))?;
    let (event, deliveries) = dashboard.app.store.get_event(&tenant, &id).await?;
    let endpoints: HashMap<EndpointId, Endpoint> =
        dashboard.app.store.list_endpoints(&tenant).await?.into_iter().map(|e| (e.id.clone(), e)).collect();
    let mut attempts = Vec::with_capacity(deliveries.len());
    for delivery in &deliveries {
        attempts.push(dashboard.app.store.list_attempts(&tenant, &delivery.id).await?);
    }
    let content = html! {
        h1 { "Event " code { (event.event_type) } }
        @if let Some(delivery) = &notice.sent_again {
            p.notice role="status" { "Delivery " code { (delivery) } " will be sent again now." }
        }
        div.card {
            dl.facts {
                dt { "Id" } dd.mono { (event.id) }
                dt { "Published" } dd { (format::time(event.created_at_ms)) }
                dt { "Ordering key" } dd.mono { (event.ordering_key.as_deref().unwrap_or("none")) }
                @if let Some(key) = &event.idempotency_key { dt { "Idempotency key" } dd.mono { (key) } }
                @if let Some(origin) = &event.origin_key { dt { "Published by key" } dd.mono { (origin) } }
            }
            details open {
                summary { "Payload" }
                pre { (format::pretty_json(&event.payload)) }
            }
        }
        h2 { "Deliveries" }
        section data-live="deliveries" aria-live="polite" {
            @if deliveries.is_empty() { p.muted { "No endpoint was subscribed to this event when it was published." } }
            @for (delivery, attempts) in deliveries.iter().zip(&attempts) {
                (delivery_card(&chrome, delivery, endpoints.get(&delivery.endpoint_id), attempts))
            }
        }
    };
    Ok(page(&chrome, &format!("Event {}", event.event_type), content))
}

fn delivery_card(chrome: &Chrome, delivery: &Delivery, endpoint: Option<&Endpoint>, attempts: &[Attempt]) -> Markup {
    let waiting = matches!(delivery.state, DeliveryState::Pending | DeliveryState::Retrying);
    html! {
        article.card id=(delivery.id) aria-label={ "Delivery " (delivery.id) } {
            div.actions {
                span.badge class=(format::state_class(delivery.state)) data-state=(delivery.state.as_str()) {
                    (delivery.state.as_str())
                }
                @match endpoint {
                    Some(endpoint) => a href=(chrome.path(&format!("/endpoints/{}", endpoint.id))) { (endpoint.url) },
                    None => span.muted { "a deleted endpoint" },
                }
                span.muted.mono { (delivery.id) }
                @if delivery.state.resendable() {
                    form.inline method="post" action=(chrome.path(&format!("/deliveries/{}/retry", delivery.id))) {
                        (chrome.token_field())
                        button.secondary type="submit" { "Send again" }
                    }
                }
            }
            p {
                (delivery.attempts) " attempt" @if delivery.attempts != 1 { "s" }
                @if waiting { " · next at " (format::time(delivery.next_attempt_at_ms)) }
            }
            @if !attempts.is_empty() {
                div.table-wrap {
                    table {
                        caption.skip { "Attempts of delivery " (delivery.id) }
                        thead { tr { th { "#" } th { "Sent" } th { "Took" } th { "Answer" } th { "Exchange" } } }
                        tbody { @for attempt in attempts { (attempt_row(attempt)) } }
                    }
                }
            }
        }
    }
}

fn attempt_row(attempt: &Attempt) -> Markup {
    html! {
        tr.attempt {
            td { (attempt.attempt_no) }
            td { (format::time(attempt.started_at_ms)) }
            td { (attempt.duration_ms) " ms" }
            td {
                @if let Some(status) = attempt.status {
                    span class=(format::status_class(Some(status))) { "HTTP " (status) }
                }
                @if let Some(kind) = attempt.error_kind {
                    " " span.badge.bad { (kind.as_str()) }
                }
                @if let Some(error) = &attempt.error { div.bad { (error) } }
            }
            td {
                details.exchange {
                    summary { "Request and response" }
                    (request_view(attempt))
                    (response_view(attempt))
                }
            }
        }
    }
}

/// The request exactly as it went out (secret header values masked).
fn request_view(attempt: &Attempt) -> Markup {
    html! {
        section.request aria-label="Request" {
            h3 { "Request" }
            @match &attempt.request {
                None => p.muted { "No request went out (" (attempt.error.as_deref().unwrap_or("none made")) ")." },
                Some(request) => {
                    p.mono { (request.method) " " (request.url) }
                    (header_table(&request.headers))
                    pre { (format::pretty_json(&request.body)) }
                }
            }
        }
    }
}

/// What the receiver answered: status, headers, the start of the body.
fn response_view(attempt: &Attempt) -> Markup {
    html! {
        section.response aria-label="Response" {
            h3 { "Response" }
            @match attempt.status {
                None => p.bad { "No response: " (attempt.error.as_deref().unwrap_or("none")) },
                Some(status) => {
                    p { span class=(format::status_class(Some(status))) { "HTTP " (status) } " after " (attempt.duration_ms) " ms" }
                    (header_table(&attempt.response_headers))
                    @if attempt.response_excerpt.is_empty() { p.muted { "No body." } } @else {
                        pre { (format::pretty_json(&attempt.response_excerpt)) }
                    }
                }
            }
        }
    }
}

fn header_table(headers: &[(String, String)]) -> Markup {
    html! {
        @if !headers.is_empty() {
            table.headers {
                caption.skip { "Headers" }
                tbody { @for (name, value) in headers { tr { th.mono scope="row" { (name) } td.mono { (value) } } } }
            }
        }
    }
}

/// The "Send again" button: the API's own retry, then back to the event.
pub async fn retry(
    State(dashboard): State<Dashboard>,
    Path((tenant, delivery)): Path<(String, String)>,
    posted: Posted,
) -> Result<Response, PageError> {
    let tenant = scope(&dashboard, &posted.viewer, &tenant).await?;
    let delivery = kurir_api::deliveries::send_again(&dashboard.app, &tenant, &delivery).await?;
    let back = format!("/ui/t/{tenant}/events/{}?sent_again={}", delivery.event_id, delivery.id);
    Ok(Redirect::to(&back).into_response())
}
