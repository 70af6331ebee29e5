//! One module per page. Pages outside a tenant live here: the home redirect, the admin's switch, error pages.

pub mod api_docs;
pub mod catalog;
pub mod endpoint_form;
pub mod endpoints;
pub mod event;
pub mod events;
pub mod keys;
pub mod overview;
pub mod sign_in;
pub mod sources;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kurir_api::auth::Caller;
use kurir_api::error::ApiError;
use kurir_core::id::TenantId;
use maud::html;
use serde::Deserialize;

use crate::layout::document;
use crate::web_auth::Viewer;
use crate::Dashboard;

/// Why a page could not be shown, as the API said it; rendered as a page, not JSON.
#[derive(Debug)]
pub struct PageError(pub ApiError);

impl From<ApiError> for PageError {
    fn from(err: ApiError) -> Self {
        PageError(err)
    }
}

impl From<kurir_store::StoreError> for PageError {
    fn from(err: kurir_store::StoreError) -> Self {
        PageError(err.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let title = match self.0.status {
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::SERVICE_UNAVAILABLE => "Unavailable",
            StatusCode::BAD_REQUEST => "Not accepted",
            _ => "Something went wrong",
        };
        let mut response = error_page(self.0.status, title, &self.0.message);
        if self.0.status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("5"));
        }
        response
    }
}

/// A page that says what went wrong, with a way back.
pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let content = html! {
        div.card role="alert" {
            h1 { (title) }
            p { (message) }
            p { a href="/ui" { "Back to the dashboard" } }
        }
    };
    (status, document(title, None, content)).into_response()
}

/// The tenant `path_tenant` when the viewer may see it: the API's own rule (a tenant key sees only its tenant,
/// and another tenant's pages look exactly like missing ones).
pub async fn scope(dashboard: &Dashboard, viewer: &Viewer, path_tenant: &str) -> Result<TenantId, PageError> {
    Ok(viewer.caller.tenant(&dashboard.app, path_tenant).await?)
}

/// The shell of the viewer's page of `path_tenant`'s `section`, after scoping the tenant as [`scope`] does.
pub async fn tenant_chrome(
    dashboard: &Dashboard,
    viewer: &Viewer,
    path_tenant: &str,
    section: crate::layout::Section,
) -> Result<crate::layout::Chrome, PageError> {
    let tenant = scope(dashboard, viewer, path_tenant).await?;
    Ok(crate::layout::Chrome::load(dashboard, viewer, tenant, section).await?)
}

/// `/ui`: the viewer's tenant, or for the admin the first tenant.
pub async fn home(State(dashboard): State<Dashboard>, viewer: Viewer) -> Result<Response, PageError> {
    let tenant = match &viewer.caller {
        Caller::Tenant { tenant, .. } => tenant.clone(),
        Caller::Admin => match dashboard.app.store.list_tenants().await?.into_iter().next() {
            Some(tenant) => tenant.id,
            None => return Ok(no_tenants_yet()),
        },
    };
    Ok(Redirect::to(&format!("/ui/t/{tenant}")).into_response())
}

fn no_tenants_yet() -> Response {
    let content = html! {
        div.card {
            h1 { "No tenants yet" }
            p { "Create the first tenant through the API, then come back:" }
            pre { "curl -X POST http://127.0.0.1:8780/v1/tenants -H \"Authorization: Bearer $KURIR_ADMIN_TOKEN\" \\\n  -H 'content-type: application/json' -d '{\"id\": \"acme\", \"name\": \"Acme\"}'" }
        }
    };
    document("No tenants", None, content).into_response()
}

#[derive(Deserialize)]
pub struct SwitchQuery {
    tenant: String,
}

/// The admin's tenant switcher (a GET form, so it needs no form token: it changes nothing).
pub async fn switch_tenant(
    State(dashboard): State<Dashboard>,
    viewer: Viewer,
    axum::extract::Query(query): axum::extract::Query<SwitchQuery>,
) -> Result<Response, PageError> {
    let tenant = scope(&dashboard, &viewer, &query.tenant).await?;
    Ok(Redirect::to(&format!("/ui/t/{tenant}")).into_response())
}
