//! The catalog: every event type by platform and category, and the tenant's own types; one type's page with its
//! fields, its ordering rule, its JSON Schema and its examples.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use kurir_api::error::ApiError;
use kurir_core::catalog::EventType;
use maud::{html, Markup};
use serde_json::Value;

use crate::format;
use crate::layout::{page, Section};
use crate::pages::{tenant_chrome, PageError};
use crate::web_auth::Viewer;
use crate::Dashboard;

pub async fn list(
    State(dashboard): State<Dashboard>,
    viewer: Viewer,
    Path(tenant): Path<String>,
) -> Result<Markup, PageError> {
    let chrome = tenant_chrome(&dashboard, &viewer, &tenant, Section::Catalog).await?;
    let tenant = chrome.tenant.clone();
    let own = dashboard.app.store.list_event_types(&tenant).await?;
    let mut groups: BTreeMap<(&str, &str), Vec<&Arc<EventType>>> = BTreeMap::new();
    for event_type in dashboard.app.catalog.iter() {
        groups.entry((event_type.platform.as_str(), event_type.category.as_str())).or_default().push(event_type);
    }
    let content = html! {
        h1 { "Catalog" }
        p { (dashboard.app.catalog.len()) " built-in event types, checked against their schemas when published." }
        @for ((platform, category), types) in &groups {
            section.card aria-label={ (platform) " " (category) } {
                h2 { (platform) " · " (category) }
                table {
                    thead { tr { th { "Type" } th { "Title" } th.wide-only { "Ordered by" } } }
                    tbody {
                        @for event_type in types {
                            tr {
                                td { a.mono href=(chrome.path(&format!("/catalog/{}", event_type.name))) { (event_type.name) } }
                                td { (event_type.title) }
                                td.wide-only.mono { (ordering_text(event_type)) }
                            }
                        }
                    }
                }
            }
        }
        section.card aria-label="This tenant's own types" {
            h2 { "This tenant's own types" }
            @if own.is_empty() { p.muted { "None yet (POST /v1/tenants/" (tenant) "/event-types makes one)." } }
            @for custom in &own {
                div { a.mono href=(chrome.path(&format!("/catalog/{}", custom.name))) { (custom.name) } " " span.muted { (custom.description) } }
            }
        }
    };
    Ok(page(&chrome, "Catalog", content))
}

fn ordering_text(event_type: &EventType) -> String {
    match &event_type.ordering {
        Some(rule) => format!("{} ({})", rule.entity, rule.pointer),
        None => "—".to_owned(),
    }
}

pub async fn show(
    State(dashboard): State<Dashboard>,
    viewer: Viewer,
    Path((tenant, name)): Path<(String, String)>,
) -> Result<Markup, PageError> {
    let chrome = tenant_chrome(&dashboard, &viewer, &tenant, Section::Catalog).await?;
    let tenant = chrome.tenant.clone();
    let event_type =
        dashboard.app.event_type(&tenant, &name).await?.ok_or_else(|| ApiError::not_found("event type"))?;
    let schema = serde_json::to_string_pretty(&event_type.schema).unwrap_or_default();
    let content = html! {
        h1 { "Event type " code { (event_type.name) } }
        div.card {
            dl.facts {
                dt { "Platform" } dd { (event_type.platform) }
                @if !event_type.category.is_empty() { dt { "Category" } dd { (event_type.category) } }
                @if !event_type.title.is_empty() { dt { "Title" } dd { (event_type.title) } }
                dt { "Ordered by" } dd.mono { (ordering_text(&event_type)) }
                @if let Some(zort) = &event_type.zort {
                    dt { "ZORT URL field" } dd.mono { (zort.url_field) }
                    @if !zort.query.is_empty() { dt { "Query parameters" } dd.mono { (zort.query.join(", ")) } }
                }
            }
            @if !event_type.description.is_empty() { p { (event_type.description) } }
        }
        h2 { "Fields" }
        div.table-wrap { (fields_table(&event_type.schema)) }
        details.card {
            summary { "JSON Schema" }
            pre { (schema) }
        }
        h2 { "Examples" }
        @if event_type.examples.is_empty() { p.muted { "No example." } }
        @for example in &event_type.examples {
            details.card open {
                summary { (example.name) @if example.built { " (built from the documented fields)" } }
                pre { (format::pretty_json(&example.payload.to_string())) }
            }
        }
    };
    Ok(page(&chrome, &event_type.name, content))
}

/// The schema's top-level fields: name, type, whether required, description.
fn fields_table(schema: &Value) -> Markup {
    let required: Vec<&str> =
        schema["required"].as_array().map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    let properties = schema["properties"].as_object();
    html! {
        @match properties {
            None => p.muted { "The schema names no fields." },
            Some(properties) => table {
                thead { tr { th { "Field" } th { "Type" } th { "Required" } th.wide-only { "Description" } } }
                tbody {
                    @for (name, property) in properties {
                        tr {
                            td.mono { (name) }
                            td.mono { (type_text(property)) }
                            td { @if required.contains(&name.as_str()) { "yes" } @else { span.muted { "no" } } }
                            td.wide-only { (property["description"].as_str().unwrap_or("")) }
                        }
                    }
                }
            },
        }
    }
}

/// A property's type as one line: `string`, `string | number`, `array of object`.
fn type_text(property: &Value) -> String {
    let one = |t: &Value| match t {
        Value::String(name) if name == "array" => match property["items"]["type"].as_str() {
            Some(item) => format!("array of {item}"),
            None => "array".to_owned(),
        },
        Value::String(name) => name.clone(),
        other => other.to_string(),
    };
    match &property["type"] {
        Value::Array(types) => types.iter().map(one).collect::<Vec<_>>().join(" | "),
        Value::Null if property.get("$ref").is_some() => "object".to_owned(),
        Value::Null => "any".to_owned(),
        single => one(single),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn types_read_as_one_line() {
        assert_eq!(type_text(&json!({"type": "string"})), "string");
        assert_eq!(type_text(&json!({"type": ["string", "number"]})), "string | number");
        assert_eq!(type_text(&json!({"type": "array", "items": {"type": "object"}})), "array of object");
        assert_eq!(type_text(&json!({})), "any");
    }

    #[test]
    fn required_fields_say_so() {
        let schema = json!({"properties": {"ID": {"type": "string"}, "Note": {"type": "string"}}, "required": ["ID"]});
        let html = fields_table(&schema).into_string();
        let id_row = html.find("ID").and_then(|at| html[at..].find("yes")).is_some();
        assert!(id_row && html.contains(">no<"), "{html}");
    }
}
