//! Endpoints: the list with each one's health, one endpoint's page (settings, circuit, secret, recent deliveries)
//! with its actions (enable, disable, resume, rotate the secret, send a test event, recover since a time), and
//! the create and edit forms. Every change is the REST API's own operation.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kurir_api::error::ApiError;
use kurir_core::endpoint::{Endpoint, EndpointAuth};
use kurir_core::id::{EndpointId, TenantId};
use kurir_store::DeliveryFilter;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Map};

use crate::fields::Fields;
use crate::layout::{page, Chrome, Section};
use crate::pages::endpoint_form;
use crate::pages::events::deliveries_table;
use crate::pages::{scope, tenant_chrome, PageError};
use crate::web_auth::{Posted, Viewer};
use crate::Dashboard;
use crate::{chart, format};
use kurir_core::stats::Tally;

/// How many of an endpoint's latest deliveries its page shows.
const RECENT: u32 = 20;

pub async fn list(
    State(dashboard): State<Dashboard>,
    viewer: Viewer,
    Path(tenant): Path<String>,
) -> Result<Markup, PageError> {
    let chrome = tenant_chrome(&dashboard, &viewer, &tenant, Section::Endpoints).await?;
    let table = endpoint_table(&dashboard, &chrome).await?;
    let content = html! {
        div.actions { h1 { "Endpoints" } a.button href=(chrome.path("/endpoints/new")) { "New endpoint" } }
        div.table-wrap data-live="endpoints" { (table) }
    };
    Ok(page(&chrome, "Endpoints", content))
}

/// One endpoint's row in the health table.
struct Health {
    /// 0 disabled, 1 circuit open, 2 failing more than half in the last hour, 3 fine: the sort order.
    trouble: u8,
    endpoint: Endpoint,
    circuit: kurir_core::circuit::Circuit,
    hour: Tally,
    day: Tally,
    last_error: Option<(i64, String)>,
}

/// Every endpoint with its health (success over the last hour and day, the last error, circuit, disabled
/// reason), the troubled ones first. Shared with the overview.
pub async fn endpoint_table(dashboard: &Dashboard, chrome: &Chrome) -> Result<Markup, ApiError> {
    let store = &dashboard.app.store;
    let now = kurir_engine::now_ms();
    let since_day = chart::since_minute(now, 24 * 60);
    let stats = store.attempt_stats(&chrome.tenant, since_day).await?;
    let mut rows = Vec::new();
    for endpoint in store.list_endpoints(&chrome.tenant).await? {
        let circuit = store.endpoint_circuit(&chrome.tenant, &endpoint.id).await?;
        let hour = chart::total(&stats, Some(&endpoint.id), chart::since_minute(now, 60));
        let day = chart::total(&stats, Some(&endpoint.id), since_day);
        let failing = hour.success_rate().is_some_and(|rate| rate < 0.5);
        let trouble = if !endpoint.enabled {
            0
        } else if circuit.is_open() {
            1
        } else if failing {
            2
        } else {
            3
        };
        let last_error = last_error(dashboard, &chrome.tenant, &endpoint.id).await?;
        rows.push(Health { trouble, endpoint, circuit, hour, day, last_error });
    }
    rows.sort_by_key(|row| (row.trouble, row.endpoint.created_at_ms));
    Ok(html! {
        table {
            caption.skip { "Endpoints, the troubled ones first" }
            thead { tr {
                th { "URL" } th { "Status" } th { "Circuit" } th { "Last hour" } th.wide-only { "Last day" }
                th.wide-only { "Last error" }
            } }
            tbody {
                @for row in &rows {
                    tr {
                        td { a href=(chrome.path(&format!("/endpoints/{}", row.endpoint.id))) { (row.endpoint.url) }
                             div.muted { (row.endpoint.dialect.as_str())
                                 @if !row.endpoint.description.is_empty() { " · " (row.endpoint.description) } } }
                        td { (enabled_badge(&row.endpoint)) }
                        td { (circuit_badge(&row.circuit, dashboard.app.config.concurrency_now(&row.endpoint, &row.circuit), now)) }
                        td { (rate(&row.hour)) }
                        td.wide-only { (rate(&row.day)) }
                        td.wide-only { @match &row.last_error {
                            Some((at, error)) => { span.bad { (error) } div.muted { (format::when(*at)) } },
                            None => span.muted { "—" },
                        } }
                    }
                }
                @if rows.is_empty() { tr { td colspan="6" { "No endpoints yet." } } }
            }
        }
    })
}

