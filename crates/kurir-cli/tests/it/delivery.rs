use std::time::Duration;

use kurir_wire::signature::{verify, SignedHeaders};
use kurir_wire::WebhookSecret;
use serde_json::{json, Value};

use crate::util::{eventually, Kurir, Options, Receiver, Reply, Tenant};

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

/// Waits until the delivery of `event` reaches `state`, and returns it.
async fn delivery_in_state(tenant: &Tenant, event: &str, state: &str, timeout: Duration) -> Value {
    eventually(&format!("delivery of {event} to be {state}"), timeout, || async {
        tenant.deliveries_of(event).await.into_iter().find(|d| d["state"] == state)
    })
    .await
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

#[tokio::test]
async fn delivers_a_signed_standard_webhook() {
    let kurir = Kurir::start().await;
    let receiver = Receiver::ok().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let endpoint = tenant
        .endpoint(&format!("{}/hooks/{{event}}", receiver.url), json!({"secret": SECRET, "headers": {"X-Store": "42"}}))
        .await;
    assert_eq!(endpoint["secret"], SECRET);

    let event_id = tenant.publish("productCreated", json!({"ID": "p-1", "Name": "Gorgeous Dress"})).await;
    let request = eventually("the webhook", Duration::from_secs(10), || async { receiver.received().pop() }).await;

    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/hooks/productCreated");
    assert_eq!(request.query, None);
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("x-store"), Some("42"));
    assert_eq!(request.header("webhook-id"), Some(event_id.as_str()));
    let body = request.json();
    assert_eq!(body["type"], "productCreated");
    assert_eq!(body["data"], json!({"ID": "p-1", "Name": "Gorgeous Dress"}));
    let secret = WebhookSecret::parse(SECRET).unwrap_or_else(|err| panic!("{err}"));
    let headers = SignedHeaders {
        id: request.header("webhook-id"),
        timestamp: request.header("webhook-timestamp"),
        signature: request.header("webhook-signature"),
    };
    assert_eq!(verify([&secret], headers, &request.body, now_secs()), Ok(()));
    let wrong = WebhookSecret::from_random([9; 24]);
    assert!(verify([&wrong], headers, &request.body, now_secs()).is_err());

    let delivery = delivery_in_state(&tenant, &event_id, "succeeded", Duration::from_secs(5)).await;
    assert_eq!(delivery["attempts"], 1);
    assert_eq!(delivery["ordering_key"], "product:p-1");
}

#[tokio::test]
async fn a_500_is_retried_until_a_200() {
    let kurir = Kurir::start().await;
    let receiver = Receiver::script(vec![Reply::status(500)], Reply::status(200)).await;
    let tenant = Tenant::create(&kurir, "acme").await;
    tenant.endpoint(&receiver.url, json!({"retry_schedule": [1, 1]})).await;

    let event_id = tenant.publish("ADDPRODUCT", json!({"id": 1234, "sku": "P0001"})).await;
    let delivery = delivery_in_state(&tenant, &event_id, "succeeded", Duration::from_secs(10)).await;

    assert_eq!(delivery["attempts"], 2);
    assert_eq!(receiver.count(), 2);
    let requests = receiver.received();
    assert_eq!(requests[0].header("webhook-id"), requests[1].header("webhook-id"), "the id is stable across retries");
    let attempts = tenant.attempts(delivery["id"].as_str().unwrap_or_default()).await;
    let statuses: Vec<&Value> = attempts.iter().map(|a| &a["status"]).collect();
    assert_eq!(statuses, [&json!(500), &json!(200)]);
    assert_eq!(attempts[0]["error_kind"], "status");
    assert_eq!(attempts[0]["response"], "answer 500");
    let gap = requests[1].at.duration_since(requests[0].at);
    assert!(gap >= Duration::from_millis(750), "the retry waited {gap:?}, less than 1 s - 20 %");
}

