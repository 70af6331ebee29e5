//! `kurir bench`: what kurir does on this machine, end to end.
//!
//! The bench starts `kurir serve` as a child process on a fresh SQLite file in a temp dir (WAL,
//! `synchronous=FULL`: every accepted event is on disk before its 202), or nodes on a PostgreSQL database
//! (`--database-url`, `--nodes`), or measures a server already running at `--url`. Its receivers on 127.0.0.1
//! answer 200 at once and record each arrival; its publishers call the real HTTP API. Reported: publish rate,
//! deliveries a second end to end and in the steady middle, publish-to-delivery latency, the server's CPU seconds
//! per 1,000 deliveries and peak memory, duplicates and missing; with `--ceiling`, the same run's ceiling (what
//! the machine does with no kurir in between). Traffic goes only to loopback; the run is bounded by `--events`
//! and `--timeout-secs`.
//!
//! Modules: `server` (the nodes and their CPU and memory), `receiver` (arrivals), `report` (the figures),
//! `ceiling`, and `sick` (the latency modes: `--paced`, `--sick-endpoints`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use serde_json::{json, Value};

use crate::cli::BenchArgs;

mod ceiling;
mod receiver;
mod report;
mod server;
mod sick;

use receiver::Arrivals;
use report::{steady_rate, Percentiles, ServerFigures};
use server::Servers;

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    crate::serve::init_logging("warn");
    anyhow::ensure!(
        args.events > 0 && args.endpoints > 0 && args.batch > 0 && args.publishers > 0,
        "--events, --endpoints, --batch and --publishers must be positive"
    );
    anyhow::ensure!(args.batch <= 1_000, "--batch is at most 1000 (the batch API's limit)");
    anyhow::ensure!((64..=1_000_000).contains(&args.payload_bytes), "--payload-bytes must be between 64 and 1000000");
    let temp = tempfile::tempdir().context("cannot make a temp dir")?;
    let data_dir = args.data_dir.clone().unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
    let ceiling = match args.ceiling {
        true => {
            eprintln!("measuring the ceiling: the same traffic and disk with no kurir in between");
            Some(ceiling::measure(&args, &data_dir).await?)
        }
        false => None,
    };
    if args.sick_endpoints > 0 || args.paced {
        return sick::run(&args, &data_dir, ceiling).await;
    }
    throughput(&args, &data_dir, ceiling).await
}

