//! `/in/{source}` and `/in/{source}/{event}`: where DealPOS, ZORT and Standard Webhooks senders post.
//!
//! A request is checked with the vendor's own scheme, its payload read and validated, then stored with its
//! deliveries in one group commit before kurir answers the way the vendor expects (DealPOS:
//! `{"status":"success"}`; ZORT: 200; Standard Webhooks: 204). Wrong credentials get 401 and nothing is stored.
//! A vendor's retry of the same request within ten minutes is recognised and not stored twice. Validation is
//! lenient by default (a payload that breaks its schema is stored with the failure noted, and forwarded); a
//! strict source refuses it with 400.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use kurir_core::event::{Event, ZortParams};
use kurir_core::id::EventId;
use kurir_core::source::{Source, SourceId, SourceVerify};
use kurir_store::{Receipt, Refusal};
use kurir_wire::inbound::{self, ZortCredentials};
use kurir_wire::signature::{self, SignedHeaders};
use kurir_wire::WebhookSecret;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::openapi::ErrorBody;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(receive_at_source)).routes(routes!(receive_event)).routes(routes!(callout))
}

/// DealPOS's answer to a webhook it sent.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
struct DealposAccepted {
    /// Always `success`.
    #[schema(example = "success")]
    status: String,
}

/// DealPOS calls a DealPOS source's call-out URL; the source's credentials are checked as for its webhooks.
#[utoipa::path(post, path = "/in/{source}/callouts/{name}", tag = "inbound", operation_id = "receive_callout",
    security(()),
    params(("source" = String, Path, description = "The source's id."),
        ("name" = String, Path, description = "The call-out's name (`fetchLoyaltyPoints`, …).")),
    request_body(content = Value, description = "The call-out's request, as DealPOS sends it."),
    responses(
        (status = 200, description = "The provider's answer.", body = Value),
        (status = 400, description = "The provider refused (its answer), or the request is not JSON.", body = Value),
        (status = 401, description = "The source's credentials do not match.", body = ErrorBody),
        (status = 404, description = "No such source or call-out provider.", body = ErrorBody),
        (status = 502, description = "The provider failed or answered something undocumented.", body = ErrorBody),
        (status = 504, description = "The provider did not answer in time.", body = ErrorBody),
    ))]
async fn callout(
    State(state): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let source = source(&state, &id).await?;
    let SourceVerify::Dealpos { api_key } = &source.verify else {
        return Err(ApiError::not_found("call-out"));
    };
    check_dealpos(api_key.as_deref(), &headers)?;
    crate::callouts::relay(&state, &source.tenant, &name, body).await
}

/// What a request carried, once read: the event type, the payload JSON text, ZORT's query parameters, and what
/// identifies a retry of the same request.
struct Arrival {
    event_type: String,
    payload: String,
    params: Option<ZortParams>,
    identity: String,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// DealPOS's key, when the source has one, as `X-API-Key` or `Authorization: Bearer`.
fn check_dealpos(api_key: Option<&str>, headers: &HeaderMap) -> Result<(), ApiError> {
    inbound::verify_dealpos(api_key, header(headers, "x-api-key"), header(headers, "authorization"))
        .map_err(|_| unauthorized())
}

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_payload", message)
}

fn unauthorized() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "the credentials do not match this source")
}

async fn source(state: &AppState, id: &str) -> Result<Source, ApiError> {
    let id: SourceId = id.parse().map_err(|_| ApiError::not_found("source"))?;
    state.store.find_source(&id).await?.ok_or_else(|| ApiError::not_found("source"))
}

