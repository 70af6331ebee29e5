use std::collections::HashMap;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::util::{eventually, Kurir, Receiver, Tenant};

/// The vendors' catalog as the API serves it: (type name, example payloads, ZORT query parameter names). kurir's
/// own operational events are left out: only kurir publishes them (tests/it/operational.rs).
async fn catalog_examples(tenant: &Tenant) -> Vec<(String, Vec<Value>, Vec<String>)> {
    let (_, catalog) = tenant.api.get("/v1/event-types").await;
    let types = catalog["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(types.len(), 56, "the whole catalog is served");
    types
        .into_iter()
        .filter(|t| t["platform"] != "kurir")
        .map(|t| {
            let examples = t["examples"].as_array().into_iter().flatten().map(|e| e["payload"].clone()).collect();
            let query = t["zort"]["query"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|q| q.as_str().map(str::to_owned))
                .collect();
            (t["name"].as_str().unwrap_or_default().to_owned(), examples, query)
        })
        .collect()
}

fn form_payload(body: &[u8]) -> Value {
    let fields: HashMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
    fields.get("payload").and_then(|p| serde_json::from_str(p).ok()).unwrap_or(Value::Null)
}

#[tokio::test]
async fn every_catalog_example_goes_out_in_every_dialect_and_decodes_back() {
    let kurir = Kurir::start().await;
    let receiver = Receiver::ok().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    tenant.endpoint(&format!("{}/standard", receiver.url), json!({"dialect": "standard"})).await;
    tenant.endpoint(&format!("{}/dealpos/{{event}}", receiver.url), json!({"dialect": "dealpos"})).await;
    let keys = json!({"key1": "ref-1", "key2": "ref-2", "key3": "ref-3"});
    tenant.endpoint(&format!("{}/zort", receiver.url), json!({"dialect": "zort", "zort": keys})).await;

    let catalog = catalog_examples(&tenant).await;
    let mut expected: HashMap<String, (String, Value, Vec<String>)> = HashMap::new();
    for (name, examples, query) in &catalog {
        for example in examples {
            let mut body = json!({"type": name, "payload": example});
            if name == "UPDATEORDERTRACKING" {
                body["params"] = json!({"id": 1234, "number": "SO-0001"});
            }
            let (status, accepted) = tenant.api.post(&tenant.path("/events"), body).await;
            assert_eq!(status, StatusCode::ACCEPTED, "{name}: {accepted}");
            assert_eq!(accepted["deliveries"], 3, "{name}");
            expected.insert(
                accepted["id"].as_str().unwrap_or_default().to_owned(),
                (name.clone(), example.clone(), query.clone()),
            );
        }
    }
    let total = expected.len() * 3;
    eventually("every example in every dialect", Duration::from_secs(30), || async {
        (receiver.count() >= total).then_some(())
    })
    .await;

    for request in receiver.received() {
        let id = request.header("webhook-id").unwrap_or_default().to_owned();
        let Some((name, example, query)) = expected.get(&id) else { panic!("unexpected webhook-id {id}") };
        if request.path == "/standard" {
            let body = request.json();
            assert_eq!(&body["type"], name);
            assert_eq!(&body["data"], example, "{name} via standard");
        } else if let Some(event) = request.path.strip_prefix("/dealpos/") {
            assert_eq!(event, name);
            assert_eq!(request.header("content-type"), Some("application/json"));
            assert_eq!(&request.json(), example, "{name} via dealpos");
        } else {
            assert_eq!(request.path, "/zort");
            assert_eq!(request.header("content-type"), Some("application/x-www-form-urlencoded"));
            assert_eq!(request.header("authorization"), Some("Basic ref-1"));
            assert_eq!((request.header("key2"), request.header("key3")), (Some("ref-2"), Some("ref-3")));
            assert_eq!(&form_payload(&request.body), example, "{name} via zort");
            let params: HashMap<String, String> =
                form_urlencoded::parse(request.query.as_deref().unwrap_or_default().as_bytes()).into_owned().collect();
            assert_eq!(params.get("method"), Some(name), "{name}");
            for parameter in query {
                assert!(params.contains_key(parameter), "{name} lacks ?{parameter}= in {:?}", request.query);
            }
            assert_eq!(params.len(), 1 + query.len(), "{name}: only documented parameters: {:?}", request.query);
        }
    }
}

#[tokio::test]
async fn a_zort_endpoint_needs_its_keys() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let (status, error) =
        tenant.api.post(&tenant.path("/endpoints"), json!({"url": "http://127.0.0.1:1/", "dialect": "zort"})).await;
    assert_eq!((status, &error["error"]["field"]), (StatusCode::BAD_REQUEST, &json!("zort")));
    let keys = json!({"key1": "", "key2": "b", "key3": "c"});
    let (status, error) = tenant
        .api
        .post(&tenant.path("/endpoints"), json!({"url": "http://127.0.0.1:1/", "dialect": "zort", "zort": keys}))
        .await;
    assert_eq!((status, &error["error"]["field"]), (StatusCode::BAD_REQUEST, &json!("zort.key1")));
    let (status, error) =
        tenant.api.post(&tenant.path("/endpoints"), json!({"url": "http://127.0.0.1:1/", "dialect": "soap"})).await;
    assert_eq!((status, &error["error"]["field"]), (StatusCode::BAD_REQUEST, &json!("dialect")));
}
