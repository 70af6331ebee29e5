//! Sources: each inbound URL with its vendor, and a source's inbound log: what each vendor request became (the
//! event, whose page shows the payload and where it was forwarded), its validation warnings, repeats, and the
//! requests refused (failed verification, malformed, unknown type). The log updates itself.

use axum::extract::{Path, State};
use kurir_api::error::ApiError;
use kurir_core::source::SourceId;
use maud::{html, Markup};

use crate::format;
use crate::layout::{page, Section};
use crate::pages::{tenant_chrome, PageError};
use crate::web_auth::Viewer;
use crate::Dashboard;

/// How many entries of each log a source's page shows.
const LOG_SHOWN: u32 = 50;

pub async fn list(
    State(dashboard): State<Dashboard>,
    viewer: Viewer,
    Path(tenant): Path<String>,
) -> Result<Markup, PageError> {
    let chrome = tenant_chrome(&dashboard, &viewer, &tenant, Section::Sources).await?;
    let tenant = chrome.tenant.clone();
    let sources = dashboard.app.store.list_sources(&tenant).await?;
    let content = html! {
        h1 { "Sources" }
        p { "Where DealPOS, ZORT or any Standard Webhooks sender posts to kurir. Each request is verified, checked against the catalog and stored as an event." }
        div.table-wrap {
            table {
                thead { tr { th { "Name" } th { "Vendor" } th { "URL to give the vendor" } th.wide-only { "Invalid payloads" } } }
                tbody {
                    @for source in &sources {
                        tr {
                            td { a href=(chrome.path(&format!("/sources/{}", source.id))) { (source.name) } }
                            td { (source.verify.dialect().as_str()) }
                            td.mono { (kurir_api::sources::url(&dashboard.app, source)) }
                            td.wide-only { @if source.strict { "refused (strict)" } @else { "stored, flagged" } }
                        }
                    }
                    @if sources.is_empty() { tr { td colspan="4" { "No sources yet (POST /v1/tenants/" (tenant) "/sources makes one)." } } }
                }
            }
        }
    };
    Ok(page(&chrome, "Sources", content))
}

pub async fn show(
    State(dashboard): State<Dashboard>,
    viewer: Viewer,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Markup, PageError> {
    let chrome = tenant_chrome(&dashboard, &viewer, &tenant, Section::Sources).await?;
    let tenant = chrome.tenant.clone();
    let id: SourceId = id.parse().map_err(|_| ApiError::not_found("source"))?;
    let store = &dashboard.app.store;
    let source = store.get_source(&tenant, &id).await?;
    let received = store.list_inbound(&tenant, &id, LOG_SHOWN).await?;
    let refused = store.list_refusals(&tenant, &id, LOG_SHOWN).await?;
    let content = html! {
        h1 { "Source " (source.name) }
        div.card {
            dl.facts {
                dt { "Vendor" } dd { (source.verify.dialect().as_str()) }
                dt { "URL" } dd.mono { (kurir_api::sources::url(&dashboard.app, &source)) }
                dt { "Invalid payloads" } dd { @if source.strict { "refused with 400 (strict)" } @else { "stored with the failure noted, and forwarded" } }
                dt { "Created" } dd { (format::time(source.created_at_ms)) }
            }
        }
        h2 { "Received" }
        div.table-wrap data-live="received" {
            table {
                caption.skip { "Requests received, newest first" }
                thead { tr { th { "When" } th { "Type" } th { "Event" } th { "Verification" } th { "Validation" } } }
                tbody {
                    @for record in &received {
                        tr {
                            td { (format::when(record.received_at_ms)) }
                            td { code { (record.event_type) } }
                            td { a.mono href=(chrome.path(&format!("/events/{}", record.event_id))) { (record.event_id) }
                                 @if record.duplicate { div.muted { "a repeat: nothing new stored" } } }
                            td { span.badge.ok { "verified" } }
                            td { @match &record.validation_error {
                                Some(warning) => span.warn { (warning) },
                                None => span.ok { "valid" },
                            } }
                        }
                    }
                    @if received.is_empty() { tr { td colspan="5" { "Nothing received yet." } } }
                }
            }
        }
        h2 { "Refused" }
        div.table-wrap data-live="refused" {
            table {
                caption.skip { "Requests refused, newest first" }
                thead { tr { th { "When" } th { "Answer" } th { "Why" } th.wide-only { "From" } } }
                tbody {
                    @for refusal in &refused {
                        tr {
                            td { (format::when(refusal.at_ms)) }
                            td.bad { "HTTP " (refusal.status) }
                            td { (refusal.reason) }
                            td.wide-only.mono { (refusal.address.as_deref().unwrap_or("—")) }
                        }
                    }
                    @if refused.is_empty() { tr { td colspan="4" { "Nothing refused." } } }
                }
            }
        }
    };
    Ok(page(&chrome, "Source", content))
}
