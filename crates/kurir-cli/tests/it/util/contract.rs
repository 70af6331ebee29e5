//! The OpenAPI document as a contract: every answer the tests get from kurir's API is checked against it.
//!
//! [`check`] finds the operation a request reached (by method and path template), the response the document
//! describes for the status it got, and validates the body against that response's schema; for an accepted
//! request it also validates what was sent against the request body's schema. A route the document does not
//! describe, a status it does not list, or a body that breaks its schema fails the test that made the call. So the
//! whole suite, on both backends, keeps the document honest.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{json, Value};

/// The document, as the binary under test builds it.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        serde_json::to_value(kurir_api::document()).unwrap_or_else(|err| panic!("the document is not JSON: {err}"))
    })
}

/// The path template of the document that `path` (without its query) matches: the one with the most literal
/// segments, so `/events/batch` wins over `/events/{event}`.
pub fn template_of(path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split('/').collect();
    let paths = document()["paths"].as_object()?;
    paths
        .keys()
        .filter_map(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (part, segment) in parts.iter().zip(&segments) {
                if part.starts_with('{') && part.ends_with('}') {
                    if segment.is_empty() {
                        return None;
                    }
                } else if part == segment {
                    literal += 1;
                } else {
                    return None;
                }
            }
            Some((literal, template))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, template)| template.clone())
}

/// Checks one exchange against the document; panics naming what the document does not describe.
pub fn check(method: &str, path_and_query: &str, sent: Option<&Value>, status: u16, answer: &Value) {
    let path = path_and_query.split('?').next().unwrap_or_default();
    if path.starts_with("/ui") || path == "/docs" {
        return; // The dashboard and the docs page are pages, not the API.
    }
    let fallback = status == 404 && answer["error"]["message"] == "route not found";
    let Some(template) = template_of(path) else {
        assert!(fallback, "{method} {path} answered {status} but the OpenAPI document has no such path");
        return;
    };
    let method = method.to_ascii_lowercase();
    let Some(operation) = document()["paths"][&template].get(&method) else {
        assert_eq!(status, 405, "{method} {template} answered {status} but the document does not describe it");
        return;
    };
    let described = operation["responses"].get(status.to_string()).or_else(|| operation["responses"].get("default"));
    let Some(response) = described else {
        panic!("{method} {template} answered {status}, a status the document does not list: {answer}");
    };
    let response = resolve(response);
    match response["content"].get("application/json") {
        Some(content) => validate(&format!("{method} {template} {status}"), &content["schema"], answer),
        None if status == 204 => {}
        None => assert!(
            !answer.is_object() || response["content"].as_object().is_some_and(|c| !c.is_empty()),
            "{method} {template} answered {status} with JSON the document does not describe: {answer}"
        ),
    }
    if let (Some(sent), true) = (sent, (200..300).contains(&status)) {
        if let Some(schema) = operation["requestBody"]["content"].get("application/json").map(|c| &c["schema"]) {
            validate(&format!("{method} {template} request"), schema, sent);
        }
    }
}

/// A `$ref` to `#/components/responses/…`, followed.
fn resolve(response: &Value) -> &Value {
    match response["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/responses/")) {
        Some(name) => &document()["components"]["responses"][name],
        None => response,
    }
}

/// Validates `instance` against a schema of the document, whose `$ref`s point into its components.
fn validate(what: &str, schema: &Value, instance: &Value) {
    static VALIDATORS: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = OnceLock::new();
    let key = schema.to_string();
    let cache = VALIDATORS.get_or_init(Default::default);
    let cached = cache.lock().ok().and_then(|c| c.get(&key).cloned());
    let validator = match cached {
        Some(validator) => validator,
        None => {
            let mut root = json!({ "components": document()["components"] });
            if let (Some(root), Some(schema)) = (root.as_object_mut(), schema.as_object()) {
                root.extend(schema.clone());
            }
            let validator = jsonschema::draft202012::new(&root)
                .unwrap_or_else(|err| panic!("{what}: the document's schema does not compile: {err}"));
            let validator = Arc::new(validator);
            if let Ok(mut cache) = cache.lock() {
                cache.insert(key, Arc::clone(&validator));
            }
            validator
        }
    };
    let errors: Vec<String> =
        validator.iter_errors(instance).map(|e| format!("{} at {}", e, e.instance_path())).take(5).collect();
    assert!(errors.is_empty(), "{what}: the body breaks the OpenAPI document: {errors:?}\nbody: {instance}");
}
