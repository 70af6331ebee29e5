use std::collections::HashMap;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::util::{eventually, Kurir, Receiver, Tenant};

/// A ZORT-style client: the three headers instead of a bearer token.
struct ZortClient {
    base: String,
    store: String,
    key: String,
    secret: String,
    http: reqwest::Client,
}

impl ZortClient {
    async fn new(kurir: &Kurir, tenant: &Tenant) -> Self {
        let key = kurir.admin().post_ok(&tenant.path("/api-keys"), json!({"name": "zort"}), StatusCode::CREATED).await;
        ZortClient {
            base: kurir.base.clone(),
            store: tenant.id.clone(),
            key: key["id"].as_str().unwrap_or_default().to_owned(),
            secret: key["secret"].as_str().unwrap_or_default().to_owned(),
            http: reqwest::Client::new(),
        }
    }

    fn request(&self, method: reqwest::Method, call: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}/v4/Webhook/{call}", self.base))
            .header("storename", &self.store)
            .header("apikey", &self.key)
            .header("apisecret", &self.secret)
    }

    async fn update(&self, body: Value) -> (StatusCode, Value) {
        let response = self.request(reqwest::Method::POST, "UpdateWebhook").json(&body).send().await;
        let response = response.unwrap_or_else(|e| panic!("{e}"));
        (response.status(), response.json().await.unwrap_or_default())
    }

    async fn get(&self) -> Value {
        let response = self.request(reqwest::Method::GET, "GetWebhook").send().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap_or_default()
    }

    /// A bearer API for publishing with this same key.
    fn api(&self, kurir: &Kurir) -> crate::util::Tenant {
        let token = format!("{}.{}", self.key, self.secret);
        Tenant { id: self.store.clone(), key_id: self.key.clone(), api: kurir.admin().with_token(&token) }
    }
}

fn keys(mut body: Value) -> Value {
    body["key1"] = "ref-1".into();
    body["key2"] = "ref-2".into();
    body["key3"] = "ref-3".into();
    body
}

