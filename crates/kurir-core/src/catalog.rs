//! The event catalog: every event type kurir knows, with the JSON Schema its payload must meet and the path of
//! its ordering key.
//!
//! The built-in types are the files under `catalog/` (one per type, per platform), embedded by `build.rs`;
//! tenants add their own through the API. A payload is validated against its type's schema before anything is
//! stored, and the first violation is reported with the field to blame (`payload.Variants[0].UnitPrice`).
//! Formats (`date-time`, …) are annotations only, and unknown extra fields are allowed: vendors add fields.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

use crate::CoreError;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/catalog_files.rs"));
}

/// Where an event type's ordering key comes from: `<entity>:<value at pointer>`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OrderingRule {
    pub entity: String,
    /// A JSON pointer into the payload (`/ID`).
    pub pointer: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Example {
    pub name: String,
    pub payload: Value,
    /// The docs' example as published, when it was not valid JSON (`payload` is then the repair).
    #[serde(default)]
    pub raw: Option<String>,
    /// True when the docs give no example and this one was built from the documented fields.
    #[serde(default)]
    pub built: bool,
}

/// How a ZORT trigger is configured and sent: the `UpdateWebhook` field that holds its URL, and which query
/// parameters beside `method` its docs list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ZortTrigger {
    pub url_field: String,
    /// `id`, `number`, `paymentstatus`, in the docs' order.
    #[serde(default)]
    pub query: Vec<String>,
    /// For the delete triggers the docs give no URL field: the field used when kurir's own one is not set.
    #[serde(default)]
    pub fallback_url_field: Option<String>,
}

/// One catalog file, as written on disk.
#[derive(Debug, Clone, Deserialize)]
struct EventTypeFile {
    name: String,
    platform: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    ordering: Option<OrderingRule>,
    schema: Value,
    #[serde(default)]
    examples: Vec<Example>,
    #[serde(default)]
    zort: Option<ZortTrigger>,
}

/// An event type with its compiled schema.
pub struct EventType {
    pub name: String,
    /// `dealpos`, `zort`, or `custom` for a tenant's own type.
    pub platform: String,
    pub category: String,
    pub title: String,
    pub description: String,
    pub ordering: Option<OrderingRule>,
    pub schema: Value,
    pub examples: Vec<Example>,
    /// Set for ZORT triggers.
    pub zort: Option<ZortTrigger>,
    validator: jsonschema::Validator,
}

impl std::fmt::Debug for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventType").field("name", &self.name).field("platform", &self.platform).finish_non_exhaustive()
    }
}

/// Checks an event type name: a letter, then up to 99 letters, digits, `_`, `-` or `.`.
pub fn validate_type_name(name: &str) -> Result<(), CoreError> {
    let starts_well = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    let valid = name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !starts_well || !valid || name.len() > 100 {
        return Err(CoreError::invalid(
            "name",
            "must be 1-100 characters of letters, digits, '_', '-' or '.', starting with a letter",
        ));
    }
    Ok(())
}

fn compile(name: &str, schema: &Value) -> Result<jsonschema::Validator, CoreError> {
    jsonschema::options()
        .should_validate_formats(false)
        .build(schema)
        .map_err(|err| CoreError::Catalog { name: name.to_owned(), message: format!("invalid JSON Schema: {err}") })
}

impl EventType {
    /// Parses one catalog file.
    pub fn from_file(text: &str) -> Result<Self, CoreError> {
        let file: EventTypeFile = serde_json::from_str(text)
            .map_err(|err| CoreError::Catalog { name: "?".into(), message: format!("not a catalog file: {err}") })?;
        validate_type_name(&file.name)
            .map_err(|err| CoreError::Catalog { name: file.name.clone(), message: err.to_string() })?;
        let validator = compile(&file.name, &file.schema)?;
        Ok(EventType {
            name: file.name,
            platform: file.platform,
            category: file.category,
            title: file.title,
            description: file.description,
            ordering: file.ordering,
            schema: file.schema,
            examples: file.examples,
            zort: file.zort,
            validator,
        })
    }

    /// A tenant's own event type.
    pub fn custom(name: &str, schema: Value, description: String) -> Result<Self, CoreError> {
        validate_type_name(name)?;
        let validator = compile(name, &schema).map_err(|err| CoreError::invalid("schema", err.to_string()))?;
        Ok(EventType {
            name: name.to_owned(),
            platform: "custom".into(),
            category: String::new(),
            title: name.to_owned(),
            description,
            ordering: None,
            schema,
            examples: Vec::new(),
            zort: None,
            validator,
        })
    }

