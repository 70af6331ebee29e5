//! Operational events: kurir tells a tenant about its own endpoints (failing and dead deliveries, disabled and
//! recovered endpoints), to the endpoints that ask, never to the endpoint they are about.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use kurir_verify::{decode, CatalogEvent, Request};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::util::{eventually, Kurir, Options, Receiver, Reply, Tenant};

const EVERY_NOTICE: [&str; 4] =
    ["kurir.endpoint.disabled", "kurir.endpoint.recovered", "kurir.delivery.failing", "kurir.delivery.dead"];

/// The operational events a receiver got, as (type, payload), in arrival order.
fn notices(receiver: &Receiver) -> Vec<(String, Value)> {
    receiver
        .received()
        .iter()
        .map(|r| (r.json()["type"].as_str().unwrap_or_default().to_owned(), r.json()["data"].clone()))
        .collect()
}

/// Waits until a receiver got a notice of `event_type` about `endpoint`; returns its payload.
async fn notice_about(receiver: &Receiver, event_type: &str, endpoint: &Value) -> Value {
    eventually(&format!("{event_type} about {endpoint}"), Duration::from_secs(15), || async {
        notices(receiver)
            .into_iter()
            .find(|(t, p)| t == event_type && p["endpoint"]["id"] == endpoint["id"])
            .map(|(_, p)| p)
    })
    .await
}

