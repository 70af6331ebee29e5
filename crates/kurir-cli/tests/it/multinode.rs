//! Three `kurir serve` nodes on one PostgreSQL database, ten endpoints, events whose ordering keys repeat. One
//! node is killed with SIGKILL mid-run and another is restarted. Every accepted event must reach every endpoint,
//! each endpoint must see each key's events in publish order, and duplicates must stay within what was in
//! flight when the node died.
//!
//! The bounded run is part of the suite. The long run: `KURIR_MULTINODE_EVENTS=20000 cargo test -p kurir-cli
//! --test it multinode -- --nocapture` (see README).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::util::{eventually, Kurir, Options, Receiver, Reply, Tenant};

const NODES: usize = 3;
const ENDPOINTS: usize = 10;
const KEYS: usize = 20;

fn events_to_publish() -> usize {
    std::env::var("KURIR_MULTINODE_EVENTS").ok().and_then(|n| n.parse().ok()).unwrap_or(300)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_share_the_work_and_a_killed_node_loses_nothing() {
    let database = Options::postgres().database_url;
    let url = database.clone().unwrap_or_default();
    let cluster = kurir_testpg::TestCluster::shared().unwrap_or_else(|err| panic!("{err}"));
    // The leases a node holds, read from the database: what it was sending, and would be sent again.
    let leases_of = |node: &str| {
        let sql = format!("SELECT COUNT(*) FROM delivery_queue WHERE leased AND lease_owner = '{node}'");
        let count = cluster.psql(&url, &sql).unwrap_or_else(|err| panic!("{err}"));
        count.parse::<usize>().unwrap_or_else(|err| panic!("`{count}`: {err}"))
    };
    let dirs: Vec<_> = (0..NODES).map(|_| tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"))).collect();
    let node_options = |index: usize| Options {
        database_url: database.clone(),
        node_id: Some(format!("node-{index}")),
        // Short enough that the killed node's deliveries are taken over within the test, long enough that a live
        // node starved of CPU by a busy machine still renews its leases in time (renewals come every third).
        extra_args: vec!["--lease-secs".into(), "8".into()],
        ..Options::standard()
    };
    let mut nodes: Vec<Option<Kurir>> = Vec::new();
    for (index, dir) in dirs.iter().enumerate() {
        nodes.push(Some(Kurir::launch(dir.path(), node_options(index)).await));
    }
    // Slow enough that every node has attempts in flight at any moment.
    let receiver = Receiver::start(|_, _| Reply::status(200).delayed(Duration::from_millis(20))).await;
    let first = nodes[0].as_ref().unwrap_or_else(|| panic!("node 0 runs"));
    let tenant = Tenant::create(first, "acme").await;
    for endpoint in 0..ENDPOINTS {
        tenant.endpoint(&format!("{}/e{endpoint}", receiver.url), json!({})).await;
    }

    let total = events_to_publish();
    let mut published: Vec<(String, String)> = Vec::with_capacity(total); // (event id, ordering key)
    let mut in_flight_at_kill = 0;
    let mut left_by_restart = 0;
    for n in 0..total {
        if n == total / 3 {
            // SIGKILL node 1 mid-run; what it held in flight stays leased in the database until the lease ends.
            if let Some(mut node) = nodes[1].take() {
                node.kill9();
            }
            in_flight_at_kill = leases_of("node-1");
        }
        if n == 2 * total / 3 {
            // Restart node 2 (graceful stop, then start on the same node id).
            if let Some(mut node) = nodes[2].take() {
                assert!(node.terminate(), "node 2 should stop cleanly; log:\n{}", node.log());
            }
            // A clean stop drains its attempts; whatever it still held would be sent again.
            left_by_restart = leases_of("node-2");
            nodes[2] = Some(Kurir::launch(dirs[2].path(), node_options(2)).await);
        }
        let live: Vec<&Kurir> = nodes.iter().flatten().collect();
        let node = live[n % live.len()];
        let api = tenant.api.clone().rebased(&node.base);
        let key = format!("product:{}", n % KEYS);
        let body = json!({"type": "ADDPRODUCT", "payload": {"id": n}, "ordering_key": key});
        let (status, answer) = api.post(&tenant.path("/events"), body).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
        published.push((answer["id"].as_str().unwrap_or_default().to_owned(), key));
    }

    let expected = total * ENDPOINTS;
    eventually("every event at every endpoint", Duration::from_secs(120), || async {
        let seen: HashSet<(String, String)> = receiver
            .received()
            .iter()
            .filter_map(|r| Some((r.path.clone(), r.header("webhook-id")?.to_owned())))
            .collect();
        (seen.len() == expected).then_some(())
    })
    .await;

    // Per endpoint and key, the first arrival of each event follows publish order.
    let key_of: HashMap<&str, &str> = published.iter().map(|(id, key)| (id.as_str(), key.as_str())).collect();
    let mut arrivals: HashMap<(String, String), Vec<String>> = HashMap::new();
    let mut first_seen = HashSet::new();
    let received = receiver.received();
    for request in &received {
        let Some(id) = request.header("webhook-id") else { continue };
        if !first_seen.insert((request.path.clone(), id.to_owned())) {
            continue;
        }
        let key = key_of.get(id).copied().unwrap_or_default().to_owned();
        arrivals.entry((request.path.clone(), key)).or_default().push(id.to_owned());
    }
    for ((path, key), ids) in &arrivals {
        let order: Vec<&String> = published.iter().filter(|(_, k)| k == key).map(|(id, _)| id).collect();
        assert_eq!(ids.iter().collect::<Vec<_>>(), order, "{path} saw {key} out of publish order");
    }
    let duplicates = received.len() - expected;
    eprintln!(
        "multinode: {total} events x {ENDPOINTS} endpoints, {duplicates} duplicates, {in_flight_at_kill} leased by \
         node 1 at its kill, {left_by_restart} left by node 2's restart"
    );
    assert!(
        duplicates <= in_flight_at_kill + left_by_restart,
        "{duplicates} duplicates, more than the {in_flight_at_kill} deliveries node 1 held when it died \
         and the {left_by_restart} node 2 left when it stopped"
    );
}