#[tokio::test]
async fn a_receiver_that_never_succeeds_ends_dead_after_the_schedule() {
    let kurir = Kurir::start().await;
    let receiver = Receiver::script(vec![], Reply::status(503)).await;
    let tenant = Tenant::create(&kurir, "acme").await;
    tenant.endpoint(&receiver.url, json!({"retry_schedule": [1, 1]})).await;

    let event_id = tenant.publish("DELETEPRODUCT", json!({"id": 1, "sku": "X"})).await;
    let delivery = delivery_in_state(&tenant, &event_id, "dead", Duration::from_secs(15)).await;

    assert_eq!(delivery["attempts"], 3);
    assert_eq!(delivery["last_status"], 503);
    // Dead is final: every attempt was answered before it was written, and none comes after.
    assert_eq!(receiver.count(), 3, "no attempt after the schedule is used up");

    // A dead delivery can be sent again by hand.
    let (status, retried) = tenant
        .api
        .post(&tenant.path(&format!("/deliveries/{}/retry", delivery["id"].as_str().unwrap_or_default())), json!({}))
        .await;
    assert_eq!(status, reqwest::StatusCode::ACCEPTED, "{retried}");
    eventually("the manual retry", Duration::from_secs(5), || async { (receiver.count() == 4).then_some(()) }).await;
}

#[tokio::test]
async fn retry_after_on_429_is_honoured() {
    let kurir = Kurir::start().await;
    let receiver = Receiver::script(vec![Reply::status(429).header("retry-after", "2")], Reply::status(200)).await;
    let tenant = Tenant::create(&kurir, "acme").await;
    tenant.endpoint(&receiver.url, json!({"retry_schedule": [0]})).await;

    let event_id = tenant.publish("UPDATEPRODUCT", json!({"id": 7})).await;
    delivery_in_state(&tenant, &event_id, "succeeded", Duration::from_secs(10)).await;

    let requests = receiver.received();
    let gap = requests[1].at.duration_since(requests[0].at);
    assert!(gap >= Duration::from_millis(1900), "Retry-After: 2 was not honoured: retried after {gap:?}");
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured() {
    let kurir = Kurir::start().await;
    // The first answer asks for a retry at a date three seconds ahead (whole seconds: two to three from now).
    let receiver = Receiver::start(|_, n| match n {
        0 => {
            let at = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3));
            Reply::status(503).header("retry-after", &at)
        }
        _ => Reply::status(200),
    })
    .await;
    let tenant = Tenant::create(&kurir, "acme").await;
    tenant.endpoint(&receiver.url, json!({"retry_schedule": [0]})).await;

    let event_id = tenant.publish("UPDATEPRODUCT", json!({"id": 8})).await;
    delivery_in_state(&tenant, &event_id, "succeeded", Duration::from_secs(10)).await;
    let requests = receiver.received();
    let gap = requests[1].at.duration_since(requests[0].at);
    assert!(gap >= Duration::from_millis(1500), "the Retry-After date was not honoured: retried after {gap:?}");
}

#[tokio::test]
async fn deliveries_with_one_ordering_key_wait_for_the_earlier_one_until_it_is_dead() {
    let kurir = Kurir::start().await;
    // Product p1's first event always fails; everything else succeeds.
    let receiver = Receiver::start(|request, _| {
        let body = request.json();
        if body["data"]["ID"] == "p1" && body["data"]["Name"] == "first" {
            Reply::status(500)
        } else {
            Reply::status(200)
        }
    })
    .await;
    let tenant = Tenant::create(&kurir, "acme").await;
    tenant.endpoint(&receiver.url, json!({"retry_schedule": [1, 1]})).await;

    let first = tenant.publish("productUpdated", json!({"ID": "p1", "Name": "first"})).await;
    let second = tenant.publish("productUpdated", json!({"ID": "p1", "Name": "second"})).await;
    let other = tenant.publish("productUpdated", json!({"ID": "p2", "Name": "other key"})).await;

    delivery_in_state(&tenant, &other, "succeeded", Duration::from_secs(5)).await;
    let waiting = tenant.deliveries_of(&second).await;
    assert_eq!(waiting[0]["state"], "pending", "p1's second event must wait while the first is retrying");

    delivery_in_state(&tenant, &first, "dead", Duration::from_secs(15)).await;
    delivery_in_state(&tenant, &second, "succeeded", Duration::from_secs(5)).await;

    let names: Vec<String> =
        receiver.received().iter().map(|r| r.json()["data"]["Name"].as_str().unwrap_or_default().to_owned()).collect();
    let last_first = names.iter().rposition(|n| n == "first").unwrap_or(usize::MAX);
    let second_at = names.iter().position(|n| n == "second").unwrap_or(0);
    assert!(last_first < second_at, "second went out before first was dead: {names:?}");
    assert_eq!(names.iter().filter(|n| *n == "first").count(), 3);
}