/// Where a ZORT or Standard Webhooks sender posts: ZORT with `?method=TRIGGER` and its key headers, Standard
/// Webhooks with `webhook-id`, `webhook-timestamp` and `webhook-signature`.
#[utoipa::path(post, path = "/in/{source}", tag = "inbound", operation_id = "receive_webhook", security(()),
    params(("source" = String, Path, description = "The source's id.")),
    request_body(description = "The webhook as the sender sends it.",
        content((Value = "application/json"), (String = "application/x-www-form-urlencoded"),
            (String = "multipart/form-data"))),
    responses(
        (status = 200, description = "Received (ZORT).", body = String, content_type = "text/plain"),
        (status = 204, description = "Received (Standard Webhooks)."),
        (status = 400, description = "Unreadable, or refused by its schema at a strict source.", body = ErrorBody),
        (status = 401, description = "The credentials or the signature do not match.", body = ErrorBody),
        (status = 404, description = "No such source.", body = ErrorBody),
        (status = 413, description = "The body is larger than 1 MiB.", body = ErrorBody),
        (status = 422, description = "The event type is one of kurir's own, which senders cannot publish.",
            body = ErrorBody),
        (status = 429, description = "Too many failed attempts from this address.", body = ErrorBody),
        (status = 503, description = "The database is unavailable; the sender should retry.", body = ErrorBody),
    ))]
async fn receive_at_source(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let source = source(&state, &id).await?;
    receive_and_record(&state, source, None, request).await
}

/// Where DealPOS posts one webhook: the event's name is the last part of the URL.
#[utoipa::path(post, path = "/in/{source}/{event}", tag = "inbound", operation_id = "receive_dealpos_webhook",
    security(()),
    params(("source" = String, Path, description = "The source's id."),
        ("event" = String, Path, description = "The DealPOS event (`product.updated`, …).")),
    request_body(content = Value, description = "The webhook as DealPOS sends it."),
    responses(
        (status = 200, description = "Received.", body = DealposAccepted),
        (status = 204, description = "Received (Standard Webhooks, with the event type in the path)."),
        (status = 400, description = "Unreadable, or refused by its schema at a strict source.", body = ErrorBody),
        (status = 401, description = "The API key does not match.", body = ErrorBody),
        (status = 404, description = "No such source.", body = ErrorBody),
        (status = 413, description = "The body is larger than 1 MiB.", body = ErrorBody),
        (status = 422, description = "The event type is one of kurir's own, which senders cannot publish.",
            body = ErrorBody),
        (status = 429, description = "Too many failed attempts from this address.", body = ErrorBody),
        (status = 503, description = "The database is unavailable; the sender should retry.", body = ErrorBody),
    ))]
async fn receive_event(
    State(state): State<AppState>,
    Path((id, event)): Path<(String, String)>,
    request: Request,
) -> Result<Response, ApiError> {
    let source = source(&state, &id).await?;
    receive_and_record(&state, source, Some(event), request).await
}

/// Receives, and records a refusal (a 4xx the sender got) in the source's refusal log, as far as the limiter
/// lets it; a refusal not recorded is still counted in the server log.
async fn receive_and_record(
    state: &AppState,
    source: Source,
    path_event: Option<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let peer = request.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|info| info.0.ip());
    let address = peer.map(|ip| ip.to_string());
    // Guessing a source's credentials is slowed down per source and address, like the API's tokens.
    let throttle_key = peer.map(|ip| (source.id.to_string(), ip));
    if let Some(key) = &throttle_key {
        state.source_failures.check(key).map_err(ApiError::throttled)?;
    }
    let result = receive(state, source.clone(), path_event, request).await;
    if let (Some(key), Err(err)) = (throttle_key, &result) {
        if err.status == StatusCode::UNAUTHORIZED {
            state.source_failures.failed(key);
        }
    }
    if let Err(failed) = &result {
        let verdict = if failed.status.is_client_error() { "refused" } else { "failed" };
        state.metrics.inbound(source.tenant.as_str(), &source.name, verdict);
    }
    if let Err(refused) = &result {
        if refused.status.is_client_error() {
            let now = kurir_engine::now_ms();
            tracing::warn!(source = %source.id, status = refused.status.as_u16(), reason = %refused.message, "inbound request refused");
            if state.refusals.admit(&source.id, now) {
                let refusal = Refusal {
                    tenant: source.tenant.clone(),
                    source: source.id.clone(),
                    at_ms: now,
                    status: refused.status.as_u16(),
                    reason: refused.message.clone(),
                    address,
                };
                if let Err(err) = state.store.log_refusal(refusal).await {
                    tracing::warn!(error = %err, "cannot record a refused inbound request");
                }
            }
        }
    }
    result
}