    /// Checks a payload against the schema; the error names the first field to blame, under `payload`.
    pub fn validate(&self, payload: &Value) -> Result<(), CoreError> {
        let Some(error) = self.validator.iter_errors(payload).next() else {
            return Ok(());
        };
        let mut field = field_path(payload, error.instance_path().as_str());
        if let jsonschema::error::ValidationErrorKind::Required { property } = error.kind() {
            if let Some(name) = property.as_str() {
                field.push('.');
                field.push_str(name);
            }
        }
        Err(CoreError::invalid(field, error.to_string()))
    }

    /// The ordering key of a payload of this type, when the type has an ordering rule and the payload holds a
    /// string or number at its pointer.
    pub fn ordering_key(&self, payload: &Value) -> Option<String> {
        let rule = self.ordering.as_ref()?;
        let value = match payload.pointer(&rule.pointer)? {
            Value::String(text) if !text.is_empty() => text.clone(),
            Value::Number(number) => number.to_string(),
            _ => return None,
        };
        Some(format!("{}:{value}", rule.entity))
    }
}

/// Turns a JSON pointer into the dotted path the API reports: `/Variants/0/UnitPrice` becomes
/// `payload.Variants[0].UnitPrice`. Whether a segment is an index depends on the value it indexes, not on
/// whether it looks like a number (an object may have a key `"0"`).
pub fn field_path(payload: &Value, pointer: &str) -> String {
    let mut path = String::from("payload");
    let mut current = Some(payload);
    for raw in pointer.split('/').skip(1) {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        match current {
            Some(Value::Array(items)) => {
                path.push_str(&format!("[{segment}]"));
                current = segment.parse::<usize>().ok().and_then(|i| items.get(i));
            }
            other => {
                path.push('.');
                path.push_str(&segment);
                current = other.and_then(|value| value.get(&segment));
            }
        }
    }
    path
}

/// The built-in event types, by name.
#[derive(Debug, Default)]
pub struct Catalog {
    types: BTreeMap<String, Arc<EventType>>,
}

impl Catalog {
    /// Loads every embedded catalog file. Fails on a file that does not parse or compile, or on a name used twice.
    pub fn builtin() -> Result<Self, CoreError> {
        Self::from_files(embedded::CATALOG_FILES.iter().map(|(_, text)| *text))
    }