/// A success rate and its attempt count, coloured: green all good, amber some failed, red mostly failing.
fn rate(tally: &Tally) -> Markup {
    html! {
        @match tally.success_rate() {
            None => span.muted { "no attempts" },
            Some(rate) => {
                @let class = if rate >= 0.99 { "ok" } else if rate >= 0.5 { "warn" } else { "bad" };
                span class=(class) { (format!("{:.1} %", rate * 100.0)) } div.muted { "of " (tally.total()) }
            }
        }
    }
}

/// The error of the endpoint's latest delivery that failed (when it failed, and what went wrong).
async fn last_error(
    dashboard: &Dashboard,
    tenant: &TenantId,
    endpoint: &EndpointId,
) -> Result<Option<(i64, String)>, ApiError> {
    let filter = DeliveryFilter { endpoint: Some(endpoint.clone()), limit: 20, ..DeliveryFilter::default() };
    let recent = dashboard.app.store.list_deliveries(tenant, filter).await?;
    Ok(recent.into_iter().find_map(|d| {
        let failed = d.state != kurir_core::delivery::DeliveryState::Succeeded;
        failed.then_some(d.last_error.map(|e| (d.updated_at_ms, e))).flatten()
    }))
}

fn enabled_badge(endpoint: &Endpoint) -> Markup {
    html! {
        @if endpoint.enabled { span.badge.ok { "enabled" } } @else {
            span.badge.bad { "disabled" }
            @if let Some(reason) = &endpoint.disabled_reason { div.bad { (reason) } }
        }
    }
}

/// The circuit's state and the attempts at once the endpoint is allowed now (`window`).
fn circuit_badge(circuit: &kurir_core::circuit::Circuit, window: u32, now: i64) -> Markup {
    let class = if circuit.is_open() { "bad" } else { "ok" };
    html! {
        span.badge class=(class) { (circuit.state_name()) }
        @if circuit.consecutive_failures() > 0 { div.muted { (circuit.consecutive_failures()) " failures in a row" } }
        @if let Some(until) = circuit.held_until(now) { div.muted { "holding until " (format::time(until)) } }
        div.muted title="The adaptive concurrency window: it grows while the endpoint answers fast and halves when it is overloaded" {
            (window) " at once"
        }
    }
}

async fn custom_type_names(dashboard: &Dashboard, tenant: &TenantId) -> Result<Vec<String>, ApiError> {
    Ok(dashboard.app.store.list_event_types(tenant).await?.into_iter().map(|t| t.name).collect())
}

pub async fn new_form(
    State(dashboard): State<Dashboard>,
    viewer: Viewer,
    Path(tenant): Path<String>,
) -> Result<Markup, PageError> {
    let chrome = tenant_chrome(&dashboard, &viewer, &tenant, Section::Endpoints).await?;
    form_page(&dashboard, &chrome, &Fields::default(), None, None).await
}

/// The create form, or with `editing` the edit form of that endpoint.
async fn form_page(
    dashboard: &Dashboard,
    chrome: &Chrome,
    values: &Fields,
    error: Option<&ApiError>,
    editing: Option<&str>,
) -> Result<Markup, PageError> {
    let custom = custom_type_names(dashboard, &chrome.tenant).await?;
    let (title, action) = match editing {
        Some(id) => ("Edit endpoint", chrome.path(&format!("/endpoints/{id}/edit"))),
        None => ("New endpoint", chrome.path("/endpoints")),
    };
    let form = endpoint_form::render(
        &action,
        chrome.token_field(),
        values,
        &dashboard.app.catalog,
        &custom,
        error,
        editing.is_some(),
    );
    Ok(page(chrome, title, html! { h1 { (title) } (form) }))
}

