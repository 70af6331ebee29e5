//! Extractors whose rejections are `ApiError`s, so malformed input gets the same error shape as everything else.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body. Syntax errors are 400 `invalid_json`; a body that does not fit the expected shape is 400
/// `invalid_request` naming the field (by path, thanks to serde_path_to_error); an oversized body is 413.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/json"));
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the body must be JSON with Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "the body is larger than this route allows",
                )
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", "the body could not be read")
            }
        })?;
        parse_json(&bytes).map(Json)
    }
}

/// Parses JSON bytes into `T`, naming the field at fault.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let field = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", format!("malformed JSON: {inner}"))
        } else {
            let (field, message) = plain_words(&field, &strip_position(&inner.to_string()));
            let error = ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", message);
            match field {
                Some(field) => error.with_field(field),
                None => error,
            }
        }
    })
}

/// Rewrites serde's words (`invalid type: string "x", expected u32`) into the rule in the user's words (`must be a
/// whole number`), and names the field a missing one would be. Returns the field (`None` for the body itself) and
/// the message.
fn plain_words(path: &str, message: &str) -> (Option<String>, String) {
    let at = |name: &str| if path == "." { name.to_owned() } else { format!("{path}.{name}") };
    if let Some(name) = between(message, "missing field `", "`") {
        return (Some(at(name)), format!("{name} is required"));
    }
    if let Some(name) = between(message, "unknown field `", "`") {
        let known = message.split_once("expected one of ").map(|(_, known)| known.replace('`', ""));
        let said = match known {
            Some(known) => format!("{name} is not a field here; the fields are {known}"),
            None => format!("{name} is not a field here"),
        };
        // serde_path_to_error's path already ends at the unknown field.
        let field = if path == "." { name.to_owned() } else { path.to_owned() };
        return (Some(field), said);
    }
    let rule = [
        ("expected u8", "must be a whole number from 0 to 255"),
        ("expected u16", "must be a whole number from 0 to 65535"),
        ("expected u32", "must be a whole number of 0 or more"),
        ("expected u64", "must be a whole number of 0 or more"),
        ("expected i64", "must be a whole number"),
        ("expected a boolean", "must be true or false"),
        ("expected a string", "must be a string"),
        ("expected a sequence", "must be a list"),
        ("expected a map", "must be an object"),
        ("expected struct", "must be an object"),
    ]
    .into_iter()
    .find(|(serde, _)| message.ends_with(serde) || message.contains(&format!("{serde} ")))
    .map(|(_, rule)| rule);
    let field = (path != ".").then(|| path.to_owned());
    match rule {
        Some(rule) if path.ends_with("_ms") && rule.starts_with("must be a whole number") => {
            (field, format!("{rule} (milliseconds)"))
        }
        Some(rule) => (field, rule.to_owned()),
        None => (field, message.to_owned()),
    }
}

/// The text between `start` and the next `end` in `message`.
fn between<'a>(message: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let (_, rest) = message.split_once(start)?;
    rest.split_once(end).map(|(inside, _)| inside)
}

/// serde_json appends " at line 1 column 42"; the field name says more to an API user.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

/// Query parameters, with 400 `invalid_request` on a bad one.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer = serde_urlencoded_deserializer(query);
        serde_path_to_error::deserialize(deserializer).map(Query).map_err(|err| {
            let field = err.path().to_string();
            ApiError::invalid(field, format!("invalid query parameter: {}", err.into_inner()))
        })
    }
}

fn serde_urlencoded_deserializer(query: &str) -> serde_urlencoded::Deserializer<'_> {
    serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_words_become_the_rule() {
        let check = |path: &str, message: &str, field: Option<&str>, said: &str| {
            assert_eq!(plain_words(path, message), (field.map(str::to_owned), said.to_owned()), "{message}");
        };
        check(
            "timeout_ms",
            "invalid type: string \"fast\", expected u32",
            Some("timeout_ms"),
            "must be a whole number of 0 or more (milliseconds)",
        );
        check("enabled", "invalid type: integer `1`, expected a boolean", Some("enabled"), "must be true or false");
        check(".", "missing field `since`", Some("since"), "since is required");
        check("events[0]", "missing field `type`", Some("events[0].type"), "type is required");
        check(
            ".",
            "unknown field `colour`, expected one of `name`, `strict`",
            Some("colour"),
            "colour is not a field here; the fields are name, strict",
        );
        check("event_types", "invalid type: string \"x\", expected a sequence", Some("event_types"), "must be a list");
        check(".", "something else entirely", None, "something else entirely");
    }
}