#[tokio::test]
async fn update_then_get_round_trips_and_blank_switches_a_trigger_off() {
    let kurir = Kurir::start().await;
    let receiver = Receiver::ok().await;
    let tenant = Tenant::create(&kurir, "mystore").await;
    let zort = ZortClient::new(&kurir, &tenant).await;
    let products = format!("{}/zort/products", receiver.url);
    let orders = format!("{}/zort/orders", receiver.url);

    let config = keys(json!({"addproducturl": products, "updateproducturl": products, "addorderurl": orders}));
    let (status, answer) = zort.update(config).await;
    assert_eq!((status, &answer["resCode"]), (StatusCode::OK, &json!("200")), "{answer}");

    let current = zort.get().await;
    assert_eq!(current["resCode"], "200");
    assert_eq!(
        (&current["key1"], &current["key2"], &current["key3"]),
        (&json!("ref-1"), &json!("ref-2"), &json!("ref-3"))
    );
    assert_eq!(current["addproducturl"], products.as_str());
    assert_eq!(current["updateproducturl"], products.as_str());
    assert_eq!(current["addorderurl"], orders.as_str());
    assert_eq!(current["deleteproducturl"], Value::Null);
    assert_eq!(current["updatequantityurl"], Value::Null);

    // Behind it: ordinary zort endpoints, one per URL, owned by the calling key.
    let (_, endpoints) = tenant.api.get(&tenant.path("/endpoints")).await;
    let endpoints = endpoints["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(endpoints.len(), 2);
    assert!(endpoints.iter().all(|e| e["dialect"] == "zort" && e["owner_key"] == zort.key.as_str()));

    // A blank field and an absent one both switch their triggers off.
    let (status, _) = zort.update(keys(json!({"addproducturl": "", "updateproducturl": products}))).await;
    assert_eq!(status, StatusCode::OK);
    let current = zort.get().await;
    assert_eq!(current["addproducturl"], Value::Null);
    assert_eq!(current["updateproducturl"], products.as_str());
    assert_eq!(current["addorderurl"], Value::Null);
    let (_, endpoints) = tenant.api.get(&tenant.path("/endpoints")).await;
    assert_eq!(endpoints["data"].as_array().map(Vec::len), Some(1), "the orders endpoint is gone");

    // Every trigger off: no endpoint is left, but the configuration keeps its keys.
    let config = json!({"key1": "ref-4", "key2": "ref-5", "key3": "ref-6", "updateproducturl": ""});
    let (status, _) = zort.update(config).await;
    assert_eq!(status, StatusCode::OK);
    let (_, endpoints) = tenant.api.get(&tenant.path("/endpoints")).await;
    assert_eq!(endpoints["data"].as_array().map(Vec::len), Some(0));
    let current = zort.get().await;
    assert_eq!(
        (&current["key1"], &current["key2"], &current["key3"]),
        (&json!("ref-4"), &json!("ref-5"), &json!("ref-6")),
        "{current}"
    );
    assert_eq!(current["updateproducturl"], Value::Null);
}

#[tokio::test]
async fn bad_credentials_and_bad_input_are_refused_in_zort_form() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "mystore").await;
    let mut zort = ZortClient::new(&kurir, &tenant).await;
    let good_secret = zort.secret.clone();

    zort.secret = "wrong".into();
    let (status, answer) = zort.update(keys(json!({}))).await;
    assert_eq!((status, &answer["resCode"]), (StatusCode::UNAUTHORIZED, &json!("401")), "{answer}");
    zort.secret = good_secret;
    zort.store = "otherstore".into();
    let (status, _) = zort.update(keys(json!({}))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a key of another store");
    zort.store = tenant.id.clone();

    let (status, answer) = zort.update(json!({"key1": "a", "key2": "b"})).await;
    assert_eq!((status, &answer["resCode"]), (StatusCode::BAD_REQUEST, &json!("400")), "{answer}");
    assert!(answer["resDesc"].as_str().unwrap_or_default().contains("key3"), "{answer}");
    let (status, answer) = zort.update(keys(json!({"addproducturl": "ftp://example.com/x"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer["resDesc"].as_str().unwrap_or_default().starts_with("addproducturl"), "{answer}");

    // A misspelled field is named, with what it most likely meant, and nothing is applied.
    let body = keys(json!({"addproducturl": "https://example.com/add", "updateproductur": "https://example.com/u"}));
    let (status, answer) = zort.update(body).await;
    assert_eq!((status, &answer["resCode"]), (StatusCode::BAD_REQUEST, &json!("400")), "{answer}");
    let said = answer["resDesc"].as_str().unwrap_or_default();
    assert!(said.contains("updateproductur is not an UpdateWebhook field"), "{answer}");
    assert!(said.contains("did you mean updateproducturl"), "{answer}");

    // A refused update changed nothing.
    assert_eq!(zort.get().await["addproducturl"], Value::Null);
}

#[tokio::test]
async fn a_form_body_works_too() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "mystore").await;
    let zort = ZortClient::new(&kurir, &tenant).await;
    let body = "key1=a&key2=b&key3=c&addwarehouseurl=http%3A%2F%2F127.0.0.1%3A9%2Fw";
    let response = zort
        .request(reqwest::Method::POST, "UpdateWebhook")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(zort.get().await["addwarehouseurl"], "http://127.0.0.1:9/w");
}

#[tokio::test]
async fn events_from_the_configuring_key_are_not_echoed_back() {
    let kurir = Kurir::start().await;
    let receiver = Receiver::ok().await;
    let tenant = Tenant::create(&kurir, "mystore").await;
    let zort = ZortClient::new(&kurir, &tenant).await;
    let (status, _) = zort.update(keys(json!({"addproducturl": format!("{}/p", receiver.url)}))).await;
    assert_eq!(status, StatusCode::OK);

    let same_key = zort.api(&kurir);
    let (_, own) =
        same_key.api.post(&tenant.path("/events"), json!({"type": "ADDPRODUCT", "payload": {"id": 1}})).await;
    assert_eq!(own["deliveries"], 0, "a change made with the webhook's own key is not sent to it");
    let (_, other) =
        tenant.api.post(&tenant.path("/events"), json!({"type": "ADDPRODUCT", "payload": {"id": 2}})).await;
    assert_eq!(other["deliveries"], 1, "another key's change is");
    eventually("the delivery", Duration::from_secs(5), || async { (receiver.count() == 1).then_some(()) }).await;
    let request = &receiver.received()[0];
    assert_eq!(request.header("authorization"), Some("Basic ref-1"));
    assert_eq!(request.query.as_deref(), Some("method=ADDPRODUCT"));
}

#[tokio::test]
async fn each_of_the_29_triggers_reaches_its_url_with_its_query_parameters() {
    let kurir = Kurir::start().await;
    let receiver = Receiver::ok().await;
    let tenant = Tenant::create(&kurir, "mystore").await;
    let zort = ZortClient::new(&kurir, &tenant).await;
    let (_, catalog) = tenant.api.get("/v1/event-types").await;
    let triggers: Vec<Value> =
        catalog["data"].as_array().into_iter().flatten().filter(|t| t["platform"] == "zort").cloned().collect();
    assert_eq!(triggers.len(), 29);

    let mut config = keys(json!({}));
    for trigger in &triggers {
        let field = trigger["zort"]["url_field"].as_str().unwrap_or_default();
        config[field] = format!("{}/t/{field}", receiver.url).into();
    }
    let (status, answer) = zort.update(config).await;
    assert_eq!(status, StatusCode::OK, "{answer}");

    for trigger in &triggers {
        let mut body = json!({"type": trigger["name"], "payload": trigger["examples"][0]["payload"]});
        if trigger["name"] == "UPDATEORDERTRACKING" {
            body["params"] = json!({"id": 1234, "number": "SO-0001"});
        }
        tenant.api.post_ok(&tenant.path("/events"), body, StatusCode::ACCEPTED).await;
    }
    eventually("29 deliveries", Duration::from_secs(10), || async { (receiver.count() == 29).then_some(()) }).await;

    for trigger in &triggers {
        let name = trigger["name"].as_str().unwrap_or_default();
        let field = trigger["zort"]["url_field"].as_str().unwrap_or_default();
        let request = receiver
            .received()
            .into_iter()
            .find(|r| r.path == format!("/t/{field}"))
            .unwrap_or_else(|| panic!("{name} did not reach /t/{field}"));
        let query: HashMap<String, String> =
            form_urlencoded::parse(request.query.as_deref().unwrap_or_default().as_bytes()).into_owned().collect();
        assert_eq!(query.get("method").map(String::as_str), Some(name));
        for parameter in trigger["zort"]["query"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            assert!(query.get(parameter).is_some_and(|v| !v.is_empty()), "{name}: ?{parameter}= missing in {query:?}");
        }
    }
}

#[tokio::test]
async fn a_delete_trigger_without_its_own_url_goes_to_the_update_url() {
    let kurir = Kurir::start().await;
    let receiver = Receiver::ok().await;
    let tenant = Tenant::create(&kurir, "mystore").await;
    let zort = ZortClient::new(&kurir, &tenant).await;
    let orders = format!("{}/orders", receiver.url);
    zort.update(keys(json!({"updateorderurl": orders}))).await;
    assert_eq!(zort.get().await["deleteorderurl"], orders.as_str());

    tenant.publish("DELETEORDER", json!({"id": 1234, "number": "SO-0001"})).await;
    eventually("the delete", Duration::from_secs(5), || async { (receiver.count() == 1).then_some(()) }).await;
    assert_eq!(receiver.received()[0].query.as_deref(), Some("method=DELETEORDER"));

    // Present and blank (or null), the delete field switches its trigger off, while the update trigger stays on.
    for off in [json!(""), json!(null)] {
        let (status, answer) = zort.update(keys(json!({"updateorderurl": orders, "deleteorderurl": off}))).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert!(zort.get().await["deleteorderurl"].is_null(), "{off}: the delete trigger is off");
        assert_eq!(zort.get().await["updateorderurl"], orders.as_str());
        let published = tenant.publish("DELETEORDER", json!({"id": 1235, "number": "SO-0002"})).await;
        assert!(tenant.deliveries_of(&published).await.is_empty(), "{off}: no delivery for a trigger that is off");
    }
}

#[tokio::test]
async fn a_trigger_published_without_the_query_parameters_its_doc_requires_is_refused() {
    let kurir = Kurir::start().await;
    let receiver = Receiver::ok().await;
    let tenant = Tenant::create(&kurir, "mystore").await;
    let keys = json!({"key1": "k1", "key2": "k2", "key3": "k3"});
    tenant.endpoint(&receiver.url, json!({"dialect": "zort", "zort": keys})).await;
    let tracking = json!([{"trackingno": "THP0001", "trackingurl": "", "shippingdate": null}]);

    let body = json!({"type": "UPDATEORDERTRACKING", "payload": tracking});
    let (status, refused) = tenant.api.post(&tenant.path("/events"), body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["field"], "params.id");
    assert!(refused["error"]["message"].as_str().is_some_and(|m| m.contains("`id` and `number`")), "{refused}");
    let body = json!({"type": "UPDATEORDERTRACKING", "payload": tracking, "params": {"id": 7}});
    let (status, refused) = tenant.api.post(&tenant.path("/events"), body).await;
    assert_eq!((status, &refused["error"]["field"]), (StatusCode::UNPROCESSABLE_ENTITY, &json!("params.number")));
    let body = json!({"type": "UPDATEORDERPAYMENT", "payload": {"id": 7, "number": "SO-7"}});
    let (status, refused) = tenant.api.post(&tenant.path("/events"), body).await;
    assert_eq!(refused["error"]["field"], "params.paymentstatus", "{status}: {refused}");
    assert_eq!(receiver.count(), 0, "nothing refused was stored or sent");

    let body = json!({"type": "UPDATEORDERTRACKING", "payload": tracking, "params": {"id": 7, "number": "SO-7"}});
    tenant.api.post_ok(&tenant.path("/events"), body, StatusCode::ACCEPTED).await;
    eventually("the delivery", Duration::from_secs(10), || async { (receiver.count() == 1).then_some(()) }).await;
    let query = receiver.received()[0].query.clone().unwrap_or_default();
    assert_eq!(query, "method=UPDATEORDERTRACKING&id=7&number=SO-7");
}

#[tokio::test]
async fn a_tenant_chooses_once_that_its_zort_endpoints_send_only_zorts_own_headers() {
    let kurir = Kurir::start().await;
    let receiver = Receiver::ok().await;
    let tenant = Tenant::create(&kurir, "mystore").await;
    let zort = ZortClient::new(&kurir, &tenant).await;
    let (status, _) = zort.update(keys(json!({"addproducturl": format!("{}/p", receiver.url)}))).await;
    assert_eq!(status, StatusCode::OK);
    tenant.publish("ADDPRODUCT", json!({"id": 1})).await;
    eventually("the first delivery", Duration::from_secs(10), || async { (receiver.count() == 1).then_some(()) }).await;
    assert!(receiver.received()[0].header("webhook-signature").is_some(), "kurir's headers by default");

    // The tenant's own key may choose; the endpoint UpdateWebhook made follows at once, and later ones too.
    let (status, chosen) = tenant.api.patch("/v1/tenants/mystore", json!({"zort_signature_headers": false})).await;
    assert_eq!((status, chosen["zort_signature_headers"].as_bool()), (StatusCode::OK, Some(false)), "{chosen}");
    let (status, _) = zort
        .update(keys(
            json!({"addproducturl": format!("{}/p", receiver.url), "addorderurl": format!("{}/o", receiver.url)}),
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, endpoints) = tenant.api.get(&tenant.path("/endpoints")).await;
    let flags: Vec<&Value> =
        endpoints["data"].as_array().into_iter().flatten().map(|e| &e["signature_headers"]).collect();
    assert_eq!(flags, [&json!(false), &json!(false)], "{endpoints}");
    tenant.publish("ADDPRODUCT", json!({"id": 2})).await;
    eventually("the second delivery", Duration::from_secs(10), || async { (receiver.count() == 2).then_some(()) })
        .await;
    let second = &receiver.received()[1];
    assert!(second.header("webhook-signature").is_none() && second.header("webhook-id").is_none());
    assert_eq!(second.header("key1"), Some("ref-1"), "ZORT's own headers still go");
}