#[tokio::test]
async fn failing_and_dead_deliveries_and_a_410_are_told_to_who_asks_and_never_to_the_endpoint_itself() {
    // The circuit stays out of it: the sick endpoint's five attempts go out on its schedule.
    let calm = ["--circuit-failures", "50"].map(String::from).to_vec();
    let kurir = Kurir::start_with(Options { extra_args: calm, ..Options::standard() }).await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let (sick, gone, watch, plain) = (
        Receiver::script(vec![], Reply::status(503)).await,
        Receiver::script(vec![], Reply::status(410)).await,
        Receiver::ok().await,
        Receiver::ok().await,
    );
    // The sick endpoint asks for the delivery notices too: none about itself may reach it.
    let sick_endpoint = tenant
        .endpoint(
            &sick.url,
            json!({"event_types": ["ADDPRODUCT", "kurir.delivery.failing", "kurir.delivery.dead"],
                   "retry_schedule": [0, 0, 0, 0]}),
        )
        .await;
    let gone_endpoint = tenant.endpoint(&gone.url, json!({"event_types": ["ADDPRODUCT"]})).await;
    tenant.endpoint(&watch.url, json!({"event_types": EVERY_NOTICE})).await;
    tenant.endpoint(&plain.url, json!({})).await;

    let event_id = tenant.publish("ADDPRODUCT", json!({"id": 1, "sku": "TEA-1"})).await;

    let failing = notice_about(&watch, "kurir.delivery.failing", &sick_endpoint).await;
    assert_eq!(failing["endpoint"]["url"], sick_endpoint["url"]);
    assert_eq!(failing["delivery"]["event_id"], event_id.as_str());
    assert_eq!(
        (failing["delivery"]["attempts"].as_u64(), failing["delivery"]["last_status"].as_u64()),
        (Some(4), Some(503))
    );
    assert!(failing["delivery"]["next_attempt_at"].is_string(), "{failing}");
    let dead = notice_about(&watch, "kurir.delivery.dead", &sick_endpoint).await;
    assert_eq!(dead["delivery"]["attempts"], 5);
    assert!(
        dead["delivery"]["next_attempt_at"].is_null()
            && dead["reason"].as_str().is_some_and(|r| r.contains("5 attempts"))
    );
    let disabled = notice_about(&watch, "kurir.endpoint.disabled", &gone_endpoint).await;
    assert!(disabled["reason"].as_str().is_some_and(|r| r.contains("410")), "{disabled}");
    notice_about(&watch, "kurir.delivery.dead", &gone_endpoint).await;

    // Told once: the tenant's event log holds exactly these four of kurir's own events.
    let (_, log) = tenant.api.get(&tenant.path("/events?limit=50")).await;
    let told = log["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["type"].as_str().is_some_and(|t| t.starts_with("kurir.")))
        .count();
    assert_eq!(told, 4, "one of each: {:?}", notices(&watch));
    assert_eq!(watch.count(), 4, "and each went to the watching endpoint once");
    // The sick endpoint hears about the gone one, but nothing about itself (and its failed notice makes none).
    let heard = notices(&sick);
    assert!(heard.iter().any(|(t, p)| t == "kurir.delivery.dead" && p["endpoint"]["id"] == gone_endpoint["id"]));
    assert!(!heard.iter().any(|(_, p)| p["endpoint"]["id"] == sick_endpoint["id"]), "about itself: {heard:?}");
    assert_eq!(
        notices(&plain).iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(),
        ["ADDPRODUCT"],
        "asked by name only"
    );
    // What arrived decodes as kurir's own typed events.
    for received in watch.received() {
        let headers: Vec<(&str, &str)> = received.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let request = Request { target: &received.path, headers: &headers, body: &received.body };
        let event = decode(&request).and_then(|w| w.event()).unwrap_or_else(|err| panic!("{err}"));
        assert!(
            matches!(
                event,
                CatalogEvent::KurirDeliveryFailing(_)
                    | CatalogEvent::KurirDeliveryDead(_)
                    | CatalogEvent::KurirEndpointDisabled(_)
            ),
            "{event:?}"
        );
    }
    let (_, shown) =
        tenant.api.get(&tenant.path(&format!("/endpoints/{}", gone_endpoint["id"].as_str().unwrap_or_default()))).await;
    assert_eq!(shown["enabled"], false);

    // Only kurir publishes them.
    let (status, refused) =
        tenant.api.post(&tenant.path("/events"), json!({"type": "kurir.delivery.dead", "payload": dead})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(
        (refused["error"]["code"].as_str(), refused["error"]["field"].as_str()),
        (Some("reserved_event_type"), Some("type"))
    );
}

#[tokio::test]
async fn a_long_failure_streak_disables_an_endpoint_one_call_enables_it_and_an_open_circuit_that_closes_has_recovered()
{
    let fast = [
        "--circuit-failures",
        "2",
        "--circuit-cooldown-ms",
        "300",
        "--disable-after-secs",
        "1",
        "--disable-min-attempts",
        "3",
    ];
    let kurir = Kurir::start_with(Options { extra_args: fast.map(String::from).to_vec(), ..Options::standard() }).await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let healed = Arc::new(AtomicBool::new(false));
    let broken = Receiver::start({
        let healed = Arc::clone(&healed);
        move |_, _| if healed.load(Ordering::SeqCst) { Reply::status(200) } else { Reply::status(500) }
    })
    .await;
    let flaky_calls = Arc::new(AtomicUsize::new(0));
    let flaky = Receiver::start({
        let calls = Arc::clone(&flaky_calls);
        move |_, _| if calls.fetch_add(1, Ordering::SeqCst) < 2 { Reply::status(500) } else { Reply::status(200) }
    })
    .await;
    let watch = Receiver::ok().await;
    let schedule = json!({"event_types": ["ADDPRODUCT"], "retry_schedule": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]});
    let broken_endpoint = tenant.endpoint(&broken.url, schedule.clone()).await;
    let flaky_endpoint = tenant.endpoint(&flaky.url, schedule).await;
    tenant.endpoint(&watch.url, json!({"event_types": EVERY_NOTICE})).await;
    let started = time_now();

    tenant.publish("ADDPRODUCT", json!({"id": 2})).await;

    // Two failures open the flaky endpoint's circuit; the probe after the cooldown succeeds.
    let recovered = notice_about(&watch, "kurir.endpoint.recovered", &flaky_endpoint).await;
    assert_eq!(recovered["failed_attempts"], 2, "{recovered}");
    // The broken one fails for over a second and at least three attempts: disabled, with the streak as reason.
    let disabled = notice_about(&watch, "kurir.endpoint.disabled", &broken_endpoint).await;
    let reason = disabled["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("every attempt failed for") && reason.contains("attempts"), "{reason}");
    let id = broken_endpoint["id"].as_str().unwrap_or_default();
    let (_, shown) = tenant.api.get(&tenant.path(&format!("/endpoints/{id}"))).await;
    assert_eq!((shown["enabled"].as_bool(), shown["disabled_reason"].as_str()), (Some(false), Some(reason)));

    // What waited for it dies unsent (and makes no notice: the endpoint's own says it all).
    eventually("the broken endpoint's delivery to be dead", Duration::from_secs(10), || async {
        let (_, dead) = tenant.api.get(&tenant.path(&format!("/deliveries?endpoint={id}&state=dead"))).await;
        dead["data"].as_array().is_some_and(|d| !d.is_empty()).then_some(())
    })
    .await;
    assert!(!notices(&watch).iter().any(|(t, p)| t == "kurir.delivery.dead" && p["endpoint"]["id"] == id));

    // The receiver is fixed: one call enables the endpoint with a fresh circuit, recover sends what died.
    healed.store(true, Ordering::SeqCst);
    let (status, enabled) = tenant.api.patch(&tenant.path(&format!("/endpoints/{id}")), json!({"enabled": true})).await;
    assert_eq!(status, StatusCode::OK, "{enabled}");
    let (_, shown) = tenant.api.get(&tenant.path(&format!("/endpoints/{id}"))).await;
    assert_eq!((shown["circuit"]["state"].as_str(), shown["disabled_reason"].as_str()), (Some("closed"), None));
    tenant
        .api
        .post_ok(&tenant.path(&format!("/endpoints/{id}/recover")), json!({"since": started}), StatusCode::ACCEPTED)
        .await;
    eventually("the recovered delivery to arrive", Duration::from_secs(10), || async {
        // `answered` holds what the receiver took with a 2xx: nothing before it was fixed.
        broken.answered().iter().any(|r| r.json()["type"] == "ADDPRODUCT").then_some(())
    })
    .await;
}

fn time_now() -> String {
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
    kurir_core::time::rfc3339(now - 1_000)
}
