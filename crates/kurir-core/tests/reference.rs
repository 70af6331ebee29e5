//! The catalog against the vendors' reference catalogs (`spec/reference/`, copied from the docs as read): every
//! DealPOS webhook and every ZORT trigger has a catalog file, with the documented example.

use std::collections::BTreeSet;
use std::path::PathBuf;

use kurir_core::catalog::Catalog;
use serde_json::Value;

fn reference(file: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../spec/reference").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn catalog() -> Catalog {
    Catalog::builtin().unwrap_or_else(|err| panic!("{err}"))
}

#[test]
fn every_dealpos_webhook_of_the_reference_has_a_catalog_file() {
    let catalog = catalog();
    let events = reference("dealpos-catalog.json");
    let mut expected = BTreeSet::new();
    for event in events.as_array().into_iter().flatten() {
        if event["sync_call_out"] == true {
            continue; // call-outs are synchronous requests, not events
        }
        let name = event["name"].as_str().unwrap_or_default();
        expected.insert(name.to_owned());
        let Some(entry) = catalog.get(name) else { panic!("{name} has no catalog file") };
        assert_eq!(entry.platform, "dealpos");
        if let Some(documented) = event.get("example_expanded").or(event.get("example")).filter(|e| !e.is_null()) {
            assert!(entry.examples.iter().any(|e| &e.payload == documented), "{name} lacks its documented example");
        } else {
            assert!(entry.examples.iter().all(|e| e.built), "{name}'s examples must be marked as built");
        }
    }
    assert_eq!(expected.len(), 23);
    let ours: BTreeSet<String> = catalog.iter().filter(|t| t.platform == "dealpos").map(|t| t.name.clone()).collect();
    assert_eq!(ours, expected, "the DealPOS catalog holds exactly the reference's webhooks");
}

#[test]
fn every_zort_trigger_of_the_reference_has_a_catalog_file() {
    let catalog = catalog();
    let reference = reference("zort-catalog.json");
    let triggers = reference["events"].as_array().cloned().unwrap_or_default();
    assert_eq!(triggers.len(), 29);
    for trigger in &triggers {
        let name = trigger["name"].as_str().unwrap_or_default();
        let Some(entry) = catalog.get(name) else { panic!("{name} has no catalog file") };
        assert_eq!(entry.platform, "zort");
        let zort = entry.zort.clone().unwrap_or_else(|| panic!("{name} has no zort data"));
        if let Some(field) = trigger["url_field"].as_str() {
            assert_eq!(zort.url_field, field, "{name}");
        }
        let query: Vec<&str> = trigger["query_params"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|q| q["name"].as_str())
            .filter(|q| *q != "method")
            .collect();
        assert_eq!(zort.query, query, "{name}");
        let documented = if trigger["example"].is_null() { &trigger["example_repaired"] } else { &trigger["example"] };
        assert!(entry.examples.iter().any(|e| &e.payload == documented), "{name} lacks its documented example");
    }
}

#[test]
fn docs_platforms_lists_every_catalog_event() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/platforms.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    for event_type in catalog().iter() {
        assert!(
            text.contains(&format!("`{}`", event_type.name)),
            "docs/platforms.md does not list {}",
            event_type.name
        );
    }
}