    pub fn from_files<'a>(files: impl IntoIterator<Item = &'a str>) -> Result<Self, CoreError> {
        let mut types = BTreeMap::new();
        for text in files {
            let event_type = EventType::from_file(text)?;
            let name = event_type.name.clone();
            if types.insert(name.clone(), Arc::new(event_type)).is_some() {
                return Err(CoreError::Catalog { name, message: "defined twice".into() });
            }
        }
        Ok(Catalog { types })
    }

    pub fn get(&self, name: &str) -> Option<&Arc<EventType>> {
        self.types.get(name)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<EventType>> {
        self.types.values()
    }

    pub fn len(&self) -> usize {
        self.types.len()
    }

    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// The embedded files as (path under `catalog/`, text), for tests that check the data itself.
    pub fn embedded_files() -> &'static [(&'static str, &'static str)] {
        embedded::CATALOG_FILES
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn catalog() -> Catalog {
        match Catalog::builtin() {
            Ok(catalog) => catalog,
            Err(err) => panic!("the embedded catalog must load: {err}"),
        }
    }

    #[test]
    fn every_embedded_example_meets_its_schema() {
        let catalog = catalog();
        assert_eq!(catalog.len(), 56, "23 DealPOS webhooks, 29 ZORT triggers and kurir's 4 operational events");
        for event_type in catalog.iter() {
            assert!(!event_type.examples.is_empty(), "{} has no example", event_type.name);
            for example in &event_type.examples {
                assert_eq!(event_type.validate(&example.payload), Ok(()), "{} / {}", event_type.name, example.name);
            }
        }
    }

    #[test]
    fn file_name_matches_type_name_and_platform() {
        for (path, text) in Catalog::embedded_files() {
            let event_type = EventType::from_file(text).unwrap_or_else(|err| panic!("{path}: {err}"));
            let expected = format!("{}/{}.json", event_type.platform, event_type.name);
            assert_eq!(path.replace('\\', "/"), expected);
        }
    }

    #[test]
    fn malformed_examples_keep_their_raw_text_beside_the_repair() {
        let catalog = catalog();
        for name in ["ADDCONTACT", "UPDATECONTACT", "DELETECONTACT"] {
            let example = catalog.get(name).and_then(|t| t.examples.iter().find(|e| e.raw.is_some()).cloned());
            let Some(example) = example else { panic!("{name} has no raw example") };
            let raw = example.raw.unwrap_or_default();
            assert!(serde_json::from_str::<Value>(&raw).is_err(), "{name}'s raw example is malformed in the docs");
            assert_eq!(example.payload["id"], 1234);
        }
    }

    #[test]
    fn zort_triggers_know_their_url_field_and_query() {
        let catalog = catalog();
        let zort = |name: &str| catalog.get(name).and_then(|t| t.zort.clone());
        let payment = zort("UPDATEORDERPAYMENT").unwrap_or_else(|| panic!("no zort data"));
        assert_eq!(payment.url_field, "updateorderpaymenturl");
        assert_eq!(payment.query, ["id", "number", "paymentstatus"]);
        let quantity = zort("UPDATEPRODUCTQUANTITY").map(|z| z.url_field);
        assert_eq!(quantity.as_deref(), Some("updatequantityurl"));
        let delete = zort("DELETEPURCHASEORDER").unwrap_or_else(|| panic!("no zort data"));
        assert_eq!(
            (delete.url_field.as_str(), delete.fallback_url_field.as_deref()),
            ("deletepurchaseurl", Some("updatepurchaseurl"))
        );
        let zort_types = catalog.iter().filter(|t| t.platform == "zort").count();
        assert_eq!(catalog.iter().filter(|t| t.zort.is_some()).count(), zort_types);
    }

    #[test]
    fn the_product_types_of_both_platforms_are_there() {
        let catalog = catalog();
        let names = [
            "productCreated",
            "productUpdated",
            "productDeleted",
            "productVariantCreated",
            "productVariantUpdated",
            "ADDPRODUCT",
            "UPDATEPRODUCT",
            "UPDATEPRODUCTQUANTITY",
            "DELETEPRODUCT",
        ];
        for name in names {
            assert!(catalog.get(name).is_some(), "{name} missing");
        }
    }

    fn violation(name: &str, payload: Value) -> Option<String> {
        let catalog = catalog();
        let event_type = catalog.get(name)?;
        event_type.validate(&payload).err().and_then(|e| e.field().map(str::to_owned))
    }

    #[test]
    fn violations_name_the_field() {
        let cases = [
            ("productVariantCreated", json!({"UnitPrice": "cheap"}), Some("payload.UnitPrice")),
            (
                "productCreated",
                json!({"Variants": [{"UnitPrice": 1}, {"UnitPrice": "x"}]}),
                Some("payload.Variants[1].UnitPrice"),
            ),
            ("productCreated", json!({"Discontinued": "no"}), Some("payload.Discontinued")),
            ("productCreated", json!([1, 2]), Some("payload")),
            ("productCreated", json!({"ID": "x", "SomethingNew": 1}), None),
            ("ADDPRODUCT", json!({"id": "1234", "sellprice": 20, "name": null}), None),
            ("ADDPRODUCT", json!({"id": "12ab"}), Some("payload.id")),
        ];
        for (name, payload, expected) in cases {
            assert_eq!(violation(name, payload.clone()).as_deref(), expected, "{name} {payload}");
        }
    }

    #[test]
    fn required_fields_are_named() {
        let event_type =
            EventType::custom("orderPaid", json!({"type": "object", "required": ["total"]}), String::new());
        let err = event_type.map(|t| t.validate(&json!({}))).ok().and_then(|r| r.err());
        assert_eq!(err.and_then(|e| e.field().map(str::to_owned)).as_deref(), Some("payload.total"));
    }

    #[test]
    fn field_paths() {
        let payload = json!({"a": {"0": [1, {"b/c": 2}]}});
        assert_eq!(field_path(&payload, ""), "payload");
        assert_eq!(field_path(&payload, "/a/0/1/b~1c"), "payload.a.0[1].b/c");
    }

    #[test]
    fn ordering_keys() {
        let catalog = catalog();
        let key = |name: &str, payload: Value| catalog.get(name).and_then(|t| t.ordering_key(&payload));
        assert_eq!(key("productCreated", json!({"ID": "abc"})).as_deref(), Some("product:abc"));
        assert_eq!(key("ADDPRODUCT", json!({"id": 1234})).as_deref(), Some("product:1234"));
        assert_eq!(key("productVariantUpdated", json!({"ID": "v1"})).as_deref(), Some("variant:v1"));
        assert_eq!(key("productCreated", json!({"Name": "no id"})), None);
        assert_eq!(key("paymentCreated", json!({"ID": "p", "InvoiceID": "inv-9"})).as_deref(), Some("invoice:inv-9"));
        assert_eq!(key("UPDATEORDERPAYMENT", json!({"id": 77})).as_deref(), Some("order:77"));
        assert_eq!(key("UPDATEORDERTRACKING", json!([{"trackingno": "T1"}])), None);
    }

    #[test]
    fn bad_custom_types_are_refused() {
        assert!(EventType::custom("9lives", json!({}), String::new()).is_err());
        let bad_schema = EventType::custom("ok", json!({"type": 12}), String::new());
        assert_eq!(bad_schema.err().and_then(|e| e.field().map(str::to_owned)).as_deref(), Some("schema"));
    }
}