/// The throughput mode: `--events` published as fast as `--publishers` can, each delivered to every endpoint.
async fn throughput(
    args: &BenchArgs,
    data_dir: &std::path::Path,
    ceiling: Option<ceiling::Ceiling>,
) -> anyhow::Result<()> {
    let arrivals = Arc::new(Arrivals::new(args.events));
    let servers = Servers::start(args, data_dir).await?;
    // Reserved after the nodes listen, so that no node can be given the receivers' port.
    let receivers = free_loopback_address()?;
    let receiver_url = format!("http://{receivers}");
    if !args.receivers_down {
        receiver::start_on(receivers, Arc::clone(&arrivals)).await?;
    }
    let base = servers.bases[0].clone();
    let tenant = format!("bench-{:08x}", rand::random::<u32>());
    let place = match (&args.url, &args.database_url) {
        (Some(url), _) => format!("the server at {url}"),
        (None, Some(_)) => format!("PostgreSQL, {} node(s)", args.nodes),
        (None, None) => format!("SQLite in {}", data_dir.display()),
    };
    let client = http_client()?;
    let (token, endpoints) =
        setup(&client, &base, &tenant, &servers.admin_token, &receiver_url, args.endpoints).await?;
    let expected = args.events * u64::from(args.endpoints);
    eprintln!(
        "publishing {} events of {} bytes ({} per call, {} publishers) to {} endpoint(s) on {place}",
        args.events, args.payload_bytes, args.batch, args.publishers, args.endpoints
    );

    let before = servers.usage();
    let progress = Progress::new(args, expected);
    let started = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let mut publishers = tokio::task::JoinSet::new();
    for index in 0..args.publishers {
        let base = format!("{}/v1/tenants/{tenant}", servers.bases[index as usize % servers.bases.len()]);
        let publisher = Publisher {
            client: client.clone(),
            base,
            token: token.clone(),
            next: Arc::clone(&next),
            arrivals: Arc::clone(&arrivals),
            events: args.events,
            batch: u64::from(args.batch),
            payload_bytes: args.payload_bytes,
        };
        publishers.spawn(async move { publisher.run().await });
    }
    let deadline = started + Duration::from_secs(args.timeout_secs);
    while !publishers.is_empty() {
        if Instant::now() > deadline {
            progress.done();
            publishers.abort_all();
            remove_endpoints(&client, &base, &tenant, &token, &endpoints).await;
            bail!("publishing did not finish within {} s (--timeout-secs)", args.timeout_secs);
        }
        tokio::select! {
            joined = publishers.join_next() => {
                if let Some(joined) = joined {
                    joined.context("a publisher panicked")??;
                }
            }
            _ = tokio::time::sleep(Duration::from_millis(100)) => {
                progress.show(next.load(Ordering::Relaxed).min(args.events), arrivals.distinct());
            }
        }
    }
    let published = started.elapsed();
    let resumed_us = match args.receivers_down {
        true => Some(bring_receivers_up(&client, &base, &tenant, &token, &endpoints, receivers, &arrivals).await?),
        false => None,
    };

    let deadline = deadline.max(Instant::now() + Duration::from_secs(args.timeout_secs / 2));
    while arrivals.count.load(Ordering::Relaxed) < expected || arrivals.distinct() < expected {
        if Instant::now() > deadline {
            progress.done();
            remove_endpoints(&client, &base, &tenant, &token, &endpoints).await;
            bail!("only {} of {expected} deliveries arrived within {} s", arrivals.distinct(), args.timeout_secs);
        }
        progress.show(args.events, arrivals.distinct());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    progress.done();
    let firsts = arrivals.firsts();
    let last_us = firsts.iter().map(|a| a.at_us).max().unwrap_or(0);
    let delivered = Duration::from_micros(last_us).saturating_sub(started.duration_since(arrivals.epoch()));
    let server = before.zip(servers.usage()).map(|(before, after)| ServerFigures::between(before, after, expected));
    remove_endpoints(&client, &base, &tenant, &token, &endpoints).await;
    servers.stop().await?;

    let per_sec = |n: u64, d: Duration| n as f64 / d.as_secs_f64().max(1e-9);
    let distinct = arrivals.distinct();
    let duplicates = arrivals.count.load(Ordering::Relaxed).saturating_sub(distinct);
    let missing = expected.saturating_sub(distinct);
    let latency = Percentiles::of(&firsts.iter().map(|a| a.latency_us).collect::<Vec<_>>());
    let steady = steady_rate(&firsts);
    let deliveries_per_sec = per_sec(expected, delivered);
    // With the receivers down while publishing: how fast the backlog went once they were up.
    let drain = resumed_us.map(|resumed| Duration::from_micros(last_us.saturating_sub(resumed)));
    let drain_per_sec = drain.map(|drain| per_sec(expected, drain));
    if args.json {
        let figures = json!({
            "events": args.events,
            "endpoints": args.endpoints,
            "batch": args.batch,
            "publishers": args.publishers,
            "payload_bytes": args.payload_bytes,
            "deliveries": expected,
            "publish_secs": published.as_secs_f64(),
            "events_per_sec": per_sec(args.events, published),
            "end_to_end_secs": delivered.as_secs_f64(),
            "deliveries_per_sec": deliveries_per_sec,
            "steady_deliveries_per_sec": steady,
            "drain_secs": drain.map(|d| d.as_secs_f64()),
            "drain_deliveries_per_sec": drain_per_sec,
            "latency_ms": latency,
            "duplicates": duplicates,
            "missing": missing,
            "server": server,
            "ceiling": ceiling,
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
        "first publish → last    {:.2} s  ({deliveries_per_sec:.0} deliveries/s end to end)",
        delivered.as_secs_f64()
    );
    if let Some(steady) = steady {
        println!("steady middle           {steady:.0} deliveries/s (from the 10th to the 90th percent to arrive)");
    }
    if let (Some(drain), Some(rate)) = (drain, drain_per_sec) {
        println!(
            "backlog drained in      {:.2} s  ({rate:.0} deliveries/s after the receivers came up)",
            drain.as_secs_f64()
        );
    }
    println!("publish → delivery      {}", latency.line());
    println!("duplicates, missing     {duplicates}, {missing}");
    match server {
        Some(server) => println!("server                  {}", server.line()),
        None => println!("server                  not measured (give --server-pid with --url)"),
    }
    if let Some(ceiling) = ceiling {
        println!(
            "ceiling                 {:.0} HTTP deliveries/s ({:.0} % reached), {:.0} events/s published to a null \
             server, fsync {:.2} ms, {:.0} durable SQLite rows/s",
            ceiling.deliveries_per_sec,
            100.0 * deliveries_per_sec / ceiling.deliveries_per_sec.max(1e-9),
            ceiling.events_per_sec,
            ceiling.fsync_ms,
            ceiling.durable_rows_per_sec
        );
    }
    Ok(())
}

/// Starts the receivers that were down while the events were published, and resumes each endpoint (as an
/// operator does after an outage: its circuit closes and what waits is due now). Returns when, in the receivers'
/// clock.
async fn bring_receivers_up(
    client: &reqwest::Client,
    base: &str,
    tenant: &str,
    token: &str,
    endpoints: &[String],
    receivers: std::net::SocketAddr,
    arrivals: &Arc<Arrivals>,
) -> anyhow::Result<u64> {
    receiver::start_on(receivers, Arc::clone(arrivals)).await?;
    let resumed = arrivals.now_us();
    for id in endpoints {
        call(client, format!("{base}/v1/tenants/{tenant}/endpoints/{id}/resume"), token, json!({})).await?;
    }
    eprintln!("the receivers are up and the endpoints resumed: draining the backlog");
    Ok(resumed)
}

/// A progress bar on the terminal while a run goes (none with `--json` or when stderr is not a terminal).
struct Progress(indicatif::ProgressBar);

impl Progress {
    fn new(args: &BenchArgs, deliveries: u64) -> Progress {
        let bar = match args.json {
            true => indicatif::ProgressBar::hidden(),
            false => {
                indicatif::ProgressBar::with_draw_target(Some(deliveries), indicatif::ProgressDrawTarget::stderr())
            }
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} delivered, {msg} [{elapsed}]")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Progress(bar)
    }

    fn show(&self, published: u64, delivered: u64) {
        self.0.set_message(format!("{published} published"));
        self.0.set_position(delivered);
    }

    fn done(&self) {
        self.0.finish_and_clear();
    }
}

/// An address on 127.0.0.1 that was free a moment ago, for a node or the receivers to listen on later.
fn free_loopback_address() -> anyhow::Result<std::net::SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("cannot find a free port on 127.0.0.1")?;
    Ok(listener.local_addr()?)
}

/// The bench's HTTP client. Every request has a time limit, so a server that accepts and never answers ends the
/// run with an error instead of holding it forever.
pub(crate) fn http_client() -> anyhow::Result<reqwest::Client> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Ok(reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(256)
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(60))
        .build()?)
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
    serde_json::from_str(&text).with_context(|| format!("POST {url} answered something that is not JSON: {text}"))
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
        ids.push(add_endpoint(client, base, tenant, &token, &format!("{receiver}/e{n}")).await?);
    }
    Ok((token, ids))
}

