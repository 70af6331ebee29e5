//! `/docs`: the API reference, rendered on the server from the same OpenAPI document `/openapi.json` serves.
//!
//! No script and nothing from outside: it reads on a machine without internet, and it cannot drift from the
//! document, because it is the document. Operations are grouped by tag, each with who may call it, its
//! parameters, its body and its answers; every schema a body names is linked to its own table below.

use std::sync::OnceLock;

use axum::response::Html;
use maud::{html, Markup};
use serde_json::{Map, Value};

use crate::layout;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// The page, rendered once: the document does not change while the process runs.
pub async fn page() -> Html<String> {
    static PAGE: OnceLock<String> = OnceLock::new();
    Html(
        PAGE.get_or_init(|| {
            let doc = serde_json::to_value(kurir_api::document()).unwrap_or(Value::Null);
            render(&doc).into_string()
        })
        .clone(),
    )
}

/// The whole reference for `doc`.
pub fn render(doc: &Value) -> Markup {
    let operations = operations(doc);
    let mut tags: Vec<&str> = doc["tags"].as_array().into_iter().flatten().filter_map(|t| t["name"].as_str()).collect();
    for (_, _, operation) in &operations {
        let tag = first_tag(operation);
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    let content = html! {
        h1 { "kurir API " span.muted { (doc["info"]["version"].as_str().unwrap_or_default()) } }
        p { (prose(doc["info"]["description"].as_str().unwrap_or_default())) }
        p { "The machine-readable description, to generate a client from: " a href="/openapi.json" { "/openapi.json" } "." }
        h2 { "Authentication" }
        (schemes(doc))
        nav aria-label="Operations" {
            @for tag in &tags {
                h2 { (tag) }
                @if let Some(about) = tag_description(doc, tag) { p { (about) } }
                ul {
                    @for (path, method, operation) in operations.iter().filter(|(_, _, o)| first_tag(o) == *tag) {
                        li { a href=(format!("#op-{}", operation_id(operation))) {
                            code { (method.to_uppercase()) " " (path) } " " (prose(summary(operation)))
                        } }
                    }
                }
            }
        }
        @for tag in &tags {
            h2 { (tag) }
            @for (path, method, operation) in operations.iter().filter(|(_, _, o)| first_tag(o) == *tag) {
                (describe_operation(doc, path, method, operation))
            }
        }
        h2 { "Schemas" }
        @for (name, schema) in doc["components"]["schemas"].as_object().into_iter().flatten() {
            section.card id=(format!("schema-{name}")) {
                h3 { (name) }
                (describe_schema(schema))
            }
        }
    };
    layout::document("API reference", None, content)
}

/// Every operation as (path, method, operation), in the document's order.
fn operations(doc: &Value) -> Vec<(&str, &'static str, &Value)> {
    let paths = doc["paths"].as_object().into_iter().flatten();
    paths
        .flat_map(|(path, item)| {
            METHODS.iter().filter_map(move |method| item.get(*method).map(|op| (path.as_str(), *method, op)))
        })
        .collect()
}

fn tag_description<'a>(doc: &'a Value, tag: &str) -> Option<&'a str> {
    doc["tags"].as_array()?.iter().find(|t| t["name"] == tag)?["description"].as_str()
}

fn first_tag(operation: &Value) -> &str {
    operation["tags"][0].as_str().unwrap_or("other")
}

fn operation_id(operation: &Value) -> &str {
    operation["operationId"].as_str().unwrap_or_default()
}

fn summary(operation: &Value) -> &str {
    operation["summary"].as_str().unwrap_or_default()
}

/// Text whose `code spans` become `<code>`; everything else is escaped.
fn prose(text: &str) -> Markup {
    html! {
        @for (index, part) in text.split('`').enumerate() {
            @if index % 2 == 1 { code { (part) } } @else { (part) }
        }
    }
}

fn schemes(doc: &Value) -> Markup {
    html! {
        dl.facts {
            @for (name, scheme) in doc["components"]["securitySchemes"].as_object().into_iter().flatten() {
                dt { code { (name) } }
                dd { (prose(scheme["description"].as_str().unwrap_or_default())) }
            }
        }
    }
}

