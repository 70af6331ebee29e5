//! Signing in with the admin token or a tenant's API key, and signing out.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use kurir_api::auth::{authenticate, Caller};
use maud::html;
use serde::Deserialize;

use crate::layout::document;
use crate::session::{set_cookie, Principal, Session};
use crate::web_auth::{cross_site, safe_next, Posted};
use crate::Dashboard;

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn form(Query(query): Query<NextQuery>) -> Response {
    render(safe_next(query.next.as_deref().unwrap_or("/ui")), None, StatusCode::OK)
}

fn render(next: &str, error: Option<&str>, status: StatusCode) -> Response {
    let content = html! {
        div.signin.card {
            h1 { "Sign in to kurir" }
            form method="post" action="/ui/sign-in" {
                input type="hidden" name="next" value=(next);
                div.field {
                    label for="token" { "Admin token or API key" }
                    input #token type="password" name="token" required autocomplete="current-password"
                        autofocus aria-describedby="token-hint" aria-invalid=[error.map(|_| "true")];
                    div #token-hint .hint { "The admin token kurir printed at its first start, or a tenant's API key (kurir_…)." }
                    @if let Some(error) = error { div.error role="alert" { (error) } }
                }
                button type="submit" { "Sign in" }
            }
        }
    };
    (status, document("Sign in", None, content)).into_response()
}

#[derive(Deserialize)]
pub struct SignInForm {
    token: String,
    next: Option<String>,
}

pub async fn submit(
    State(dashboard): State<Dashboard>,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    let next = safe_next(form.next.as_deref().unwrap_or("/ui")).to_owned();
    if let Some(why) = cross_site(&headers, &dashboard.app.config.public_url) {
        return crate::pages::error_page(StatusCode::FORBIDDEN, "Refused", why);
    }
    let token = form.token.trim();
    if token.is_empty() {
        return render(&next, Some("Enter the admin token or an API key."), StatusCode::BAD_REQUEST);
    }
    let address = peer.map(|axum::Extension(info)| info.0.ip());
    let caller = match kurir_api::auth::guarded(&dashboard.app, address, authenticate(&dashboard.app, token)).await {
        Ok(caller) => caller,
        Err(err) if err.status == StatusCode::UNAUTHORIZED => {
            return render(&next, Some("This token is not valid (unknown, mistyped or revoked)."), err.status)
        }
        Err(err) => return crate::pages::PageError(err).into_response(),
    };
    let principal = match caller {
        Caller::Admin => Principal::admin(&dashboard.app.config.admin_token_hash),
        Caller::Tenant { key, .. } => Principal::Key(key.to_string()),
    };
    let session = Session::start(principal, kurir_engine::now_ms(), rand::random());
    let cookie = set_cookie(Some(&session.seal(&dashboard.key)), is_https(&dashboard, &headers));
    ([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response()
}

pub async fn sign_out(State(dashboard): State<Dashboard>, headers: HeaderMap, _posted: Posted) -> Response {
    let cookie = set_cookie(None, is_https(&dashboard, &headers));
    ([(header::SET_COOKIE, cookie)], Redirect::to("/ui/sign-in")).into_response()
}

/// Whether the browser reached kurir over HTTPS (directly configured, or through a proxy that says so): then the
/// cookie is `Secure`.
fn is_https(dashboard: &Dashboard, headers: &HeaderMap) -> bool {
    let forwarded = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok());
    forwarded == Some("https") || dashboard.app.config.public_url.starts_with("https://")
}
