//! The OpenAPI 3.1 description of the API, built from the handlers themselves.
//!
//! Every route is registered through `utoipa_axum`'s `routes!`, which takes the handler's `#[utoipa::path]`
//! attribute along: a route cannot be served without being described (an architecture test forbids adding one
//! any other way in this crate). The answers that every bearer-token route shares by one rule (401 without a valid
//! token, 404 for another tenant's resources, 503 while the store is away, …) are not written on each handler but
//! added here by [`add_shared_answers`], from what the operation declares: its security, its path parameters, its
//! body.

use serde::Serialize;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::tag::Tag;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};
use utoipa::{IntoParams, PartialSchema, ToSchema};

/// The security scheme of the admin token (`KURIR_ADMIN_TOKEN`): every route.
pub const ADMIN: &str = "admin_token";
/// The security scheme of a tenant's API key (`kurir_…`): that tenant's routes.
pub const TENANT_KEY: &str = "tenant_key";

/// Every error answers this shape.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable, machine-readable code such as `invalid_request`, `not_found` or `unavailable`.
    #[schema(example = "invalid_request")]
    pub code: String,
    /// What went wrong, in words for a person.
    pub message: String,
    /// The input at fault, by path (`payload.Variants[0].UnitPrice`), when one field is to blame.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "url")]
    pub field: Option<String>,
}

/// A list of resources.
#[derive(Serialize, ToSchema)]
pub struct List<T> {
    pub data: Vec<T>,
}

impl<T> List<T> {
    pub fn of(data: Vec<T>) -> axum::Json<Self> {
        axum::Json(List { data })
    }
}

/// One page of a longer list, newest first; give `next_cursor` as `?before=` for the next page.
#[derive(Serialize, ToSchema)]
pub struct Page<T> {
    pub data: Vec<T>,
    /// Absent on the last page.
    pub next_cursor: Option<String>,
}

/// The `{tenant}` path parameter.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TenantParam {
    /// The tenant's id.
    #[allow(dead_code)]
    tenant: String,
}

/// The shared answers, with the status each one has.
const SHARED_ANSWERS: [(&str, &str, &str); 8] = [
    ("400", "BadRequest", "The input breaks a rule; `field` names it."),
    ("401", "Unauthorized", "No valid bearer token."),
    ("403", "Forbidden", "A tenant key on a route only the admin may call."),
    ("404", "NotFound", "No such resource, or it belongs to another tenant."),
    ("413", "PayloadTooLarge", "The body is larger than this route allows."),
    ("415", "UnsupportedMediaType", "The body must be JSON with `Content-Type: application/json`."),
    (
        "429",
        "TooManyRequests",
        "Too many failed authentications from this address (`too_many_failures`), or the tenant's publish rate is \
         used up (`rate_limited`); nothing was kept. Try again after `Retry-After` seconds.",
    ),
    ("503", "Unavailable", "The database is unavailable; nothing was kept. Retry after `Retry-After` seconds."),
];

/// The tags in the order a reader wants them, each with what it groups.
const TAGS: [(&str, &str); 11] = [
    ("events", "Publishing events, and the event log."),
    ("endpoints", "Where deliveries go: URL, dialect, subscriptions, secrets, retries; and getting a backlog moving."),
    ("deliveries", "The delivery log: each event on its way to each endpoint, and every attempt."),
    ("event-types", "The catalog of DealPOS, ZORT and kurir event types, and a tenant's own types."),
    ("tenants", "Tenants (merchants or platforms), each with its own endpoints, events and keys."),
    ("api-keys", "A tenant's credentials."),
    ("sources", "Inbound URLs for DealPOS, ZORT and Standard Webhooks senders, and what they received."),
    ("inbound", "Where senders post; each answers the way its vendor expects."),
    ("callouts", "DealPOS's synchronous loyalty call-outs, relayed to a provider."),
    ("zort", "ZORT's own webhook calls, for clients written against ZORT's API."),
    ("health", "Liveness, readiness, metrics and this document."),
];