async fn receive(
    state: &AppState,
    source: Source,
    path_event: Option<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let arrival = match &source.verify {
        SourceVerify::Zort(keys) => {
            let query = query_pairs(&request);
            let Some(method) = query.get("method").cloned().filter(|m| !m.is_empty()) else {
                // ZORT's "Verify and Save" posts without a method: answer 200 and store nothing.
                return Ok((StatusCode::OK, "OK").into_response());
            };
            let headers = request.headers();
            let credentials = ZortCredentials {
                key1: header(headers, "key1"),
                key2: header(headers, "key2"),
                key3: header(headers, "key3"),
                authorization: header(headers, "authorization"),
            };
            inbound::verify_zort(keys, credentials).map_err(|_| unauthorized())?;
            let payload = zort_body(request).await?;
            let params = ZortParams {
                id: query.get("id").cloned(),
                number: query.get("number").cloned(),
                paymentstatus: query.get("paymentstatus").cloned(),
            };
            let has_params = params != ZortParams::default();
            let identity = format!(
                "zort|{method}|{:?}|{payload}",
                (params.id.as_deref(), params.number.as_deref(), params.paymentstatus.as_deref())
            );
            Arrival { event_type: method, payload, params: has_params.then_some(params), identity }
        }
        SourceVerify::Dealpos { api_key } => {
            let event_type = path_event
                .ok_or_else(|| bad_request("a DealPOS source takes the event in the path: /in/{source}/{event}"))?;
            let headers = request.headers();
            check_dealpos(api_key.as_deref(), headers)?;
            let body = body_bytes(request).await?;
            let text = String::from_utf8(body.to_vec()).map_err(|_| bad_request("the body is not UTF-8"))?;
            let payload = inbound::checked_json(text).map_err(|err| bad_request(err.to_string()))?;
            let identity = format!("dealpos|{event_type}|{payload}");
            Arrival { event_type, payload, params: None, identity }
        }
        SourceVerify::Standard { secrets } => standard_arrival(secrets, path_event, request).await?,
    };
    let answer = match source.verify {
        SourceVerify::Dealpos { .. } => (StatusCode::OK, axum::Json(json!({"status": "success"}))).into_response(),
        SourceVerify::Zort(_) => (StatusCode::OK, "OK").into_response(),
        SourceVerify::Standard { .. } => StatusCode::NO_CONTENT.into_response(),
    };
    store(state, &source, arrival).await?;
    Ok(answer)
}

fn query_pairs(request: &Request) -> HashMap<String, String> {
    form_urlencoded::parse(request.uri().query().unwrap_or_default().as_bytes()).into_owned().collect()
}

async fn body_bytes(request: Request) -> Result<Bytes, ApiError> {
    Bytes::from_request(request, &()).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "the body is larger than 1 MiB")
        } else {
            bad_request("the body could not be read")
        }
    })
}

/// ZORT's payload: a `payload` field of a multipart form, or whatever `inbound::zort_payload` reads.
async fn zort_body(request: Request) -> Result<String, ApiError> {
    let content_type =
        request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    if content_type.to_ascii_lowercase().starts_with("multipart/form-data") {
        let mut form = Multipart::from_request(request, &())
            .await
            .map_err(|err| bad_request(format!("bad multipart body: {err}")))?;
        while let Some(field) =
            form.next_field().await.map_err(|err| bad_request(format!("bad multipart body: {err}")))?
        {
            if field.name() == Some("payload") {
                let text = field.text().await.map_err(|err| bad_request(format!("bad multipart field: {err}")))?;
                return inbound::checked_json(text).map_err(|err| bad_request(err.to_string()));
            }
        }
        return Err(bad_request("the form has no `payload` field"));
    }
    let body = body_bytes(request).await?;
    inbound::zort_payload(&content_type, &body).map_err(|err| bad_request(err.to_string()))
}

