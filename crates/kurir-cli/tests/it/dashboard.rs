//! The dashboard in a real headless Chromium against the real binary: sign-in, forms, live updates, retries,
//! tenant isolation and cross-site forms. Each test takes screenshots on its way (see `util::browser`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::util::browser::Browser;
use crate::util::{eventually, Kurir, Receiver, Reply, Tenant, ADMIN_TOKEN};

/// A form body.
fn form(fields: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish()
}

/// Marks the page, so a later check can tell it was not reloaded (a live region brought the change).
async fn mark_page(browser: &Browser) {
    browser.eval("window.kurirMarker = 'still here'; return null;").await;
}

async fn assert_not_reloaded(browser: &Browser) {
    let marker = browser.eval("return window.kurirMarker || null;").await;
    assert_eq!(marker, json!("still here"), "the page was reloaded; the change should have come live");
}

async fn endpoints_of(tenant: &Tenant) -> Vec<Value> {
    let (_, body) = tenant.api.get(&tenant.path("/endpoints")).await;
    body["data"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_create_an_endpoint_publish_and_watch_the_delivery_arrive() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let receiver = Receiver::start(|_, _| Reply::status(200)).await;
    let mut browser = Browser::start("delivery").await;

    // Without a session, a page sends the browser to sign in; a wrong token is refused in words.
    browser.goto(&format!("{}/ui/t/acme/events", kurir.base)).await;
    assert!(browser.path().await.starts_with("/ui/sign-in"), "no session, no page");
    browser.fill("#token", "not-a-real-token").await;
    browser.click("button[type=submit]").await;
    browser.wait_for_text("This token is not valid").await;
    browser.shot("sign-in-refused").await;
    browser.sign_in(&kurir.base, ADMIN_TOKEN).await;
    assert_eq!(browser.path().await, "/ui/t/acme", "the admin lands on the first tenant");
    let script_visible = browser.eval("return document.cookie;").await;
    assert!(!script_visible.as_str().unwrap_or_default().contains("kurir_session"), "the session cookie is HttpOnly");

    // A bad URL is named beside its field and nothing is saved; a good one creates the endpoint.
    browser.goto(&format!("{}/ui/t/acme/endpoints/new", kurir.base)).await;
    browser.fill("#url", "ftp://example.com/hook").await;
    browser.click("form.card button[type=submit]").await;
    browser.wait_for_text("Not saved").await;
    let beside = browser.find("#err-url").await.text().await.unwrap_or_default();
    assert!(beside.starts_with("url"), "the error names the field beside it: {beside}");
    assert!(endpoints_of(&tenant).await.is_empty(), "a refused form saves nothing");
    browser.shot("endpoint-form-error").await;
    browser.fill("#url", &format!("{}/orders", receiver.url)).await;
    browser.fill("#description", "Warehouse").await;
    browser.fill("#headers", "X-Shop-Token: hunter2-secret").await;
    browser.click("form.card button[type=submit]").await;
    browser.wait_for_text("Endpoint created").await;
    assert_eq!(endpoints_of(&tenant).await.len(), 1);
    browser.shot("endpoint").await;

    // The event log shows a new event without a reload.
    browser.goto(&format!("{}/ui/t/acme/events", kurir.base)).await;
    mark_page(&browser).await;
    let event = tenant.publish("ADDPRODUCT", json!({"id": 4711})).await;
    browser.wait_for_text(&event).await;
    assert_not_reloaded(&browser).await;
    browser.shot("events").await;

    // The event's page: its payload, and its delivery and attempt as they happen.
    browser.click(&format!("a[href$='/events/{event}']")).await;
    browser.wait_for_text("4711").await;
    mark_page(&browser).await;
    browser.find("[data-state=succeeded]").await;
    browser.wait_for_text("HTTP 200").await;
    browser.click("tr.attempt details summary").await;
    browser.wait_for_text("answer 200").await;
    let request = browser.find("section.request").await.text().await.unwrap_or_default();
    assert!(request.contains(&format!("POST {}/orders", receiver.url)), "the URL as sent: {request}");
    assert!(request.contains("webhook-signature") && request.contains("\"id\": 4711"), "headers and body: {request}");
    assert!(request.contains("x-shop-token") && !request.contains("hunter2"), "secret values are masked: {request}");
    assert_eq!(receiver.received()[0].header("x-shop-token"), Some("hunter2-secret"), "but sent as they are");
    let response = browser.find("section.response").await.text().await.unwrap_or_default();
    assert!(response.contains("HTTP 200") && response.contains("content-length"), "status and headers: {response}");
    browser.shot("event").await;
    assert_eq!(receiver.count(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dead_delivery_is_sent_again_and_dead_ones_are_recovered_since_a_time() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let failing = Arc::new(AtomicBool::new(true));
    let receiver = {
        let failing = Arc::clone(&failing);
        Receiver::start(move |_, _| Reply::status(if failing.load(Ordering::SeqCst) { 503 } else { 200 })).await
    };
    let endpoint = tenant.endpoint(&receiver.url, json!({"retry_schedule": [1]})).await;
    let endpoint_id = endpoint["id"].as_str().unwrap_or_default().to_owned();
    let mut browser = Browser::start("retry").await;
    browser.sign_in(&kurir.base, tenant.api.token()).await;

    // Two attempts against a failing receiver, then dead; the page shows it die live.
    let event = tenant.publish("ADDPRODUCT", json!({"id": 1})).await;
    browser.goto(&format!("{}/ui/t/acme/events/{event}", kurir.base)).await;
    mark_page(&browser).await;
    browser.find("[data-state=dead]").await;
    assert_not_reloaded(&browser).await;
    browser.wait_for_text("HTTP 503").await;
    browser.shot("dead").await;

    // The receiver is fixed; "Send again" brings it through.
    failing.store(false, Ordering::SeqCst);
    browser.click("form[action$='/retry'] button").await;
    browser.wait_for_text("will be sent again now").await;
    browser.find("[data-state=succeeded]").await;
    browser.shot("sent-again").await;

    // Another one dies; recovering the endpoint's dead deliveries since a time sends it.
    failing.store(true, Ordering::SeqCst);
    let second = tenant.publish("ADDPRODUCT", json!({"id": 2})).await;
    eventually("the second delivery dies", Duration::from_secs(20), || async {
        let deliveries = tenant.deliveries_of(&second).await;
        (deliveries.first()?["state"] == "dead").then_some(())
    })
    .await;
    failing.store(false, Ordering::SeqCst);
    browser.goto(&format!("{}/ui/t/acme/endpoints/{endpoint_id}", kurir.base)).await;
    browser.click("form[action$='/recover'] button").await;
    browser.wait_for_text("Recovered 1 dead deliveries").await;
    browser.shot("recovered").await;
    eventually("the recovered delivery succeeds", Duration::from_secs(20), || async {
        let deliveries = tenant.deliveries_of(&second).await;
        (deliveries.first()?["state"] == "succeeded").then_some(())
    })
    .await;

    // The overview charts every attempt (two succeeded, four failed) and gives the endpoint's health.
    browser.goto(&format!("{}/ui/t/acme", kurir.base)).await;
    let chart = browser.find("figure.chart svg").await.attr("aria-label").await.ok().flatten().unwrap_or_default();
    assert!(chart.contains("2 succeeded and 4 failed"), "{chart}");
    browser.wait_for_text("33.3 %").await;
    browser.shot("overview").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tenant_key_sees_only_its_own_tenant() {
    let kurir = Kurir::start().await;
    let acme = Tenant::create(&kurir, "acme").await;
    let other = Tenant::create(&kurir, "globex").await;
    let receiver = Receiver::start(|_, _| Reply::status(200)).await;
    other.endpoint(&receiver.url, json!({})).await;
    let secret_event = other.publish("ADDPRODUCT", json!({"id": 99})).await;
    let mut browser = Browser::start("tenancy").await;
    browser.sign_in(&kurir.base, acme.api.token()).await;
    assert_eq!(browser.path().await, "/ui/t/acme");
    assert!(browser.client.find(fantoccini::Locator::Css("#tenant-switch")).await.is_err(), "no tenant switcher");

    for page in ["/ui/t/globex", "/ui/t/globex/events", &format!("/ui/t/globex/events/{secret_event}")] {
        browser.goto(&format!("{}{page}", kurir.base)).await;
        browser.wait_for_text("tenant not found").await;
        assert!(!browser.text().await.contains(&secret_event), "{page} shows nothing of the other tenant");
    }
    browser.shot("other-tenant").await;

    // The admin sees both and switches between them.
    let mut admin = Browser::start("tenancy-admin").await;
    admin.sign_in(&kurir.base, ADMIN_TOKEN).await;
    admin.find("#tenant-switch option[value=globex]").await.click().await.ok();
    admin.click("form[action='/ui/switch'] button").await;
    admin.wait_for_path("/ui/t/globex").await;
    admin.shot("switched").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forged_cross_site_form_post_is_refused() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let receiver = Receiver::start(|_, _| Reply::status(200)).await;
    let endpoint = tenant.endpoint(&receiver.url, json!({})).await;
    let endpoint_id = endpoint["id"].as_str().unwrap_or_default().to_owned();
    let mut browser = Browser::start("forgery").await;
    browser.sign_in(&kurir.base, ADMIN_TOKEN).await;

    // Another site (another port on this machine) with a form that posts to kurir's "disable" by itself.
    let target = format!("{}/ui/t/acme/endpoints/{endpoint_id}/disable", kurir.base);
    let page = format!(
        "<!doctype html><form id=f method=post action='{target}'><input name=csrf value=guess></form>\
         <script>document.getElementById('f').submit()</script>"
    );
    let evil = Receiver::start(move |_, _| Reply::status(200).header("content-type", "text/html").body(&page)).await;
    browser.goto(&format!("{}/prize", evil.url)).await;
    browser.wait_for_text("Refused").await;
    browser.shot("refused").await;
    let (status, shown) = tenant.api.get(&tenant.path(&format!("/endpoints/{endpoint_id}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown["enabled"], true, "the forged post changed nothing");

    // Without the Origin check: the session cookie alone, from the same origin, without the form token.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|err| panic!("{err}"));
    let signed_in = http
        .post(format!("{}/ui/sign-in", kurir.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("token", ADMIN_TOKEN), ("next", "/ui")]))
        .send()
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let set_cookie = signed_in.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"), "{set_cookie}");
    let cookie = set_cookie.split(';').next().unwrap_or_default().to_owned();
    for token in ["", "guess"] {
        let posted = http
            .post(&target)
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[("csrf", token)]))
            .send()
            .await
            .map(|r| r.status());
        assert_eq!(posted.ok(), Some(StatusCode::FORBIDDEN), "form token {token:?}");
    }
    let (_, shown) = tenant.api.get(&tenant.path(&format!("/endpoints/{endpoint_id}"))).await;
    assert_eq!(shown["enabled"], true, "still nothing changed");
    let page = http.get(format!("{}/ui/t/acme", kurir.base)).send().await.map(|r| r.status());
    assert_eq!(page.ok(), Some(StatusCode::SEE_OTHER), "no cookie, no page: to sign in");

    // Signing out ends the browser's session.
    browser.goto(&format!("{}/ui/t/acme", kurir.base)).await;
    browser.click("form[action='/ui/sign-out'] button").await;
    browser.wait_for_path("/ui/sign-in").await;
    browser.goto(&format!("{}/ui/t/acme/events", kurir.base)).await;
    assert!(browser.path().await.starts_with("/ui/sign-in"), "signed out");
}

/// Every form control on the page that has no label (by `<label for>`, wrapping, or `aria-label`).
async fn unlabelled_controls(browser: &Browser) -> Value {
    browser
        .eval(
            "return [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
                .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim())
                .map(e => e.outerHTML);",
        )
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_shows_real_data_with_labelled_controls_at_phone_width_too() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let receiver = Receiver::start(|_, _| Reply::status(200)).await;
    tenant.endpoint(&receiver.url, json!({"description": "Warehouse"})).await;
    // A DealPOS source that received one product, and a refused request.
    let source = tenant
        .api
        .post_ok(
            &tenant.path("/sources"),
            json!({"dialect": "dealpos", "name": "Shop POS", "verify": {"api_key": "s3cret"}}),
            StatusCode::CREATED,
        )
        .await;
    let url = source["url"].as_str().unwrap_or_default().replace("{event}", "productCreated");
    let http = reqwest::Client::new();
    let product = json!({"ID": "p-77", "Name": "Batik Shirt", "Code": "BS-77"});
    let sent = http.post(&url).header("x-api-key", "s3cret").json(&product).send().await.map(|r| r.status());
    assert_eq!(sent.ok(), Some(StatusCode::OK));
    let refused = http.post(&url).header("x-api-key", "wrong").json(&product).send().await.map(|r| r.status());
    assert_eq!(refused.ok(), Some(StatusCode::UNAUTHORIZED));
    let provider = json!({"url": format!("{}/points", receiver.url), "headers": {"X-Loyalty-Key": "lk"}});
    let put = tenant
        .api
        .send(reqwest::Method::PUT, &tenant.path("/callout-providers/fetchLoyaltyPoints"), Some(&provider), &[])
        .await;
    assert_eq!(put.0, StatusCode::OK);

    let mut browser = Browser::start("pages").await;
    browser.sign_in(&kurir.base, tenant.api.token()).await;
    let base = format!("{}/ui/t/acme", kurir.base);
    let pages: [(&str, &str); 8] = [
        ("", "Warehouse"),
        ("/endpoints", "Warehouse"),
        ("/endpoints/new", "Event types"),
        ("/events", "productCreated"),
        ("/catalog", "closeShift"),
        ("/catalog/productCreated", "Fields"),
        ("/sources", "Shop POS"),
        ("/callouts", "fetchLoyaltyPoints"),
    ];
    for (path, shows) in pages {
        browser.goto(&format!("{base}{path}")).await;
        browser.wait_for_text(shows).await;
        assert_eq!(unlabelled_controls(&browser).await, json!([]), "every control on {path} has a label");
        let name = if path.is_empty() { "overview" } else { path.trim_start_matches('/') };
        browser.shot(&name.replace('/', "-")).await;
    }

    // The source's log: what came in (verified, valid, the event it became) and what was refused.
    browser.goto(&format!("{base}/sources")).await;
    browser.click("a[href*='/sources/src_']").await;
    browser.wait_for_text("productCreated").await;
    browser.wait_for_text("verified").await;
    browser.wait_for_text("HTTP 401").await;
    browser.shot("source").await;

    // A key made in the dashboard is shown once and works; revoked, it stops.
    browser.goto(&format!("{base}/api-keys")).await;
    browser.fill("#key-name", "dashboard-made").await;
    browser.click("form[action$='/api-keys'] button").await;
    let token = browser.find("#new-token").await.text().await.unwrap_or_default();
    let (status, _) = tenant.api.with_token(token.trim()).get(&tenant.path("/endpoints")).await;
    assert_eq!(status, StatusCode::OK, "the new key works");
    browser.shot("api-keys").await;
    browser.click("button[aria-label='Revoke dashboard-made']").await;
    browser.wait_for_text("revoked").await;
    let (status, _) = tenant.api.with_token(token.trim()).get(&tenant.path("/endpoints")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "revoked");

    // The keyboard: the first Tab reaches the skip link, and focus is visible.
    browser.goto(&base).await;
    // A Tab sent before the headless window has focus goes nowhere (focus stays on the body): send it again.
    for _ in 0..5 {
        browser.eval("window.focus(); return null;").await;
        browser.press_tab().await;
        if browser.eval("return document.activeElement !== document.body;").await == json!(true) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let skip = browser
        .eval("return [document.activeElement.textContent, getComputedStyle(document.activeElement).outlineStyle];")
        .await;
    assert_eq!(skip, json!(["Skip to content", "solid"]), "a visible focus ring on the first stop");

    // Phone width: nothing wider than the screen.
    browser.client.set_window_size(390, 844).await.unwrap_or_else(|err| panic!("resize: {err}"));
    for path in ["", "/events", "/endpoints/new"] {
        browser.goto(&format!("{base}{path}")).await;
        let overflow = browser.eval("return document.documentElement.scrollWidth - window.innerWidth;").await;
        assert!(overflow.as_i64().unwrap_or(999) <= 0, "{path} is wider than a phone by {overflow}px");
    }
    browser.shot("phone").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn saving_the_edit_form_unchanged_changes_nothing() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let settings = json!({
        "dialect": "zort",
        "description": "Stock sync",
        "event_types": ["ADDPRODUCT", "UPDATEPRODUCT"],
        "headers": {"X-Shop": "7", "X-Token": "t0k"},
        "retry_schedule": [5, 60, 600],
        "timeout_ms": 7000,
        "signature_headers": false,
        "zort": {"key1": "k-one", "key2": "k-two", "key3": "k-three"},
        "auth": {"type": "oauth2", "token_url": "http://127.0.0.1:9/token", "client_id": "kurir", "client_secret": "cs", "scope": "hooks"},
    });
    let created = tenant.endpoint("http://127.0.0.1:9/zort", settings).await;
    let id = created["id"].as_str().unwrap_or_default().to_owned();
    let before = tenant.api.get(&tenant.path(&format!("/endpoints/{id}"))).await.1;
    let mut browser = Browser::start("edit").await;
    browser.sign_in(&kurir.base, tenant.api.token()).await;
    browser.goto(&format!("{}/ui/t/acme/endpoints/{id}/edit", kurir.base)).await;
    browser.click("form.card button[type=submit]").await;
    browser.wait_for_text("Saved.").await;
    let after = tenant.api.get(&tenant.path(&format!("/endpoints/{id}"))).await.1;
    for field in [
        "url",
        "dialect",
        "description",
        "event_types",
        "headers",
        "retry_schedule",
        "timeout_ms",
        "signature_headers",
        "zort",
        "auth",
        "enabled",
    ] {
        assert_eq!(after[field], before[field], "{field} is unchanged");
    }

    // A changed OAuth client id without the secret is refused beside the OAuth settings, and nothing is saved.
    browser.goto(&format!("{}/ui/t/acme/endpoints/{id}/edit", kurir.base)).await;
    browser.fill("#oauth_client_id", "someone-else").await;
    browser.click("form.card button[type=submit]").await;
    let error = browser.find("#err-auth").await.text().await.unwrap_or_default();
    assert!(error.contains("auth.client_secret"), "{error}");
    let still = tenant.api.get(&tenant.path(&format!("/endpoints/{id}"))).await.1;
    assert_eq!(still["auth"], before["auth"]);
    browser.shot("oauth-refused").await;
}
