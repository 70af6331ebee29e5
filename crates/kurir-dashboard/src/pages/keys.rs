//! The tenant's API keys (make one, shown once; revoke one) and its call-out providers with their recent calls.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kurir_api::error::ApiError;
use maud::{html, Markup};

use crate::format;
use crate::layout::{page, Chrome, Section};
use crate::pages::{scope, tenant_chrome, PageError};
use crate::web_auth::{Posted, Viewer};
use crate::Dashboard;

/// How many calls of each provider the call-out page shows.
const CALLS_SHOWN: u32 = 20;

pub async fn list(
    State(dashboard): State<Dashboard>,
    viewer: Viewer,
    Path(tenant): Path<String>,
) -> Result<Markup, PageError> {
    let chrome = tenant_chrome(&dashboard, &viewer, &tenant, Section::Keys).await?;
    keys_page(&dashboard, &chrome, None, None).await
}

/// The key list; `created` is a new key's token (shown this once), `error` a refused name.
async fn keys_page(
    dashboard: &Dashboard,
    chrome: &Chrome,
    created: Option<(&str, &str)>,
    error: Option<&ApiError>,
) -> Result<Markup, PageError> {
    let keys = dashboard.app.store.list_api_keys(&chrome.tenant).await?;
    let content = html! {
        h1 { "API keys" }
        @if let Some((name, token)) = created {
            div.notice role="status" {
                p { "Key " strong { (name) } " made. Its token is shown this once; keep it now:" }
                pre #new-token .mono { (token) }
            }
        }
        form.card method="post" action=(chrome.path("/api-keys")) aria-label="Make an API key" {
            (chrome.token_field())
            div.field {
                label for="key-name" { "Name of a new key" }
                input #key-name type="text" name="name" required maxlength="200" aria-invalid=[error.map(|_| "true")]
                    aria-describedby=[error.map(|_| "err-name")];
                @if let Some(error) = error { div #err-name .error role="alert" { (error.field.as_deref().unwrap_or("")) ": " (error.message) } }
            }
            button type="submit" { "Make key" }
        }
        div.table-wrap {
            table {
                thead { tr { th { "Name" } th { "Id" } th { "Made" } th { "State" } } }
                tbody {
                    @for key in &keys {
                        tr {
                            td { (key.name) }
                            td.mono { (key.id) }
                            td { (format::time(key.created_at_ms)) }
                            td {
                                @match key.revoked_at_ms {
                                    Some(at) => span.badge.bad title=(format::time(at)) { "revoked" },
                                    None => form.inline method="post" action=(chrome.path(&format!("/api-keys/{}/revoke", key.id))) {
                                        (chrome.token_field())
                                        span.badge.ok { "active" } " "
                                        button.secondary type="submit" aria-label={ "Revoke " (key.name) } { "Revoke" }
                                    },
                                }
                            }
                        }
                    }
                    @if keys.is_empty() { tr { td colspan="4" { "No keys." } } }
                }
            }
        }
    };
    Ok(page(chrome, "API keys", content))
}

pub async fn create(
    State(dashboard): State<Dashboard>,
    Path(tenant): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    let tenant = scope(&dashboard, &posted.viewer, &tenant).await?;
    let chrome = Chrome::load(&dashboard, &posted.viewer, tenant.clone(), Section::Keys).await?;
    match kurir_api::api_keys::create_key(&dashboard.app, tenant, posted.fields.text("name")).await {
        Ok((key, _, token)) => {
            Ok(keys_page(&dashboard, &chrome, Some((&key.name, &token)), None).await?.into_response())
        }
        Err(err) if err.status == StatusCode::BAD_REQUEST => {
            Ok((StatusCode::BAD_REQUEST, keys_page(&dashboard, &chrome, None, Some(&err)).await?).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

pub async fn revoke(
    State(dashboard): State<Dashboard>,
    Path((tenant, key)): Path<(String, String)>,
    posted: Posted,
) -> Result<Response, PageError> {
    let tenant = scope(&dashboard, &posted.viewer, &tenant).await?;
    kurir_api::api_keys::revoke_key(&dashboard.app, &tenant, &key).await?;
    Ok(Redirect::to(&format!("/ui/t/{tenant}/api-keys")).into_response())
}

pub async fn callouts(
    State(dashboard): State<Dashboard>,
    viewer: Viewer,
    Path(tenant): Path<String>,
) -> Result<Markup, PageError> {
    let chrome = tenant_chrome(&dashboard, &viewer, &tenant, Section::Callouts).await?;
    let tenant = chrome.tenant.clone();
    let store = &dashboard.app.store;
    let providers = store.list_callout_providers(&tenant).await?;
    let mut logs = Vec::with_capacity(providers.len());
    for provider in &providers {
        logs.push(store.list_callout_log(&tenant, &provider.name, CALLS_SHOWN).await?);
    }
    let content = html! {
        h1 { "Call-out providers" }
        p { "DealPOS's loyalty call-outs are relayed to these providers while the POS waits." }
        @if providers.is_empty() { p.muted { "None configured (PUT /v1/tenants/" (tenant) "/callouts/{name} sets one)." } }
        @for (provider, calls) in providers.iter().zip(&logs) {
            section.card aria-label={ "Provider " (provider.name) } {
                h2 { (provider.name) }
                dl.facts {
                    dt { "URL" } dd.mono { (provider.url) }
                    dt { "Timeout" } dd { (provider.timeout_ms) " ms" }
                    @if !provider.headers.is_empty() {
                        dt { "Headers" } dd.mono { @for name in provider.headers.keys() { (name) ": ••••••" br; } }
                    }
                    dt { "Updated" } dd { (format::time(provider.updated_at_ms)) }
                }
                h3 { "Latest calls" }
                div.table-wrap data-live={ "calls-" (provider.name) } {
                    table {
                        thead { tr { th { "When" } th { "Outcome" } th { "Took" } th { "Exchange" } } }
                        tbody {
                            @for call in calls {
                                tr {
                                    td { (format::when(call.at_ms)) }
                                    td { span.badge class=(if call.outcome == "ok" { "ok" } else { "bad" }) { (call.outcome) }
                                         @if let Some(status) = call.status { " HTTP " (status) }
                                         @if let Some(error) = &call.error { div.bad { (error) } } }
                                    td { (call.duration_ms) " ms" }
                                    td { details { summary { "Request and answer" }
                                        pre { (format::pretty_json(&call.request)) }
                                        pre { (format::pretty_json(&call.response)) } } }
                                }
                            }
                            @if calls.is_empty() { tr { td colspan="4" { "No calls yet." } } }
                        }
                    }
                }
            }
        }
    };
    Ok(page(&chrome, "Call-outs", content))
}
