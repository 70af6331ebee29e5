//! `kurir serve --database-url postgres://...`: the real binary on a real PostgreSQL (a throwaway cluster the
//! tests start, or the server `KURIR_TEST_DATABASE_URL` names).

use std::collections::HashSet;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::util::{event_ids, eventually, Kurir, Receiver, Reply, Tenant};
use crate::util::{Options, ADMIN_TOKEN};

#[tokio::test]
async fn on_postgres_a_kill_9_loses_no_accepted_event() {
    let options = Options { node_id: Some("node-1".into()), ..Options::postgres() };
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let mut kurir = Kurir::launch(dir.path(), options.clone()).await;
    // Slow answers and ten ordering keys: ten deliveries in flight and most waiting when the process dies.
    let receiver = Receiver::start(|_, _| Reply::status(200).delayed(Duration::from_millis(300))).await;
    let tenant = Tenant::create(&kurir, "acme").await;
    tenant.endpoint(&receiver.url, json!({})).await;

    let mut accepted = HashSet::new();
    for n in 0..100 {
        let (status, body) =
            tenant.api.post(&tenant.path("/events"), json!({"type": "ADDPRODUCT", "payload": {"id": n % 10}})).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        accepted.insert(body["id"].as_str().unwrap_or_default().to_owned());
    }
    // Kill while something is in flight (arrived, not yet answered): how soon the first delivery goes out
    // depends on how loaded the machine is, so wait for it rather than assume it.
    eventually("a delivery in flight", Duration::from_secs(10), || async {
        (event_ids(&receiver.received()).len() > event_ids(&receiver.answered()).len()).then_some(())
    })
    .await;
    kurir.kill9();
    let answered = event_ids(&receiver.answered());
    let in_flight: HashSet<String> = event_ids(&receiver.received()).difference(&answered).cloned().collect();
    assert!(answered.len() < accepted.len(), "the kill should interrupt the run");
    assert!(!in_flight.is_empty(), "some deliveries were in flight at the kill");

    // The same node id: its leases are released at start, so what it had in flight goes out at once.
    let restarted = Kurir::launch(dir.path(), options).await;
    eventually("every accepted event to be answered", Duration::from_secs(30), || async {
        accepted.is_subset(&event_ids(&receiver.answered())).then_some(())
    })
    .await;
    let received = receiver.received();
    for id in &in_flight {
        let arrivals = received.iter().filter(|r| r.header("webhook-id") == Some(id.as_str())).count();
        assert!(arrivals >= 2, "{id} was in flight at the kill and was not sent again");
    }
    let tenant = Tenant { api: restarted.admin(), ..tenant };
    let (status, ready) = tenant.api.get("/readyz").await;
    assert_eq!(status, StatusCode::OK, "{ready}");
}

#[tokio::test]
async fn a_database_that_cannot_be_reached_stops_serve_with_the_host_and_the_cause() {
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap_or_else(|err| panic!("{err}"));
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let url = format!("postgres://kurir@127.0.0.1:{closed_port}/kurir");
    let refused = Kurir::try_launch(dir.path(), Options { database_url: Some(url), ..Options::standard() }).await;
    let log = refused.err().unwrap_or_else(|| panic!("kurir must not start without its database"));
    assert!(log.contains(&format!("127.0.0.1:{closed_port}")), "names the host: {log}");
    assert!(log.to_lowercase().contains("refused"), "names the cause: {log}");

    let malformed =
        Options { database_url: Some("postgres://kurir@127.0.0.1:notaport/db".into()), ..Options::standard() };
    let refused = Kurir::try_launch(dir.path(), malformed).await;
    let log = refused.err().unwrap_or_else(|| panic!("kurir must not start with a malformed URL"));
    assert!(log.contains("malformed") && log.contains("port"), "names the part that is wrong: {log}");
}

#[tokio::test]
async fn a_node_with_another_secret_key_refuses_to_start() {
    let options = Options::postgres();
    let first_dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let first = Kurir::launch(first_dir.path(), options.clone()).await;
    drop(first);
    let second_dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let mut other = std::process::Command::new(env!("CARGO_BIN_EXE_kurir"));
    let url = options.database_url.unwrap_or_default();
    let output = other
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", &url])
        .arg("--data-dir")
        .arg(second_dir.path())
        .env("KURIR_SECRET_KEY", "CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=")
        .env("KURIR_ADMIN_TOKEN", ADMIN_TOKEN)
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("KURIR_SECRET_KEY"), "says why: {stderr}");
}

#[tokio::test]
async fn while_the_database_is_away_publishes_get_503_and_kurir_recovers_by_itself() {
    let cluster = kurir_testpg::TestCluster::start()
        .unwrap_or_else(|err| panic!("PostgreSQL is needed for this test and none could be had: {err}"));
    let url = cluster.fresh_database("outage").unwrap_or_else(|err| panic!("{err}"));
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let kurir = Kurir::launch(dir.path(), Options { database_url: Some(url), ..Options::standard() }).await;
    let receiver = Receiver::start(|_, _| Reply::status(200)).await;
    let tenant = Tenant::create(&kurir, "acme").await;
    tenant.endpoint(&receiver.url, json!({})).await;
    let event = json!({"type": "ADDPRODUCT", "payload": {"id": 1}});

    cluster.stop_server().unwrap_or_else(|err| panic!("{err}"));
    let (status, body, headers) =
        tenant.api.send(reqwest::Method::POST, &tenant.path("/events"), Some(&event), &[]).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(headers.get("retry-after").is_some(), "a sender is told when to try again");
    assert_eq!(body["error"]["code"], "unavailable");
    let (status, _) = tenant.api.get("/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "not ready without the database");

    cluster.start_server().unwrap_or_else(|err| panic!("{err}"));
    eventually("kurir to be ready again", Duration::from_secs(20), || async {
        (tenant.api.get("/readyz").await.0 == StatusCode::OK).then_some(())
    })
    .await;
    let id = tenant.publish("ADDPRODUCT", json!({"id": 2})).await;
    eventually("the delivery after the outage", Duration::from_secs(10), || async {
        event_ids(&receiver.received()).contains(&id).then_some(())
    })
    .await;
    assert_eq!(receiver.count(), 1, "the refused publish stored nothing");
}

#[tokio::test]
async fn a_second_live_node_with_the_same_node_id_is_refused() {
    let options = Options { node_id: Some("twin".into()), ..Options::postgres() };
    let first_dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let _first = Kurir::launch(first_dir.path(), options.clone()).await;
    let second_dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let refused = Kurir::try_launch(second_dir.path(), options).await;
    let log = refused.err().unwrap_or_else(|| panic!("a second node with the same id must not start"));
    assert!(log.contains("`twin` is in use"), "says why: {log}");
}