/// A Standard Webhooks delivery: verify the signature, then take `type` (or the path's event) and `data`.
async fn standard_arrival(
    secrets: &[String],
    path_event: Option<String>,
    request: Request,
) -> Result<Arrival, ApiError> {
    let headers: HeaderMap = request.headers().clone();
    let body = body_bytes(request).await?;
    let secrets: Vec<WebhookSecret> = secrets.iter().filter_map(|s| WebhookSecret::parse(s).ok()).collect();
    let signed = SignedHeaders {
        id: header(&headers, "webhook-id"),
        timestamp: header(&headers, "webhook-timestamp"),
        signature: header(&headers, "webhook-signature"),
    };
    signature::verify(&secrets, signed, &body, kurir_engine::now_ms() / 1000).map_err(|_| unauthorized())?;
    let envelope: Value =
        serde_json::from_slice(&body).map_err(|err| bad_request(format!("the body is not JSON: {err}")))?;
    let event_type = path_event
        .or_else(|| envelope["type"].as_str().map(str::to_owned))
        .ok_or_else(|| bad_request("the body has no `type`"))?;
    let data = envelope.get("data").ok_or_else(|| bad_request("the body has no `data`"))?;
    // The signed message id identifies a sender's retry.
    let identity = format!("standard|{}", signed.id.unwrap_or_default());
    Ok(Arrival { event_type, payload: data.to_string(), params: None, identity })
}

/// 404 naming the event type and how this source's URLs are formed.
fn unknown_event_type(source: &Source, name: &str) -> ApiError {
    let how = match source.verify.dialect() {
        kurir_core::endpoint::Dialect::Dealpos => format!(
            "each DealPOS webhook posts to /in/{}/<its name>, e.g. /in/{}/productCreated; the source's page lists them",
            source.id, source.id
        ),
        kurir_core::endpoint::Dialect::Zort => "ZORT names the trigger in ?method=, e.g. ?method=ADDPRODUCT".to_owned(),
        kurir_core::endpoint::Dialect::Standard => "the `type` must be a catalog or tenant event type".to_owned(),
    };
    ApiError::new(
        StatusCode::NOT_FOUND,
        "unknown_event_type",
        format!("`{name}` is not an event type kurir knows; {how}"),
    )
    .with_field("event")
}

/// Validates against the catalog and stores the event (or recognises a retry).
async fn store(state: &AppState, source: &Source, arrival: Arrival) -> Result<(), ApiError> {
    // An unknown type is an error the sender hears, lenient or strict: leniency is about payloads, not names (a
    // URL pasted with `{event}` left in, or a typo, would otherwise be stored and forwarded as if it were one).
    let Some(event_type) = state.publishable_type(&source.tenant, &arrival.event_type).await? else {
        return Err(unknown_event_type(source, &arrival.event_type));
    };
    let payload: Value = serde_json::from_str(&arrival.payload).map_err(|err| ApiError::internal(&err))?;
    let validation_error = event_type.validate(&payload).err().map(|err| err.to_string());
    if let (true, Some(problem)) = (source.strict, &validation_error) {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "schema_violation", problem.clone()));
    }
    let now = kurir_engine::now_ms();
    let event = Event {
        id: EventId::generate(now as u64, rand::random()),
        tenant: source.tenant.clone(),
        ordering_key: event_type.ordering_key(&payload),
        event_type: arrival.event_type,
        payload: arrival.payload,
        origin_key: None,
        idempotency_key: None,
        params: arrival.params,
        created_at_ms: now,
        subject_endpoint: None,
    };
    let fingerprint: [u8; 32] = Sha256::digest(arrival.identity.as_bytes()).into();
    let receipt = Receipt { source: source.id.clone(), fingerprint, event, validation_error };
    let published = state.store.receive(&source.tenant, receipt).await?;
    let verdict = if published.duplicate { "duplicate" } else { "accepted" };
    state.metrics.inbound(source.tenant.as_str(), &source.name, verdict);
    if !published.duplicate {
        state.waker.wake();
    }
    Ok(())
}