#[tokio::test]
async fn a_slow_endpoint_does_not_slow_a_fast_one() {
    let kurir = Kurir::start().await;
    let slow = Receiver::start(|_, _| Reply::status(200).delayed(Duration::from_secs(4))).await;
    let fast = Receiver::ok().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    tenant.endpoint(&slow.url, json!({})).await;
    tenant.endpoint(&fast.url, json!({})).await;

    let started = std::time::Instant::now();
    for n in 0..20 {
        tenant.publish("ADDPRODUCT", json!({"id": n})).await;
    }
    eventually("the fast endpoint to get all 20", Duration::from_secs(3), || async {
        (fast.count() == 20).then_some(())
    })
    .await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(slow.count() > 0, "the slow endpoint is being tried in parallel");
}

/// `--endpoint-max-in-flight` bounds every endpoint: with 2, the first two requests go out together and a third
/// only once one of them was answered, here after the receiver's 300 ms.
#[tokio::test]
async fn the_servers_in_flight_limit_per_endpoint_holds() {
    let options = Options {
        extra_args: ["--endpoint-max-in-flight", "2", "--fixed-concurrency"].map(String::from).to_vec(),
        ..Options::standard()
    };
    let kurir = Kurir::start_with(options).await;
    let answer_after = Duration::from_millis(300);
    let receiver = Receiver::start(move |_, _| Reply::status(200).delayed(answer_after)).await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let endpoint = tenant.endpoint(&receiver.url, json!({})).await;
    let id = endpoint["id"].as_str().unwrap_or_default();
    let (_, shown) = tenant.api.get(&tenant.path(&format!("/endpoints/{id}"))).await;
    assert_eq!(shown["circuit"]["concurrency_window"], 2, "the API shows the limit the claims apply: {shown}");
    // One batch, so that all six are due at once and only the limit spaces them out.
    let events: Vec<Value> = (0..6).map(|n| json!({"type": "ADDPRODUCT", "payload": {"id": n}})).collect();
    tenant.api.post_ok(&tenant.path("/events/batch"), json!({"events": events}), reqwest::StatusCode::ACCEPTED).await;
    eventually("all 6 to arrive", Duration::from_secs(20), || async { (receiver.count() >= 6).then_some(()) }).await;

    let mut arrivals: Vec<_> = receiver.received().iter().map(|r| r.at).collect();
    arrivals.sort();
    for (n, three) in arrivals.windows(3).enumerate() {
        let spread = three[2].duration_since(three[0]);
        assert!(spread >= answer_after, "requests {n}..{} arrived within {spread:?}: more than 2 at once", n + 2);
    }
    let pair = arrivals[1].duration_since(arrivals[0]);
    assert!(pair < answer_after, "the first two came {pair:?} apart: one at a time, not two");
}

#[tokio::test]
async fn a_410_disables_the_endpoint() {
    let kurir = Kurir::start().await;
    let receiver = Receiver::script(vec![], Reply::status(410)).await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let endpoint = tenant.endpoint(&receiver.url, json!({})).await;

    let event_id = tenant.publish("ADDPRODUCT", json!({"id": 1})).await;
    let delivery = delivery_in_state(&tenant, &event_id, "dead", Duration::from_secs(5)).await;
    assert_eq!(delivery["attempts"], 1);

    let (_, endpoint) =
        tenant.api.get(&tenant.path(&format!("/endpoints/{}", endpoint["id"].as_str().unwrap_or_default()))).await;
    assert_eq!(endpoint["enabled"], false);
    assert!(endpoint["disabled_reason"].as_str().unwrap_or_default().contains("410"));
    let (_, published) =
        tenant.api.post(&tenant.path("/events"), json!({"type": "ADDPRODUCT", "payload": {"id": 2}})).await;
    assert_eq!(published["deliveries"], 0, "a disabled endpoint gets no new deliveries");
}

#[tokio::test]
async fn a_rotated_secret_keeps_signing_beside_the_new_one() {
    let kurir = Kurir::start().await;
    let receiver = Receiver::ok().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let endpoint = tenant.endpoint(&receiver.url, json!({"secret": SECRET})).await;
    let rotated = tenant
        .api
        .post_ok(
            &tenant.path(&format!("/endpoints/{}/rotate-secret", endpoint["id"].as_str().unwrap_or_default())),
            json!({}),
            reqwest::StatusCode::OK,
        )
        .await;
    let new_secret = rotated["secret"].as_str().unwrap_or_default();
    assert_ne!(new_secret, SECRET);

    tenant.publish("ADDPRODUCT", json!({"id": 1})).await;
    let request = eventually("the webhook", Duration::from_secs(10), || async { receiver.received().pop() }).await;
    let signatures = request.header("webhook-signature").unwrap_or_default();
    assert_eq!(signatures.split(' ').count(), 2, "{signatures}");
    for secret in [SECRET, new_secret] {
        let secret = WebhookSecret::parse(secret).unwrap_or_else(|err| panic!("{err}"));
        let headers = SignedHeaders {
            id: request.header("webhook-id"),
            timestamp: request.header("webhook-timestamp"),
            signature: Some(signatures),
        };
        assert_eq!(verify([&secret], headers, &request.body, now_secs()), Ok(()));
    }
}