async fn add_endpoint(
    client: &reqwest::Client,
    base: &str,
    tenant: &str,
    token: &str,
    url: &str,
) -> anyhow::Result<String> {
    let endpoint =
        call(client, format!("{base}/v1/tenants/{tenant}/endpoints"), token, json!({"url": url})).await.context(
            "the server must allow private targets (kurir serve --allow-private-targets) for the bench's receivers",
        )?;
    Ok(endpoint["id"].as_str().context("no id in the endpoint answer")?.to_owned())
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

/// A ZORT-style product payload of about `bytes` bytes of JSON (at least about 200: the product's fields).
fn payload(n: u64, bytes: usize) -> Value {
    let mut product = json!({"id": n, "sku": format!("SKU-{n:08}"), "name": format!("Product {n}"),
        "sellprice": "20.00", "purchaseprice": "10.00", "unittext": "Piece", "weight": "500",
        "barcode": "8850000000000", "category": "bench"});
    let size = product.to_string().len();
    if bytes > size + 17 {
        product["description"] = Value::String("x".repeat(bytes - size - 17));
    }
    product
}

/// One of the publishers of the throughput mode: takes the next events and publishes them, until all are.
struct Publisher {
    client: reqwest::Client,
    base: String,
    token: String,
    next: Arc<AtomicU64>,
    arrivals: Arc<Arrivals>,
    events: u64,
    batch: u64,
    payload_bytes: usize,
}

impl Publisher {
    async fn run(self) -> anyhow::Result<()> {
        loop {
            let first = self.next.fetch_add(self.batch, Ordering::Relaxed);
            if first >= self.events {
                return Ok(());
            }
            let last = (first + self.batch).min(self.events);
            self.arrivals.publishing(first, last);
            let event = |n| json!({"type": "ADDPRODUCT", "payload": payload(n, self.payload_bytes)});
            if self.batch == 1 {
                call(&self.client, format!("{}/events", self.base), &self.token, event(first)).await?;
            } else {
                let items: Vec<Value> = (first..last).map(event).collect();
                let url = format!("{}/events/batch", self.base);
                call(&self.client, url, &self.token, json!({"events": items})).await?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_event_number_is_found_in_a_delivered_body_and_payloads_have_the_size_asked() {
        let body = br#"{"type":"ADDPRODUCT","timestamp":"x","data":{"barcode":"1","id":4711,"name":"P"}}"#;
        assert_eq!(receiver::event_number(body), Some(4711));
        assert_eq!(receiver::event_number(b"{}"), None);
        for bytes in [256, 1_000, 10_000] {
            let size = payload(12, bytes).to_string().len();
            assert!(size.abs_diff(bytes) <= 4, "{bytes} asked, {size} made");
        }
        assert_eq!(payload(12, 64)["id"], 12, "a size below the product's fields keeps them");
    }
}
