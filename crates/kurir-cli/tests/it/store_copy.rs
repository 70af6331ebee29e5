//! `kurir store copy`: a SQLite store with every kind of row, copied into a real PostgreSQL, served from there.

use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};

use crate::util::{eventually, Kurir, Options, Receiver, Reply, Tenant};

/// Runs `kurir store copy` with the store's secret key; returns whether it succeeded and what it printed.
fn store_copy(from: &std::path::Path, to: &str, resume: bool) -> (bool, String) {
    store_copy_with_key(from, to, resume, crate::util::SECRET_KEY)
}

fn store_copy_with_key(from: &std::path::Path, to: &str, resume: bool, key: &str) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kurir"));
    command
        .args(["store", "copy", "--to", to])
        .arg("--from")
        .arg(from)
        .env_remove("KURIR_DATABASE_URL")
        .env("KURIR_SECRET_KEY", key);
    if resume {
        command.arg("--resume");
    }
    let output = command.output().unwrap_or_else(|err| panic!("{err}"));
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

#[tokio::test]
async fn a_sqlite_store_moves_to_postgres_whole_and_keeps_working() {
    let secret_key = crate::util::SECRET_KEY;
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let sqlite = Options {
        extra_args: vec!["--secret-key".into(), secret_key.into()],
        sqlite_only: true,
        ..Options::standard()
    };
    let mut kurir = Kurir::launch(dir.path(), sqlite).await;
    // Three endpoints: one works, one fails and retries in an hour, one fails for good. Five events, so every
    // delivery is tried before any circuit opens, and settles: succeeded, retrying or dead.
    let good = Receiver::ok().await;
    let bad = Receiver::start(|request, _| Reply::status(if request.path == "/dead" { 400 } else { 500 })).await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let endpoint = tenant.endpoint(&good.url, json!({"headers": {"X-Api-Key": "hush-hush"}})).await;
    tenant.endpoint(&format!("{}/retry", bad.url), json!({"retry_schedule": [3600]})).await;
    tenant.endpoint(&format!("{}/dead", bad.url), json!({"retry_schedule": "dealpos"})).await;
    let body = json!({"name": "pos", "dialect": "dealpos", "verify": {"api_key": "s3cret"}});
    let source = tenant.api.post_ok(&tenant.path("/sources"), body, reqwest::StatusCode::CREATED).await;
    let source_id = source["id"].as_str().unwrap_or_default().to_owned();
    let received = reqwest::Client::new()
        .post(format!("{}/in/{source_id}/productCreated", kurir.base))
        .header("X-API-Key", "s3cret")
        .json(&json!({"ID": "p1", "Name": "Dress", "Code": "D1"}))
        .send()
        .await
        .map(|r| r.status().is_success());
    assert_eq!(received.ok(), Some(true), "the source takes a DealPOS webhook");
    for n in 0..4 {
        tenant.publish("ADDPRODUCT", json!({"id": n})).await;
    }
    // Five events (four published, one received) for three endpoints.
    let before = eventually("every delivery to settle", Duration::from_secs(15), || async {
        let page = tenant.api.get(&tenant.path("/deliveries?limit=250")).await.1;
        let settled = states(&page).iter().all(|(_, state)| state != "pending" && state != "in_flight");
        (settled && states(&page).len() == 15).then_some(page)
    })
    .await;
    for state in ["succeeded", "retrying", "dead"] {
        assert!(states(&before).iter().any(|(_, s)| s == state), "a {state} delivery to copy");
    }
    let url = Options::postgres().database_url.unwrap_or_default();
    let (ok, printed) = store_copy(dir.path(), &url, false);
    assert!(!ok && printed.contains("stop it before copying"), "a store in use is refused: {printed}");
    assert!(kurir.terminate(), "kurir should stop cleanly");
    let (ok, printed) = store_copy_with_key(dir.path(), &url, false, "CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=");
    assert!(!ok && printed.contains("not the one this SQLite store"), "another key is refused: {printed}");

    let (ok, printed) = store_copy(dir.path(), &url, false);
    assert!(ok, "{printed}");
    assert!(printed.contains("deliveries") && printed.contains("attempts"), "a count per table: {printed}");
    let (ok, printed) = store_copy(dir.path(), &url, false);
    assert!(!ok && printed.contains("--resume"), "a target with data is refused: {printed}");

    // An interrupted copy: some rows never arrived. A second run with --resume finishes without duplicates.
    let cluster = kurir_testpg::TestCluster::shared().unwrap_or_else(|err| panic!("{err}"));
    cluster.psql(&url, "DELETE FROM attempts WHERE seq % 2 = 0").unwrap_or_else(|err| panic!("{err}"));
    let (ok, printed) = store_copy(dir.path(), &url, true);
    assert!(ok, "{printed}");
    let counted = |table: &str| {
        cluster.psql(&url, &format!("SELECT COUNT(*) FROM {table}")).unwrap_or_else(|err| panic!("{err}"))
    };
    let attempts = counted("attempts");
    let (ok, printed) = store_copy(dir.path(), &url, true);
    assert!(ok, "{printed}");
    assert_eq!(counted("attempts"), attempts, "a second resume adds nothing");

    // Served from PostgreSQL: the same deliveries in the same states, secrets still open with the same key.
    let pg_dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let on_postgres =
        Kurir::launch(pg_dir.path(), Options { database_url: Some(url.clone()), ..Options::standard() }).await;
    let tenant = Tenant { api: on_postgres.admin().with_token(&token_of(&tenant)), ..tenant };
    let after = tenant.api.get(&tenant.path("/deliveries?limit=250")).await.1;
    assert_eq!(states(&before), states(&after), "every delivery keeps its state");
    let id = endpoint["id"].as_str().unwrap_or_default();
    let copied = tenant.api.get(&tenant.path(&format!("/endpoints/{id}"))).await.1;
    // Shown masked, with its last four characters: read from the opened value (a wrong key fails the read).
    assert_eq!(copied["headers"]["X-Api-Key"], "••••hush", "sealed secrets open with the same key: {copied}");
    let (status, _) = tenant.api.get(&tenant.path(&format!("/sources/{source_id}/inbound"))).await;
    assert!(status.is_success());
    assert_eq!(counted("inbound"), "1", "the inbound log came along");
    let published = tenant.publish("ADDPRODUCT", json!({"id": 99})).await;
    eventually("a delivery from PostgreSQL", Duration::from_secs(10), || async {
        good.received().iter().any(|r| r.header("webhook-id") == Some(published.as_str())).then_some(())
    })
    .await;
}

fn token_of(tenant: &Tenant) -> String {
    tenant.api.token().to_owned()
}

/// (delivery id, state) of a delivery page, sorted.
fn states(page: &Value) -> Vec<(String, String)> {
    let mut states: Vec<(String, String)> = page["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| (d["id"].as_str().unwrap_or_default().to_owned(), d["state"].as_str().unwrap_or_default().to_owned()))
        .collect();
    states.sort();
    states
}
