//! The command line against a running kurir: `kurir listen` receiving (with an endpoint it makes and removes,
//! signatures checked, forwarding to the integrator's service), `kurir publish`, `endpoints`, `deliveries`,
//! `events tail` and `replay`; bad input as one clear line.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::util::{eventually, Kurir, Receiver, Reply, Tenant};

/// `kurir` with `args` against `kurir`'s server with `token`; whether it succeeded, stdout, stderr.
fn cli(kurir: &Kurir, token: &str, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kurir"))
        .args(args)
        .env("KURIR_URL", &kurir.base)
        .env("KURIR_TOKEN", token)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("{err}"));
    if let (Some(text), Some(mut input)) = (stdin, child.stdin.take()) {
        std::io::Write::write_all(&mut input, text.as_bytes()).unwrap_or_else(|err| panic!("{err}"));
    }
    let output = child.wait_with_output().unwrap_or_else(|err| panic!("{err}"));
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.success(), text(&output.stdout), text(&output.stderr))
}

/// Starts `kurir listen` with `args` and waits until it receives.
fn start_listen(kurir: &Kurir, token: &str, args: &[&str]) -> std::process::Child {
    let mut with_command = vec!["listen"];
    with_command.extend_from_slice(args);
    start_until(kurir, token, &with_command, "receiving on")
}

/// Starts `kurir` with `args` and waits until a line on its stderr contains `ready` (it says so once it is set).
fn start_until(kurir: &Kurir, token: &str, args: &[&str], ready: &str) -> std::process::Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kurir"))
        .args(args)
        .env("KURIR_URL", &kurir.base)
        .env("KURIR_TOKEN", token)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("{err}"));
    let stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
    let mut lines = BufReader::new(stderr).lines();
    loop {
        match lines.next() {
            Some(Ok(line)) if line.contains(ready) => break,
            Some(Ok(_)) => continue,
            _ => panic!("kurir {args:?} stopped before saying `{ready}`"),
        }
    }
    std::thread::spawn(move || for _ in lines {});
    child
}

async fn endpoints_of(tenant: &Tenant) -> Vec<Value> {
    tenant.api.get(&tenant.path("/endpoints")).await.1["data"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn listen_makes_an_endpoint_prints_verified_deliveries_and_removes_it() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let token = tenant.api.token().to_owned();
    let child = start_listen(&kurir, &token, &["--endpoint-for", "acme", "--port", "0", "--max", "2", "--json"]);
    assert_eq!(endpoints_of(&tenant).await.len(), 1, "an endpoint points at the listener");

    let (ok, said, _) = cli(&kurir, &token, &["publish", "productCreated", "--payload", "-"], Some(r#"{"ID": "p-9"}"#));
    assert!(ok && said.contains("1 delivery"), "{said}");
    let batch = "{\"type\": \"ADDPRODUCT\", \"payload\": {\"id\": 3}}\n";
    let file = kurir.data_dir.join("batch.jsonl");
    std::fs::write(&file, batch).unwrap_or_else(|err| panic!("{err}"));
    let (ok, said, _) = cli(&kurir, &token, &["publish", "--batch", &file.to_string_lossy()], None);
    assert!(ok && said.contains("published 1 events"), "{said}");

    let output = tokio::task::spawn_blocking(move || child.wait_with_output()).await;
    let output = output.ok().and_then(Result::ok).unwrap_or_else(|| panic!("kurir listen did not finish"));
    assert!(output.status.success());
    let lines: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|err| panic!("{err}: {line}")))
        .collect();
    let types: Vec<&str> = lines.iter().filter_map(|l| l["type"].as_str()).collect();
    assert_eq!(types, vec!["productCreated", "ADDPRODUCT"]);
    assert!(lines.iter().all(|l| l["signature"] == "ok" && l["dialect"] == "standard"), "{lines:?}");
    assert_eq!(lines[0]["payload"], json!({"ID": "p-9"}));
    assert!(endpoints_of(&tenant).await.is_empty(), "the endpoint is removed when listen stops");
}

#[tokio::test]
async fn listen_forwards_to_the_integrators_service_and_kurir_gets_its_answer() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let service = Receiver::start(|_, _| Reply::status(202)).await;
    let token = tenant.api.token().to_owned();
    let forward = format!("{}/my-hooks", service.url);
    let child = start_listen(
        &kurir,
        &token,
        &["--endpoint-for", "acme", "--dialect", "zort", "--port", "0", "--max", "1", "--forward-to", &forward],
    );
    let event = tenant.publish("ADDPRODUCT", json!({"id": 5})).await;
    let output = tokio::task::spawn_blocking(move || child.wait_with_output()).await;
    let output = output.ok().and_then(Result::ok).unwrap_or_else(|| panic!("kurir listen did not finish"));
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(printed.contains("ADDPRODUCT  (zort)") && printed.contains("signature ok"), "{printed}");
    assert!(printed.contains("→ answered 202"), "{printed}");
    let forwarded = &service.received()[0];
    assert_eq!(forwarded.path, "/my-hooks");
    assert_eq!(forwarded.query.as_deref(), Some("method=ADDPRODUCT"), "the trigger goes along");
    let statuses = eventually("kurir records the service's answer", Duration::from_secs(10), || async {
        let deliveries = tenant.deliveries_of(&event).await;
        let id = deliveries.first()?["id"].as_str()?.to_owned();
        let attempts = tenant.attempts(&id).await;
        (!attempts.is_empty()).then(|| attempts.iter().map(|a| a["status"].clone()).collect::<Vec<_>>())
    })
    .await;
    assert_eq!(statuses, vec![json!(202)]);
}

