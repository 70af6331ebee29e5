//! Who is looking at a page, and whether a form post is theirs.
//!
//! [`Viewer`] opens the session cookie and checks the credential behind it again (the API key still exists and is
//! not revoked; the admin token is still the one signed in with), then hands out the same [`Caller`] the REST
//! routes use, so the tenant scoping rules are the API's own. A page without a valid session redirects to the
//! sign-in page. [`Posted`] is a form post: a viewer, the form's fields, and a refusal (403) unless the form
//! carries the session's token and the browser did not say it came from another site.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kurir_api::auth::Caller;
use kurir_core::api_key::ApiKey;

use crate::fields::Fields;
use crate::session::{cookie_value, Principal, Session};
use crate::Dashboard;

/// The form field that carries the session's form token.
pub const FORM_TOKEN_FIELD: &str = "csrf";

/// A signed-in person.
pub struct Viewer {
    pub caller: Caller,
    pub session: Session,
}

impl Viewer {
    /// The token this viewer's forms carry.
    pub fn form_token(&self, dashboard: &Dashboard) -> String {
        self.session.form_token(&dashboard.key)
    }

    pub fn is_admin(&self) -> bool {
        matches!(self.caller, Caller::Admin)
    }
}

/// Why a request gets no page: not signed in (to the sign-in page), or a form that is not the viewer's (403).
#[derive(Debug)]
pub enum Refusal {
    SignIn { next: String },
    ForeignForm(&'static str),
    Unavailable,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::SignIn { next } => Redirect::to(&sign_in_url(&next)).into_response(),
            Refusal::ForeignForm(why) => crate::pages::error_page(StatusCode::FORBIDDEN, "Refused", why),
            Refusal::Unavailable => crate::pages::error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Unavailable",
                "The database cannot be reached right now; reload in a few seconds.",
            ),
        }
    }
}

/// Where sign-in may send the browser afterwards: a dashboard path (`/ui` or under `/ui/`, printable ASCII, no
/// `..`), else the dashboard's home. So `next` can never lead off the dashboard.
pub fn safe_next(next: &str) -> &str {
    let inside = next == "/ui" || next.starts_with("/ui/") || next.starts_with("/ui?");
    let plain = next.bytes().all(|b| b.is_ascii_graphic()) && !next.contains("..");
    if inside && plain {
        next
    } else {
        "/ui"
    }
}

/// The sign-in page, coming back to `next` (a dashboard path) afterwards.
pub fn sign_in_url(next: &str) -> String {
    let next = safe_next(next);
    let query: String = form_urlencoded::Serializer::new(String::new()).append_pair("next", next).finish();
    format!("/ui/sign-in?{query}")
}

impl FromRequestParts<Dashboard> for Viewer {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, dashboard: &Dashboard) -> Result<Self, Refusal> {
        let next = parts.uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
        let sign_in = || Refusal::SignIn { next: next.clone() };
        let cookie = parts.headers.get(header::COOKIE).and_then(|v| v.to_str().ok()).and_then(cookie_value);
        let session = cookie
            .and_then(|value| Session::open(value, &dashboard.key, kurir_engine::now_ms()))
            .ok_or_else(sign_in)?;
        let caller = match &session.principal {
            admin @ Principal::Admin { .. } => {
                (*admin == Principal::admin(&dashboard.app.config.admin_token_hash)).then_some(Caller::Admin)
            }
            Principal::Key(id) => key_caller(dashboard, id).await?,
        };
        Ok(Viewer { caller: caller.ok_or_else(sign_in)?, session })
    }
}

/// The caller an API key is, while it exists and is not revoked.
async fn key_caller(dashboard: &Dashboard, id: &str) -> Result<Option<Caller>, Refusal> {
    let key = dashboard.app.store.find_api_key(id).await.map_err(|_| Refusal::Unavailable)?;
    Ok(key.filter(ApiKey::is_active).map(|k| Caller::Tenant { tenant: k.tenant, key: k.id }))
}