pub async fn create(
    State(dashboard): State<Dashboard>,
    Path(tenant): Path<String>,
    posted: Posted,
) -> Result<Response, PageError> {
    let tenant = scope(&dashboard, &posted.viewer, &tenant).await?;
    let values = posted.fields.clone();
    let created = match endpoint_form::settings(&values, None) {
        Ok(settings) => kurir_api::endpoints::create_from(&dashboard.app, &tenant, settings.into()).await,
        Err(err) => Err(err),
    };
    match created {
        Ok(endpoint) => {
            Ok(Redirect::to(&format!("/ui/t/{tenant}/endpoints/{}?created=1", endpoint.id)).into_response())
        }
        Err(err) if err.status == StatusCode::BAD_REQUEST => {
            let chrome = Chrome::load(&dashboard, &posted.viewer, tenant, Section::Endpoints).await?;
            let page = form_page(&dashboard, &chrome, &values, Some(&err), None).await?;
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

pub async fn edit_form(
    State(dashboard): State<Dashboard>,
    viewer: Viewer,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Markup, PageError> {
    let tenant = scope(&dashboard, &viewer, &tenant).await?;
    let endpoint = dashboard.app.store.get_endpoint(&tenant, &endpoint_id(&id)?).await?;
    let chrome = Chrome::load(&dashboard, &viewer, tenant, Section::Endpoints).await?;
    form_page(&dashboard, &chrome, &endpoint_form::values_of(&endpoint), None, Some(&id)).await
}

pub async fn edit_submit(
    State(dashboard): State<Dashboard>,
    Path((tenant, id)): Path<(String, String)>,
    posted: Posted,
) -> Result<Response, PageError> {
    let tenant = scope(&dashboard, &posted.viewer, &tenant).await?;
    let values = posted.fields.clone();
    let current = dashboard.app.store.get_endpoint(&tenant, &endpoint_id(&id)?).await?;
    let saved = match endpoint_form::settings(&values, Some(&current)) {
        Ok(patch) => kurir_api::endpoints::patch_endpoint(&dashboard.app, &tenant, &id, patch).await,
        Err(err) => Err(err),
    };
    match saved {
        Ok(endpoint) => Ok(Redirect::to(&format!("/ui/t/{tenant}/endpoints/{}?saved=1", endpoint.id)).into_response()),
        Err(err) if err.status == StatusCode::BAD_REQUEST => {
            let chrome = Chrome::load(&dashboard, &posted.viewer, tenant, Section::Endpoints).await?;
            let page = form_page(&dashboard, &chrome, &values, Some(&err), Some(&id)).await?;
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

fn endpoint_id(text: &str) -> Result<EndpointId, ApiError> {
    text.parse().map_err(|_| ApiError::not_found("endpoint"))
}

/// What the endpoint page says above its settings after an action.
#[derive(Deserialize, Default)]
pub struct Notices {
    created: Option<String>,
    saved: Option<String>,
    rotated: Option<String>,
    recovered: Option<u64>,
    resumed: Option<u64>,
}

impl Notices {
    fn render(&self) -> Markup {
        html! {
            @if self.created.is_some() { p.notice role="status" { "Endpoint created. Its signing secret is below." } }
            @if self.saved.is_some() { p.notice role="status" { "Saved." } }
            @if let Some(until) = &self.rotated {
                p.notice role="status" { "Secret rotated. The previous secret keeps signing beside the new one until " (until) "." }
            }
            @if let Some(count) = self.recovered { p.notice role="status" { "Recovered " (count) " dead deliveries; they go out now." } }
            @if let Some(count) = self.resumed { p.notice role="status" { "Circuit closed; " (count) " waiting deliveries go out now." } }
        }
    }
}

pub async fn show(
    State(dashboard): State<Dashboard>,
    viewer: Viewer,
    Path((tenant, id)): Path<(String, String)>,
    Query(notices): Query<Notices>,
) -> Result<Markup, PageError> {
    let chrome = tenant_chrome(&dashboard, &viewer, &tenant, Section::Endpoints).await?;
    endpoint_page(&dashboard, &chrome, &id, notices.render(), None).await
}

/// An action form's error, shown beside that form.
struct ActionError<'a> {
    form: &'a str,
    error: ApiError,
}

async fn endpoint_page(
    dashboard: &Dashboard,
    chrome: &Chrome,
    id: &str,
    notice: Markup,
    action_error: Option<ActionError<'_>>,
) -> Result<Markup, PageError> {
    let store = &dashboard.app.store;
    let endpoint = store.get_endpoint(&chrome.tenant, &endpoint_id(id)?).await?;
    let circuit = store.endpoint_circuit(&chrome.tenant, &endpoint.id).await?;
    let filter = DeliveryFilter { endpoint: Some(endpoint.id.clone()), limit: RECENT, ..DeliveryFilter::default() };
    let recent = store.list_deliveries(&chrome.tenant, filter).await?;
    let now = kurir_engine::now_ms();
    let error_for = |form: &str| -> Markup {
        html! {
            @if let Some(action) = action_error.as_ref().filter(|a| a.form == form) {
                div.error role="alert" id={ "err-" (form) } {
                    @if let Some(field) = &action.error.field { strong { (field) } " " } (action.error.message)
                }
            }
        }
    };
    let test_types: Vec<&str> = match &endpoint.event_types {
        Some(types) => types.iter().map(String::as_str).collect(),
        None => dashboard.app.catalog.iter().map(|t| t.name.as_str()).collect(),
    };
    let path = |rest: &str| chrome.path(&format!("/endpoints/{}{rest}", endpoint.id));
    let content = html! {
        h1 { "Endpoint" }
        (notice)
        div.card {
            dl.facts {
                dt { "URL" } dd.mono { (endpoint.url) }
                dt { "Id" } dd.mono { (endpoint.id) }
                @if !endpoint.description.is_empty() { dt { "Description" } dd { (endpoint.description) } }
                dt { "Dialect" } dd { (endpoint.dialect.as_str()) }
                dt { "Status" } dd { (enabled_badge(&endpoint)) }
                dt { "Circuit" } dd { (circuit_badge(&circuit, dashboard.app.config.concurrency_now(&endpoint, &circuit), now)) }
                dt { "Event types" } dd {
                    @match &endpoint.event_types { Some(types) => (types.join(", ")), None => "every event type" }
                }
                dt { "Retry schedule" } dd { (schedule_text(&endpoint)) }
                dt { "Timeout" } dd { (endpoint.timeout_ms) " ms" }
                @if !endpoint.headers.is_empty() {
                    dt { "Extra headers" } dd.mono { @for name in endpoint.headers.keys() { (name) ": •••" br; } }
                }
                @if endpoint.zort_keys.is_some() { dt { "ZORT keys" } dd { "set (hidden)" } }
                @if let Some(EndpointAuth::OAuth2 { token_url, client_id, .. }) = &endpoint.auth {
                    dt { "OAuth 2" } dd.mono { (client_id) " at " (token_url) }
                }
                dt { "Created" } dd { (format::time(endpoint.created_at_ms)) }
            }
            details {
                @if kurir_api::signing::scheme_of(&endpoint) == "v1a" {
                    summary { "Public key (ed25519, v1a)" }
                } @else {
                    summary { "Signing secret" }
                }
                pre.mono { (kurir_api::signing::receiver_key(&endpoint).unwrap_or_default()) }
            }
        }
        div.card {
            h2 { "Actions" }
            div.actions {
                a.button.secondary href=(path("/edit")) { "Edit settings" }
                @let (toggle, label) = if endpoint.enabled { ("disable", "Disable") } else { ("enable", "Enable") };
                (action_button(chrome, &path(&format!("/{toggle}")), label))
                @if circuit.is_open() { (action_button(chrome, &path("/resume"), "Close circuit and send now")) }
                (action_button(chrome, &path("/rotate-secret"), "Rotate secret"))
            }
            (error_for("actions"))
            form method="post" action=(path("/test")) aria-label="Send a test event" {
                (chrome.token_field())
                h3 { "Send a test event" }
                label for="test-type" { "Event type (its catalog example is sent)" }
                select #test-type name="type" { @for name in &test_types { option value=(name) { (name) } } }
                " " button type="submit" { "Send test event" }
                (error_for("test"))
            }
            form method="post" action=(path("/recover")) aria-label="Recover failed deliveries" {
                (chrome.token_field())
                h3 { "Recover failed deliveries" }
                label for="recover-since" { "Send again every delivery that died since (UTC)" }
                input #recover-since type="datetime-local" name="since" required
                    value=(format::local_time_value(now - 24 * 3_600_000)) aria-describedby=[action_error.as_ref().filter(|a| a.form == "recover").map(|_| "err-recover")];
                " " button type="submit" { "Recover" }
                (error_for("recover"))
            }
        }
        h2 { "Latest deliveries" }
        div.table-wrap data-live="recent" { (deliveries_table(chrome, &recent)) }
        p { a href={ (chrome.path("/events")) "?endpoint=" (endpoint.id) } { "All deliveries of this endpoint →" } }
    };
    Ok(page(chrome, "Endpoint", content))
}

fn action_button(chrome: &Chrome, action: &str, label: &str) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            (chrome.token_field())
            button.secondary type="submit" { (label) }
        }
    }
}

fn schedule_text(endpoint: &Endpoint) -> String {
    match &endpoint.retry_schedule {
        None => "kurir's default".to_owned(),
        Some(schedule) => {
            let waits: Vec<String> = schedule.waits_secs().iter().map(|w| format!("{w} s")).collect();
            match schedule.preset_name() {
                Some(name) => format!("{name}: {}", waits.join(", ")),
                None => waits.join(", "),
            }
        }
    }
}

/// The endpoint page's buttons and small forms.
pub async fn act(
    State(dashboard): State<Dashboard>,
    Path((tenant, id, action)): Path<(String, String, String)>,
    posted: Posted,
) -> Result<Response, PageError> {
    let tenant = scope(&dashboard, &posted.viewer, &tenant).await?;
    let app = &dashboard.app;
    let back = format!("/ui/t/{tenant}/endpoints/{id}");
    let outcome: Result<String, ApiError> = match action.as_str() {
        "enable" | "disable" => {
            let patch = Map::from_iter([("enabled".to_owned(), json!(action == "enable"))]);
            kurir_api::endpoints::patch_endpoint(app, &tenant, &id, patch).await.map(|_| format!("{back}?saved=1"))
        }
        "resume" => kurir_api::endpoints::resume_now(app, &tenant, &id).await.map(|n| format!("{back}?resumed={n}")),
        "rotate-secret" => kurir_api::signing::rotate(app, &tenant, &id).await.map(|(_, until)| {
            let until: String = form_urlencoded::byte_serialize(format::time(until).as_bytes()).collect();
            format!("{back}?rotated={until}")
        }),
        "test" => {
            let origin = posted.viewer.caller.key();
            kurir_api::endpoints::send_test_event(app, &tenant, &id, posted.fields.text("type"), origin)
                .await
                .map(|(event, _)| format!("/ui/t/{tenant}/events/{event}"))
        }
        "recover" => match format::parse_local_time(posted.fields.text("since")) {
            Some(since) => kurir_api::endpoints::recover_since(app, &tenant, &id, since)
                .await
                .map(|n| format!("{back}?recovered={n}")),
            None => Err(ApiError::invalid("since", "must be a date and time such as 2026-11-24T08:00")),
        },
        _ => return Err(ApiError::not_found("action").into()),
    };
    match outcome {
        Ok(to) => Ok(Redirect::to(&to).into_response()),
        Err(error) if error.status == StatusCode::BAD_REQUEST => {
            let chrome = Chrome::load(&dashboard, &posted.viewer, tenant, Section::Endpoints).await?;
            let form = match action.as_str() {
                "recover" => "recover",
                "test" => "test",
                _ => "actions",
            };
            let page = endpoint_page(&dashboard, &chrome, &id, html! {}, Some(ActionError { form, error })).await?;
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
        Err(err) => Err(err.into()),
    }
}