#[tokio::test]
async fn bad_input_gets_one_clear_line_and_a_failing_exit() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let token = tenant.api.token().to_owned();
    let not_json = kurir.data_dir.join("payload.txt");
    std::fs::write(&not_json, "ID=1").unwrap_or_else(|err| panic!("{err}"));
    let path = not_json.to_string_lossy().into_owned();
    let cases: [(&[&str], &str, &str); 4] = [
        (&["publish", "productCreated", "--payload", &path], &token, "is not JSON"),
        (&["publish", "productCreated", "--payload", "-"], "kurir_nope.nope", "token was refused"),
        (&["publish", "productCreated", "--payload", "/no/such/file.json"], &token, "cannot read /no/such/file.json"),
        (&["listen", "--secret", "not-a-secret", "--port", "0"], &token, "--secret: invalid signing secret"),
    ];
    for (args, token, says) in cases {
        let (ok, _, said) = cli(&kurir, token, args, Some("{}"));
        assert!(!ok, "{args:?} fails");
        assert_eq!(said.trim().lines().count(), 1, "one line: {said}");
        assert!(said.contains(says), "{args:?}: {said}");
    }
    let (ok, _, said) = cli(&kurir, &token, &["publish", "productCreated", "--payload", "-"], Some(r#"{"Name": 1}"#));
    assert!(!ok && said.contains("payload.Name"), "the API's error names the field: {said}");
    let good = kurir.data_dir.join("good.json");
    std::fs::write(&good, r#"{"ID": "p-1"}"#).unwrap_or_else(|err| panic!("{err}"));
    let good = good.to_string_lossy().into_owned();
    let unreachable = Command::new(env!("CARGO_BIN_EXE_kurir"))
        .args(["publish", "productCreated", "--payload", &good, "--url", "http://127.0.0.1:1", "--token", "t"])
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    let said = String::from_utf8_lossy(&unreachable.stderr);
    assert!(!unreachable.status.success() && said.contains("cannot reach kurir at http://127.0.0.1:1"), "{said}");
    assert_eq!(tenant.api.get(&tenant.path("/events")).await.0, StatusCode::OK);
}

#[tokio::test]
async fn endpoints_deliveries_events_tail_and_replay_work_against_a_running_kurir() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let receiver = Receiver::ok().await;
    let token = tenant.api.token().to_owned();
    let run = |args: &[&str]| cli(&kurir, &token, args, None);

    let (ok, made, said) = run(&["endpoints", "create", "--url", &receiver.url, "--events", "ADDPRODUCT", "--json"]);
    assert!(ok, "{said}");
    let made: Value = serde_json::from_str(&made).unwrap_or_else(|err| panic!("{err}: {made}"));
    let id = made["id"].as_str().unwrap_or_default().to_owned();
    assert!(made["secret"].as_str().is_some_and(|s| s.starts_with("whsec_")));
    let (ok, listed, _) = run(&["endpoints", "list"]);
    assert!(ok && listed.contains(&id) && listed.contains("enabled"), "{listed}");
    let (ok, _, _) = run(&["endpoints", "disable", &id]);
    assert!(ok && endpoints_of(&tenant).await[0]["enabled"] == false);
    let (ok, _, _) = run(&["endpoints", "enable", &id]);
    assert!(ok && endpoints_of(&tenant).await[0]["enabled"] == true);
    let (ok, rotated, _) = run(&["endpoints", "rotate-secret", &id]);
    assert!(ok && rotated.contains("new signing secret: whsec_"), "{rotated}");

    // events tail follows a new event and its delivery's outcome.
    // It says "following" once it knows the newest event, so what is published after that is new to it.
    let tail = start_until(&kurir, &token, &["events", "tail", "--max", "1", "--json"], "following");
    let pid = tail.id().to_string();
    let event = tenant.publish("ADDPRODUCT", json!({"id": 1})).await;
    let waited =
        tokio::time::timeout(Duration::from_secs(30), tokio::task::spawn_blocking(move || tail.wait_with_output()));
    let Ok(output) = waited.await else {
        let _ = Command::new("kill").args(["-KILL", &pid]).status();
        panic!("events tail did not finish");
    };
    let output = output.ok().and_then(Result::ok).unwrap_or_else(|| panic!("events tail did not finish"));
    let lines: Vec<Value> =
        String::from_utf8_lossy(&output.stdout).lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert_eq!(lines.first().map(|l| l["event"]["id"].clone()), Some(json!(event)), "{lines:?}");
    assert!(lines.iter().any(|l| l["delivery"]["state"] == "succeeded"), "{lines:?}");

    let (ok, log, _) = run(&["deliveries", "list", "--state", "succeeded"]);
    assert!(ok && log.contains("succeeded") && log.contains("HTTP 200"), "{log}");
    let delivery = tenant.deliveries_of(&event).await[0]["id"].as_str().unwrap_or_default().to_owned();
    let (ok, said, _) = run(&["deliveries", "retry", &delivery]);
    assert!(ok && said.contains("will be sent again"), "{said}");

    // replay: an endpoint whose deliveries died gets them again.
    let dead_end = tenant
        .endpoint("http://127.0.0.1:1/gone", json!({"retry_schedule": [1], "event_types": ["DELETEPRODUCT"]}))
        .await;
    let dead_id = dead_end["id"].as_str().unwrap_or_default().to_owned();
    let doomed = tenant.publish("DELETEPRODUCT", json!({"id": 2})).await;
    eventually("the delivery dies", Duration::from_secs(15), || async {
        (tenant.deliveries_of(&doomed).await.first()?["state"] == "dead").then_some(())
    })
    .await;
    let (ok, said, err) = run(&["replay", "--dead-only", "--endpoint", &dead_id, "--since", "2000-01-01T00:00:00Z"]);
    assert!(ok && said.contains("1 dead deliveries"), "{said}{err}");
    let (ok, _, err) = run(&["replay", "--endpoint", &dead_id, "--since", "yesterday"]);
    assert!(!ok && err.contains("since") && err.trim().lines().count() == 1, "{err}");

    // replay as a backfill: an endpoint made after the fact gets the past events of the type asked for.
    let late = Receiver::ok().await;
    let late_end = tenant.endpoint(&late.url, json!({})).await;
    let late_id = late_end["id"].as_str().unwrap_or_default().to_owned();
    let since = "2000-01-01T00:00:00Z";
    let (ok, said, err) = run(&["replay", "--endpoint", &late_id, "--since", since, "--type", "DELETEPRODUCT"]);
    assert!(ok && said.contains("done: 1 events sent again"), "{said}{err}");
    eventually("the backfilled event", Duration::from_secs(10), || async {
        (late.received().iter().filter_map(|r| r.header("webhook-id").map(str::to_owned)).collect::<Vec<_>>()
            == [doomed.clone()])
        .then_some(())
    })
    .await;
    let (ok, _, err) = run(&["replay", "--endpoint", &late_id, "--since", since, "--type", "NOSUCHTYPE"]);
    assert!(!ok && err.contains("event_types[0]") && err.trim().lines().count() == 1, "{err}");
}