/// A form posted by the signed-in viewer.
pub struct Posted {
    pub viewer: Viewer,
    pub fields: Fields,
}

impl FromRequest<Dashboard> for Posted {
    type Rejection = Response;

    async fn from_request(request: Request, dashboard: &Dashboard) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        if let Some(why) = cross_site(&parts.headers, &dashboard.app.config.public_url) {
            return Err(Refusal::ForeignForm(why).into_response());
        }
        let viewer = Viewer::from_request_parts(&mut parts, dashboard).await.map_err(IntoResponse::into_response)?;
        let request = Request::from_parts(parts, body);
        let axum::Form(fields) = axum::Form::<Vec<(String, String)>>::from_request(request, dashboard)
            .await
            .map_err(|_| Refusal::ForeignForm("the form could not be read").into_response())?;
        let token = fields.iter().find(|(name, _)| name == FORM_TOKEN_FIELD).map(|(_, v)| v.as_str()).unwrap_or("");
        if !viewer.session.accepts_form_token(&dashboard.key, token) {
            return Err(
                Refusal::ForeignForm("this form was not sent from a kurir page of your session").into_response()
            );
        }
        Ok(Posted { viewer, fields: Fields::new(fields) })
    }
}

/// Why a request's own headers say it came from another site, if they do: `Sec-Fetch-Site: cross-site`, or an
/// `Origin` that is neither the host the request was sent to nor kurir's public URL (behind a proxy that
/// rewrites `Host`, the public URL is what the browser sees).
pub fn cross_site(headers: &HeaderMap, public_url: &str) -> Option<&'static str> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if text("sec-fetch-site") == Some("cross-site") {
        return Some("cross-site form posts are refused");
    }
    let origin = text("origin")?;
    let origin_host = origin.split_once("://").map(|(_, rest)| rest);
    let same_host = text("host").is_some_and(|host| origin_host == Some(host));
    let public = public_url.trim_end_matches('/');
    let same_public = !public.is_empty() && origin.eq_ignore_ascii_case(public);
    (!same_host && !same_public).then_some("a form from another origin is refused")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    const PUBLIC: &str = "https://hooks.example.com";

    #[test]
    fn same_origin_posts_pass() {
        let direct = [("origin", "http://127.0.0.1:8780"), ("host", "127.0.0.1:8780")];
        assert_eq!(cross_site(&headers(&direct), PUBLIC), None);
        let no_origin = [("host", "127.0.0.1:8780"), ("sec-fetch-site", "same-origin")];
        assert_eq!(cross_site(&headers(&no_origin), PUBLIC), None);
        let proxied = [("origin", "https://hooks.example.com"), ("host", "127.0.0.1:8780")];
        assert_eq!(cross_site(&headers(&proxied), PUBLIC), None, "behind a proxy that rewrites Host");
    }

    #[test]
    fn other_origins_are_refused() {
        let other_port = [("origin", "http://127.0.0.1:9999"), ("host", "127.0.0.1:8780")];
        assert!(cross_site(&headers(&other_port), PUBLIC).is_some());
        assert!(cross_site(&headers(&[("origin", "null"), ("host", "127.0.0.1:8780")]), PUBLIC).is_some());
        assert!(cross_site(&headers(&[("sec-fetch-site", "cross-site")]), PUBLIC).is_some());
        assert!(cross_site(&headers(&[("origin", "https://evil.example")]), "").is_some());
    }

    #[test]
    fn sign_in_comes_back_only_to_dashboard_pages() {
        assert_eq!(sign_in_url("/ui/t/acme/events?type=a"), "/ui/sign-in?next=%2Fui%2Ft%2Facme%2Fevents%3Ftype%3Da");
        for outside in ["https://evil.example/", "//evil.example", "/uix", "/ui/../v1/tenants", "/ui/t/ä", ""] {
            assert_eq!(safe_next(outside), "/ui", "{outside}");
        }
        assert_eq!(safe_next("/ui?x=1"), "/ui?x=1");
    }
}