#[tokio::test]
async fn patching_an_endpoint_changes_where_its_deliveries_go() {
    let kurir = Kurir::start().await;
    let old = Receiver::ok().await;
    let new = Receiver::ok().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let endpoint = tenant.endpoint(&old.url, json!({"description": "erp"})).await;
    let path = tenant.path(&format!("/endpoints/{}", endpoint["id"].as_str().unwrap_or_default()));

    let (status, patched) = tenant.api.patch(&path, json!({"url": new.url, "timeout_ms": 5000})).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{patched}");
    assert_eq!(patched["url"], new.url.as_str());
    assert_eq!(patched["timeout_ms"], 5000);
    assert_eq!(patched["description"], "erp", "fields absent from the patch keep their value");
    let (status, error) = tenant.api.patch(&path, json!({"timeout_ms": 1})).await;
    assert_eq!((status, &error["error"]["field"]), (reqwest::StatusCode::BAD_REQUEST, &json!("timeout_ms")));

    tenant.publish("ADDPRODUCT", json!({"id": 1})).await;
    eventually("delivery to the new URL", Duration::from_secs(5), || async { (new.count() == 1).then_some(()) }).await;
    assert_eq!(old.count(), 0);
}

#[tokio::test]
async fn a_failing_endpoint_is_probed_not_hammered_and_recovers() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    let kurir = Kurir::start().await;
    let healed = Arc::new(AtomicBool::new(false));
    let sick = Receiver::start({
        let healed = Arc::clone(&healed);
        move |_, _| if healed.load(Ordering::SeqCst) { Reply::status(200) } else { Reply::status(500) }
    })
    .await;
    let healthy = Receiver::ok().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let sick_endpoint = tenant.endpoint(&sick.url, json!({"retry_schedule": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]})).await;
    let sick_id = sick_endpoint["id"].as_str().unwrap_or_default().to_owned();
    tenant.endpoint(&healthy.url, json!({})).await;
    // Held: its circuit is open and none of its attempts is still in flight (so the receiver's count is final).
    let held = |circuit: &'static str| {
        let (tenant, sick_id) = (&tenant, sick_id.clone());
        async move {
            let (_, endpoint) = tenant.api.get(&tenant.path(&format!("/endpoints/{sick_id}"))).await;
            let (_, flying) =
                tenant.api.get(&tenant.path(&format!("/deliveries?endpoint={sick_id}&state=in_flight"))).await;
            let idle = flying["data"].as_array().is_some_and(Vec::is_empty);
            (endpoint["circuit"]["state"] == circuit && idle).then_some(())
        }
    };

    for n in 0..10 {
        tenant.publish("ADDPRODUCT", json!({"id": n})).await;
    }
    // kurir runs with --circuit-failures 5 --circuit-cooldown-ms 2500 in these tests.
    eventually("the healthy endpoint to get everything", Duration::from_secs(5), || async {
        (healthy.count() == 10).then_some(())
    })
    .await;
    eventually("five failures", Duration::from_secs(5), || async { (sick.count() >= 5).then_some(()) }).await;
    // Attempts already sent when the fifth failure came back still finish; after that, nothing is sent.
    eventually("the circuit to open with nothing in flight", Duration::from_secs(5), || held("open")).await;
    let when_opened = sick.count();
    assert!(when_opened < 20, "the circuit should open after a few failures, not after {when_opened}");
    let (_, waiting) = tenant.api.get(&tenant.path(&format!("/deliveries?endpoint={sick_id}&state=retrying"))).await;
    let waiting = waiting["data"].as_array().cloned().unwrap_or_default();
    assert!(!waiting.is_empty() && waiting.iter().all(|d| d["held"]["until"].is_string()), "held, and says so");

    let probe = when_opened + 1;
    eventually("one probe after the cooldown", Duration::from_secs(4), || async {
        (sick.count() >= probe).then_some(())
    })
    .await;
    eventually("the failed probe to open the circuit again", Duration::from_secs(4), || held("open")).await;
    assert_eq!(sick.count(), probe, "one probe, not a burst");

    healed.store(true, Ordering::SeqCst);
    eventually("the recovered endpoint to get all ten events", Duration::from_secs(10), || async {
        let ok_ids: std::collections::HashSet<String> =
            sick.received().iter().skip(probe).filter_map(|r| r.header("webhook-id").map(str::to_owned)).collect();
        (ok_ids.len() == 10).then_some(())
    })
    .await;
    let (_, dead) = tenant.api.get(&tenant.path("/deliveries?state=dead")).await;
    assert_eq!(dead["data"].as_array().map(Vec::len), Some(0), "held deliveries used no attempts: {dead}");
}