/// Completes the document the routers built: the API's title, its tags, its security schemes and the shared
/// answers.
pub fn finish(mut doc: OpenApi) -> OpenApi {
    doc.tags = Some(
        TAGS.iter()
            .map(|(name, description)| {
                let mut tag = Tag::new(*name);
                tag.description = Some((*description).to_owned());
                tag
            })
            .collect(),
    );
    doc.info.title = "kurir".to_owned();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc.info.description = Some(DESCRIPTION.to_owned());
    doc.info.license = None;
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, what) in [(ADMIN, "The admin token"), (TENANT_KEY, "A tenant's API key (`kurir_…`)")] {
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.description = Some(format!("{what}, as `Authorization: Bearer …`."));
        components.add_security_scheme(name, SecurityScheme::Http(scheme));
    }
    // ZORT's own calls authenticate with three headers together, as ZORT's API does.
    for (name, header, what) in [
        ("zort_storename", "storename", "The tenant's id"),
        ("zort_apikey", "apikey", "An API key's id"),
        ("zort_apisecret", "apisecret", "That key's secret"),
    ] {
        let scheme = ApiKey::Header(ApiKeyValue::with_description(header, &format!("{what} (ZORT's `{header}`).")));
        components.add_security_scheme(name, SecurityScheme::ApiKey(scheme));
    }
    components.schemas.insert(ErrorBody::name().into_owned(), ErrorBody::schema());
    components.schemas.insert(ErrorDetail::name().into_owned(), ErrorDetail::schema());
    for (_, name, description) in SHARED_ANSWERS {
        let content = ContentBuilder::new().schema(Some(Ref::from_schema_name(ErrorBody::name()))).build();
        let response = ResponseBuilder::new().description(description).content("application/json", content).build();
        components.responses.insert(name.to_owned(), RefOr::T(response));
    }
    // Unless a route says otherwise, the admin token or the tenant's own key may call it.
    let either = [ADMIN, TENANT_KEY].map(|scheme| SecurityRequirement::new(scheme, Vec::<String>::new()));
    for (path, item) in doc.paths.paths.iter_mut() {
        for operation in operations_mut(item) {
            operation.security.get_or_insert_with(|| either.to_vec());
            add_shared_answers(path, operation);
            name_plain_answers(operation);
        }
    }
    doc
}

const DESCRIPTION: &str = "kurir, a webhook gateway for retail and point-of-sale platforms: publish events, \
manage the endpoints that receive them, read the delivery log, and receive DealPOS, ZORT and Standard Webhooks \
traffic. Every error answers `{\"error\": {\"code\", \"message\", \"field\"?}}`.";

/// The methods of a path, as mutable operations.
pub fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch].into_iter().flatten()
}

/// Every response needs a description; one its handler left without says its status's name ("Created").
fn name_plain_answers(operation: &mut Operation) {
    for (status, response) in operation.responses.responses.iter_mut() {
        if let RefOr::T(response) = response {
            if response.description.is_empty() {
                let reason = status.parse().ok().and_then(|s| axum::http::StatusCode::from_u16(s).ok());
                response.description = reason.and_then(|s| s.canonical_reason()).unwrap_or("Answer").to_owned();
            }
        }
    }
}

/// Adds the answers a bearer-token route gives by a shared rule, unless the handler already described that status.
/// ZORT's calls and the inbound URLs answer in their vendors' ways and describe every answer themselves.
fn add_shared_answers(path: &str, operation: &mut Operation) {
    let schemes: Vec<String> = operation
        .security
        .iter()
        .flatten()
        .filter_map(|requirement| serde_json::to_value(requirement).ok())
        .filter_map(|value| value.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()))
        .flatten()
        .collect();
    let takes_json = operation
        .request_body
        .as_ref()
        .and_then(|body| serde_json::to_value(body).ok())
        .is_some_and(|body| body["content"].get("application/json").is_some());
    if !schemes.iter().any(|s| s == ADMIN || s == TENANT_KEY) {
        return;
    }
    for (status, name, _) in SHARED_ANSWERS {
        let applies = match status {
            "400" | "413" | "415" => takes_json,
            "403" => schemes.iter().all(|s| s == ADMIN),
            "404" => path.contains('{'),
            _ => true,
        };
        if applies && !operation.responses.responses.contains_key(status) {
            operation.responses.responses.insert(status.to_owned(), RefOr::Ref(Ref::from_response_name(name)));
        }
    }
}
