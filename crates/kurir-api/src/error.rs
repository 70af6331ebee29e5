//! `ApiError`: the one error shape every route answers with.
//!
//! `{"error": {"code": "...", "message": "...", "field": "payload.Variants[0].UnitPrice"}}`, `field` when one
//! input is to blame. Internal failures answer an opaque 500; their cause is logged here, once, and never reaches
//! the tenant.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use kurir_core::CoreError;
use kurir_store::StoreError;

use crate::openapi::{ErrorBody, ErrorDetail};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    /// For a 429: how many seconds until a retry may succeed (`Retry-After`).
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), field: None, retry_after_secs: None }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "a valid bearer token is required")
    }

    /// Too many failed authentications from this address: 429 with `Retry-After`, whatever the credentials.
    pub fn throttled(retry_after_secs: u64) -> Self {
        let mut error = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_failures",
            format!("too many failed authentications from this address; try again in {retry_after_secs} s"),
        );
        error.retry_after_secs = Some(retry_after_secs);
        error
    }

    /// The tenant's publish rate is used up: 429 with `Retry-After`; nothing was kept.
    pub fn rate_limited(message: String, retry_after_secs: u64) -> Self {
        let mut error = Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message);
        error.retry_after_secs = Some(retry_after_secs);
        error
    }

    pub fn forbidden(message: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
    }

    /// A parameter or body field that breaks a rule: 400.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message).with_field(field)
    }

    /// The database cannot be reached: 503 with `Retry-After`, so a sender tries again; nothing was kept.
    pub fn unavailable(cause: &StoreError) -> Self {
        tracing::warn!(error = %cause, "answering 503: the store is unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the database is unavailable; try again shortly (with the same Idempotency-Key, a retry cannot publish twice)",
        )
    }

    /// A failure whose cause must not reach the caller.
    pub fn internal(cause: &dyn std::error::Error) -> Self {
        let mut chain = cause.to_string();
        let mut source = cause.source();
        while let Some(inner) = source {
            chain.push_str(": ");
            chain.push_str(&inner.to_string());
            source = inner.source();
        }
        tracing::error!(error = %chain, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error")
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound(what) => ApiError::not_found(what),
            StoreError::Conflict(message) => ApiError::new(StatusCode::CONFLICT, "conflict", message),
            unavailable if unavailable.is_unavailable() => ApiError::unavailable(&unavailable),
            other => ApiError::internal(&other),
        }
    }
}

/// A rule of kurir-core broken by a request field: 400 naming the field.
impl From<CoreError> for ApiError {
    fn from(err: CoreError) -> Self {
        match err {
            CoreError::Invalid { field, message } => ApiError::invalid(field, message),
            CoreError::Catalog { .. } => ApiError::internal(&err),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = self.retry_after_secs.unwrap_or(1).to_string();
        let error = ErrorDetail { code: self.code.to_owned(), message: self.message, field: self.field };
        let mut response = (self.status, axum::Json(ErrorBody { error })).into_response();
        match self.status {
            StatusCode::TOO_MANY_REQUESTS => {
                let value = HeaderValue::from_str(&retry_after).unwrap_or(HeaderValue::from_static("1"));
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            _ => {}
        }
        response
    }
}