#[tokio::test]
async fn the_receiver_is_back_a_waiting_delivery_and_a_whole_endpoint_go_now() {
    let kurir = Kurir::start().await;
    // Five failures open the circuit (the suite starts kurir with --circuit-failures 5); then the receiver is back.
    let receiver = Receiver::script(vec![Reply::status(500); 5], Reply::status(200)).await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let endpoint = tenant.endpoint(&receiver.url, json!({"retry_schedule": [3600]})).await;
    let mut events = Vec::new();
    for n in 0..5 {
        events.push(tenant.publish("UPDATEPRODUCT", json!({"id": n})).await);
    }
    eventually("five failed attempts", Duration::from_secs(10), || async { (receiver.count() == 5).then_some(()) })
        .await;
    let waiting = delivery_in_state(&tenant, &events[0], "retrying", Duration::from_secs(5)).await;
    let endpoint_id = endpoint["id"].as_str().unwrap_or_default().to_owned();
    let circuit = || async {
        let (status, page) = tenant.api.get(&tenant.path(&format!("/endpoints/{endpoint_id}"))).await;
        assert_eq!(status, reqwest::StatusCode::OK, "{page}");
        page["circuit"].clone()
    };
    // The endpoint's page shows why its deliveries wait, and until when (the fifth outcome may still be in the
    // writer's next batch, and the test cooldown is 2.5 s, hence the short wait).
    eventually("the open circuit on the endpoint's page", Duration::from_secs(2), || async {
        let circuit = circuit().await;
        (circuit["state"] == "open" && circuit["held_until"].is_string()).then_some(())
    })
    .await;
    // And each waiting delivery says why it waits.
    let (_, page) =
        tenant.api.get(&tenant.path(&format!("/deliveries/{}", waiting["id"].as_str().unwrap_or_default()))).await;
    assert_eq!(page["held"]["reason"], "the endpoint's circuit is open", "{page}");

    // One delivery that waits an hour for its retry goes now when asked.
    let id = waiting["id"].as_str().unwrap_or_default();
    let (status, retried) = tenant.api.post(&tenant.path(&format!("/deliveries/{id}/retry")), json!({})).await;
    assert_eq!(status, reqwest::StatusCode::ACCEPTED, "{retried}");
    delivery_in_state(&tenant, &events[0], "succeeded", Duration::from_secs(5)).await;

    // The rest go when the endpoint is resumed: its circuit is closed and what waits is due now.
    let (status, resumed) = tenant.api.post(&tenant.path(&format!("/endpoints/{endpoint_id}/resume")), json!({})).await;
    assert_eq!(status, reqwest::StatusCode::ACCEPTED, "{resumed}");
    assert_eq!(resumed["resumed"], 4, "{resumed}");
    for event in &events[1..] {
        delivery_in_state(&tenant, event, "succeeded", Duration::from_secs(5)).await;
    }
    let closed = circuit().await;
    assert_eq!((&closed["state"], &closed["held_until"]), (&json!("closed"), &Value::Null), "{closed}");
}

#[tokio::test]
async fn a_rate_limited_endpoint_gets_everything_none_dropped_at_its_own_pace() {
    let kurir = Kurir::start().await;
    let receiver = Receiver::ok().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let made = tenant.endpoint(&receiver.url, json!({"rate_limit": {"count": 5, "per": "second"}})).await;
    assert_eq!(made["rate_limit"], json!({"count": 5, "per": "second"}));
    for n in 0..12 {
        tenant.publish("ADDPRODUCT", json!({"id": n})).await;
    }
    eventually("all twelve, over the limit or not", Duration::from_secs(15), || async {
        (receiver.count() == 12).then_some(())
    })
    .await;
    let ids = crate::util::event_ids(&receiver.received());
    assert_eq!(ids.len(), 12, "each once");
}
