//! `kurir bench`: end-to-end throughput on this machine.
//!
//! Everything runs in this one process, so the figures include kurir, the receivers and the publishers sharing
//! the same cores: in-process `kurir serve` nodes on a fresh SQLite file (WAL, `synchronous=FULL`: every accepted
//! event is on disk) or on a PostgreSQL database (`--database-url`, `--nodes`), receivers on 127.0.0.1 that answer
//! 200 at once and count what arrives, and publishers that call the real HTTP API. Traffic goes only to loopback;
//! the run is bounded by `--events` and `--timeout-secs`.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use axum::extract::State;
use axum::http::StatusCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::cli::{BenchArgs, ServeArgs};
use crate::serve;

mod sick;

/// What the receivers saw.
struct Arrivals {
    count: AtomicU64,
    last: Mutex<Option<Instant>>,
    /// Each (endpoint, event) delivery seen, to tell duplicates from firsts.
    seen: Mutex<HashSet<(String, u64)>>,
    /// When event `n` was handed to the API, in microseconds since `epoch` (0: not yet).
    published_us: Vec<AtomicU64>,
    /// Publish-to-delivery latencies, in microseconds.
    latencies_us: Mutex<Vec<u64>>,
    epoch: Instant,
}

impl Arrivals {
    fn new(events: u64) -> Self {
        Arrivals {
            count: AtomicU64::new(0),
            last: Mutex::new(None),
            seen: Mutex::new(HashSet::new()),
            published_us: (0..events).map(|_| AtomicU64::new(0)).collect(),
            latencies_us: Mutex::new(Vec::new()),
            epoch: Instant::now(),
        }
    }