fn describe_operation(doc: &Value, path: &str, method: &str, operation: &Value) -> Markup {
    html! {
        section.card id=(format!("op-{}", operation_id(operation))) {
            h3 { span.badge { (method.to_uppercase()) } " " code { (path) } }
            p { strong { (prose(summary(operation))) } }
            @if let Some(description) = operation["description"].as_str() { p { (prose(description)) } }
            p { "Who may call it: " (who_may_call(operation)) }
            @if let Some(parameters) = operation["parameters"].as_array().filter(|p| !p.is_empty()) {
                h4 { "Parameters" }
                div.table-wrap { table {
                    thead { tr { th { "Name" } th { "In" } th { "Type" } th { "Description" } } }
                    tbody { @for p in parameters { tr {
                        td { code { (p["name"].as_str().unwrap_or_default()) }
                            @if p["required"] == true { " " span.muted { "required" } } }
                        td { (p["in"].as_str().unwrap_or_default()) }
                        td { (type_of(&p["schema"])) }
                        td { (prose(p["description"].as_str().unwrap_or_default())) }
                    } } }
                } }
            }
            @if let Some(body) = operation.get("requestBody") {
                h4 { "Body" }
                @if let Some(description) = body["description"].as_str() { p { (prose(description)) } }
                (contents(&body["content"]))
            }
            h4 { "Answers" }
            div.table-wrap { table {
                thead { tr { th { "Status" } th { "Meaning" } th { "Body" } } }
                tbody { @for (status, response) in operation["responses"].as_object().into_iter().flatten() {
                    @let response = resolve(doc, response);
                    tr {
                        td { code { (status) } }
                        td { (prose(response["description"].as_str().unwrap_or_default())) }
                        td { (contents(&response["content"])) }
                    }
                } }
            } }
        }
    }
}

fn who_may_call(operation: &Value) -> Markup {
    let requirements: Vec<String> = operation["security"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .filter(|r| !r.is_empty())
        .map(|r| r.keys().cloned().collect::<Vec<_>>().join(" + "))
        .collect();
    html! {
        @if requirements.is_empty() { "anyone (no token)" }
        @for (index, requirement) in requirements.iter().enumerate() {
            @if index > 0 { " or " }
            code { (requirement) }
        }
    }
}

/// A `$ref` to a shared response, followed.
fn resolve<'a>(doc: &'a Value, response: &'a Value) -> &'a Value {
    match response["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/responses/")) {
        Some(name) => &doc["components"]["responses"][name],
        None => response,
    }
}

fn contents(content: &Value) -> Markup {
    html! {
        @for (media_type, media) in content.as_object().into_iter().flatten() {
            div { span.muted { (media_type) } ": " (type_of(&media["schema"])) }
        }
    }
}

/// A schema's type in a few words, with named schemas linked.
fn type_of(schema: &Value) -> Markup {
    if let Some(name) = schema["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/schemas/")) {
        return html! { a href=(format!("#schema-{name}")) { (name) } };
    }
    for combinator in ["oneOf", "anyOf", "allOf"] {
        if let Some(options) = schema[combinator].as_array() {
            let joiner = if combinator == "allOf" { " and " } else { " or " };
            return html! { @for (i, option) in options.iter().enumerate() { @if i > 0 { (joiner) } (type_of(option)) } };
        }
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    html! {
        @if types.is_empty() { "any JSON" }
        @for (i, kind) in types.iter().enumerate() {
            @if i > 0 { " or " }
            @match *kind {
                "array" => { "array of " (type_of(&schema["items"])) },
                "object" if schema["additionalProperties"].is_object() => {
                    "map of " (type_of(&schema["additionalProperties"]))
                },
                other => (other),
            }
        }
    }
}

fn describe_schema(schema: &Value) -> Markup {
    let required: Vec<&str> = schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let empty = Map::new();
    let properties = schema["properties"].as_object().unwrap_or(&empty);
    html! {
        @if let Some(description) = schema["description"].as_str() { p { (prose(description)) } }
        @if properties.is_empty() {
            p { (type_of(schema)) }
        } @else {
            div.table-wrap { table {
                thead { tr { th { "Field" } th { "Type" } th { "Description" } } }
                tbody { @for (name, property) in properties { tr {
                    td { code { (name) } @if required.contains(&name.as_str()) { " " span.muted { "required" } } }
                    td { (type_of(property)) }
                    td { (prose(property["description"].as_str().unwrap_or_default())) }
                } } }
            } }
            @if schema["additionalProperties"] == false { p.muted { "No other fields are accepted." } }
        }
    }
}