    fn now_us(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// Deliveries seen once, however often they came.
    fn distinct(&self) -> u64 {
        self.seen.lock().map(|seen| seen.len() as u64).unwrap_or(0)
    }
}

async fn receive(State(arrivals): State<Arc<Arrivals>>, uri: axum::http::Uri, body: axum::body::Bytes) -> StatusCode {
    let at = arrivals.now_us();
    arrivals.count.fetch_add(1, Ordering::Relaxed);
    if let Ok(mut last) = arrivals.last.lock() {
        *last = Some(Instant::now());
    }
    if let Some(n) = event_number(&body) {
        let first = arrivals.seen.lock().map(|mut seen| seen.insert((uri.path().to_owned(), n))).unwrap_or(false);
        let sent = arrivals.published_us.get(n as usize).map_or(0, |t| t.load(Ordering::Relaxed));
        if first && sent > 0 {
            if let Ok(mut latencies) = arrivals.latencies_us.lock() {
                latencies.push(at.saturating_sub(sent));
            }
        }
    }
    StatusCode::OK
}

/// The bench's event number in a delivered body: the payload's `"id"`, found without parsing the whole body.
fn event_number(body: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(body).ok()?;
    let at = text.find("\"id\":")? + 5;
    let digits: String = text[at..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    serve::init_logging("warn");
    anyhow::ensure!(
        args.events > 0 && args.endpoints > 0 && args.batch > 0 && args.publishers > 0,
        "counts must be positive"
    );
    anyhow::ensure!(args.batch <= 1_000, "--batch is at most 1000 (the batch API's limit)");
    let temp = tempfile::tempdir().context("cannot make a temp dir")?;
    let data_dir = args.data_dir.clone().unwrap_or_else(|| temp.path().to_path_buf());

    let arrivals = Arc::new(Arrivals::new(args.events));
    let receiver_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let receiver_url = format!("http://{}", receiver_listener.local_addr()?);
    let receiver_app = axum::Router::new().fallback(receive).with_state(Arc::clone(&arrivals));
    tokio::spawn(async move { axum::serve(receiver_listener, receiver_app).await });

    if args.sick_endpoints > 0 || args.paced {
        return sick::run(&args, &data_dir).await;
    }
    let nodes = Nodes::start(&args, &data_dir).await?;
    let (bases, admin_token) = (nodes.bases.clone(), nodes.admin_token.clone());
    let base = bases[0].clone();
    let tenant = format!("bench-{:08x}", rand::random::<u32>());
    let place = match &args.database_url {
        Some(_) => format!("PostgreSQL, {} node(s)", args.nodes),
        None => data_dir.display().to_string(),
    };

    let client = http_client()?;
    let (token, endpoints) = setup(&client, &base, &tenant, &admin_token, &receiver_url, args.endpoints).await?;
    let expected = args.events * u64::from(args.endpoints);
    eprintln!(
        "publishing {} events ({} per call, {} publishers) to {} endpoint(s) on {}",
        args.events, args.batch, args.publishers, args.endpoints, place
    );

    let started = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let mut publishers = tokio::task::JoinSet::new();
    for index in 0..args.publishers {
        let base = format!("{}/v1/tenants/{tenant}", bases[index as usize % bases.len()]);
        let (client, token, next, arrivals) = (client.clone(), token.clone(), Arc::clone(&next), Arc::clone(&arrivals));
        let (events, batch) = (args.events, u64::from(args.batch));
        publishers
            .spawn(async move { publish_until_done(&client, &base, &token, &next, &arrivals, events, batch).await });
    }
    while let Some(joined) = publishers.join_next().await {
        joined.context("a publisher panicked")??;
    }
    let published = started.elapsed();

    let deadline = started + Duration::from_secs(args.timeout_secs);
    while arrivals.count.load(Ordering::Relaxed) < expected || arrivals.distinct() < expected {
        if Instant::now() > deadline {
            remove_endpoints(&client, &base, &tenant, &token, &endpoints).await;
            bail!("only {} of {expected} deliveries arrived within {} s", arrivals.distinct(), args.timeout_secs);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let last = arrivals.last.lock().ok().and_then(|last| *last).unwrap_or_else(Instant::now);
    let delivered = last.duration_since(started);
    remove_endpoints(&client, &base, &tenant, &token, &endpoints).await;
    nodes.stop().await?;

    let per_sec = |n: u64, d: Duration| n as f64 / d.as_secs_f64().max(1e-9);
    let distinct = arrivals.distinct();
    let duplicates = arrivals.count.load(Ordering::Relaxed).saturating_sub(distinct);
    let missing = expected.saturating_sub(distinct);
    let latency = arrivals.latencies_us.lock().map(|l| Percentiles::of(&l)).unwrap_or_default();
    if args.json {
        let figures = json!({
            "events": args.events,
            "deliveries": expected,
            "publish_secs": published.as_secs_f64(),
            "events_per_sec": per_sec(args.events, published),
            "end_to_end_secs": delivered.as_secs_f64(),
            "deliveries_per_sec": per_sec(expected, delivered),
            "latency_ms": {"p50": latency.p50_ms, "p90": latency.p90_ms, "p99": latency.p99_ms, "max": latency.max_ms},
            "duplicates": duplicates,
            "missing": missing,
        });
        println!("{figures}");
        return Ok(());
    }
    println!("events published        {}", args.events);
    println!("deliveries              {expected}");
    println!(
        "publish phase           {:.2} s  ({:.0} events/s accepted, durable)",
        published.as_secs_f64(),
        per_sec(args.events, published)
    );
    println!(
        "first publish → last    {:.2} s  ({:.0} deliveries/s end to end)",
        delivered.as_secs_f64(),
        per_sec(expected, delivered)
    );
    println!(
        "publish → delivery      p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latency.p50_ms, latency.p90_ms, latency.p99_ms, latency.max_ms
    );
    println!("duplicates, missing     {duplicates}, {missing}");
    Ok(())
}

fn http_client() -> anyhow::Result<reqwest::Client> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Ok(reqwest::Client::builder().no_proxy().pool_max_idle_per_host(64).build()?)
}

async fn call(client: &reqwest::Client, url: String, token: &str, body: Value) -> anyhow::Result<Value> {
    let response = client
        .post(&url)
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .with_context(|| format!("POST {url}"))?;
    let status = response.status();
    let text = response.text().await?;
    anyhow::ensure!(status.is_success(), "POST {url} answered {status}: {text}");
    Ok(serde_json::from_str(&text)?)
}

/// In-process `kurir serve` nodes on one store.
struct Nodes {
    bases: Vec<String>,
    admin_token: String,
    servers: Vec<Server>,
    shutdown: CancellationToken,
}

impl Nodes {
    async fn start(args: &BenchArgs, data_dir: &std::path::Path) -> anyhow::Result<Nodes> {
        anyhow::ensure!(args.nodes >= 1, "--nodes must be at least 1");
        anyhow::ensure!(args.nodes == 1 || args.database_url.is_some(), "more than one node needs --database-url");
        let admin_token = format!("bench_{}", URL_SAFE_NO_PAD.encode(rand::random::<[u8; 24]>()));
        // Every node of a PostgreSQL database must seal with the same key.
        let secret_key =
            args.database_url.as_ref().map(|_| args.secret_key.clone().unwrap_or_else(|| BENCH_KEY.to_owned()));
        if let Some(url) = &args.database_url {
            refuse_a_database_in_use(url, secret_key.clone()).await?;
        }
        let shutdown = CancellationToken::new();
        let mut bases = Vec::new();
        let mut servers = Vec::new();
        for node in 0..args.nodes {
            let kurir_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            bases.push(format!("http://{}", kurir_listener.local_addr()?));
            let serve_args = ServeArgs {
                listen: kurir_listener.local_addr()?,
                log_format: "text".into(),
                log: "warn".into(),
                data_dir: data_dir.join(format!("node-{node}")),
                database_url: args.database_url.clone(),
                allow_private_targets: true,
                public_url: None,
                secret_key: secret_key.clone(),
                node_id: Some(format!("bench-{node}")),
                lease_secs: 30,
                admin_token: Some(admin_token.clone()),
                shutdown_grace_secs: 5,
                fixed_concurrency: args.fixed_concurrency,
                circuit_failures: 5,
                circuit_cooldown_ms: 30_000,
                disable_after_secs: 0,
                disable_min_attempts: 0,
                retention_days: 0,
                quiet: args.json,
            };
            let shutdown = shutdown.clone();
            let server = tokio::spawn(async move { serve::serve(&serve_args, kurir_listener, shutdown).await });
            // One at a time: the first node migrates and stores the key's check value before the others start.
            let base = bases.last().cloned().unwrap_or_default();
            servers.push(wait_ready(&base, server).await?);
        }
        Ok(Nodes { bases, admin_token, servers, shutdown })
    }

    async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        for server in self.servers {
            server.await.context("a server panicked")??;
        }
        Ok(())
    }
}

/// The secret key of benchmark databases, unless `--secret-key` gives one: never point a benchmark at a database
/// that holds real secrets.
const BENCH_KEY: &str = "a3VyaXItYmVuY2gtb25seS1rZXktMzItYnl0ZXMhISE=";

type Server = tokio::task::JoinHandle<anyhow::Result<()>>;

/// A benchmark replaces the admin token and fills the database with its tenants: it runs only on a database of
/// its own (empty, or holding only earlier runs' `bench-` tenants).
async fn refuse_a_database_in_use(url: &str, secret_key: Option<String>) -> anyhow::Result<()> {
    let options = kurir_store::StoreOptions {
        database: kurir_store::Database::Postgres { url: url.to_owned() },
        secret_key,
        metrics: None,
    };
    let store = kurir_store::open(&options)
        .await
        .context("kurir bench runs only on a database of its own, sealed with the bench key (or --secret-key)")?;
    let tenants = store.list_tenants().await?;
    if let Some(tenant) = tenants.iter().find(|t| !t.id.as_str().starts_with("bench-")) {
        bail!("the database holds tenant `{}`: kurir bench runs only on a database of its own", tenant.id);
    }
    Ok(())
}

/// Waits until a node answers `/readyz`; when it stops instead, says why.
async fn wait_ready(base: &str, server: Server) -> anyhow::Result<Server> {
    let client = http_client()?;
    for _ in 0..600 {
        if server.is_finished() {
            server.await.context("a server panicked")??;
            bail!("the kurir node at {base} stopped before it was ready");
        }
        if client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
            return Ok(server);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("the kurir node at {base} did not become ready within 30 s")
}

/// Creates the tenant, a key and the endpoints; returns the key's token and the endpoints' ids.
async fn setup(
    client: &reqwest::Client,
    base: &str,
    tenant: &str,
    admin: &str,
    receiver: &str,
    endpoints: u32,
) -> anyhow::Result<(String, Vec<String>)> {
    call(client, format!("{base}/v1/tenants"), admin, json!({"id": tenant, "name": "Bench"})).await?;
    let key = call(client, format!("{base}/v1/tenants/{tenant}/api-keys"), admin, json!({"name": "bench"})).await?;
    let token = key["token"].as_str().context("no token in the API key answer")?.to_owned();
    let mut ids = Vec::new();
    for n in 0..endpoints {
        let url = format!("{base}/v1/tenants/{tenant}/endpoints");
        let endpoint = call(client, url, &token, json!({"url": format!("{receiver}/e{n}")})).await?;
        ids.push(endpoint["id"].as_str().context("no id in the endpoint answer")?.to_owned());
    }
    Ok((token, ids))
}

/// Deletes the run's endpoints, so that a database shared by several runs holds no work for receivers that are
/// gone (their unfinished deliveries end dead).
async fn remove_endpoints(client: &reqwest::Client, base: &str, tenant: &str, token: &str, endpoints: &[String]) {
    for id in endpoints {
        let url = format!("{base}/v1/tenants/{tenant}/endpoints/{id}");
        if let Err(err) = client.delete(&url).bearer_auth(token).send().await {
            eprintln!("cannot delete the bench endpoint {id}: {err}");
        }
    }
}

/// A ZORT-style product payload, about 200 bytes.
fn payload(n: u64) -> Value {
    json!({"id": n, "sku": format!("SKU-{n:08}"), "name": format!("Product {n}"), "sellprice": "20.00",
           "purchaseprice": "10.00", "unittext": "Piece", "weight": "500", "barcode": "8850000000000", "category": "bench"})
}

async fn publish_until_done(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    next: &AtomicU64,
    arrivals: &Arrivals,
    events: u64,
    batch: u64,
) -> anyhow::Result<()> {
    loop {
        let first = next.fetch_add(batch, Ordering::Relaxed);
        if first >= events {
            return Ok(());
        }
        let last = (first + batch).min(events);
        let now = arrivals.now_us().max(1);
        for n in first..last {
            if let Some(at) = arrivals.published_us.get(n as usize) {
                at.store(now, Ordering::Relaxed);
            }
        }
        if batch == 1 {
            call(client, format!("{base}/events"), token, json!({"type": "ADDPRODUCT", "payload": payload(first)}))
                .await?;
        } else {
            let items: Vec<Value> =
                (first..last).map(|n| json!({"type": "ADDPRODUCT", "payload": payload(n)})).collect();
            call(client, format!("{base}/events/batch"), token, json!({"events": items})).await?;
        }
    }
}

/// Latency percentiles, in milliseconds.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Percentiles {
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

impl Percentiles {
    /// The percentiles of latencies in microseconds (nearest rank).
    pub(crate) fn of(latencies_us: &[u64]) -> Percentiles {
        let mut sorted = latencies_us.to_vec();
        sorted.sort_unstable();
        let at = |q: f64| -> f64 {
            if sorted.is_empty() {
                return 0.0;
            }
            let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
            sorted[rank - 1] as f64 / 1_000.0
        };
        Percentiles { p50_ms: at(0.50), p90_ms: at(0.90), p99_ms: at(0.99), max_ms: at(1.0) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank_and_the_event_number_of_a_body() {
        let latencies: Vec<u64> = (1..=100).map(|n| n * 1_000).collect();
        let p = Percentiles::of(&latencies);
        assert_eq!((p.p50_ms, p.p90_ms, p.p99_ms, p.max_ms), (50.0, 90.0, 99.0, 100.0));
        assert_eq!(Percentiles::of(&[]), Percentiles::default());
        let body = br#"{"type":"ADDPRODUCT","timestamp":"x","data":{"barcode":"1","id":4711,"name":"P"}}"#;
        assert_eq!(event_number(body), Some(4711));
        assert_eq!(event_number(b"{}"), None);
    }
}
